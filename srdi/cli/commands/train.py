"""Verbs ``srdi train``, ``srdi models`` and ``srdi promote``."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from srdi.cli.input_report import StrictOption, print_input_report
from srdi.cli.support import fail

if TYPE_CHECKING:
    from srdi.core.settings import Settings
    from training.pipeline import TrainingResult

__all__ = ["RichStageReporter", "register"]

# Run metric and its short column header in `srdi models`.
_HEADLINE = {
    "test_roc_auc": "ROC-AUC",
    "test_pr_auc": "PR-AUC",
    "test_precision_at_5pct": "prec@5%",
    "test_ece": "ECE",
    "baseline_points_pr_auc": "points PR-AUC",
    "oracle_roc_auc": "oracle ROC-AUC",
}


class RichStageReporter:
    """Lists every training stage up front, then marks each running, done (with its time)."""

    def __init__(self, progress: Progress, stages: tuple[str, ...] = ()) -> None:
        self._progress = progress
        self._tasks = {
            name: progress.add_task(f"[dim]{name}[/dim]", total=1, start=False) for name in stages
        }

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Show ``name`` as running until the block ends."""
        task = self._tasks.get(name)
        if task is None:
            task = self._tasks[name] = self._progress.add_task(name, total=1, start=False)
        self._progress.update(task, description=f"[bold]{name}[/bold]")
        self._progress.start_task(task)
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            self._progress.update(task, description=f"[red]✗ {name}[/red]")
            raise
        seconds = time.perf_counter() - start
        self._progress.update(
            task, completed=1, description=f"[green]✓[/green] {name} ({seconds:.1f} s)"
        )


def _fmt(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.4f}"


def _gate_text(tags: dict[str, str]) -> str:
    """The gate decision stored on a version, e.g. ``refused (same test rows)``."""
    basis = tags.get("gate.basis", "")
    if basis in ("", "manual"):
        return basis
    verdict = "promoted" if tags.get("gate.promoted") == "true" else "refused"
    return f"{verdict} ({basis})"


def _summary(console: Console, target: str, result: TrainingResult) -> None:
    from training.report import goals

    years = result.split.test_years
    table = Table(title=f"{target}: test years {years[0]}–{years[-1]}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in _HEADLINE:
        table.add_row(key, _fmt(result.metrics.get(key)))
    console.print(table)
    verdicts = {True: "[green]met[/green]", False: "[red]missed[/red]", None: "not measurable"}
    goal_table = Table(title=f"{target}: goals on the test years")
    for column in ("goal", "value", "bound", "verdict"):
        goal_table.add_column(column, justify="left" if column == "goal" else "right")
    for goal in goals(result.metrics):
        goal_table.add_row(goal.name, _fmt(goal.value), _fmt(goal.bound), verdicts[goal.met])
    console.print(goal_table)
    if result.gate is not None:
        colour = "green" if result.gate.promoted else "yellow"
        console.print(
            f"[{colour}]{target}: model version {result.model_version}: {result.gate.message}[/]"
        )
    if result.run_id:
        console.print(f"{target}: MLflow run {result.run_id}")


def _targets(target: str) -> list[str]:
    from features.ladder import TARGET_IDS

    if target == "all":
        return list(TARGET_IDS)
    if target not in TARGET_IDS:
        fail(f"--target must be one of {', '.join(TARGET_IDS)} or all, got {target!r}", code=2)
    return [target]


def _versions_table(settings: Settings, target: str) -> Table | str:
    from training.registry import list_versions

    name, where = settings.model_name(target), settings.effective_tracking_uri
    versions = list_versions(settings, target=target)
    if not versions:
        return f"no version of {name!r} ({target}) in {where}; train one with `make train`"
    table = Table(title=f"{name} ({target}, {where})")
    for column in ("version", "aliases", "created"):
        table.add_column(column)
    for header in _HEADLINE.values():
        table.add_column(header, justify="right")
    table.add_column("gate")
    for v in versions:
        created = dt.datetime.fromtimestamp(v.created / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            v.version,
            ", ".join(f"@{a}" for a in v.aliases),
            created,
            *(_fmt(v.metrics.get(k)) for k in _HEADLINE),
            _gate_text(v.tags),
        )
    return table


def register(app: typer.Typer) -> None:
    """Add the training and registry verbs to the ``srdi`` application."""

    @app.command("train")
    def train(
        data: Annotated[
            Path | None, typer.Option("--data", help="Panel directory (default: SRDI_DATA_DIR).")
        ] = None,
        target: Annotated[
            str,
            typer.Option(
                help="Question to train: srdi_sme (next provincial SRDI), little_giant (next "
                "Little Giant, among provincial SRDI firms), retention (kept at re-review), "
                "or all three."
            ),
        ] = "all",
        horizon: Annotated[
            int, typer.Option(min=1, help="Years after t within which to count.")
        ] = 2,
        train_end: Annotated[
            int | None, typer.Option(help="Last training year (default: before validation).")
        ] = None,
        valid_years: Annotated[int, typer.Option(min=1, help="Validation years.")] = 1,
        test_years: Annotated[int, typer.Option(min=1, help="Test years (latest complete).")] = 2,
        threads: Annotated[
            int, typer.Option(min=0, help="LightGBM threads (1: reproducible; 0: all cores).")
        ] = 1,
        heldout: Annotated[
            str | None,
            typer.Option(help="Comma-separated provinces to hold out (default: three chosen)."),
        ] = None,
        dask: Annotated[
            bool,
            typer.Option(
                "--dask",
                help="Prepare the panel and train with lightgbm.dask on a Dask cluster "
                "(the scale-out extra).",
            ),
        ] = False,
        scheduler: Annotated[
            str | None,
            typer.Option(
                help="With --dask: scheduler address (tcp://host:8786); default "
                "SRDI_DASK_SCHEDULER, else a LocalCluster sized to this machine."
            ),
        ] = None,
        strict: StrictOption = False,
    ) -> None:
        """Train on a panel, log to MLflow, register and gate the champion.

        The panel folder holds financials (.parquet, .csv or .xlsx; the contract's
        layout, or a vendor's long or wide one) and certifications (e.g. from
        `srdi labels`).
        """
        from features.provinces import normalize_province
        from srdi.core.dask_cluster import DaskNotInstalledError
        from srdi.core.settings import load_settings
        from training.config import TrainingConfig
        from training.dataset import PanelError
        from training.model import ModelConfig
        from training.pipeline import SHARED_STAGES, STAGES, TARGET_STAGES, run_targets
        from training.prepare import TrainingDataError
        from training.splits import SplitConfig

        console = Console()
        settings = load_settings()
        provinces: tuple[str, ...] = ()
        if heldout:
            given = [p.strip() for p in heldout.split(",") if p.strip()]
            names = normalize_province(given)
            unknown = [g for g, n in zip(given, names, strict=True) if n is None]
            if unknown:
                fail(f"--heldout: unknown province(s) {unknown}", code=2)
            provinces = tuple(str(n) for n in names)
        targets = _targets(target)
        try:
            configs = [
                TrainingConfig(
                    target=name,
                    horizon=horizon,
                    split=SplitConfig(
                        valid_years=valid_years, test_years=test_years, train_end=train_end
                    ),
                    heldout_provinces=provinces,
                    model=ModelConfig(num_threads=threads),
                    strict_columns=strict,
                )
                for name in targets
            ]
        except ValueError as exc:
            fail(str(exc), code=2)
        console.print(
            f"Training [bold]{', '.join(targets)}[/bold] (H = {horizon}) on "
            f"{settings.resolve(data or settings.data_dir)} → {settings.effective_tracking_uri}"
        )
        # Dask runs the targets one after the other, each through the same stages.
        stages = (
            STAGES
            if len(targets) == 1 or dask
            else SHARED_STAGES + tuple(f"{t}: {s}" for t in targets for s in TARGET_STAGES)
        )
        progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        )
        if scheduler and not dask:
            fail("--scheduler needs --dask", code=2)
        try:
            with progress:
                reporter = RichStageReporter(progress, stages)
                if dask:
                    from training.dask_train import run_dask_training

                    # On a cluster the targets train one after the other.
                    results = {
                        config.target: run_dask_training(
                            settings, data, config, reporter, scheduler=scheduler
                        )
                        for config in configs
                    }
                else:
                    results = run_targets(settings, data, configs, reporter)
        except (PanelError, TrainingDataError, ValueError, DaskNotInstalledError) as exc:
            fail(f"training failed: {exc}", code=2)
        for name, result in results.items():
            _summary(console, name, result)
        # The targets read the same financials: how they were read is said once.
        report = next(iter(results.values())).input
        if report is not None:
            print_input_report(report)

    @app.command("models")
    def models(
        has_champion: Annotated[
            bool,
            typer.Option(
                "--has-champion",
                help="Print nothing; exit 0 when every target (or --target) has a champion, "
                "else 1.",
            ),
        ] = False,
        target: Annotated[str, typer.Option(help="One target's model, or all three.")] = "all",
    ) -> None:
        """List the registered model versions of each target with metrics and aliases."""
        from srdi.core.settings import load_settings
        from training.registry import has_champion as champion_exists

        settings = load_settings()
        targets = _targets(target)
        if has_champion:
            every = all(champion_exists(settings, target=name) for name in targets)
            raise typer.Exit(0 if every else 1)
        console = Console()
        for name in targets:
            console.print(_versions_table(settings, name))

    @app.command("promote")
    def promote(
        version: Annotated[str, typer.Argument(help="Model version to make champion.")],
        target: Annotated[
            str,
            typer.Option(help="Whose model: srdi_sme (srdi-potential), little_giant, retention."),
        ] = "srdi_sme",
    ) -> None:
        """Give a model version the champion alias, overriding the gate."""
        from srdi.core.settings import load_settings
        from training.gate import promote as promote_version

        console = Console()
        if target == "all":
            fail("--target names one model: srdi_sme, little_giant or retention", code=2)
        (name,) = _targets(target)
        try:
            decision = promote_version(load_settings(), version, target=name)
        except ValueError as exc:
            fail(str(exc), code=2)
        console.print(f"[green]{decision.message}[/green]")
