"""``srdi schemes IN -o OUT``: screen firm-years against every scheme, no model needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from srdi.cli.input_report import StrictOption
from srdi.cli.support import (
    ColumnMapOption,
    FirmYearsArgument,
    fail,
    firm_year_reader,
    iter_validated,
    output_table_format,
    parse_column_map,
    report_validation,
    write_table,
)

if TYPE_CHECKING:
    import pandas as pd

    from features.rules import CurrencyRates, SchemeEvaluation
    from features.validate import RowError, ValidatedFrame

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``schemes`` to the CLI."""
    app.command("schemes")(schemes)


def schemes(
    input_path: FirmYearsArgument,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="OUT", help="Screen table: .parquet or .csv."),
    ],
    scheme: Annotated[
        list[str] | None,
        typer.Option("--scheme", help="Scheme id to screen (repeatable; default: all eight)."),
    ] = None,
    details: Annotated[
        Path | None,
        typer.Option(
            help="Also write every firm's per-criterion results (value, threshold, gap "
            "text, points) as JSON Lines here."
        ),
    ] = None,
    column_map: ColumnMapOption = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name (default: first).")] = None,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows read at a time.")] = 200_000,
    strict: StrictOption = False,
) -> None:
    """Validate IN and write one row per firm-year with each scheme's verdict and points.

    OUT columns: source_row, the identity fields, then per scheme {id}_verdict
    (eligible, not_eligible, undetermined, certified), {id}_points and
    {id}_points_upper for the scored Chinese schemes, the Korean export tier, and a
    certified firm's re-review of its tier (re_review_year, re_review_due,
    re_review_verdict). --details adds each scheme's criteria and the assumptions its
    verdict rests on.
    Bad rows are left out and listed in OUT's sibling <stem>.errors.csv. Foreign
    thresholds use the SRDI_FX_* exchange rates. Exit status 0 when some rows are
    valid, 1 when none is, 2 when IN cannot be read.
    """
    from features.rules import SCHEME_IDS
    from srdi.core.settings import load_settings

    fmt = output_table_format(output, "csv", "parquet")
    unknown = [s for s in scheme or [] if s not in SCHEME_IDS]
    if unknown:
        fail(f"unknown scheme id(s) {unknown}; choose from {', '.join(SCHEME_IDS)}", code=2)
    mapping = parse_column_map(column_map)
    rates = load_settings().currency_rates()

    tables: list[pd.DataFrame] = []
    errors: list[RowError] = []
    warnings: dict[str, None] = {}
    n_input = 0
    detail_file = None
    if details is not None:
        details.parent.mkdir(parents=True, exist_ok=True)
        detail_file = details.open("w", encoding="utf-8")
    try:
        reader = firm_year_reader(
            input_path, mapping=mapping, sheet=sheet, chunk_rows=chunk_rows, strict=strict
        )
        for validated in iter_validated(reader):
            n_input += validated.n_input
            errors.extend(validated.errors)
            warnings.update(dict.fromkeys(validated.warnings))
            if validated.n_valid == 0:
                continue
            evaluation = _evaluate(validated, scheme, rates)
            tables.append(_screen_table(validated, evaluation))
            if detail_file is not None:
                _write_details(detail_file, validated, evaluation)
    finally:
        if detail_file is not None:
            detail_file.close()

    n_valid = sum(len(t) for t in tables)
    report_validation(
        input_path,
        output,
        n_input=n_input,
        n_valid=n_valid,
        errors=errors,
        warnings=warnings,
        input_report=reader.report,
    )

    import pandas as pd

    table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    write_table(table, output, fmt)
    typer.echo(f"wrote {n_valid} rows to {output}")
    for column in (c for c in table.columns if c.endswith("_verdict")):
        counts = table[column].astype(str).value_counts()
        shown = ", ".join(f"{k} {v}" for k, v in counts.items())
        typer.echo(f"  {column.removesuffix('_verdict')}: {shown}")


def _evaluate(
    validated: ValidatedFrame, scheme: list[str] | None, rates: CurrencyRates
) -> SchemeEvaluation:
    from features.rules import evaluate_schemes

    return evaluate_schemes(validated.columns, schemes=scheme or None, rates=rates)


def _screen_table(validated: ValidatedFrame, evaluation: SchemeEvaluation) -> pd.DataFrame:
    import pandas as pd

    from features.fields import IDENTITY_FIELDS

    identity = pd.DataFrame({"source_row": validated.rows})
    for name in IDENTITY_FIELDS:
        if name in validated.columns:
            identity[name] = validated.columns[name]
    if "fiscal_year" in identity:
        identity["fiscal_year"] = identity["fiscal_year"].astype("Int64")
    summary = evaluation.summary_frame()
    summary = summary.drop(columns=[c for c in summary.columns if c in identity.columns])
    return pd.concat([identity, summary], axis=1)


def _write_details(out: TextIO, validated: ValidatedFrame, evaluation: SchemeEvaluation) -> None:
    ids = validated.columns.get("company_id")
    years = validated.columns.get("fiscal_year")
    for i, (row, schemes) in enumerate(zip(validated.rows, evaluation.iter_json(), strict=True)):
        line = {
            "source_row": int(row),
            "company_id": None if ids is None else ids[i],
            "fiscal_year": None if years is None else int(years[i]),
            "schemes": schemes,
        }
        out.write(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n")
