"""A run's evaluation on its test rows: the DESIGN.md run metrics and the slices.

The model, the two baselines (the official points, a logistic regression) and, in
a synthetic world, the oracle are scored on the same test rows; the model's
metrics are also cut by industry section, province and SME size band.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.backtest import BacktestYear, backtest_by_year
from training.dataset import subset_columns
from training.evaluate import (
    SliceResult,
    average_precision,
    binary_metrics,
    prefixed,
    slice_metrics,
)
from training.prepare import Prepared

__all__ = [
    "RANKING_METRICS",
    "SIZE_BANDS",
    "Evaluation",
    "RunScores",
    "evaluate_run",
    "oracle_on_test",
    "size_band",
]

log = logging.getLogger(__name__)

RANKING_METRICS = ("roc_auc", "pr_auc", "precision_at_5pct", "recall_at_5pct")
# Revenue bands of the MIIT SME size standard for industry (工信部联企业〔2011〕300号).
SIZE_BANDS = ((3e6, "micro (<3M)"), (2e7, "small (3M–20M)"), (4e8, "medium (20M–400M)"))


@dataclass(frozen=True)
class RunScores:
    """What a run scored: the model on every row, the baselines on the test rows.

    Attributes
    ----------
    margin, prob
        The booster's raw margin and the calibrated probability of every example
        (NaN on training rows, which are never read).
    points
        The official points of each test row (NaN where they cannot be computed).
    logreg
        The logistic-regression baseline's probability of each test row.
    """

    margin: np.ndarray
    prob: np.ndarray
    points: np.ndarray
    logreg: np.ndarray

    def ranked_points(self) -> np.ndarray:
        """The points with unknown ones ranked last, as a screener would treat them."""
        return np.where(np.isnan(self.points), -1.0, self.points)


@dataclass(frozen=True)
class Evaluation:
    """A run's metrics (DESIGN.md names), its test-row slices and its backtest per year."""

    metrics: dict[str, float]
    slices: list[SliceResult]
    backtest: list[BacktestYear]


def evaluate_run(prepared: Prepared, scores: RunScores, *, best_iteration: int) -> Evaluation:
    """Score the model, the baselines and the oracle on the test rows.

    Parameters
    ----------
    prepared
        The labelled, split examples.
    scores
        The run's scores.
    best_iteration
        The booster's early-stopping round (logged as ``best_iteration``).
    """
    y = prepared.examples.y
    test = prepared.test
    y_test = y[test]
    metrics = prefixed("test_", binary_metrics(y_test, scores.prob[test]))
    points_metrics = binary_metrics(y_test, scores.ranked_points(), calibrated=False)
    metrics.update(prefixed("baseline_points_", points_metrics))
    logreg_metrics = binary_metrics(y_test, scores.logreg)
    metrics.update(prefixed("baseline_logreg_", logreg_metrics, RANKING_METRICS))
    oracle = oracle_on_test(prepared)
    if oracle is not None:
        metrics.update(prefixed("oracle_", binary_metrics(y_test, oracle), RANKING_METRICS))
    metrics["valid_pr_auc"] = average_precision(y[prepared.valid], scores.prob[prepared.valid])
    metrics["best_iteration"] = float(best_iteration)
    slices = _slices(subset_columns(prepared.examples.columns, test), y_test, scores.prob[test])
    # Certified firms at the top of each test year's ranking, model beside points.
    backtest = backtest_by_year(
        prepared.examples.year[test], y_test, scores.prob[test], scores.points
    )
    return Evaluation(metrics=metrics, slices=slices, backtest=backtest)


def oracle_on_test(prepared: Prepared) -> np.ndarray | None:
    """The oracle's probability of each test row, or ``None`` unless it covers them all."""
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


def _slices(columns: dict[str, np.ndarray], y: np.ndarray, prob: np.ndarray) -> list[SliceResult]:
    return [
        *slice_metrics("industry section", _industry_section(columns["industry"]), y, prob),
        *slice_metrics("province", np.asarray(columns["province"], dtype=object), y, prob),
        *slice_metrics("size band (revenue, CNY)", size_band(columns["revenue"]), y, prob),
    ]
