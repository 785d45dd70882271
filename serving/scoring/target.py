"""One target's model: which firms it scores, and their numbers, vectorized.

A :class:`TargetModel` wraps one :class:`~srdi.core.bundle.ModelBundle`, trained to
predict one certification tier within H years. It knows which firms it has a
question for (those not yet holding its tier: a probability for a firm that already
holds it would mean nothing), and turns validated columns into the feature matrix,
the calibrated probability, the percentile among its reference population and the
band, and — on demand — the reasons (:class:`~serving.scoring.explain.Explainer`).

The :class:`~serving.scoring.scorer.Scorer` composes a target's numbers with the
scheme verdicts into score results; a service that scores several targets side by
side holds one ``TargetModel`` per target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from features.catalog import FAMILIES, FEATURES
from features.columns import Columns, column_length
from features.tiers import CERTIFIED_TIERS, tiers_at_or_above
from serving.scoring.explain import Explainer
from srdi.core.bundle import THIN_DATA_BELOW, ModelBundle

__all__ = ["ScoreArrays", "TargetModel"]


@dataclass(frozen=True)
class ScoreArrays:
    """The numbers of a scored set of rows, vectorized.

    ``score``, ``percentile`` and ``coverage`` are NaN and ``band`` is ``None`` for
    certified firms. ``coverage`` is the share of the model's attribution mass on
    the figures each firm reported (:mod:`srdi.core.bundle.attribution`); ``None``
    when not computed.
    """

    score: np.ndarray
    percentile: np.ndarray
    band: np.ndarray
    certified: np.ndarray
    coverage: np.ndarray | None = None

    @property
    def thin_data(self) -> np.ndarray | None:
        """True where the coverage is below :data:`srdi.core.bundle.THIN_DATA_BELOW`."""
        if self.coverage is None:
            return None
        return np.asarray(self.coverage < THIN_DATA_BELOW)


class TargetModel:
    """The numbers of one model, trained for one target tier.

    Parameters
    ----------
    bundle
        The model bundle (booster, calibrator, fitted features, reference quantiles).

    Raises
    ------
    ValueError
        When the bundle's target is not a certification tier.
    """

    def __init__(self, bundle: ModelBundle) -> None:
        if bundle.target not in CERTIFIED_TIERS:
            raise ValueError(
                f"the model's target tier {bundle.target!r} is unknown; expected one of "
                f"{list(CERTIFIED_TIERS)}"
            )
        self.bundle = bundle
        self.target: str = bundle.target
        self.holding_tiers = tiers_at_or_above(bundle.target)
        self.explainer = Explainer(bundle)

    def certified_mask(self, columns: Columns) -> np.ndarray:
        """True where the firm already holds the target tier (or a higher one)."""
        tiers = columns.get("current_tier")
        if tiers is None:
            return np.zeros(column_length(columns), dtype=bool)
        # One vectorized comparison per tier (object arrays compare in C).
        values = np.asarray(tiers, dtype=object)
        mask = np.zeros(len(values), dtype=bool)
        for tier in self.holding_tiers:
            mask |= values == tier
        return mask

    def features(self, columns: Columns) -> np.ndarray:
        """The feature matrix of validated columns, in the model's feature order."""
        return self.bundle.transform(columns)

    def score_arrays(self, columns: Columns, X: np.ndarray | None = None) -> ScoreArrays:
        """Score, percentile, band and certified flag of every row (no explanations).

        Parameters
        ----------
        columns
            Validated columns (``features.validate``).
        X
            Their feature matrix, when already computed.
        """
        if X is None:
            X = self.features(columns)
        certified = self.certified_mask(columns)
        score = self.bundle.predict(X, num_threads=1)
        score = np.where(certified, np.nan, score)
        percentile = self.bundle.percentile(score)
        band = self.bundle.band(percentile)
        coverage = np.where(certified, np.nan, self.bundle.coverage(X))
        return ScoreArrays(
            score=score, percentile=percentile, band=band, certified=certified, coverage=coverage
        )

    def reasons(
        self, columns: Columns, X: np.ndarray, numbers: ScoreArrays, *, top: int
    ) -> list[list[dict[str, Any]]]:
        """Each row's top reasons; none for certified firms (they are not scored)."""
        return self.explainer.reasons(columns, X, skip=numbers.certified, top=top)

    def describe(self) -> dict[str, Any]:
        """The model's target, horizon, training time, metrics, features and rule versions."""
        meta = self.bundle.metadata
        metrics = meta.get("metrics") or {}
        catalog = {spec.name: spec for spec in FEATURES}
        return {
            "target": self.target,
            "horizon": int(self.bundle.horizon),
            "trained_at": None if meta.get("trained_at") is None else str(meta["trained_at"]),
            "metrics": {str(k): _float_or_none(v) for k, v in metrics.items()},
            "features": [
                {
                    "name": name,
                    "family": catalog[name].family,
                    "family_label": FAMILIES.get(catalog[name].family, catalog[name].family),
                    "label": catalog[name].label,
                    "unit": catalog[name].unit,
                }
                for name in self.bundle.feature_names
            ],
            "ruleset_versions": dict(self.bundle.ruleset_versions),
        }


def _float_or_none(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
