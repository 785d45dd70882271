"""The stages of a run from the booster to the gate, one function each.

Each stage takes what it needs and returns a frozen result, so what depends on what
is written in the signatures:

- :func:`calibrate` needs the booster; :func:`score_baselines` only the examples
  and the feature matrix, so the two can run side by side;
- :func:`training.run_metrics.evaluate_run` needs both;
- :func:`check_heldout_provinces` needs the calibrated probabilities, not the
  evaluation;
- :func:`build_bundle`, then the report (:mod:`training.run_report`),
  :func:`log_to_mlflow` and :func:`gate_on_test_rows`, in that order.

:func:`training.pipeline.finish_training` runs them in order for one target.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from features.pipeline import FeaturePipeline
from srdi.core.bundle import ModelBundle, code_ruleset_versions
from srdi.core.bundle.attribution import METADATA_KEY, attribution_metadata
from training.baselines import fit_logreg, points_scores
from training.calibration import CalibrationChoice, choose_calibrator
from training.config import TrainingConfig
from training.dataset import subset_columns
from training.evaluate import average_precision
from training.gate import GateDecision, gate
from training.heldout import HeldoutResult, choose_heldout_provinces, evaluate_heldout_provinces
from training.model import TrainedBooster
from training.prepare import Prepared
from training.registry import run_tags, tracking
from training.report import ReportData, write_report
from training.run_metrics import RunScores

if TYPE_CHECKING:
    import pandas as pd

    from srdi.core.settings import Settings
    from training.mlflow_run import LoggedRun

__all__ = [
    "Baselines",
    "Calibrated",
    "build_bundle",
    "calibrate",
    "check_heldout_provinces",
    "gate_on_test_rows",
    "log_to_mlflow",
    "run_scores",
    "score_baselines",
]


@dataclass(frozen=True)
class Calibrated:
    """The booster's margins and the calibrated probabilities of every example.

    Only validation and test rows are scored (NaN elsewhere): training rows' scores
    are never read.
    """

    margin: np.ndarray
    prob: np.ndarray
    choice: CalibrationChoice


@dataclass(frozen=True)
class Baselines:
    """The two baselines' scores on the test rows."""

    points: np.ndarray
    logreg: np.ndarray


def calibrate(
    prepared: Prepared, X: np.ndarray, trained: TrainedBooster, config: TrainingConfig
) -> Calibrated:
    """Choose the calibrator on the validation rows and calibrate every scored row."""
    y, valid, test = prepared.examples.y, prepared.valid, prepared.test
    scored = valid | test
    margin = np.full(y.shape, np.nan)
    margin[scored] = trained.booster.predict(
        X[scored], raw_score=True, num_threads=config.model.num_threads
    )
    company = prepared.examples.company_id
    choice = choose_calibrator(
        margin[valid], y[valid], company[valid], folds=config.calibration_folds
    )
    return Calibrated(margin=margin, prob=choice.calibrator.transform(margin), choice=choice)


def score_baselines(prepared: Prepared, X: np.ndarray, config: TrainingConfig) -> Baselines:
    """Score the test rows with the official points and a logistic regression."""
    train, test = prepared.train, prepared.test
    logreg = fit_logreg(X[train], prepared.examples.y[train], seed=config.model.seed)
    return Baselines(
        points=points_scores(subset_columns(prepared.examples.columns, test)),
        logreg=logreg.predict_proba(X[test].astype(np.float32))[:, 1],
    )


def run_scores(calibrated: Calibrated, baselines: Baselines) -> RunScores:
    """What the evaluation, the plots and the report read: the model's and the baselines'."""
    return RunScores(
        margin=calibrated.margin,
        prob=calibrated.prob,
        points=baselines.points,
        logreg=baselines.logreg,
    )


def check_heldout_provinces(
    prepared: Prepared,
    prob: np.ndarray,
    config: TrainingConfig,
    constraints: list[int],
    rounds: int,
) -> HeldoutResult | None:
    """Retrain without some provinces and compare on them (the transfer check).

    The provinces are ``config.heldout_provinces``, or ``config.heldout_count``
    chosen from the examples.
    """
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


def build_bundle(
    trained: TrainedBooster,
    calibrated: Calibrated,
    pipeline: FeaturePipeline,
    prepared: Prepared,
    config: TrainingConfig,
    metrics: Mapping[str, float],
    data_hash: str,
    X: np.ndarray,
) -> ModelBundle:
    """The model bundle: booster, calibrator, feature state and the test rows as reference.

    The reference population of percentiles is the test-year candidates' calibrated
    probabilities; the same rows (a sample of ``config.contribution_sample``) give each
    feature's share of the attribution mass, from which a score's coverage is told
    (:mod:`srdi.core.bundle.attribution`).
    """
    reference_prob = calibrated.prob[prepared.test]
    levels = np.linspace(0.0, 1.0, config.quantile_levels)
    X_test = X[prepared.test]
    # TreeSHAP costs milliseconds per row; a fixed sample measures the mean well enough.
    sample = np.sort(
        np.random.default_rng(0).permutation(X_test.shape[0])[: config.contribution_sample]
    )
    contributions = trained.booster.predict(
        X_test[sample], pred_contrib=True, num_threads=config.model.num_threads
    )
    attribution = attribution_metadata(
        np.asarray(contributions),
        pipeline.feature_names,
        f"test-year candidates ({sample.size} rows)",
    )
    return ModelBundle(
        booster=trained.booster,
        calibrator=calibrated.choice.calibrator,
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
            "split": asdict(prepared.split),
            METADATA_KEY: attribution,
        },
    )


def log_to_mlflow(
    settings: Settings,
    bundle: ModelBundle,
    report: ReportData,
    artifacts: Path,
    *,
    params: Mapping[str, object],
    metrics: Mapping[str, float],
    prepared: Prepared,
    config: TrainingConfig,
    data_hash: str,
) -> tuple[LoggedRun, ModelBundle, str]:
    """Log the run (params, metrics, artifacts, the bundle) and register the model.

    The report in ``artifacts`` is rewritten with the run id before it is uploaded.

    Returns
    -------
    tuple
        The logged run, the bundle with its run id, and the report's final text.
    """
    from training.mlflow_run import log_run

    logged, bundle = log_run(
        settings,
        bundle,
        params=params,
        metrics=metrics,
        tags=run_tags(settings, data_hash, {"target": config.target}),
        artifacts_dir=artifacts,
        input_example=_input_example(prepared.examples.columns, np.flatnonzero(prepared.test)[:5]),
        run_name=f"{config.target}-h{config.horizon}",
        register=config.register,
        before_artifacts=lambda run_id: write_report(
            artifacts / "report.md", replace(report, run_id=run_id)
        ),
    )
    return logged, bundle, (artifacts / "report.md").read_text(encoding="utf-8")


def gate_on_test_rows(
    settings: Settings, version: str, score: float, prepared: Prepared, config: TrainingConfig
) -> GateDecision:
    """Compare the new version with the champion on this run's test rows (PR-AUC)."""
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


def _input_example(columns: Mapping[str, np.ndarray], rows: np.ndarray) -> pd.DataFrame:
    from features.columns import columns_to_frame
    from features.fields import FIELD_NAMES

    chosen = {name: columns[name][rows] for name in FIELD_NAMES if name in columns}
    frame = columns_to_frame(chosen)
    # A JSON example keeps only known values; an all-unknown column says nothing.
    return frame.loc[:, frame.notna().any(axis=0)]
