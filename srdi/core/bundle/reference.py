"""Percentiles and bands: where a probability stands in the reference population.

A bundle keeps the calibrated-probability quantiles of its reference population at
evenly spaced levels from 0 to 1. A new probability's percentile is read off those
quantiles, and its band (A ≥ 95th percentile, B ≥ 80th, C ≥ 50th, D below) off the
percentile.
"""

from __future__ import annotations

import numpy as np

from srdi.core.bundle.errors import BundleFormatError

__all__ = ["BAND_THRESHOLDS", "bands", "check_quantiles", "percentile_levels", "percentiles"]

# Band letter and the lowest percentile that earns it, best first.
BAND_THRESHOLDS: tuple[tuple[str, float], ...] = (("A", 95.0), ("B", 80.0), ("C", 50.0))


def check_quantiles(quantiles: np.ndarray) -> np.ndarray:
    """Return the quantiles as float64 once they are usable.

    Raises
    ------
    BundleFormatError
        Fewer than 2 levels, a non-finite value, or a decrease.
    """
    q = np.asarray(quantiles, dtype=np.float64)
    if q.ndim != 1 or q.size < 2:
        raise BundleFormatError("reference_quantiles needs at least 2 levels")
    if not np.all(np.isfinite(q)) or np.any(np.diff(q) < 0):
        raise BundleFormatError("reference_quantiles must be finite and non-decreasing")
    return q


def percentile_levels(quantiles: np.ndarray) -> np.ndarray:
    """The percentile (0–100) of each quantile: made once per bundle, not per request."""
    return np.linspace(0.0, 100.0, np.asarray(quantiles).size)


def percentiles(prob: np.ndarray, quantiles: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Return the percentile (0–100) of each probability among the quantiles.

    Between two quantiles the level is interpolated linearly; a probability equal to
    a run of tied quantiles gets the middle of the run, so a block of identical
    scores shares one percentile. NaN stays NaN.

    Parameters
    ----------
    prob
        Calibrated probabilities.
    quantiles
        The reference population's quantiles (:func:`check_quantiles`).
    levels
        Their percentiles (:func:`percentile_levels`).
    """
    p = np.asarray(prob, dtype=np.float64)
    q = quantiles
    last = q.size - 1
    lo = np.searchsorted(q, p, side="left")
    hi = np.searchsorted(q, p, side="right")
    tied = (hi > lo) & (lo <= last)
    # np.minimum/np.maximum rather than np.clip: the same values, and far less
    # overhead for the one row of a POSTed record.
    right = np.minimum(lo, last)
    left = np.maximum(lo - 1, 0)
    tied_pct = 0.5 * (levels[right] + levels[np.maximum(np.minimum(hi - 1, last), 0)])
    span = q[right] - q[left]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(span > 0, (p - q[left]) / span, 0.0)
    between_pct = levels[left] + frac * (levels[right] - levels[left])
    pct = np.minimum(np.maximum(np.where(tied, tied_pct, between_pct), 0.0), 100.0)
    return np.where(np.isnan(p), np.nan, pct)


def bands(percentile: np.ndarray) -> np.ndarray:
    """Return the band of each percentile: A ≥ 95, B ≥ 80, C ≥ 50, else D.

    NaN percentiles get ``None``.
    """
    pct = np.asarray(percentile, dtype=np.float64)
    conditions = [pct >= threshold for _, threshold in BAND_THRESHOLDS]
    letters = [letter for letter, _ in BAND_THRESHOLDS]
    out = np.select(conditions, letters, default="D").astype(object)
    out[np.isnan(pct)] = None
    return out
