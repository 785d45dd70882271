"""What every verb that reads a firm-year file says about it: layout, columns, problems.

``srdi features``, ``schemes``, ``score``, ``explain`` and ``train`` print how they
read the file (the layout, each header's field, the values filled from earlier
years) and warn about each column they ignored; ``--strict`` turns an unmatched
column into an error. The errors file lists the ignored columns too, as rows
without a row number, before the bad rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from features.firm_years import InputReport
    from features.validate import RowError

__all__ = ["StrictOption", "print_input_report", "write_problems"]

StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Fail when a column matches no contract field, instead of ignoring it with a "
        "warning (--map HEADER= ignores a column on purpose).",
    ),
]


def print_input_report(report: InputReport, *, err: bool = False) -> None:
    """Print the layout, the mapping and the notes, then one warning per ignored column.

    Parameters
    ----------
    report
        From :class:`features.firm_years.FirmYearReader`.
    err
        Print the layout and mapping on stderr too (for verbs whose stdout is data).
    """
    for line in report.lines()[: 2 + len(report.notes)]:
        typer.echo(line, err=err)
    for sentence in report.ignored.values():
        typer.echo(f"warning: {sentence}", err=True)


def write_problems(errors: list[RowError], report: InputReport | None, path: Path) -> None:
    """Write the ignored columns and the bad rows as CSV (``row, field, value, message``).

    An ignored column is a row with an empty ``row`` and the header as ``field``. With
    nothing to list, a stale file from an earlier run is removed.
    """
    import pandas as pd

    from features.spreadsheet import write_csv

    columns = list(report.ignored.items()) if report is not None else []
    if not errors and not columns:
        path.unlink(missing_ok=True)  # a stale list from an earlier run would mislead
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "row": [""] * len(columns) + [str(e.row) for e in errors],
            "field": [header for header, _ in columns] + [e.field for e in errors],
            "value": [""] * len(columns) + [e.value for e in errors],
            "message": [sentence for _, sentence in columns] + [e.message for e in errors],
        }
    )
    # BOM so that Excel on a Chinese Windows opens the Chinese messages correctly; a
    # header or value such as "=HYPERLINK(...)" is written so that it stays text.
    write_csv(frame, path)
