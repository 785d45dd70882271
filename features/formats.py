"""Table file formats: which suffixes (and first bytes) mean CSV, Parquet or XLSX.

Every surface that reads or writes a table file (``features.io``, the page's
upload and preview, ``srdi score``/``features``/``schemes``, the Dask batch's
panel units) names its format through this module, so a suffix accepted in one
place is accepted everywhere and a refusal names the same choices.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import PurePath
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

__all__ = [
    "READABLE",
    "TABLE_SUFFIXES",
    "WRITE_SUFFIXES",
    "TableFormat",
    "TableFormatError",
    "format_from_content",
    "format_from_suffix",
    "input_format",
    "output_format",
    "suffix_of",
]

TableFormat: TypeAlias = Literal["csv", "parquet", "xlsx"]

TABLE_SUFFIXES: Final[Mapping[str, TableFormat]] = MappingProxyType(
    {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "csv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".parq": "parquet",
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
    }
)
"""Suffixes of the tables we read (lower case), and their format."""
WRITE_SUFFIXES: Final[Mapping[str, TableFormat]] = MappingProxyType(
    {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
)
"""Suffixes of the tables we write, and their format."""
READABLE: Final = ".csv (UTF-8, UTF-8 with BOM, GBK or GB18030), .xlsx or .parquet"
"""The readable formats, as told to a user whose file has another suffix."""

_SUFFIX_TEXT: Final[Mapping[TableFormat, str]] = MappingProxyType(
    {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}
)


class TableFormatError(ValueError):
    """A file name whose suffix is not a table format we read (or write)."""


def suffix_of(name: str | os.PathLike[str]) -> str:
    """Return the lower-case suffix of a file name or path (``""`` when it has none)."""
    return PurePath(os.fspath(name)).suffix.lower()


def format_from_suffix(name: str | os.PathLike[str]) -> TableFormat | None:
    """Return the format a file name's suffix names, or ``None`` for any other suffix."""
    return TABLE_SUFFIXES.get(suffix_of(name))


def format_from_content(head: bytes) -> TableFormat | None:
    """Return the format the first bytes of a file show, or ``None`` (plain text: CSV).

    Parquet files start with ``PAR1``; XLSX files are ZIP archives (``PK\\x03\\x04``).
    """
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    return None


def input_format(name: str | os.PathLike[str]) -> TableFormat:
    """Return the format of a table file to read, from its suffix.

    Raises
    ------
    TableFormatError
        When the suffix is not one of :data:`TABLE_SUFFIXES`; the message names the
        file and the formats accepted (and what to do with an old ``.xls``).
    """
    fmt = format_from_suffix(name)
    if fmt is not None:
        return fmt
    shown = os.fspath(name)
    if suffix_of(name) == ".xls":
        raise TableFormatError(
            f"cannot read {shown!r}: the old .xls format is not supported; save it as .xlsx or CSV"
        )
    raise TableFormatError(f"cannot read {shown!r}: send a {READABLE} file")


def output_format(
    name: str | os.PathLike[str], *, allowed: Collection[TableFormat] = ("csv", "xlsx", "parquet")
) -> TableFormat:
    """Return the format of a table file to write, from its suffix.

    Parameters
    ----------
    name
        The output file's name or path.
    allowed
        The formats this output can be written in.

    Raises
    ------
    TableFormatError
        When the suffix is not one of :data:`WRITE_SUFFIXES` for an ``allowed`` format.
    """
    suffix = suffix_of(name)
    fmt = WRITE_SUFFIXES.get(suffix)
    if fmt is not None and fmt in allowed:
        return fmt
    choices = [_SUFFIX_TEXT[f] for f in ("csv", "xlsx", "parquet") if f in allowed]
    wanted = " or ".join([", ".join(choices[:-1]), choices[-1]]) if len(choices) > 1 else choices[0]
    raise TableFormatError(
        f"cannot write {os.fspath(name)!r}: the output extension must be {wanted} "
        f"(got {suffix or 'none'!r})"
    )
