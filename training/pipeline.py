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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.pipeline import FeaturePipeline
from srdi.bundle import ModelBundle, code_ruleset_versions
from training import plots
from training.baselines import fit_logreg, points_scores
from training.calibration import choose_calibrator
from training.dataset import Examples, build_examples, load_panel, subset_columns
from training.evaluate import (
    SliceResult,
    average_precision,
    binary_metrics,
    prefixed,
    slice_metrics,
)
from training.heldout import HeldoutResult, choose_heldout_provinces, evaluate_heldout_provinces
from training.labels import DEFAULT_HORIZON, target_tiers
from training.model import ModelConfig, monotone_constraints, train_booster
from training.registry import GateDecision, gate, run_tags, tracking
from training.report import ReportData, write_report
from training.splits import TEST, TRAIN, VALID, SplitConfig, TimeSplit, make_time_split

if TYPE_CHECKING:
    from srdi.settings import Settings

__all__ = [
    "STAGES",
    "SilentReporter",
    "StageReporter",
    "TrainingConfig",
    "TrainingError",
    "TrainingResult",
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


class TrainingError(RuntimeError):
    """The panel does not allow a training run (for example no positive label)."""


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
    contribution_sample: int = 5000
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


def _make_pipeline() -> FeaturePipeline:
    return FeaturePipeline()


def _check_labels(y: np.ndarray, part: np.ndarray, split: TimeSplit) -> None:
    for code, name in ((TRAIN, "training"), (VALID, "validation"), (TEST, "test")):
        labels = y[part == code]
        if labels.size == 0 or labels.min() == labels.max():
            raise TrainingError(
                f"the {name} years ({split.describe()}) need both certified and not-certified "
                f"candidates, found {labels.size} rows with {int(labels.sum())} positives; "
                "use a longer panel or change the split (--train-end)"
            )


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
    """
    from features.catalog import FEATURES

    config = config or TrainingConfig()
    reporter = reporter or SilentReporter()
    directory = settings.resolve(Path(data_dir) if data_dir is not None else settings.data_dir)

    with reporter.stage("load panel"):
        panel = load_panel(directory)

    with reporter.stage("labels and split"):
        examples = build_examples(panel, target=config.target, horizon=config.horizon)
        if len(examples) == 0:
            raise TrainingError(f"no complete candidate firm-year in {directory}")
        last_label_year = examples.last_year - config.horizon
        split = make_time_split(int(examples.year.min()), last_label_year, config.split)
        part = split.assign(examples.year)
        _check_labels(examples.y, part, split)

    with reporter.stage("features"):
        pipeline = _make_pipeline()
        pipeline.fit(subset_columns(examples.columns, part == TRAIN))
        X = np.asarray(pipeline.transform(examples.columns), dtype=np.float64)
        feature_names = list(pipeline.feature_names)
        by_name = {spec.name: spec for spec in FEATURES}
        specs = [by_name.get(name) for name in feature_names]
        constraints = monotone_constraints(specs)

    train, valid, test = part == TRAIN, part == VALID, part == TEST
    y = examples.y
    with reporter.stage("train LightGBM"):
        trained = train_booster(
            X[train],
            y[train],
            X[valid],
            y[valid],
            feature_names=feature_names,
            config=config.model,
            constraints=constraints,
        )
        booster = trained.booster
        margin = np.asarray(booster.predict(X, raw_score=True), dtype=np.float64)

    with reporter.stage("calibrate"):
        choice = choose_calibrator(
            margin[valid], y[valid], examples.company_id[valid], folds=config.calibration_folds
        )
        prob = choice.calibrator.transform(margin)
        levels = np.linspace(0.0, 1.0, config.quantile_levels)
        quantiles = np.quantile(prob[test], levels)

    with reporter.stage("baselines"):
        test_columns = subset_columns(examples.columns, test)
        points = points_scores(test_columns)
        logreg = fit_logreg(X[train], y[train], seed=config.model.seed)
        logreg_prob = logreg.predict_proba(X[test])[:, 1]

    with reporter.stage("evaluate"):
        metrics = _run_metrics(examples, test, y, prob, points, logreg_prob)
        metrics["valid_pr_auc"] = average_precision(y[valid], prob[valid])
        metrics["best_iteration"] = float(trained.best_iteration)
        slices = _slices(test_columns, y[test], prob[test])

    with reporter.stage("held-out provinces"):
        provinces = config.heldout_provinces or choose_heldout_provinces(
            np.asarray(examples.columns["province"], dtype=object), config.heldout_count
        )
        heldout = evaluate_heldout_provinces(
            examples.columns,
            y,
            part,
            prob,
            provinces=provinces,
            make_pipeline=_make_pipeline,
            config=config.model,
            constraints=constraints,
            rounds=trained.best_iteration,
        )
        if heldout is not None:
            metrics.update(heldout.metrics())

    bundle = ModelBundle(
        booster=booster,
        calibrator=choice.calibrator,
        pipeline=pipeline,
        feature_names=feature_names,
        reference_quantiles=quantiles,
        ruleset_versions=code_ruleset_versions(),
        target=config.target,
        horizon=config.horizon,
        metadata={
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "metrics": {k: (None if math.isnan(v) else v) for k, v in metrics.items()},
            "data_hash": panel.data_hash,
            "split": asdict(split),
            "reference_population": f"test-year candidates ({int(test.sum())} rows)",
        },
    )

    with tempfile.TemporaryDirectory(prefix="srdi-eval-") as tmp:
        artifacts = Path(tmp)
        with reporter.stage("plots and report"):
            contributions = _sample_contributions(bundle, X[test], config.contribution_sample)
            plot_files = _plots(
                artifacts,
                y[test],
                prob[test],
                points,
                logreg_prob,
                examples,
                test,
                contributions,
                feature_names,
            )
            (artifacts / "slices.json").write_text(
                json.dumps([s.as_dict() for s in slices], indent=1, allow_nan=True),
                encoding="utf-8",
            )
            params = {
                **config.params(),
                "split": split.describe(),
                "features": len(feature_names),
                "calibrator": choice.kind,
                "data_dir": str(directory),
            }
            report_data = ReportData(
                title=f"SRDI potential model: {config.target}, H = {config.horizon}",
                run_id=None,
                target=config.target,
                horizon=config.horizon,
                split=split.describe(),
                data_dir=str(directory),
                data_hash=panel.data_hash,
                counts=examples.counts,
                metrics=metrics,
                params=params,
                calibration=choice.cv_brier,
                calibrator_kind=choice.kind,
                slices=slices,
                heldout=heldout.as_dict() if heldout else {},
                top_features=_top_features(booster, feature_names),
                plots=plot_files,
                issues=[str(issue) for issue in examples.issues[:50]],
                issue_count=len(examples.issues),
            )

            report_path = artifacts / "report.md"
            write_report(report_path, report_data)

        def write_named_report(run_id: str) -> None:
            write_report(report_path, replace(report_data, run_id=run_id))

        run_id: str | None = None
        version: str | None = None
        decision: GateDecision | None = None
        with reporter.stage("log to MLflow"):
            from training.mlflow_run import log_run

            example_rows = np.flatnonzero(test)[:5]
            logged, bundle = log_run(
                settings,
                bundle,
                params=params,
                metrics=metrics,
                tags=run_tags(settings, panel.data_hash, {"target": config.target}),
                artifacts_dir=artifacts,
                input_example=_input_example(examples.columns, example_rows),
                run_name=f"{config.target}-h{config.horizon}",
                register=config.register,
                before_artifacts=write_named_report,
            )
            run_id, version = logged.run_id, logged.version

        with reporter.stage("promotion gate"):
            if version is not None:
                test_y = y[test]

                def score_champion(champion: ModelBundle) -> float:
                    champion_prob = champion.predict(champion.transform(test_columns))
                    return average_precision(test_y, champion_prob)

                with tracking(settings) as client:
                    decision = gate(
                        client, settings, version, metrics["test_pr_auc"], score_champion
                    )
        report_text = report_path.read_text(encoding="utf-8")

    return TrainingResult(
        bundle=bundle,
        metrics=metrics,
        split=split,
        run_id=run_id,
        model_version=version,
        gate=decision,
        report=report_text,
        heldout=heldout,
        slices=slices,
    )


def _run_metrics(
    examples: Examples,
    test: np.ndarray,
    y: np.ndarray,
    prob: np.ndarray,
    points: np.ndarray,
    logreg_prob: np.ndarray,
) -> dict[str, float]:
    """The DESIGN.md run metrics on the test rows."""
    y_test = y[test]
    metrics = prefixed("test_", binary_metrics(y_test, prob[test]))
    # Rows whose points cannot be computed rank last, as a screener would treat them.
    ranked_points = np.where(np.isnan(points), -1.0, points)
    points_metrics = binary_metrics(y_test, ranked_points, calibrated=False)
    metrics.update(prefixed("baseline_points_", points_metrics))
    logreg_metrics = binary_metrics(y_test, logreg_prob)
    metrics.update(prefixed("baseline_logreg_", logreg_metrics, RANKING_METRICS))
    if examples.oracle is not None:
        oracle = examples.oracle[test]
        covered = ~np.isnan(oracle)
        if covered.all():
            oracle_metrics = binary_metrics(y_test, oracle)
            metrics.update(prefixed("oracle_", oracle_metrics, RANKING_METRICS))
        else:
            log.warning(
                "the oracle covers %d of %d test rows; oracle metrics are not logged",
                int(covered.sum()),
                covered.size,
            )
    return metrics


def _slices(columns: dict[str, np.ndarray], y: np.ndarray, prob: np.ndarray) -> list[SliceResult]:
    return [
        *slice_metrics("industry section", _industry_section(columns["industry"]), y, prob),
        *slice_metrics("province", np.asarray(columns["province"], dtype=object), y, prob),
        *slice_metrics("size band (revenue, CNY)", size_band(columns["revenue"]), y, prob),
    ]


def _sample_contributions(bundle: ModelBundle, X: np.ndarray, limit: int) -> np.ndarray:
    # TreeSHAP costs milliseconds per row; a fixed sample is enough for a bar chart.
    rows = np.random.default_rng(0).permutation(X.shape[0])[:limit]
    return bundle.contributions(X[np.sort(rows)], num_threads=0)


def _top_features(booster: lgb.Booster, names: list[str], top: int = 15) -> list[tuple[str, float]]:
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    total = gain.sum()
    share = gain / total if total > 0 else gain
    order = np.argsort(-share, kind="stable")[:top]
    return [(names[i], float(share[i])) for i in order]


def _plots(
    directory: Path,
    y_test: np.ndarray,
    prob_test: np.ndarray,
    points: np.ndarray,
    logreg_prob: np.ndarray,
    examples: Examples,
    test: np.ndarray,
    contributions: np.ndarray,
    feature_names: list[str],
) -> dict[str, str]:
    from features.catalog import FEATURES

    family_of = {spec.name: spec.family for spec in FEATURES}
    scorers: dict[str, np.ndarray] = {
        "model": prob_test,
        "logistic regression": logreg_prob,
        "official points": np.where(np.isnan(points), -1.0, points),
    }
    if examples.oracle is not None and not np.isnan(examples.oracle[test]).any():
        scorers["oracle"] = examples.oracle[test]
    files = {
        "Calibration": plots.plot_calibration(y_test, prob_test, directory / "calibration.png"),
        "Precision-recall": plots.plot_precision_recall(
            y_test, scorers, directory / "precision_recall.png"
        ),
        "Gain and lift": plots.plot_gain_lift(y_test, scorers, directory / "gain_lift.png"),
        "Contributions by family": plots.plot_family_contributions(
            contributions,
            [family_of.get(name, "other") for name in feature_names],
            directory / "family_contributions.png",
        ),
        "Score distribution": plots.plot_score_distribution(
            y_test, prob_test, directory / "score_distribution.png"
        ),
    }
    return {title: path.name for title, path in files.items()}
