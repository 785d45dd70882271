"""Training runs, stage by stage: panel → labels → features → model → evaluation → MLflow.

:func:`run_targets` is what ``srdi train`` calls: the panel is loaded and validated
once, labelled and split per target, and its features derived once (one feature
state for all targets); then each target's run from the booster on
(:func:`finish_training`: one MLflow run and one registered model per target)
goes side by side with the others in threads — LightGBM, numpy and scikit-learn
release the GIL, so two cores share the work; the MLflow store and the plots are
used one run at a time. :func:`run_training` is one target alone.

Each stage runs inside ``reporter.stage(name)`` so the command line can show
progress (``target: stage`` when several targets train together); tests pass no
reporter. Each run ends with the promotion gate, which gives the new version the
``champion`` alias only if it is at least as good as the current champion on this
run's test rows.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from features.pipeline import FeaturePipeline
from srdi.core.bundle import ModelBundle
from srdi.core.drift import DriftReference
from training.config import TrainingConfig
from training.dataset import load_panel
from training.evaluate import SliceResult
from training.gate import GateDecision
from training.heldout import HeldoutResult
from training.model import TrainedBooster, catalog_constraints, train_booster
from training.prepare import Prepared, fit_shared_features, prepare_targets
from training.run_metrics import evaluate_run
from training.run_report import write_run_report
from training.splits import TimeSplit
from training.stages import (
    build_bundle,
    calibrate,
    check_heldout_provinces,
    gate_on_test_rows,
    log_to_mlflow,
    run_scores,
    score_baselines,
)

if TYPE_CHECKING:
    from features.firm_years import InputReport
    from srdi.core.settings import Settings

__all__ = [
    "SHARED_STAGES",
    "STAGES",
    "TARGET_STAGES",
    "RunLocks",
    "SilentReporter",
    "StageReporter",
    "TrainingResult",
    "finish_training",
    "run_targets",
    "run_training",
]

SHARED_STAGES = ("load panel", "labels and split", "features")
"""Stages run once, whatever the number of targets."""
TARGET_STAGES = (
    "train LightGBM",
    "calibrate",
    "baselines",
    "evaluate",
    "held-out provinces",
    "plots and report",
    "log to MLflow",
    "promotion gate",
)
"""Stages run per target."""
STAGES = SHARED_STAGES + TARGET_STAGES
"""Every stage of a run of one target, in order."""


class StageReporter(Protocol):
    """Receives the stages of a run as they start and finish."""

    def stage(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Context manager around one stage."""
        ...


class SilentReporter:
    """A reporter that shows nothing."""

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Run the stage without output."""
        yield


@dataclass(frozen=True)
class _TargetReporter:
    """Names a target's stages ``target: stage`` for a reporter shared by targets."""

    inner: StageReporter
    target: str

    def stage(self, name: str) -> contextlib.AbstractContextManager[None]:
        return self.inner.stage(f"{self.target}: {name}")


@dataclass(frozen=True)
class RunLocks:
    """What runs side by side must take turns on.

    ``store``: the MLflow tracking store (its fluent API keeps the store URI and
    the active run in process-wide state) and the registry's aliases; ``plots``:
    matplotlib, which is not thread-safe.
    """

    store: threading.Lock = field(default_factory=threading.Lock)
    plots: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class TrainingResult:
    """What a run produced."""

    bundle: ModelBundle
    metrics: dict[str, float]
    split: TimeSplit
    run_id: str | None
    model_version: str | None
    gate: GateDecision | None
    report: str
    heldout: HeldoutResult | None
    slices: list[SliceResult]
    input: InputReport | None = None
    """How the financials were read (layout, columns matched and ignored)."""


def run_training(
    settings: Settings,
    data_dir: Path | None = None,
    config: TrainingConfig | None = None,
    reporter: StageReporter | None = None,
) -> TrainingResult:
    """Train, evaluate, log to MLflow, register and gate one target's model.

    Parameters
    ----------
    settings : Settings
        Store location, registry names and project root.
    data_dir : Path, optional
        Panel directory; default ``settings.data_dir``.
    config : TrainingConfig, optional
        The run's settings (its ``target`` is the one trained).
    reporter : StageReporter, optional
        Progress display; silent by default.

    Returns
    -------
    TrainingResult

    Raises
    ------
    training.dataset.PanelError, training.prepare.TrainingDataError
        When the panel cannot be read or does not allow the split.
    """
    config = config or TrainingConfig()
    return run_targets(settings, data_dir, [config], reporter)[config.target]


def run_targets(
    settings: Settings,
    data_dir: Path | None,
    configs: Sequence[TrainingConfig],
    reporter: StageReporter | None = None,
) -> dict[str, TrainingResult]:
    """Train several targets on one panel: shared preparation, one run per target.

    Parameters
    ----------
    settings : Settings
    data_dir : Path or None
        Panel directory; default ``settings.data_dir``.
    configs : sequence of TrainingConfig
        One per target (distinct targets), with the same horizon and split.
    reporter : StageReporter, optional
        Progress display; with several targets the per-target stages are named
        ``target: stage``.

    Returns
    -------
    dict
        Target → its run's result, in the order of ``configs``.

    Raises
    ------
    ValueError
        For no config, a repeated target, or configs with different horizons or
        splits.
    training.dataset.PanelError, training.prepare.TrainingDataError
        When the panel cannot be read or a target's split is not possible.
    """
    if not configs:
        raise ValueError("no target to train")
    targets = [c.target for c in configs]
    if len(set(targets)) != len(targets):
        raise ValueError(f"each target once, got {targets}")
    first = configs[0]
    if any((c.horizon, c.split) != (first.horizon, first.split) for c in configs):
        raise ValueError("targets trained together share the horizon and the split")
    reporter = reporter or SilentReporter()
    directory = settings.resolve(Path(data_dir) if data_dir is not None else settings.data_dir)

    with reporter.stage("load panel"):
        panel = load_panel(directory)
    with reporter.stage("labels and split"):
        prepared = prepare_targets(
            panel,
            targets,
            horizon=first.horizon,
            split_config=first.split,
            strict=first.strict_columns,
        )
    with reporter.stage("features"):
        pipeline, matrices = fit_shared_features(prepared)
        constraints = catalog_constraints(pipeline.feature_names)
    locks = RunLocks()

    def finish(config: TrainingConfig) -> TrainingResult:
        return finish_training(
            settings,
            directory,
            config,
            reporter if len(configs) == 1 else _TargetReporter(reporter, config.target),
            data_hash=panel.data_hash,
            prepared=prepared[config.target],
            pipeline=pipeline,
            X=matrices[config.target],
            constraints=constraints,
            locks=locks,
        )

    if len(configs) == 1:
        return {first.target: finish(first)}
    with ThreadPoolExecutor(max_workers=len(configs), thread_name_prefix="srdi-train") as pool:
        futures = [pool.submit(finish, config) for config in configs]
        return {
            config.target: future.result() for config, future in zip(configs, futures, strict=True)
        }


def finish_training(
    settings: Settings,
    directory: Path,
    config: TrainingConfig,
    reporter: StageReporter | None,
    *,
    data_hash: str,
    prepared: Prepared,
    pipeline: FeaturePipeline,
    X: np.ndarray,
    constraints: list[int],
    trained: TrainedBooster | None = None,
    extra_params: Mapping[str, object] | None = None,
    locks: RunLocks | None = None,
) -> TrainingResult:
    """The run from the booster on: train, calibrate, evaluate, log, register and gate.

    :func:`run_training` calls it after preparing the panel in memory;
    ``training.dask_train`` after preparing it on a cluster and training the booster
    with ``lightgbm.dask``, so both runs are evaluated, registered and gated alike.

    Parameters
    ----------
    settings, config, reporter
        As for :func:`run_training`.
    directory
        The panel directory (logged with the run).
    data_hash
        Hash of the panel files (``training.dataset.data_hash``).
    prepared, pipeline, X
        The labelled, split examples, the fitted feature state and the feature matrix
        of every example.
    constraints
        Monotone constraint per feature.
    trained
        A booster trained elsewhere; ``None`` trains one here (``train_booster``).
    extra_params
        More run parameters to log (how the booster was trained).
    locks
        Shared with the runs going side by side (:func:`run_targets`).

    Returns
    -------
    TrainingResult
    """
    stage = (reporter or SilentReporter()).stage
    locks = locks or RunLocks()
    y, train, valid = prepared.examples.y, prepared.train, prepared.valid
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="srdi-baselines") as helper:
        # The baselines need no booster: they are fitted while it grows.
        baselines = helper.submit(score_baselines, prepared, X, config)
        if trained is None:
            with stage("train LightGBM"):
                trained = train_booster(
                    X[train],
                    y[train],
                    X[valid],
                    y[valid],
                    feature_names=pipeline.feature_names,
                    config=config.model,
                    constraints=constraints,
                )
        with stage("calibrate"):
            calibrated = calibrate(prepared, X, trained, config)
        with stage("baselines"):
            scores = run_scores(calibrated, baselines.result())
    with stage("evaluate"):
        evaluation = evaluate_run(prepared, scores, best_iteration=trained.best_iteration)
    with stage("held-out provinces"):
        heldout = check_heldout_provinces(
            prepared, calibrated.prob, config, constraints, trained.best_iteration
        )
    metrics = {**evaluation.metrics, **(heldout.metrics() if heldout is not None else {})}

    bundle = build_bundle(trained, calibrated, pipeline, prepared, config, metrics, data_hash, X)
    # What the model learned from, feature by feature: serving compares the firms it
    # scores with it (input drift, srdi.core.drift).
    reference = DriftReference.from_matrix(X[prepared.train], bundle.feature_names)
    bundle = replace(bundle, drift_reference=reference)
    params = {
        **config.params(),
        "split": prepared.split.describe(),
        "features": len(pipeline.feature_names),
        "calibrator": calibrated.choice.kind,
        "data_dir": str(directory),
        **(extra_params or {}),
    }
    with tempfile.TemporaryDirectory(prefix="srdi-eval-") as tmp:
        artifacts = Path(tmp)
        with stage("plots and report"), locks.plots:
            report = write_run_report(
                artifacts,
                prepared=prepared,
                scores=scores,
                evaluation=evaluation,
                metrics=metrics,
                heldout=heldout,
                choice=calibrated.choice,
                bundle=bundle,
                config=config,
                X=X,
                params=params,
                directory=directory,
                data_hash=data_hash,
            )
        with stage("log to MLflow"), locks.store:
            logged, bundle, report_text = log_to_mlflow(
                settings,
                bundle,
                report,
                artifacts,
                params=params,
                metrics=metrics,
                prepared=prepared,
                config=config,
                data_hash=data_hash,
            )

    decision: GateDecision | None = None
    with stage("promotion gate"), locks.store:
        if logged.version is not None:
            decision = gate_on_test_rows(
                settings, logged.version, metrics["test_pr_auc"], prepared, config
            )

    return TrainingResult(
        bundle=bundle,
        metrics=metrics,
        split=prepared.split,
        run_id=logged.run_id,
        model_version=logged.version,
        gate=decision,
        report=report_text,
        heldout=heldout,
        slices=evaluation.slices,
        input=prepared.examples.input,
    )
