"""The panel side of linking: which firms a panel holds, under which ids and names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from features.formats import TABLE_SUFFIXES
from features.io import read_table, rename_columns
from training.published.linkage import PanelFirms

__all__ = ["PanelFirmsError", "find_financials", "read_panel_firms"]

_STEM = "financials"


class PanelFirmsError(ValueError):
    """The panel cannot be read for linking; the message says what is missing."""


def find_financials(panel: Path) -> Path:
    """The financials table of a panel directory, or ``panel`` itself when it is a file.

    A directory's table is ``financials`` with a table suffix (Parquet first, then
    CSV, then XLSX), or a folder ``financials.parquet`` of parts.

    Raises
    ------
    PanelFirmsError
        When nothing is found.
    """
    if panel.is_file():
        return panel
    if not panel.is_dir():
        raise PanelFirmsError(f"panel {str(panel)!r} does not exist")
    for suffix in (".parquet", ".csv", ".xlsx", *TABLE_SUFFIXES):
        candidate = panel / f"{_STEM}{suffix}"
        if candidate.exists():
            return candidate
    raise PanelFirmsError(
        f"{str(panel)!r} has no financials table (financials.parquet, .csv or .xlsx); "
        "point --panel at the firm-year table or at the folder that holds it"
    )


def read_panel_firms(
    panel: Path, mapping: Mapping[str, str] | None = None
) -> tuple[PanelFirms, Path]:
    """Read the firms (id, latest name, province) of a panel.

    Parameters
    ----------
    panel
        A panel directory or its financials table (any layout: only the id, name,
        province and year columns are read).
    mapping
        Header → field choices that win over the alias table (``--map``).

    Returns
    -------
    (PanelFirms, Path)
        The firms and the table they were read from.

    Raises
    ------
    PanelFirmsError
        No table, or no id or name column.
    features.io.TableReadError
        The table cannot be read.
    """
    path = find_financials(panel)
    if path.is_dir():  # a folder of Parquet parts
        import pandas as pd

        frame = pd.read_parquet(path)
    else:
        frame = read_table(path)
    try:
        return PanelFirms.from_frame(rename_columns(frame, mapping)), path
    except ValueError as error:
        raise PanelFirmsError(f"{path}: {error}") from None
