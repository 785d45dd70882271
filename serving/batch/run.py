"""Batch scoring of a Parquet panel (or CSV files) partition by partition on Dask.

``score_parquet_dir(IN, OUT)`` plans the input into units (``srdi.core.panel_units``:
row groups of one file, each row keeping its file and row number), ships the model
to every worker once (``serving.batch.worker.ScorerPlugin``), and maps one task per
unit over the cluster. A task reads its unit, validates it, scores the good rows
through the scorer and writes ``OUT/scores/part-NNNNN.parquet``; the bad rows, with
field, value and message, go to ``OUT/errors/part-NNNNN.parquet``.

Exactly once: a unit's output is one part with a fixed name, written atomically, so
a task retried after an error or re-run after its worker died replaces its part and
never adds rows twice. Tasks are independent (no shuffle), so a lost worker costs
only its running units.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from serving.batch.output import (
    ERRORS_DIR,
    SCORES_DIR,
    prepare_output,
    remove_temporaries,
    write_part,
)
from srdi.core.panel_units import PanelUnit, absolute_uri, plan_units, read_unit

if TYPE_CHECKING:
    from distributed import Client, Future

    from srdi.core.bundle import LoadedModel
    from srdi.core.settings import Settings

__all__ = [
    "BatchJob",
    "BatchReport",
    "FailedUnit",
    "UnitOutcome",
    "score_parquet_dir",
    "score_unit",
]

# Called after each finished unit with (units done, units total, rows done).
ProgressCallback = Callable[[int, int, int], None]


@dataclass(frozen=True)
class BatchJob:
    """What every unit task needs besides its unit."""

    out_dir: str
    plugin: str
    explain: bool = False
    top_reasons: int = 3


@dataclass(frozen=True)
class UnitOutcome:
    """What one unit task did."""

    index: int
    rows_in: int
    rows_scored: int
    rows_rejected: int
    worker: str
    model_loads: int
    unreadable: bool = False


@dataclass(frozen=True)
class FailedUnit:
    """A unit whose task failed on every attempt: its rows are neither scored nor rejected."""

    index: int
    source_file: str
    first_row: int
    error: str


@dataclass
class BatchReport:
    """Summary of a batch run.

    Attributes
    ----------
    out_dir
        Where ``scores/`` and ``errors/`` are.
    units
        Units planned.
    rows_in, rows_scored, rows_rejected
        Rows read, written to ``scores/``, and refused (listed in ``errors/``).
    unreadable
        Units that could not be parsed as a table (one line each in ``errors/``).
    failed
        Units whose task kept failing; empty on a complete run.
    model_name, model_version
        The model used.
    seconds
        Wall time of the run, cluster start included.
    model_loads
        Worker address → times the model was loaded there (once per worker process).
    """

    out_dir: str
    units: int
    rows_in: int = 0
    rows_scored: int = 0
    rows_rejected: int = 0
    unreadable: int = 0
    failed: list[FailedUnit] = field(default_factory=list)
    model_name: str = ""
    model_version: str = ""
    seconds: float = 0.0
    model_loads: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every unit was processed."""
        return not self.failed

    def add(self, outcome: UnitOutcome) -> None:
        """Count one finished unit."""
        self.rows_in += outcome.rows_in
        self.rows_scored += outcome.rows_scored
        self.rows_rejected += outcome.rows_rejected
        self.unreadable += outcome.unreadable
        self.model_loads[outcome.worker] = max(
            self.model_loads.get(outcome.worker, 0), outcome.model_loads
        )


def score_unit(unit: PanelUnit, job: BatchJob) -> UnitOutcome:
    """Read, validate, score and write one unit (runs as a Dask task on a worker).

    A unit that cannot be parsed as a table becomes one line in ``errors/`` and no
    scored rows; I/O errors propagate so Dask retries the task.

    Parameters
    ----------
    unit
        The unit to process.
    job
        Output folder, model plugin name and whether to explain.

    Returns
    -------
    UnitOutcome
    """
    from features.io import TableReadError
    from features.validate import validate_frame
    from serving.batch.table import errors_table, file_error_table, scores_table
    from serving.batch.worker import worker_model, worker_scorer

    scorer = worker_scorer(job.plugin)
    try:
        frame = read_unit(unit)
    except (TableReadError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        message = f"partition {unit.index} ({unit.source_file} from row {unit.first_row}): {exc}"
        write_part(file_error_table(unit.source_file, message), job.out_dir, ERRORS_DIR, unit.index)
        return UnitOutcome(unit.index, 0, 0, 0, *worker_model(job.plugin), unreadable=True)
    validated = validate_frame(frame, row_offset=unit.first_row)
    if validated.errors:
        errors = errors_table(
            validated.errors, frame, source_file=unit.source_file, first_row=unit.first_row
        )
        write_part(errors, job.out_dir, ERRORS_DIR, unit.index)
    scored = len(validated.rows)
    if scored:  # a unit of bad rows only has nothing to score, and no scores part
        scores = scores_table(
            scorer,
            validated.columns,
            validated.rows,
            source_file=unit.source_file,
            explain=job.explain,
            top_reasons=job.top_reasons,
        )
        write_part(scores, job.out_dir, SCORES_DIR, unit.index)
    rejected = len(frame) - scored
    return UnitOutcome(unit.index, len(frame), scored, rejected, *worker_model(job.plugin))


def score_parquet_dir(
    in_path: str | Path,
    out_dir: str | Path,
    *,
    scheduler: str | Client | None = None,
    explain: bool = False,
    settings: Settings | None = None,
    model: LoadedModel | None = None,
    partition_rows: int | None = None,
    top_reasons: int = 3,
    overwrite: bool = False,
    progress: bool | ProgressCallback = True,
) -> BatchReport:
    """Score a partitioned Parquet panel (or CSV files) on a Dask cluster.

    Parameters
    ----------
    in_path
        A folder of Parquet files (hive-partitioned or not), a folder with
        ``financials.parquet`` (``srdi synth``'s layout), a folder of CSV files, one
        file, or a glob (``panel/*.csv``). Local path or URI (``s3://...``) readable
        from every worker.
    out_dir
        Output folder (local path or URI writable from every worker); gets
        ``scores/`` and ``errors/``.
    scheduler
        Scheduler address or live client; ``None`` uses ``settings.dask_scheduler``
        and, when that is unset too, a LocalCluster sized to the machine for the run.
    explain
        Add the top reasons per firm (TreeSHAP; several times the cost of scoring).
    settings
        The service settings (registry, currency rates, partition size, retries);
        read from the environment when omitted.
    model
        The model to use; by default the registry's champion.
    partition_rows
        Target rows per unit; default ``settings.dask_partition_rows``.
    top_reasons
        Reasons per firm when ``explain``.
    overwrite
        Replace the parts of an earlier run in ``out_dir``.
    progress
        ``True`` shows a progress bar on stderr; a callable receives
        ``(units_done, units_total, rows_done)`` instead; ``False`` is silent.

    Returns
    -------
    BatchReport
        Rows read, scored and rejected; ``failed`` lists units whose task failed on
        every retry (their rows are in neither output).

    Raises
    ------
    srdi.core.panel_units.PanelInputError
        When the input has no Parquet or CSV file, or a footer is unreadable.
    serving.batch.output.BatchOutputError
        When ``out_dir`` holds an earlier run and ``overwrite`` is false.
    srdi.core.bundle.NoChampionError
        When no model is given and the registry has no champion.
    """
    from distributed import as_completed

    from serving.batch.worker import BundleFiles, ScorerPlugin
    from srdi.core.dask_cluster import dask_client
    from srdi.core.settings import load_settings

    started = time.perf_counter()
    settings = settings if settings is not None else load_settings()
    rows_per_unit = partition_rows or settings.dask_partition_rows
    units = plan_units(in_path, partition_rows=rows_per_unit)
    out_uri = absolute_uri(str(out_dir))
    prepare_output(out_uri, overwrite=overwrite)
    if model is None:
        from srdi.core.bundle import load_registered_bundle

        model = load_registered_bundle(settings)
    plugin = ScorerPlugin(BundleFiles.from_loaded(model), settings)
    job = BatchJob(out_uri, plugin.name, explain=explain, top_reasons=top_reasons)
    report = BatchReport(
        out_dir=out_uri, units=len(units), model_name=model.name, model_version=model.version
    )
    by_index = {unit.index: unit for unit in units}
    run = uuid.uuid4().hex[:8]
    with (
        dask_client(scheduler or settings.dask_scheduler) as client,
        _progress_bar(progress, len(units)) as advance,
    ):
        client.register_plugin(plugin)
        try:
            futures = client.map(
                score_unit,
                units,
                job=job,
                key=[f"srdi-batch-{run}-{unit.index:05d}" for unit in units],
                retries=settings.dask_retries,
                pure=False,
            )
            index_of = {future.key: unit.index for future, unit in zip(futures, units, strict=True)}
            for done, future in enumerate(as_completed(futures), start=1):
                if future.status == "finished":
                    report.add(future.result())
                else:
                    unit = by_index[index_of[future.key]]
                    report.failed.append(
                        FailedUnit(unit.index, unit.source_file, unit.first_row, _describe(future))
                    )
                advance(done, len(units), report.rows_in)
        finally:
            client.unregister_worker_plugin(plugin.name)
    remove_temporaries(out_uri)
    report.failed.sort(key=lambda failure: failure.index)
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def _progress_bar(progress: bool | ProgressCallback, total: int) -> Iterator[ProgressCallback]:
    """A rich progress bar on stderr, the caller's callback, or nothing."""
    if callable(progress):
        yield progress
        return
    if not progress:
        yield lambda done, units, rows: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("score partitions"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("score", total=total, rows=0)

        def advance(done: int, units: int, rows: int) -> None:
            bar.update(task, completed=done, rows=rows)

        yield advance


def _describe(future: Future[UnitOutcome]) -> str:
    """The failure of a finished-but-failed future, in one line."""
    try:
        exception = future.exception()
    except Exception as exc:  # a cancelled future has no exception to fetch
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exception).__name__}: {exception}"
