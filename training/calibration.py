"""Fit a probability calibrator on held-out margins, choosing Platt or isotonic.

The choice is made by cross-validated Brier score on the validation years (folds
grouped by firm), so isotonic regression's in-sample advantage cannot decide it;
the winner is then refitted on all validation rows. Brier, not log loss, because
isotonic steps may reach exactly 0 or 1 out of fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from srdi.core.calibrators import Calibrator, IsotonicCalibrator, PlattCalibrator

__all__ = [
    "CalibrationChoice",
    "choose_calibrator",
    "fit_isotonic",
    "fit_platt",
]

CALIBRATOR_KINDS = ("platt", "isotonic")


def fit_platt(margin: np.ndarray, y: np.ndarray) -> PlattCalibrator:
    """Fit ``p = sigmoid(a * margin + b)`` by (nearly unpenalized) logistic regression."""
    m = np.asarray(margin, dtype=np.float64).reshape(-1, 1)
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(m, np.asarray(y, dtype=np.int64))
    return PlattCalibrator(slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0]))


def fit_isotonic(margin: np.ndarray, y: np.ndarray) -> IsotonicCalibrator:
    """Fit a non-decreasing step map from margin to probability."""
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)
    model.fit(np.asarray(margin, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return IsotonicCalibrator(
        thresholds=np.asarray(model.X_thresholds_, dtype=np.float64),
        values=np.asarray(model.y_thresholds_, dtype=np.float64),
    )


def _fit(kind: str, margin: np.ndarray, y: np.ndarray) -> Calibrator:
    return fit_platt(margin, y) if kind == "platt" else fit_isotonic(margin, y)


@dataclass(frozen=True)
class CalibrationChoice:
    """The chosen calibrator and the cross-validated Brier score of each kind."""

    calibrator: Calibrator
    cv_brier: dict[str, float]

    @property
    def kind(self) -> str:
        """Kind of the chosen calibrator."""
        return self.calibrator.kind


def choose_calibrator(
    margin: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    folds: int = 5,
    kinds: tuple[str, ...] = CALIBRATOR_KINDS,
) -> CalibrationChoice:
    """Pick the calibrator kind with the lower out-of-fold Brier score.

    Parameters
    ----------
    margin : numpy.ndarray
        Raw booster margins of held-out rows.
    y : numpy.ndarray
        0/1 labels of those rows.
    groups : numpy.ndarray
        Firm identifier per row; a firm's rows stay in one fold.
    folds : int
        Number of folds (at least 2).
    kinds : tuple of str
        Candidates among ``"platt"`` and ``"isotonic"``.

    Returns
    -------
    CalibrationChoice

    Raises
    ------
    ValueError
        When the labels are all one class (nothing to calibrate against).
    """
    m = np.asarray(margin, dtype=np.float64)
    target = np.asarray(y, dtype=np.float64)
    if m.shape != target.shape or m.ndim != 1:
        raise ValueError("margin and y must be 1-D arrays of the same length")
    if np.unique(target).size < 2:
        raise ValueError("calibration needs both positive and negative validation rows")
    unknown = set(kinds) - set(CALIBRATOR_KINDS)
    if unknown:
        raise ValueError(f"unknown calibrator kinds {sorted(unknown)}")
    _, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    # A fixed permutation of firms spreads them over folds reproducibly.
    order = np.random.default_rng(0).permutation(codes.max() + 1)
    fold = order[codes] % max(2, folds)
    scores: dict[str, float] = {}
    for kind in kinds:
        out = np.full(m.shape, np.nan)
        for k in range(max(2, folds)):
            test = fold == k
            train = ~test
            if not test.any() or np.unique(target[train]).size < 2:
                continue
            out[test] = _fit(kind, m[train], target[train]).transform(m[test])
        ok = ~np.isnan(out)
        scores[kind] = float(np.mean((out[ok] - target[ok]) ** 2)) if ok.any() else np.inf
    best = min(kinds, key=lambda kind: scores[kind])
    return CalibrationChoice(calibrator=_fit(best, m, target), cv_brier=scores)
