"""Input drift: how far the firms being scored have moved from the training population.

At training time the bundle keeps, for every feature, the training distribution as
bins: the deciles of the training rows (fewer bins for features with few distinct
values) plus one bin for "not reported". At scoring time the same bins count the
firms scored, and the population-stability index compares the two shares per bin::

    PSI = sum over bins of (actual - expected) * ln(actual / expected)

(shares below 1e-4 are taken as 1e-4, so an empty bin does not make it infinite).
The usual reading: below 0.1 the feature has not moved, 0.1 to 0.25 it moved
moderately (worth a look), above 0.25 it moved significantly (the model is scoring
firms unlike those it learned from). The missing bin counts as much as any other: a
feature that firms stop reporting drifts.

Stored in the bundle as ``drift.json``; bundles trained before it have none, load as
before, and report drift as unavailable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_BINS",
    "DRIFT_FORMAT_VERSION",
    "MODERATE_PSI",
    "SIGNIFICANT_PSI",
    "DriftReference",
    "psi_reading",
]

DRIFT_FORMAT_VERSION = 1
DEFAULT_BINS = 10
MODERATE_PSI = 0.1
SIGNIFICANT_PSI = 0.25
_FLOOR = 1e-4


def psi_reading(value: float) -> str:
    """``"stable"`` (< 0.1), ``"moderate"`` (0.1 to 0.25) or ``"significant"`` (> 0.25)."""
    if not np.isfinite(value):
        return "unavailable"
    if value < MODERATE_PSI:
        return "stable"
    return "moderate" if value <= SIGNIFICANT_PSI else "significant"


@dataclass(frozen=True, eq=False)
class DriftReference:
    """The training distribution of every feature, as bins and their shares.

    Parameters
    ----------
    feature_names
        Column order of the feature matrix.
    edges
        ``(n_features, bins - 1)`` inner bin edges, ascending per row, padded with
        ``+inf`` where a feature has fewer distinct values (its upper bins stay empty).
        A value ``x`` falls in bin ``number of edges below x`` (``x > edge``).
    shares
        ``(n_features, bins + 1)`` training shares per bin; the last column is the
        missing bin. Each row sums to 1.
    n_reference
        Training rows the shares were counted on.
    """

    feature_names: list[str]
    edges: np.ndarray
    shares: np.ndarray
    n_reference: int

    def __post_init__(self) -> None:
        edges = np.asarray(self.edges, dtype=np.float64)
        shares = np.asarray(self.shares, dtype=np.float64)
        n = len(self.feature_names)
        if edges.ndim != 2 or edges.shape[0] != n or shares.shape != (n, edges.shape[1] + 2):
            raise ValueError(
                f"drift reference shapes disagree: {n} features, edges {edges.shape}, "
                f"shares {shares.shape}"
            )
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "shares", shares)

    @property
    def n_bins(self) -> int:
        """Bins per feature, the missing bin included."""
        return int(self.shares.shape[1])

    @classmethod
    def from_matrix(
        cls, X: np.ndarray, feature_names: Sequence[str], *, bins: int = DEFAULT_BINS
    ) -> DriftReference:
        """Bin every feature of the training matrix ``X`` at its quantiles.

        Parameters
        ----------
        X
            ``(n_rows, n_features)`` training feature matrix; NaN = not reported.
        feature_names
            Its column names.
        bins
            Value bins per feature (deciles by default), before ties merge some.
        """
        X = np.asarray(X, dtype=np.float64)
        levels = np.linspace(0.0, 1.0, bins + 1)[1:-1]
        edges = np.full((X.shape[1], bins - 1), np.inf)
        for j in range(X.shape[1]):
            column = X[:, j]
            known = column[~np.isnan(column)]
            if known.size:
                cuts = np.unique(np.quantile(known, levels))
                # The largest value as an edge would leave its upper bin empty forever.
                cuts = cuts[cuts < known.max()]
                edges[j, : cuts.size] = cuts
        reference = cls(list(feature_names), edges, np.zeros((X.shape[1], bins + 1)), len(X))
        counts = reference.count(X)
        shares = counts / max(len(X), 1)
        return cls(list(feature_names), edges, shares, len(X))

    def bin_index(self, X: np.ndarray) -> np.ndarray:
        """``(n_rows, n_features)`` bin of each value (the last bin for NaN), as int8."""
        X = np.asarray(X, dtype=np.float64)
        index = np.empty(X.shape, dtype=np.int8)
        for j in range(X.shape[1]):
            # Edges strictly below x: the +inf padding never is; NaN is set below.
            index[:, j] = np.searchsorted(self.edges[j], X[:, j], side="left")
        index[np.isnan(X)] = self.n_bins - 1
        return index

    def count(self, X: np.ndarray) -> np.ndarray:
        """``(n_features, n_bins)`` rows of ``X`` in each bin of each feature."""
        return self.count_bins(self.bin_index(X))

    def count_bins(self, index: np.ndarray) -> np.ndarray:
        """Counts per feature and bin of an array of bin indexes (see :meth:`bin_index`)."""
        n_features = len(self.feature_names)
        flat = index.astype(np.int64) + np.arange(n_features)[None, :] * self.n_bins
        counts = np.bincount(flat.ravel(), minlength=n_features * self.n_bins)
        return np.asarray(counts.reshape(n_features, self.n_bins))

    def psi(self, counts: np.ndarray) -> np.ndarray:
        """Population-stability index per feature of firms counted per bin.

        Returns NaN for every feature when ``counts`` holds no firm.
        """
        counts = np.asarray(counts, dtype=np.float64)
        total = counts.sum(axis=1, keepdims=True)
        if not total.any():
            return np.full(len(self.feature_names), np.nan)
        actual = np.maximum(counts / np.maximum(total, 1.0), _FLOOR)
        expected = np.maximum(self.shares, _FLOOR)
        used = (counts > 0) | (self.shares > 0)
        terms = np.where(used, (actual - expected) * np.log(actual / expected), 0.0)
        return np.asarray(terms.sum(axis=1))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``drift.json`` of the bundle); ``inf`` edges as ``null``."""
        return {
            "format_version": DRIFT_FORMAT_VERSION,
            "n_reference": int(self.n_reference),
            "features": {
                name: {
                    "edges": [float(e) for e in self.edges[j] if np.isfinite(e)],
                    "shares": [float(s) for s in self.shares[j]],
                }
                for j, name in enumerate(self.feature_names)
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReference:
        """Read :meth:`to_dict`'s form.

        Raises
        ------
        ValueError
            When the format version or the shapes are not the ones written.
        """
        if data.get("format_version") != DRIFT_FORMAT_VERSION:
            raise ValueError(f"unknown drift reference format {data.get('format_version')!r}")
        features = data["features"]
        names = list(features)
        n_bins = max(len(f["shares"]) for f in features.values())
        edges = np.full((len(names), n_bins - 2), np.inf)
        shares = np.zeros((len(names), n_bins))
        for j, name in enumerate(names):
            cuts = features[name]["edges"]
            edges[j, : len(cuts)] = cuts
            shares[j] = features[name]["shares"]
        return cls(names, edges, shares, int(data["n_reference"]))
