"""Helpers the verbs share: failing clearly, ``--map``, the errors file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    import pandas as pd

    from features.firm_years import FirmYearReader, InputReport
    from features.formats import TableFormat
    from features.validate import RowError, ValidatedFrame

__all__ = [
    "ColumnMapOption",
    "FirmYearsArgument",
    "errors_path_for",
    "fail",
    "firm_year_reader",
    "iter_validated",
    "output_table_format",
    "parse_column_map",
    "report_validation",
    "write_row_errors",
    "write_table",
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

    from features.spreadsheet import write_csv

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
    # BOM so that Excel on a Chinese Windows opens the Chinese messages correctly; an
    # uploaded value such as "=HYPERLINK(...)" is written so that it stays text.
    write_csv(frame, path)


def errors_path_for(output: Path) -> Path:
    """``OUT``'s sibling errors file: ``<stem>.errors.csv``."""
    return output.with_name(f"{output.stem}.errors.csv")


def firm_year_reader(
    path: Path,
    *,
    mapping: dict[str, str] | None,
    sheet: str | None,
    chunk_rows: int,
    strict: bool = False,
) -> FirmYearReader:
    """A reader of a firm-year file in any layout (:class:`features.firm_years.FirmYearReader`)."""
    from features.firm_years import FirmYearReader

    return FirmYearReader(path, chunk_rows, sheet=sheet, mapping=mapping, strict=strict)


def iter_validated(reader: FirmYearReader) -> Iterator[ValidatedFrame]:
    """Validate a firm-year file chunk by chunk, as :func:`firm_year_reader` reads it.

    Row numbers in the rows and errors are the file's (0-based data rows). The
    validator's notes about columns are left out: the reader's report tells them.
    Exits with status 2 naming the problem when the file cannot be read, or, with
    ``strict``, when a column matches no field.
    """
    from features.firm_years import UnmatchedColumnsError
    from features.io import TableReadError
    from features.validate import validate_frame

    try:
        for offset, frame in reader:
            validated = validate_frame(frame, row_offset=offset)
            validated.rows = reader.source_rows(validated.rows)
            validated.errors = reader.source_errors(validated.errors)
            validated.warnings = [w for w in validated.warnings if not w.startswith("column ")]
            yield validated
    except (TableReadError, UnmatchedColumnsError) as error:
        fail(str(error), code=2)


def report_validation(
    input_path: Path,
    output: Path,
    *,
    n_input: int,
    n_valid: int,
    errors: list[RowError],
    warnings: Iterable[str],
    input_report: InputReport | None = None,
) -> None:
    """Tell the user what was read, kept and refused; exit with status 1 if nothing is valid.

    Prints how IN was read (layout, header → field mapping, notes; a warning per
    ignored column), writes the ignored columns and the bad rows to OUT's errors file
    (:func:`errors_path_for`), prints each warning and a summary line (rows read,
    valid, rejected, where the problems are).
    """
    from srdi.cli.input_report import print_input_report, write_problems

    errors_path = errors_path_for(output)
    write_problems(errors, input_report, errors_path)
    if input_report is not None:
        print_input_report(input_report)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    rejected = len({e.row for e in errors})
    summary = f"read {n_input} rows from {input_path}: {n_valid} valid, {rejected} rejected"
    if errors:
        summary += f" ({len(errors)} problems listed in {errors_path})"
    typer.echo(summary)
    if n_valid == 0:
        fail("no valid rows: nothing written to OUT; see the problems listed above", code=1)


def write_table(table: pd.DataFrame, output: Path, fmt: TableFormat) -> None:
    """Write an output table as Parquet or CSV (UTF-8 with BOM, for Excel on Chinese Windows).

    CSV text that a spreadsheet would evaluate (=, +, -, @) is written so that it stays
    text (``features.spreadsheet``).
    """
    from features.spreadsheet import write_csv

    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        table.to_parquet(output, index=False)
    elif fmt == "csv":
        write_csv(table, output)
    else:
        raise ValueError(f"cannot write {fmt} here; choose .csv or .parquet")
