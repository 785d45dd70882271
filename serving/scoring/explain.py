"""One model's explanations: TreeSHAP contributions told as reasons beside industry medians.

:class:`Explainer` holds what a model needs to explain its scores — the reason
builder over the model's feature list (:mod:`serving.scoring.reasons`) and the
industry medians of its fitted feature state — and turns a feature matrix into
each firm's top reasons.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from features.catalog import FAMILIES, FEATURES
from features.columns import Columns
from serving.scoring.reasons import ReasonBuilder
from srdi.core.bundle import ModelBundle

__all__ = ["Explainer", "IndustryMedians"]


class Explainer:
    """Explains one model's scores.

    Parameters
    ----------
    bundle
        The model bundle: its feature list, TreeSHAP contributions and fitted
        industry medians.
    """

    def __init__(self, bundle: ModelBundle) -> None:
        self._bundle = bundle
        catalog = {spec.name: spec for spec in FEATURES}
        self._reasons = ReasonBuilder(bundle.feature_names, catalog, FAMILIES)
        self._medians = IndustryMedians(bundle)

    def reasons(
        self, columns: Columns, X: np.ndarray, *, skip: np.ndarray, top: int
    ) -> list[list[dict[str, Any]]]:
        """Return each row's top ``top`` reasons (the ``reasons`` of a score result).

        Parameters
        ----------
        columns
            Validated columns of the rows (their ``industry`` picks the medians).
        X
            The rows' feature matrix.
        skip
            Boolean mask of rows that get no reasons (firms the model does not
            score), in row order.
        top
            Reasons per row.
        """
        keep = np.flatnonzero(~np.asarray(skip, dtype=bool))
        n = X.shape[0]
        if keep.size == n:
            contributions = self._bundle.contributions(X, num_threads=1)
            medians = self._medians.for_industries(columns["industry"])
            return self._reasons.build(contributions, X, medians, top=top)
        # TreeSHAP only for the firms explained: a service of several models asks
        # each about its own rung.
        out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        if keep.size:
            rows = X[keep]
            contributions = self._bundle.contributions(rows, num_threads=1)
            medians = self._medians.for_industries(np.asarray(columns["industry"])[keep])
            for i, reasons in zip(
                keep.tolist(),
                self._reasons.build(contributions, rows, medians, top=top),
                strict=True,
            ):
                out[i] = reasons
        return out


class IndustryMedians:
    """Industry medians of a model's features, for the reasons' "beside the median".

    Industry-relative features (a difference to the median) get none: their reason
    is told through the source feature, which has one.
    """

    def __init__(self, bundle: ModelBundle) -> None:
        baseline = bundle.pipeline.baseline
        fitted = set(baseline.feature_names)
        relative = {spec.name for spec in FEATURES if spec.baseline_of}
        self._baseline = baseline
        self._n_features = len(bundle.feature_names)
        self._columns = np.array(
            [
                j
                for j, name in enumerate(bundle.feature_names)
                if name in fitted and name not in relative
            ],
            dtype=np.intp,
        )
        self._names = [bundle.feature_names[j] for j in self._columns]

    def for_industries(self, industries: np.ndarray) -> np.ndarray:
        """Return the ``(n, n_features)`` medians for each row's industry code."""
        out = np.full((len(industries), self._n_features), np.nan, dtype=np.float64)
        if len(industries) and len(self._names):
            out[:, self._columns] = self._baseline.medians_matrix(self._names, industries)
        return out
