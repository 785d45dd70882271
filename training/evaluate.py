"""Evaluation metrics: ranking, top-5% precision and recall, calibration, slices.

Definitions (used for every number a run logs):

- ``roc_auc``: area under the ROC curve.
- ``pr_auc``: average precision (the step-wise area under the precision-recall
  curve, without the optimistic linear interpolation).
- ``precision_at_5pct`` / ``recall_at_5pct``: among the top ``ceil(5% * n)`` rows
  by score (ties broken by row order), the share that are positive, and the share
  of all positives they capture.
- ``brier``: mean squared error of the calibrated probability.
- ``ece``: expected calibration error over 10 equal-width probability bins,
  ``sum_b n_b / n * |mean(p)_b - mean(y)_b|``.

A metric that is undefined on the rows (one class only, no rows) is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "SliceResult",
    "average_precision",
    "binary_metrics",
    "expected_calibration_error",
    "prefixed",
    "roc_auc",
    "slice_metrics",
    "top_share_metrics",
]

TOP_SHARE = 0.05


def _clean(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    target = np.asarray(y, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    if target.shape != s.shape:
        raise ValueError(f"labels {target.shape} and scores {s.shape} differ in shape")
    ok = ~np.isnan(target) & ~np.isnan(s)
    return target[ok], s[ok]


def _both_classes(y: np.ndarray) -> bool:
    return y.size > 0 and 0 < y.sum() < y.size


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve; NaN when only one class is present."""
    target, s = _clean(y, score)
    return float(roc_auc_score(target, s)) if _both_classes(target) else math.nan


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision (PR-AUC); NaN when there is no positive row."""
    target, s = _clean(y, score)
    return float(average_precision_score(target, s)) if _both_classes(target) else math.nan


def top_share_metrics(
    y: np.ndarray, score: np.ndarray, share: float = TOP_SHARE
) -> tuple[float, float]:
    """Return (precision, recall) of the top ``ceil(share * n)`` rows by score."""
    target, s = _clean(y, score)
    if target.size == 0:
        return math.nan, math.nan
    k = max(1, math.ceil(share * target.size))
    top = np.argsort(-s, kind="stable")[:k]
    hits = float(target[top].sum())
    positives = float(target.sum())
    recall = hits / positives if positives > 0 else math.nan
    return hits / k, recall


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-width bins of ``[0, 1]``."""
    target, p = _clean(y, prob)
    if target.size == 0:
        return math.nan
    index = np.clip((p * bins).astype(np.int64), 0, bins - 1)
    sum_p = np.bincount(index, weights=p, minlength=bins)
    sum_y = np.bincount(index, weights=target, minlength=bins)
    return float(np.abs(sum_p - sum_y).sum() / target.size)


def binary_metrics(
    y: np.ndarray, score: np.ndarray, *, calibrated: bool = True
) -> dict[str, float]:
    """Return the run metrics of one scorer (without the ``test_`` prefix).

    Parameters
    ----------
    y : numpy.ndarray
        0/1 labels (NaN rows are ignored).
    score : numpy.ndarray
        Higher means more likely; a calibrated probability when ``calibrated``.
    calibrated : bool
        Also compute ``brier`` and ``ece`` (meaningless for raw rankings such as
        points).

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc``, ``precision_at_5pct``, ``recall_at_5pct`` and,
        when calibrated, ``brier`` and ``ece``.
    """
    precision, recall = top_share_metrics(y, score)
    out = {
        "roc_auc": roc_auc(y, score),
        "pr_auc": average_precision(y, score),
        "precision_at_5pct": precision,
        "recall_at_5pct": recall,
    }
    if calibrated:
        target, p = _clean(y, score)
        out["brier"] = float(np.mean((p - target) ** 2)) if target.size else math.nan
        out["ece"] = expected_calibration_error(y, score)
    return out


def prefixed(
    prefix: str, metrics: Mapping[str, float], keys: tuple[str, ...] = ()
) -> dict[str, float]:
    """Return ``{prefix + key: value}`` for ``keys`` (all keys when empty)."""
    chosen = keys or tuple(metrics)
    return {f"{prefix}{key}": float(metrics[key]) for key in chosen}


@dataclass(frozen=True)
class SliceResult:
    """Metrics of the model on one slice of the test rows."""

    dimension: str
    value: str
    rows: int
    positives: int
    base_rate: float
    mean_score: float
    roc_auc: float
    pr_auc: float

    def as_dict(self) -> dict[str, object]:
        """Return the fields as a JSON-ready dict."""
        return {
            "dimension": self.dimension,
            "value": self.value,
            "rows": self.rows,
            "positives": self.positives,
            "base_rate": self.base_rate,
            "mean_score": self.mean_score,
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
        }


def slice_metrics(
    dimension: str, groups: np.ndarray, y: np.ndarray, prob: np.ndarray
) -> list[SliceResult]:
    """Return one :class:`SliceResult` per distinct value of ``groups``, largest first.

    Missing group values are reported as ``"unknown"``.
    """
    keys = pd.Series(np.asarray(groups, dtype=object)).fillna("unknown").astype(str).to_numpy()
    target = np.asarray(y, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    values, codes, counts = np.unique(keys, return_inverse=True, return_counts=True)
    results = []
    for code in np.argsort(-counts, kind="stable"):
        mask = codes == code
        t = target[mask]
        results.append(
            SliceResult(
                dimension=dimension,
                value=str(values[code]),
                rows=int(mask.sum()),
                positives=int(np.nansum(t)),
                base_rate=float(np.nanmean(t)) if t.size else math.nan,
                mean_score=float(np.nanmean(p[mask])) if t.size else math.nan,
                roc_auc=roc_auc(t, p[mask]),
                pr_auc=average_precision(t, p[mask]),
            )
        )
    return results
