"""Held-out-province evaluation: does the model carry over to provinces it never saw?

A second model is trained on the training years without a few provinces (feature
state refitted without them, the main model's number of trees, no early stopping
so no held-out row is looked at) and scored on the test rows of those provinces.
The main model is scored on the same rows for comparison. Only ranking metrics
are reported, so the second model needs no calibrator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from training.dataset import subset_columns
from training.evaluate import average_precision, roc_auc
from training.model import ModelConfig, train_booster
from training.splits import TEST, TRAIN

if TYPE_CHECKING:
    from features.columns import Columns
    from features.pipeline import FeaturePipeline

__all__ = ["HeldoutResult", "choose_heldout_provinces", "evaluate_heldout_provinces"]


@dataclass(frozen=True)
class HeldoutResult:
    """Ranking quality on the held-out provinces' test rows."""

    provinces: tuple[str, ...]
    rows: int
    positives: int
    heldout_roc_auc: float
    heldout_pr_auc: float
    main_roc_auc: float
    main_pr_auc: float

    def metrics(self) -> dict[str, float]:
        """Return the MLflow metrics of this evaluation."""
        return {
            "heldout_province_roc_auc": self.heldout_roc_auc,
            "heldout_province_pr_auc": self.heldout_pr_auc,
            "heldout_province_main_roc_auc": self.main_roc_auc,
            "heldout_province_main_pr_auc": self.main_pr_auc,
        }

    def as_dict(self) -> dict[str, object]:
        """Return the result for the report."""
        return {
            "provinces": list(self.provinces),
            "rows": self.rows,
            "positives": self.positives,
            "heldout_roc_auc": self.heldout_roc_auc,
            "heldout_pr_auc": self.heldout_pr_auc,
            "main_roc_auc": self.main_roc_auc,
            "main_pr_auc": self.main_pr_auc,
        }


def choose_heldout_provinces(province: np.ndarray, count: int) -> tuple[str, ...]:
    """Pick ``count`` mid-sized provinces: every fourth by row count, from the 4th largest.

    The largest provinces are kept in training (holding one out would remove a
    big share of the data) and the smallest have too few certified firms to
    measure anything; ties in size are broken by name so the choice is stable.
    """
    values, counts = np.unique(np.asarray(province, dtype=object).astype(str), return_counts=True)
    keep = values != "None"
    values, counts = values[keep], counts[keep]
    order = sorted(range(values.size), key=lambda i: (-counts[i], values[i]))
    picks = [values[order[i]] for i in range(3, len(order), 4)][:count]
    if len(picks) < count:  # few provinces: take the smallest of the rest
        rest = [values[i] for i in order[1:] if values[i] not in picks]
        picks += rest[::-1][: count - len(picks)]
    return tuple(str(p) for p in picks)


def evaluate_heldout_provinces(
    columns: Columns,
    y: np.ndarray,
    part: np.ndarray,
    main_score: np.ndarray,
    *,
    provinces: Sequence[str],
    make_pipeline: Callable[[], FeaturePipeline],
    config: ModelConfig,
    constraints: Sequence[int] | None,
    rounds: int,
) -> HeldoutResult | None:
    """Train without ``provinces`` and score their test rows.

    Parameters
    ----------
    columns : Columns
        Validated input columns of all labelled rows.
    y : numpy.ndarray
        Labels of those rows.
    part : numpy.ndarray
        Split code per row (:func:`training.splits.TimeSplit.assign`).
    main_score : numpy.ndarray
        The main model's score per row (only test rows are read).
    provinces : sequence of str
        Canonical province names to hold out.
    make_pipeline : callable
        Returns a fresh, unfitted feature pipeline.
    config : ModelConfig
    constraints : sequence of int, optional
    rounds : int
        Number of boosting rounds (the main model's best iteration).

    Returns
    -------
    HeldoutResult or None
        None when the held-out provinces have no test rows with both classes.
    """
    province = np.asarray(columns["province"], dtype=object)
    held = np.isin(province.astype(str), list(provinces))
    train = (part == TRAIN) & ~held
    test = (part == TEST) & held
    if not test.any() or np.unique(y[test]).size < 2 or np.unique(y[train]).size < 2:
        return None
    pipeline = make_pipeline()
    pipeline.fit(subset_columns(columns, train))
    X_train = np.asarray(pipeline.transform(subset_columns(columns, train)), dtype=np.float64)
    X_test = np.asarray(pipeline.transform(subset_columns(columns, test)), dtype=np.float64)
    trained = train_booster(
        X_train,
        y[train],
        None,
        None,
        feature_names=list(pipeline.feature_names),
        config=config,
        constraints=constraints,
        rounds=max(1, rounds),
    )
    margin = np.asarray(
        trained.booster.predict(X_test, raw_score=True, num_threads=config.num_threads),
        dtype=np.float64,
    )
    return HeldoutResult(
        provinces=tuple(provinces),
        rows=int(test.sum()),
        positives=int(y[test].sum()),
        heldout_roc_auc=roc_auc(y[test], margin),
        heldout_pr_auc=average_precision(y[test], margin),
        main_roc_auc=roc_auc(y[test], main_score[test]),
        main_pr_auc=average_precision(y[test], main_score[test]),
    )
