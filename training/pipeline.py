"""One training run, stage by stage: panel → labels → features → model → evaluation → MLflow.

:func:`run_training` is what ``srdi train`` calls. Each stage runs inside
``reporter.stage(name)`` so the command line can show progress; tests pass no
reporter. The run ends with the promotion gate, which gives the new version the
``champion`` alias only if it is at least as good as the current champion on this
run's test rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.catalog import FEATURES
from features.pipeline import FeaturePipeline
from srdi.core.bundle import ModelBundle, code_ruleset_versions
from training import plots
from training.backtest import BacktestYear, backtest_by_year
from training.baselines import fit_logreg, points_scores
from training.calibration import CalibrationChoice, choose_calibrator
from training.dataset import load_panel, subset_columns
from training.evaluate import (
    SliceResult,
    average_precision,
    binary_metrics,
    prefixed,
    slice_metrics,
)
from training.heldout import HeldoutResult, choose_heldout_provinces, evaluate_heldout_provinces
from training.labels import DEFAULT_HORIZON, target_tiers
from training.model import ModelConfig, TrainedBooster, monotone_constraints, train_booster
from training.prepare import Prepared, fit_features, label_and_split
from training.registry import GateDecision, gate, run_tags, tracking
from training.report import ReportData, write_report
from training.splits import SplitConfig, TimeSplit

if TYPE_CHECKING:
    from srdi.core.settings import Settings

__all__ = [
    "STAGES",
    "SilentReporter",
    "StageReporter",
    "TrainingConfig",
    "TrainingResult",
    "finish_training",
    "run_training",
    "size_band",
]

log = logging.getLogger(__name__)

STAGES = (
    "load panel",
    "labels and split",
    "features",
    "train LightGBM",
    "calibrate",
    "baselines",
    "evaluate",
    "held-out provinces",
    "plots and report",
    "log to MLflow",
    "promotion gate",
)
RANKING_METRICS = ("roc_auc", "pr_auc", "precision_at_5pct", "recall_at_5pct")
# Revenue bands of the MIIT SME size standard for industry (工信部联企业〔2011〕300号).
SIZE_BANDS = ((3e6, "micro (<3M)"), (2e7, "small (3M–20M)"), (4e8, "medium (20M–400M)"))


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
class TrainingConfig:
    """Settings of one training run (the defaults are the product's)."""

    target: str = "srdi_sme"
    horizon: int = DEFAULT_HORIZON
    split: SplitConfig = field(default_factory=SplitConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    calibration_folds: int = 5
    heldout_provinces: tuple[str, ...] = ()
    """Provinces held out for the transfer check; empty chooses three automatically."""
    heldout_count: int = 3
    quantile_levels: int = 1001
    contribution_sample: int = 1500
    register: bool = True

    def __post_init__(self) -> None:
        target_tiers(self.target)  # raises on an unknown target
        if self.horizon < 1:
            raise ValueError(f"horizon must be at least 1 year, got {self.horizon}")
        if self.quantile_levels < 2:
            raise ValueError("quantile_levels must be at least 2")

    def params(self) -> dict[str, object]:
        """Flat parameters for MLflow."""
        out: dict[str, object] = {"target": self.target, "horizon": self.horizon}
        out.update({f"split.{k}": v for k, v in asdict(self.split).items()})
        out.update({f"lgbm.{k}": v for k, v in self.model.as_dict().items()})
        out["calibration_folds"] = self.calibration_folds
        out["heldout_count"] = self.heldout_count
        out["quantile_levels"] = self.quantile_levels
        return out


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


@dataclass(frozen=True)
class _Scores:
    """Per-row scores of the model, and the baselines' scores on the test rows."""

    margin: np.ndarray
    prob: np.ndarray
    points: np.ndarray
    logreg: np.ndarray


def run_training(
    settings: Settings,
    data_dir: Path | None = None,
    config: TrainingConfig | None = None,
    reporter: StageReporter | None = None,
) -> TrainingResult:
    """Train, evaluate, log to MLflow, register and gate one model.

    Parameters
    ----------
    settings : Settings
        Store location, registry name and project root.
    data_dir : Path, optional
        Panel directory; default ``settings.data_dir``.
    config : TrainingConfig, optional
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
    stage = (reporter or SilentReporter()).stage
    directory = settings.resolve(Path(data_dir) if data_dir is not None else settings.data_dir)

    with stage("load panel"):
        panel = load_panel(directory)
    with stage("labels and split"):
        prepared = label_and_split(
            panel, target=config.target, horizon=config.horizon, split_config=config.split
        )
    with stage("features"):
        pipeline, X = fit_features(prepared)
        by_name = {spec.name: spec for spec in FEATURES}
        constraints = monotone_constraints([by_name.get(n) for n in pipeline.feature_names])
    return finish_training(
        settings,
        directory,
        config,
        reporter,
        data_hash=panel.data_hash,
        prepared=prepared,
        pipeline=pipeline,
        X=X,
        constraints=constraints,
    )


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

    Returns
    -------
    TrainingResult
    """
    stage = (reporter or SilentReporter()).stage
    y, train, valid, test = prepared.examples.y, prepared.train, prepared.valid, prepared.test
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
        # Only validation and test rows are scored: training rows' scores are never read.
        scored = valid | test
        margin = np.full(y.shape, np.nan)
        margin[scored] = trained.booster.predict(
            X[scored], raw_score=True, num_threads=config.model.num_threads
        )
        company = prepared.examples.company_id
        choice = choose_calibrator(
            margin[valid], y[valid], company[valid], folds=config.calibration_folds
        )
        prob = choice.calibrator.transform(margin)
    with stage("baselines"):
        test_columns = subset_columns(prepared.examples.columns, test)
        logreg = fit_logreg(X[train], y[train], seed=config.model.seed)
        scores = _Scores(
            margin=margin,
            prob=prob,
            points=points_scores(test_columns),
            logreg=logreg.predict_proba(X[test].astype(np.float32))[:, 1],
        )
    with stage("evaluate"):
        metrics = _run_metrics(prepared, scores)
        metrics["valid_pr_auc"] = average_precision(y[valid], prob[valid])
        metrics["best_iteration"] = float(trained.best_iteration)
        slices = _slices(test_columns, y[test], prob[test])
        backtest = _backtest(prepared, scores)
    with stage("held-out provinces"):
        heldout = _heldout(prepared, prob, config, constraints, trained.best_iteration)
        if heldout is not None:
            metrics.update(heldout.metrics())

    bundle = _bundle(trained, choice, pipeline, prob[test], config, metrics, data_hash)
    bundle = replace(bundle, metadata={**bundle.metadata, "split": asdict(prepared.split)})
    params = {
        **config.params(),
        "split": prepared.split.describe(),
        "features": len(pipeline.feature_names),
        "calibrator": choice.kind,
        "data_dir": str(directory),
        **(extra_params or {}),
    }
    with tempfile.TemporaryDirectory(prefix="srdi-eval-") as tmp:
        artifacts = Path(tmp)
        with stage("plots and report"):
            report = ReportData(
                title=f"SRDI potential model: {config.target}, H = {config.horizon}",
                run_id=None,
                target=config.target,
                horizon=config.horizon,
                split=prepared.split.describe(),
                data_dir=str(directory),
                data_hash=data_hash,
                counts=prepared.examples.counts,
                metrics=metrics,
                params=params,
                calibration=choice.cv_brier,
                calibrator_kind=choice.kind,
                slices=slices,
                heldout=heldout.as_dict() if heldout else {},
                top_features=_top_features(trained.booster, pipeline.feature_names),
                plots=_plots(artifacts, prepared, scores, bundle, config, X),
                issues=[str(issue) for issue in prepared.examples.issues[:50]],
                issue_count=len(prepared.examples.issues),
                backtest=backtest,
            )
            (artifacts / "slices.json").write_text(
                json.dumps([s.as_dict() for s in slices], indent=1), encoding="utf-8"
            )
            (artifacts / "backtest.json").write_text(
                json.dumps([b.as_dict() for b in backtest], indent=1), encoding="utf-8"
            )
            write_report(artifacts / "report.md", report)

        with stage("log to MLflow"):
            from training.mlflow_run import log_run

            logged, bundle = log_run(
                settings,
                bundle,
                params=params,
                metrics=metrics,
                tags=run_tags(settings, data_hash, {"target": config.target}),
                artifacts_dir=artifacts,
                input_example=_input_example(prepared.examples.columns, np.flatnonzero(test)[:5]),
                run_name=f"{config.target}-h{config.horizon}",
                register=config.register,
                before_artifacts=lambda run_id: write_report(
                    artifacts / "report.md", replace(report, run_id=run_id)
                ),
            )
            report_text = (artifacts / "report.md").read_text(encoding="utf-8")

    decision: GateDecision | None = None
    with stage("promotion gate"):
        if logged.version is not None:
            decision = _gate(settings, logged.version, metrics["test_pr_auc"], prepared, config)

    return TrainingResult(
        bundle=bundle,
        metrics=metrics,
        split=prepared.split,
        run_id=logged.run_id,
        model_version=logged.version,
        gate=decision,
        report=report_text,
        heldout=heldout,
        slices=slices,
    )


def _gate(
    settings: Settings, version: str, score: float, prepared: Prepared, config: TrainingConfig
) -> GateDecision:
    """Compare the new version with the champion on this run's test rows."""
    test_columns = subset_columns(prepared.examples.columns, prepared.test)
    test_y = prepared.examples.y[prepared.test]

    def score_champion(champion: ModelBundle) -> float:
        return average_precision(test_y, champion.predict(champion.transform(test_columns)))

    with tracking(settings) as client:
        return gate(
            client,
            settings,
            version,
            score,
            score_champion,
            target=config.target,
            horizon=config.horizon,
        )


def _bundle(
    trained: TrainedBooster,
    choice: CalibrationChoice,
    pipeline: FeaturePipeline,
    reference_prob: np.ndarray,
    config: TrainingConfig,
    metrics: dict[str, float],
    data_hash: str,
) -> ModelBundle:
    levels = np.linspace(0.0, 1.0, config.quantile_levels)
    return ModelBundle(
        booster=trained.booster,
        calibrator=choice.calibrator,
        pipeline=pipeline,
        feature_names=pipeline.feature_names,
        reference_quantiles=np.quantile(reference_prob, levels),
        ruleset_versions=code_ruleset_versions(),
        target=config.target,
        horizon=config.horizon,
        metadata={
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "metrics": {k: (None if math.isnan(v) else v) for k, v in metrics.items()},
            "data_hash": data_hash,
            "reference_population": f"test-year candidates ({reference_prob.size} rows)",
        },
    )


def _heldout(
    prepared: Prepared,
    prob: np.ndarray,
    config: TrainingConfig,
    constraints: list[int],
    rounds: int,
) -> HeldoutResult | None:
    columns = prepared.examples.columns
    provinces = config.heldout_provinces or choose_heldout_provinces(
        np.asarray(columns["province"], dtype=object), config.heldout_count
    )
    return evaluate_heldout_provinces(
        columns,
        prepared.examples.y,
        prepared.part,
        prob,
        provinces=provinces,
        make_pipeline=FeaturePipeline,
        config=config.model,
        constraints=constraints,
        rounds=rounds,
    )


def size_band(revenue: np.ndarray) -> np.ndarray:
    """Return the SME size band of each revenue (``"unknown"`` when missing)."""
    r = np.asarray(revenue, dtype=np.float64)
    bounds = np.array([b for b, _ in SIZE_BANDS])
    labels = np.array([name for _, name in SIZE_BANDS] + ["large (≥400M)"], dtype=object)
    out = labels[np.searchsorted(bounds, np.nan_to_num(r, nan=0.0), side="right")]
    out[np.isnan(r)] = "unknown"
    return out


def _industry_section(industry: np.ndarray) -> np.ndarray:
    # GB/T 4754-2017 division codes start with their section letter (C39 → C).
    series = pd.Series(np.asarray(industry, dtype=object), dtype="object")
    return series.str[:1].fillna("unknown").to_numpy(dtype=object)


def _input_example(columns: dict[str, np.ndarray], rows: np.ndarray) -> pd.DataFrame:
    from features.columns import columns_to_frame
    from features.fields import FIELD_NAMES

    chosen = {name: columns[name][rows] for name in FIELD_NAMES if name in columns}
    frame = columns_to_frame(chosen)
    # A JSON example keeps only known values; an all-unknown column says nothing.
    return frame.loc[:, frame.notna().any(axis=0)]


def _run_metrics(prepared: Prepared, scores: _Scores) -> dict[str, float]:
    """The DESIGN.md run metrics on the test rows."""
    test = prepared.test
    y_test = prepared.examples.y[test]
    metrics = prefixed("test_", binary_metrics(y_test, scores.prob[test]))
    # Rows whose points cannot be computed rank last, as a screener would treat them.
    ranked_points = np.where(np.isnan(scores.points), -1.0, scores.points)
    points_metrics = binary_metrics(y_test, ranked_points, calibrated=False)
    metrics.update(prefixed("baseline_points_", points_metrics))
    logreg_metrics = binary_metrics(y_test, scores.logreg)
    metrics.update(prefixed("baseline_logreg_", logreg_metrics, RANKING_METRICS))
    oracle = _oracle_on_test(prepared)
    if oracle is not None:
        metrics.update(prefixed("oracle_", binary_metrics(y_test, oracle), RANKING_METRICS))
    return metrics


def _backtest(prepared: Prepared, scores: _Scores) -> list[BacktestYear]:
    """Certified firms at the top of each test year's ranking, model beside points."""
    test = prepared.test
    return backtest_by_year(
        prepared.examples.year[test], prepared.examples.y[test], scores.prob[test], scores.points
    )


def _oracle_on_test(prepared: Prepared) -> np.ndarray | None:
    if prepared.examples.oracle is None:
        return None
    oracle = np.asarray(prepared.examples.oracle[prepared.test], dtype=np.float64)
    covered = ~np.isnan(oracle)
    if not covered.all():
        log.warning(
            "the oracle covers %d of %d test rows; oracle metrics are not logged",
            int(covered.sum()),
            covered.size,
        )
        return None
    return oracle


def _slices(columns: dict[str, np.ndarray], y: np.ndarray, prob: np.ndarray) -> list[SliceResult]:
    return [
        *slice_metrics("industry section", _industry_section(columns["industry"]), y, prob),
        *slice_metrics("province", np.asarray(columns["province"], dtype=object), y, prob),
        *slice_metrics("size band (revenue, CNY)", size_band(columns["revenue"]), y, prob),
    ]


def _top_features(booster: lgb.Booster, names: list[str], top: int = 15) -> list[tuple[str, float]]:
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    total = gain.sum()
    share = gain / total if total > 0 else gain
    order = np.argsort(-share, kind="stable")[:top]
    return [(names[i], float(share[i])) for i in order]


def _plots(
    directory: Path,
    prepared: Prepared,
    scores: _Scores,
    bundle: ModelBundle,
    config: TrainingConfig,
    X: np.ndarray,
) -> dict[str, str]:
    """Write the PNG plots; return {title: file name}."""
    test = prepared.test
    y_test, prob_test = prepared.examples.y[test], scores.prob[test]
    scorers: dict[str, np.ndarray] = {
        "model": prob_test,
        "logistic regression": scores.logreg,
        "official points": np.where(np.isnan(scores.points), -1.0, scores.points),
    }
    oracle = _oracle_on_test(prepared)
    if oracle is not None:
        scorers["oracle"] = oracle
    # TreeSHAP costs milliseconds per row; a fixed sample is enough for a bar chart.
    X_test = X[test]
    rows = np.random.default_rng(0).permutation(X_test.shape[0])[: config.contribution_sample]
    contributions = bundle.contributions(
        X_test[np.sort(rows)], num_threads=config.model.num_threads
    )
    family_of = {spec.name: spec.family for spec in FEATURES}
    families = [family_of.get(name, "other") for name in bundle.feature_names]
    files = {
        "Calibration": plots.plot_calibration(y_test, prob_test, directory / "calibration.png"),
        "Precision-recall": plots.plot_precision_recall(
            y_test, scorers, directory / "precision_recall.png"
        ),
        "Gain and lift": plots.plot_gain_lift(y_test, scorers, directory / "gain_lift.png"),
        "Contributions by family": plots.plot_family_contributions(
            contributions, families, directory / "family_contributions.png"
        ),
        "Score distribution": plots.plot_score_distribution(
            y_test, prob_test, directory / "score_distribution.png"
        ),
    }
    return {title: path.name for title, path in files.items()}
