"""One target's model: which firms it scores, and their numbers, vectorized.

A :class:`TargetModel` wraps one :class:`~srdi.core.bundle.ModelBundle`, trained to
answer one question of the ladder (``features.ladder``: next provincial SRDI, next
Little Giant, kept at re-review) within H years. It knows which firms it has a
question for (its population: a probability for a firm the model was not trained
to ask about would mean nothing), and turns validated columns into the feature
matrix, the calibrated probability, the percentile among its reference population
and the band, and — on demand — the reasons
(:class:`~serving.scoring.explain.Explainer`).

The :class:`~serving.scoring.scorer.Scorer` composes the targets' numbers
(:mod:`serving.scoring.steps`) with the scheme verdicts into score results.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from features.catalog import FAMILIES, FEATURES
from features.columns import Columns
from features.ladder import TARGET_BY_ID, TARGET_IDS, applies
from serving.scoring.explain import Explainer
from srdi.core.bundle import THIN_DATA_BELOW, ModelBundle

__all__ = ["ScoreArrays", "TargetModel"]


@dataclass(frozen=True)
class ScoreArrays:
    """The numbers of a scored set of rows, vectorized.

    ``certified`` marks the rows the model has no question for (a firm already
    holding its tier, or on another rung); their ``score``, ``percentile`` and
    ``coverage`` are NaN and ``band`` is ``None``. ``coverage`` is the share of the
    model's attribution mass on the figures each firm reported
    (:mod:`srdi.core.bundle.attribution`); ``None`` when not computed.
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
    """The numbers of one model, trained for one target.

    Parameters
    ----------
    bundle
        The model bundle (booster, calibrator, fitted features, reference quantiles).

    Raises
    ------
    ValueError
        When the bundle's target is not one of ``features.ladder.TARGET_IDS``.
    """

    def __init__(self, bundle: ModelBundle) -> None:
        if bundle.target not in TARGET_BY_ID:
            raise ValueError(
                f"the model's target {bundle.target!r} is unknown; expected one of "
                f"{list(TARGET_IDS)}"
            )
        self.bundle = bundle
        self.target: str = bundle.target
        self.horizon = int(bundle.horizon)
        self.explainer = Explainer(bundle)
        # Models trained together share one feature state: equal digests let a
        # service derive a firm's features once for all of them.
        state = json.dumps(bundle.pipeline.to_dict(), sort_keys=True, default=str)
        self.state_digest = hashlib.sha256(state.encode("utf-8")).hexdigest()

    def applies(self, columns: Columns) -> np.ndarray:
        """True where the model has a question for the firm (its target's population)."""
        return applies(self.target, columns, self.horizon)

    def certified_mask(self, columns: Columns) -> np.ndarray:
        """True where the model has no question for the firm (see :meth:`applies`)."""
        return ~self.applies(columns)

    def features(self, columns: Columns) -> np.ndarray:
        """The feature matrix of validated columns, in the model's feature order."""
        return self.bundle.transform(columns)

    def score_arrays(
        self, columns: Columns, X: np.ndarray | None = None, asked: np.ndarray | None = None
    ) -> ScoreArrays:
        """Score, percentile, band and not-asked flag of every row (no explanations).

        Parameters
        ----------
        columns
            Validated columns (``features.validate``).
        X
            Their feature matrix, when already computed.
        asked
            :meth:`applies` of the columns, when already computed.
        """
        if asked is None:
            asked = self.applies(columns)
        score = np.full(asked.shape[0], np.nan)
        coverage = np.full(asked.shape[0], np.nan)
        if asked.any():
            if X is None:
                X = self.features(columns)
            # Only the firms asked are run through the model.
            rows = X if asked.all() else X[asked]
            score[asked] = self.bundle.predict(rows, num_threads=1)
            coverage[asked] = self.bundle.coverage(rows)
        percentile = self.bundle.percentile(score)
        band = self.bundle.band(percentile)
        return ScoreArrays(
            score=score, percentile=percentile, band=band, certified=~asked, coverage=coverage
        )

    def reasons(
        self, columns: Columns, X: np.ndarray, numbers: ScoreArrays, *, top: int
    ) -> list[list[dict[str, Any]]]:
        """Each row's top reasons; none for the firms the model does not ask."""
        return self.explainer.reasons(columns, X, skip=numbers.certified, top=top)

    def describe(self) -> dict[str, Any]:
        """The model's target, horizon, training time, metrics, features and rule versions."""
        meta = self.bundle.metadata
        metrics = meta.get("metrics") or {}
        catalog = {spec.name: spec for spec in FEATURES}
        spec = TARGET_BY_ID[self.target]
        return {
            "target": self.target,
            "question": spec.question,
            "predicts": spec.predicts,
            "population": spec.population,
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
