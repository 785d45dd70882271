"""``srdi score-batch``: score a Parquet panel (or CSV files) partition by partition on Dask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from srdi.cli.input_report import StrictOption
from srdi.cli.support import fail

if TYPE_CHECKING:
    from rich.console import Console

    from serving.batch.run import BatchReport

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``score-batch`` to the CLI."""
    app.command("score-batch")(score_batch)


def score_batch(
    input_dir: Annotated[
        str,
        typer.Argument(
            metavar="IN",
            help="Parquet folder (hive partitions allowed), CSV folder, file, or glob; "
            "a path or URI every worker can read.",
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "-o", "--output", metavar="OUT", help="Output folder: OUT/scores/ and OUT/errors/."
        ),
    ],
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786) or scheduler file (.json); "
            "default SRDI_DASK_SCHEDULER, else a LocalCluster sized to this machine."
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add the top reasons per firm (slower).")
    ] = False,
    top_reasons: Annotated[
        int, typer.Option(min=1, max=10, help="Reasons per firm with --explain.")
    ] = 3,
    partition_rows: Annotated[
        int | None,
        typer.Option(min=1, help="Rows per partition (default SRDI_DASK_PARTITION_ROWS)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the output of an earlier run in OUT.")
    ] = False,
    strict: StrictOption = False,
) -> None:
    """Score every firm-year of a panel on a Dask cluster, writing partitioned Parquet.

    OUT/scores/ gets one row per valid input row (source_file, source_row, identity,
    status, score, percentile, band, scheme verdicts and points, model); OUT/errors/
    gets one row per broken rule of each bad row (source_file, source_row, field,
    value, message). Exits 1 when a partition failed on every retry.
    """
    from rich.console import Console

    from serving.batch.output import BatchOutputError
    from serving.batch.run import score_parquet_dir
    from srdi.core.bundle import BundleError, NoChampionError
    from srdi.core.dask_cluster import DaskNotInstalledError
    from srdi.core.panel_units import PanelInputError
    from srdi.core.settings import load_settings

    console = Console(stderr=True)
    settings = load_settings()
    _report_columns(input_dir, strict)
    try:
        report = score_parquet_dir(
            input_dir,
            output,
            scheduler=scheduler,
            explain=explain,
            settings=settings,
            partition_rows=partition_rows,
            top_reasons=top_reasons,
            overwrite=overwrite,
        )
    except (PanelInputError, BatchOutputError) as error:
        fail(str(error), code=2)
    except (NoChampionError, BundleError, DaskNotInstalledError) as error:
        fail(str(error))
    _summary(console, report, Path(output))
    if not report.complete:
        raise typer.Exit(1)


def _report_columns(input_dir: str, strict: bool) -> None:
    """Print how the first file's headers are read and warn about each ignored column.

    The files of a panel share one schema; a column no field matches is never scored.
    With ``strict`` such a column is an error before any work is sent to the cluster.
    """
    from features.firm_years import describe_columns
    from srdi.cli.input_report import print_input_report
    from srdi.core.panel_units import PanelInputError, plan_units, unit_headers

    try:
        units = plan_units(input_dir, partition_rows=1 << 62)
    except PanelInputError as error:
        fail(str(error), code=2)
    if not units:
        return
    report = describe_columns(unit_headers(units[0]))
    print_input_report(report, err=True)
    if strict and report.unmatched:
        shown = ", ".join(repr(h) for h in report.unmatched)
        fail(f"columns that match no field: {shown}; leave out --strict to ignore them", code=2)


def _summary(console: Console, report: BatchReport, output: Path) -> None:
    rate = report.rows_in / report.seconds if report.seconds > 0 else float("nan")
    console.print(
        f"scored [bold]{report.rows_scored:,}[/] of {report.rows_in:,} rows in "
        f"{report.units} partitions → {output}/scores  "
        f"({report.seconds:.1f} s, {rate:,.0f} rows/s, model {report.model_name} "
        f"v{report.model_version})",
        highlight=False,
    )
    if report.rows_rejected:
        console.print(
            f"[yellow]{report.rows_rejected:,} bad rows[/] listed in {output}/errors",
            highlight=False,
        )
    if report.unreadable:
        console.print(
            f"[yellow]{report.unreadable} partition(s) could not be read[/] (see {output}/errors)",
            highlight=False,
        )
    for failure in report.failed:
        console.print(
            f"[bold red]partition {failure.index} failed[/] ({failure.source_file} from row "
            f"{failure.first_row}): {failure.error}",
            highlight=False,
        )
