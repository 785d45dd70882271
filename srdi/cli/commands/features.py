"""``srdi features IN -o OUT``: validate a firm-year table and write its feature table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    import numpy as np
    import pandas as pd

    from features.firm_years import FirmYearReader
    from features.pipeline import FeaturePipeline
    from features.validate import RowError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``features`` to the CLI."""
    app.command("features")(features)


def features(
    input_path: FirmYearsArgument,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", metavar="OUT", help="Feature table: .parquet or .csv."),
    ],
    column_map: ColumnMapOption = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name (default: first).")] = None,
    pipeline_path: Annotated[
        Path | None,
        typer.Option(
            "--pipeline",
            help="Fitted feature state (JSON, e.g. a model bundle's features.json) for the "
            "industry medians; without it they are fitted on IN's valid rows.",
        ),
    ] = None,
    save_pipeline: Annotated[
        Path | None, typer.Option(help="Write the fitted feature state (JSON) here.")
    ] = None,
    min_count: Annotated[
        int, typer.Option(min=1, help="Firms a division needs for its own median.")
    ] = 30,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows read at a time.")] = 100_000,
    strict: StrictOption = False,
) -> None:
    """Validate IN and write its identity columns plus every feature to OUT.

    A wide (营业收入2023, 营业收入2024, …) or long (one row per 报告期) vendor layout
    becomes firm-year rows with the _prev figures filled from earlier years. Bad rows
    are left out of OUT and listed in <OUT stem>.errors.csv beside it, after the
    columns that were ignored.

    Exit status: 0 when some rows are valid, 1 when none is, 2 when IN is unreadable.
    """
    fmt = output_table_format(output, "csv", "parquet")
    mapping = parse_column_map(column_map)
    reader = firm_year_reader(
        input_path, mapping=mapping, sheet=sheet, chunk_rows=chunk_rows, strict=strict
    )
    n_input, columns, rows, errors, warnings = _validate_file(reader)
    n_valid = len(rows)
    report_validation(
        input_path,
        output,
        n_input=n_input,
        n_valid=n_valid,
        errors=errors,
        warnings=warnings,
        input_report=reader.report,
    )

    pipeline = _pipeline(pipeline_path, columns, min_count)
    if save_pipeline is not None:
        save_pipeline.write_text(json.dumps(pipeline.to_dict(), ensure_ascii=False), "utf-8")
    write_table(_feature_table(columns, rows, pipeline), output, fmt)
    source = "fitted on IN" if pipeline_path is None else f"from {pipeline_path}"
    typer.echo(
        f"wrote {n_valid} rows × {len(pipeline.feature_names)} features to {output} "
        f"(industry medians {source})"
    )


def _validate_file(
    reader: FirmYearReader,
) -> tuple[int, dict[str, np.ndarray], np.ndarray, list[RowError], list[str]]:
    import numpy as np

    parts: list[dict[str, np.ndarray]] = []
    row_parts: list[np.ndarray] = []
    errors: list[RowError] = []
    warnings: dict[str, None] = {}
    n_input = 0
    for validated in iter_validated(reader):
        n_input += validated.n_input
        parts.append(dict(validated.columns))
        row_parts.append(validated.rows)
        errors.extend(validated.errors)
        warnings.update(dict.fromkeys(validated.warnings))
    columns = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return n_input, columns, np.concatenate(row_parts), errors, list(warnings)


def _pipeline(path: Path | None, columns: dict[str, np.ndarray], min_count: int) -> FeaturePipeline:
    from features.pipeline import FeaturePipeline

    if path is None:
        return FeaturePipeline(min_count=min_count).fit(columns)
    try:
        state = json.loads(path.read_text("utf-8"))
        return FeaturePipeline.from_dict(state)
    except (OSError, ValueError, KeyError) as exc:
        fail(f"cannot load the feature state {path}: {exc}", code=2)


def _feature_table(
    columns: dict[str, np.ndarray], rows: np.ndarray, pipeline: FeaturePipeline
) -> pd.DataFrame:
    import pandas as pd

    from features.fields import IDENTITY_FIELDS

    X = pipeline.transform(columns)
    table = pd.DataFrame({"source_row": rows})
    for name in IDENTITY_FIELDS:
        table[name] = columns[name]
    table["fiscal_year"] = table["fiscal_year"].astype("Int64")
    features = pd.DataFrame(X, columns=pipeline.feature_names)
    return pd.concat([table, features], axis=1)
