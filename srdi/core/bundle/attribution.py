"""Coverage: how much of a model's signal rests on the figures a firm reported.

A score made from half the figures looks as certain as one made from all of them
unless the result says otherwise. Each feature's share of the model's attribution
mass — its mean absolute TreeSHAP contribution over the reference population (the
test-year candidates), measured at training time and shipped in the bundle's
metadata under ``attribution`` — weighs what is missing: a firm's **coverage** is the
share of that mass on the features it reported (a feature is reported when its
value is known). 1.0 means every figure the model leans on was given; a firm that
left out the figures carrying 40 % of the mass has coverage 0.6.

Below :data:`THIN_DATA_BELOW` a score is flagged **thin data**: fewer than 60 % of
the model's usual signal stands behind it, so it says more about the firms that look
like it than about the firm.

A bundle trained before coverage existed has no ``attribution``: its weights are the
booster's total gain per feature instead (how much each feature was used to split),
the nearest measure the model itself carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np

__all__ = [
    "METADATA_KEY",
    "THIN_DATA_BELOW",
    "attribution_metadata",
    "attribution_weights",
    "coverage",
]

METADATA_KEY: Final = "attribution"
THIN_DATA_BELOW: Final = 0.6
"""Coverage under which a score is flagged thin data."""


def attribution_metadata(
    contributions: np.ndarray, feature_names: Sequence[str], population: str
) -> dict[str, Any]:
    """The ``attribution`` metadata of a bundle from reference contributions.

    Parameters
    ----------
    contributions
        TreeSHAP contributions of the reference rows, ``(n, features + 1)`` (bias
        last) or ``(n, features)``.
    feature_names
        The model's feature order.
    population
        What the rows are, in words (``"test-year candidates (1,500 rows)"``).

    Returns
    -------
    dict
        ``{"weights": {feature: mean |contribution|}, "population": ...}``.
    """
    per_feature = np.abs(np.asarray(contributions, dtype=np.float64)[:, : len(feature_names)])
    mass = per_feature.mean(axis=0) if len(per_feature) else np.zeros(len(feature_names))
    return {
        "weights": {name: float(w) for name, w in zip(feature_names, mass, strict=True)},
        "population": population,
        "basis": "mean absolute TreeSHAP contribution",
    }


def attribution_weights(
    metadata: Mapping[str, Any], feature_names: Sequence[str], gain: np.ndarray
) -> tuple[np.ndarray, str]:
    """Each feature's share of the attribution mass, in the model's feature order.

    Parameters
    ----------
    metadata
        The bundle's metadata (its ``attribution`` entry when trained with one).
    feature_names
        The model's feature order.
    gain
        The booster's total gain per feature, the fallback for older bundles.

    Returns
    -------
    (numpy.ndarray, str)
        Non-negative weights summing to 1 (uniform when the model carries no
        signal at all), and their basis in words.
    """
    stored = metadata.get(METADATA_KEY)
    if isinstance(stored, Mapping) and isinstance(stored.get("weights"), Mapping):
        table = stored["weights"]
        weights = np.array([float(table.get(name, 0.0)) for name in feature_names])
        basis = str(stored.get("basis", "mean absolute TreeSHAP contribution"))
    else:
        weights = np.asarray(gain, dtype=np.float64)
        basis = "total gain (the bundle predates coverage)"
    weights = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    total = weights.sum()
    if total <= 0:
        return np.full(len(feature_names), 1.0 / max(len(feature_names), 1)), basis
    return weights / total, basis


def coverage(X: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row's share of the attribution mass on reported (known) features.

    Parameters
    ----------
    X
        Feature matrix, NaN where a feature is not known.
    weights
        From :func:`attribution_weights` (summing to 1).

    Returns
    -------
    numpy.ndarray
        One value in [0, 1] per row.
    """
    reported = np.isfinite(np.asarray(X, dtype=np.float64))
    # Added feature by feature, left to right: a matrix product may order the additions
    # differently for different row counts, and a firm's coverage must not depend on
    # how many firms are scored with it.
    total = np.zeros(reported.shape[0], dtype=np.float64)
    for j, weight in enumerate(np.asarray(weights, dtype=np.float64).tolist()):
        total += np.where(reported[:, j], weight, 0.0)
    return np.clip(total, 0.0, 1.0)
