"""Helpers the verbs share: failing clearly, ``--map``, the errors file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from features.formats import TableFormat
    from features.validate import RowError

__all__ = [
    "ColumnMapOption",
    "FirmYearsArgument",
    "fail",
    "output_table_format",
    "parse_column_map",
    "write_row_errors",
]

ColumnMapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Match a header to a contract field, HEADER=FIELD (repeatable); wins over the "
        'alias table. HEADER= ignores a column. Example: --map "技术人员数=rd_staff"',
    ),
]
FirmYearsArgument = Annotated[
    Path,
    typer.Argument(metavar="IN", help="Firm-years: .csv (UTF-8, BOM, GBK), .parquet or .xlsx."),
]


def fail(message: str, *, code: int = 1) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``.

    The message is printed as is (no rich markup), on one line however long, so a
    path or a list such as ``['cn_x']`` in it stays intact and greppable in logs.
    """
    from rich.console import Console
    from rich.text import Text

    error = Text.assemble(("error:", "bold red"), " ", message)
    Console(stderr=True).print(error, soft_wrap=True)
    raise typer.Exit(code)


def parse_column_map(items: list[str] | None) -> dict[str, str] | None:
    """Turn repeated ``--map HEADER=FIELD`` options into a header → field mapping.

    Exits with status 2 naming the option when an item is malformed or names a
    field the contract does not have (``features.column_map``).
    """
    from features.column_map import ColumnMapError, column_map_from_options

    try:
        return column_map_from_options(items or [])
    except ColumnMapError as error:
        fail(f"--map {error}", code=2)


def output_table_format(path: Path, *allowed: TableFormat) -> TableFormat:
    """The format of the table file ``path`` from its suffix; exits with status 2 otherwise."""
    from features.formats import TableFormatError, output_format

    try:
        return output_format(path, allowed=allowed or ("csv", "xlsx", "parquet"))
    except TableFormatError as error:
        fail(str(error), code=2)


def write_row_errors(errors: list[RowError], path: Path) -> None:
    """Write the bad rows (row, field, value, message) as CSV, or remove a stale file."""
    import pandas as pd

    if not errors:
        path.unlink(missing_ok=True)  # a stale list from an earlier run would mislead
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "row": [e.row for e in errors],
            "field": [e.field for e in errors],
            "value": [e.value for e in errors],
            "message": [e.message for e in errors],
        }
    )
    # BOM so that Excel on a Chinese Windows opens the Chinese messages correctly.
    frame.to_csv(path, index=False, encoding="utf-8-sig")
