"""A run's report: the PNG plots, the slices table and the Markdown report.

Written into the run's artifacts folder before it is logged to MLflow
(:func:`training.stages.log_to_mlflow` adds the run id to the report).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import lightgbm as lgb
import numpy as np

from features.catalog import FEATURES
from srdi.core.bundle import ModelBundle
from training import plots
from training.calibration import CalibrationChoice
from training.config import TrainingConfig
from training.heldout import HeldoutResult
from training.prepare import Prepared
from training.report import ReportData, write_report
from training.run_metrics import Evaluation, RunScores, oracle_on_test

__all__ = ["write_run_report"]


def write_run_report(
    artifacts: Path,
    *,
    prepared: Prepared,
    scores: RunScores,
    evaluation: Evaluation,
    metrics: Mapping[str, float],
    heldout: HeldoutResult | None,
    choice: CalibrationChoice,
    bundle: ModelBundle,
    config: TrainingConfig,
    X: np.ndarray,
    params: Mapping[str, object],
    directory: Path,
    data_hash: str,
) -> ReportData:
    """Write the plots, ``slices.json``, ``backtest.json`` and ``report.md`` into ``artifacts``.

    Parameters
    ----------
    artifacts
        The run's artifacts folder.
    prepared, scores, evaluation, heldout
        The run's examples, scores, evaluation and held-out-province check.
    metrics
        Every run metric (the evaluation's and the held-out check's).
    choice
        The calibrator chosen, with the cross-validated Brier score of each kind.
    bundle, config, X
        The model (for the contributions plot), the run's settings, the feature matrix.
    params
        The run parameters, listed in the report.
    directory, data_hash
        The panel directory and its hash.

    Returns
    -------
    ReportData
        What the report says (``run_id`` still unset).
    """
    report = ReportData(
        title=f"SRDI potential model: {config.target}, H = {config.horizon}",
        run_id=None,
        target=config.target,
        horizon=config.horizon,
        split=prepared.split.describe(),
        data_dir=str(directory),
        data_hash=data_hash,
        counts=prepared.examples.counts,
        metrics=dict(metrics),
        params=dict(params),
        calibration=choice.cv_brier,
        calibrator_kind=choice.kind,
        slices=evaluation.slices,
        heldout=heldout.as_dict() if heldout else {},
        top_features=_top_features(bundle.booster, bundle.feature_names),
        plots=_plots(artifacts, prepared, scores, bundle, config, X),
        issues=[str(issue) for issue in prepared.examples.issues[:50]],
        issue_count=len(prepared.examples.issues),
        backtest=evaluation.backtest,
        input_lines=prepared.examples.input.lines() if prepared.examples.input else [],
    )
    (artifacts / "slices.json").write_text(
        json.dumps([s.as_dict() for s in evaluation.slices], indent=1), encoding="utf-8"
    )
    (artifacts / "backtest.json").write_text(
        json.dumps([b.as_dict() for b in evaluation.backtest], indent=1), encoding="utf-8"
    )
    write_report(artifacts / "report.md", report)
    return report


def _top_features(booster: lgb.Booster, names: list[str], top: int = 15) -> list[tuple[str, float]]:
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    total = gain.sum()
    share = gain / total if total > 0 else gain
    order = np.argsort(-share, kind="stable")[:top]
    return [(names[i], float(share[i])) for i in order]


def _plots(
    directory: Path,
    prepared: Prepared,
    scores: RunScores,
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
        "official points": scores.ranked_points(),
    }
    oracle = oracle_on_test(prepared)
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
