"""Writing tables a spreadsheet will open: text that would run as a formula is defused.

A CSV or XLSX cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (also after
leading blanks, and any cell starting with a tab or a carriage return) is evaluated by
Excel, LibreOffice and Google Sheets as a formula: a company name
``=HYPERLINK("http://x", "click")`` or ``=cmd|' /C calc'!A0`` in an uploaded file
would become a live link or a command in the fund manager's spreadsheet (CWE-1236,
"CSV injection"). Every text cell we export therefore gets a leading ``'`` when it
looks like that, the neutralisation OWASP recommends; a plain signed number written as
text (``-5``) is left alone, since a spreadsheet reads it as the number it is. Numeric
columns stay numbers. XLSX cells are written with the string type, never as formulas.

Parquet is not touched: it is data for programs, which never evaluate it.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "csv_bytes",
    "neutralise_text",
    "spreadsheet_safe",
    "write_csv",
    "xlsx_bytes",
]

# RE2 syntax for Arrow's vectorized match (there \s is [\t\n\f\r ] and \d is [0-9]);
# the Python twins, for one cell, say exactly the same.
_TRIGGER = r"^[\t\r]|^\s*[=+\-@]"
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_PY_TRIGGER = re.compile(r"[\t\r]|[\t\n\f\r ]*[=+\-@]").match
_PY_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?").fullmatch
_PREFIX = "'"


def neutralise_text(value: str) -> str:
    """Return ``value`` with a leading ``'`` when a spreadsheet would evaluate it.

    Parameters
    ----------
    value
        One text cell.

    Returns
    -------
    str
        ``value`` unchanged, or ``"'" + value``.
    """
    return _PREFIX + value if _needs_prefix(value) else value


def _needs_prefix(value: str) -> bool:
    return _PY_TRIGGER(value) is not None and _PY_PLAIN_NUMBER(value) is None


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every text cell a spreadsheet would evaluate neutralised.

    Only text (object or string) columns are touched, in one vectorized pass each;
    numeric, boolean and missing cells are kept as they are.

    Parameters
    ----------
    frame
        A table about to be written as CSV or XLSX.

    Returns
    -------
    pandas.DataFrame
        A shallow copy with the changed columns replaced (``frame`` itself is not
        modified).
    """
    out = frame.copy(deep=False)
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
            safe = _safe_column(column)
            if safe is not None:
                out[name] = safe
    return out


def _safe_column(column: pd.Series) -> pd.Series | None:
    values = column.to_numpy(dtype=object)
    texts = pa.array([v if isinstance(v, str) else None for v in values], type=pa.large_string())
    if texts.null_count == len(texts):
        return None
    flagged = pc.and_(
        pc.match_substring_regex(texts, _TRIGGER),
        pc.invert(pc.match_substring_regex(texts, _PLAIN_NUMBER)),
    )
    flags = pc.fill_null(flagged, False).to_numpy(zero_copy_only=False)
    if not flags.any():
        return None
    out = values.copy()
    for i in np.flatnonzero(flags):
        out[i] = _PREFIX + out[i]
    return pd.Series(out, index=column.index, name=column.name, dtype=column.dtype)


def csv_bytes(frame: pd.DataFrame, *, header: bool = True, bom: bool = True) -> bytes:
    """``frame`` as spreadsheet-safe UTF-8 CSV (with a byte-order mark when ``bom``).

    The mark makes Excel show Chinese text correctly; every reader in this project
    (and pandas) skips it. Stream several blocks by passing ``header=False, bom=False``
    after the first.
    """
    text = spreadsheet_safe(frame).to_csv(index=False, header=header)
    return text.encode("utf-8-sig" if bom else "utf-8")


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` to ``path`` as spreadsheet-safe UTF-8 CSV with a byte-order mark."""
    target = Path(path)
    target.write_bytes(csv_bytes(frame))
    return target


def xlsx_bytes(frame: pd.DataFrame, *, sheet_name: str = "Sheet1") -> bytes:
    """``frame`` as an XLSX workbook of one sheet: text cells as strings, never formulas.

    Numbers are written as numbers, missing values as empty cells, text neutralised
    (:func:`neutralise_text`) and stripped of the control characters XML cannot hold.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name)
    sheet.append([str(c) for c in frame.columns])
    safe = spreadsheet_safe(frame)
    for record in _records(safe):
        cells: list[Any] = []
        for value in record:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=_xml_text(value))
                cell.data_type = "s"  # a string cell, whatever its text looks like
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer: IO[bytes] = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()  # type: ignore[attr-defined, no-any-return]


def _records(frame: pd.DataFrame) -> Iterable[list[Any]]:
    columns = [frame[name].to_numpy(dtype=object) for name in frame.columns]
    for i in range(len(frame)):
        yield [_cell(column[i]) for column in columns]


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _xml_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # A control character in an uploaded name would otherwise abort the whole export.
    return str(ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
