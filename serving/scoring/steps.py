"""Every firm's rung, its next step and each applicable target's numbers, vectorized.

A service holds up to three models, one per question of the ladder
(``features.ladder``): next provincial SRDI (``srdi_sme``), next Little Giant
(``little_giant``), kept at re-review (``retention``). :class:`ModelSet` is the
set it offers: the models in service (:class:`ServedModel`) and the targets it
expects but could not load (:class:`MissingModel`, answered "not trained" inside
the result instead of failing the request). :func:`step_arrays` computes, for a
set of validated rows, every offered target's numbers on the rows it asks about,
the rung each firm stands on and which target is its next step; its
:meth:`StepArrays.top` is the next step's numbers, the top-level ``score`` of a
result.

Models that share one fitted feature state (a ``srdi train --target all`` run)
derive a firm's features once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from features.columns import Columns, column_length, take_rows
from features.ladder import TARGET_IDS, applies, next_target, re_review_due, re_review_year
from serving.scoring.target import ScoreArrays, TargetModel

__all__ = [
    "CANDIDATE",
    "CERTIFIED",
    "NOT_TRAINED",
    "MissingModel",
    "ModelSet",
    "ServedModel",
    "StepArrays",
    "step_arrays",
]

CANDIDATE, CERTIFIED, NOT_TRAINED = "candidate", "certified", "not_trained"
"""A result's ``status``: its next step is scored; no offered question asks about the
firm (it holds the top tier with no re-review due, or the service does not offer
the question); the next step's model is not in service."""


@dataclass(frozen=True)
class ServedModel:
    """A target's model in service, with its registry identity."""

    model: TargetModel
    name: str
    version: str
    run_id: str | None = None

    @property
    def target(self) -> str:
        """The question it answers."""
        return self.model.target

    @property
    def info(self) -> dict[str, str]:
        """``{"name", "version"}`` as results report it."""
        return {"name": self.name, "version": self.version}


@dataclass(frozen=True)
class MissingModel:
    """A target the service offers but has no model for (no champion, or refused)."""

    target: str
    name: str
    problem: str
    horizon: int = 2


@dataclass(frozen=True)
class ModelSet:
    """The questions a service offers: models in service and the ones missing.

    Raises
    ------
    ValueError
        With no model in service, or a target given twice.
    """

    served: Mapping[str, ServedModel]
    missing: Mapping[str, MissingModel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.served:
            raise ValueError("a model set needs at least one model in service")
        both = set(self.served) & set(self.missing)
        if both:
            raise ValueError(f"targets both served and missing: {sorted(both)}")

    @classmethod
    def of(cls, served: Iterable[ServedModel], missing: Iterable[MissingModel] = ()) -> ModelSet:
        """The set of these models, keyed by target in ladder order."""
        by_target = {m.target: m for m in served}
        absent = {m.target: m for m in missing}
        return cls(
            served={t: by_target[t] for t in TARGET_IDS if t in by_target},
            missing={t: absent[t] for t in TARGET_IDS if t in absent},
        )

    @property
    def offered(self) -> tuple[str, ...]:
        """Every target offered, in ladder order."""
        return tuple(t for t in TARGET_IDS if t in self.served or t in self.missing)

    @property
    def primary(self) -> ServedModel:
        """The model that stands for the service: the first in ladder order."""
        return next(iter(self.served.values()))

    def horizon(self, target: str) -> int:
        """The horizon of an offered target's model (the missing ones': their default)."""
        if target in self.served:
            return self.served[target].model.horizon
        return self.missing[target].horizon


@dataclass(frozen=True)
class StepArrays:
    """The ladder's numbers of a set of rows.

    Attributes
    ----------
    rung
        ``current_tier`` of each row (``none`` when unreported).
    next_target
        The target of each row's next step (``features.ladder.next_target``).
    re_review_year, re_review_due
        ``tier_since + 3`` (NaN: no tier or not reported) and whether it falls
        within the horizon (1.0 / 0.0, NaN unknown).
    scores
        Per offered target, its numbers: NaN where it does not ask, and where it
        asks but has no model in service (``asked`` tells those apart).
    asked
        Per offered target, the rows it asks about.
    served
        The offered targets with a model in service.
    """

    rung: np.ndarray
    next_target: np.ndarray
    re_review_year: np.ndarray
    re_review_due: np.ndarray
    scores: dict[str, ScoreArrays]
    asked: dict[str, np.ndarray]
    served: frozenset[str]

    def __len__(self) -> int:
        return int(self.rung.shape[0])

    def status(self) -> np.ndarray:
        """Each row's ``status``: candidate, certified or not_trained (see the constants)."""
        out = np.full(len(self), CERTIFIED, dtype=object)
        for target, asked in self.asked.items():
            here = asked & (self.next_target == target)
            out[here] = CANDIDATE if target in self.served else NOT_TRAINED
        return out

    def top(self) -> ScoreArrays:
        """The next step's numbers (``certified`` where the next step has no score)."""
        n = len(self)
        score = np.full(n, np.nan)
        percentile = np.full(n, np.nan)
        band = np.full(n, None, dtype=object)
        coverage = np.full(n, np.nan)
        for target, numbers in self.scores.items():
            here = self.next_target == target
            score[here] = numbers.score[here]
            percentile[here] = numbers.percentile[here]
            band[here] = numbers.band[here]
            if numbers.coverage is not None:
                coverage[here] = numbers.coverage[here]
        return ScoreArrays(score, percentile, band, certified=np.isnan(score), coverage=coverage)

    def ranking(self, target: str) -> ScoreArrays:
        """The numbers a ranking by ``target`` orders on (see ``features.ladder``).

        Raises
        ------
        KeyError
            When the target is not offered.
        """
        if target not in self.scores:
            offered = ", ".join(self.scores) or "none"
            raise KeyError(f"the service does not offer {target!r} (offered: {offered})")
        return self.scores[target]

    def take(self, rows: np.ndarray) -> StepArrays:
        """The rows at ``rows`` (positions or a boolean mask)."""
        return StepArrays(
            rung=self.rung[rows],
            next_target=self.next_target[rows],
            re_review_year=self.re_review_year[rows],
            re_review_due=self.re_review_due[rows],
            scores={t: _take(n, rows) for t, n in self.scores.items()},
            asked={t: a[rows] for t, a in self.asked.items()},
            served=self.served,
        )

    @staticmethod
    def empty(models: ModelSet) -> StepArrays:
        """The arrays of no row (a screen whose every row was refused)."""
        none = np.zeros(0, dtype=bool)
        return StepArrays(
            rung=np.zeros(0, dtype=object),
            next_target=np.zeros(0, dtype=object),
            re_review_year=np.zeros(0),
            re_review_due=np.zeros(0),
            scores={t: _unscored(none) for t in models.offered},
            asked={t: none for t in models.offered},
            served=frozenset(models.served),
        )

    @staticmethod
    def concat(parts: list[StepArrays]) -> StepArrays:
        """Several chunks' arrays as one, in chunk order (at least one part)."""
        first = parts[0]
        return StepArrays(
            rung=np.concatenate([p.rung for p in parts]),
            next_target=np.concatenate([p.next_target for p in parts]),
            re_review_year=np.concatenate([p.re_review_year for p in parts]),
            re_review_due=np.concatenate([p.re_review_due for p in parts]),
            scores={
                t: ScoreArrays(
                    score=np.concatenate([p.scores[t].score for p in parts]),
                    percentile=np.concatenate([p.scores[t].percentile for p in parts]),
                    band=np.concatenate([p.scores[t].band for p in parts]),
                    certified=np.concatenate([p.scores[t].certified for p in parts]),
                    coverage=_concat_coverage([p.scores[t] for p in parts]),
                )
                for t in first.scores
            },
            asked={t: np.concatenate([p.asked[t] for p in parts]) for t in first.asked},
            served=first.served,
        )


def _take(numbers: ScoreArrays, rows: np.ndarray) -> ScoreArrays:
    return ScoreArrays(
        score=numbers.score[rows],
        percentile=numbers.percentile[rows],
        band=numbers.band[rows],
        certified=numbers.certified[rows],
        coverage=None if numbers.coverage is None else numbers.coverage[rows],
    )


def _concat_coverage(parts: list[ScoreArrays]) -> np.ndarray | None:
    # Coverage is known for the whole only when every chunk computed it.
    coverages = [p.coverage for p in parts if p.coverage is not None]
    return np.concatenate(coverages) if len(coverages) == len(parts) else None


def _unscored(asked: np.ndarray) -> ScoreArrays:
    n = asked.shape[0]
    return ScoreArrays(
        score=np.full(n, np.nan),
        percentile=np.full(n, np.nan),
        band=np.full(n, None, dtype=object),
        certified=~asked,
    )


def step_arrays(models: ModelSet, columns: Columns) -> tuple[StepArrays, dict[str, np.ndarray]]:
    """Each offered target's numbers on the rows it asks about, and each row's next step.

    Parameters
    ----------
    models
        The service's models.
    columns
        Validated columns.

    Returns
    -------
    (StepArrays, dict)
        The numbers, and per served target the feature matrix of every row (rows
        it does not ask included, for the reasons; shared between models with
        one feature state).
    """
    n = column_length(columns)
    tiers = columns.get("current_tier")
    rung = (
        np.full(n, "none", dtype=object)
        if tiers is None
        else np.where(np.asarray(tiers, dtype=object) == None, "none", tiers)  # noqa: E711
    )
    horizon = models.primary.model.horizon
    asked_by = {t: applies(t, columns, models.horizon(t)) for t in models.offered}
    # Features are derived only for the firms some model in service asks about.
    wanted = np.zeros(n, dtype=bool)
    for target in models.served:
        wanted |= asked_by[target]
    chosen = None if wanted.all() else np.flatnonzero(wanted)
    scores: dict[str, ScoreArrays] = {}
    matrices: dict[str, np.ndarray] = {}
    by_state: dict[str, np.ndarray] = {}
    for target in models.offered:
        asked = asked_by[target]
        served = models.served.get(target)
        if served is None:
            scores[target] = _unscored(asked)
            continue
        X = None
        if asked.any():
            # One derivation per fitted feature state (the ladder's models share one).
            X = by_state.get(served.model.state_digest)
            if X is None:
                X = by_state[served.model.state_digest] = _features(served.model, columns, chosen)
            matrices[target] = X
        scores[target] = served.model.score_arrays(columns, X, asked)
    return (
        StepArrays(
            rung=rung,
            next_target=_next_targets(rung),
            re_review_year=re_review_year(columns),
            re_review_due=re_review_due(columns, horizon),
            scores=scores,
            asked=asked_by,
            served=frozenset(models.served),
        ),
        matrices,
    )


def _features(model: TargetModel, columns: Columns, rows: np.ndarray | None) -> np.ndarray:
    """The feature matrix of every row, derived on ``rows`` only (NaN elsewhere)."""
    if rows is None:
        return model.features(columns)
    sub = model.features(take_rows(columns, rows))
    X = np.full((column_length(columns), sub.shape[1]), np.nan)
    X[rows] = sub
    return X


def _next_targets(rung: np.ndarray) -> np.ndarray:
    out = np.full(rung.shape[0], None, dtype=object)
    for tier in ("none", "innovative_sme", "srdi_sme", "little_giant"):
        out[rung == tier] = next_target(tier)
    return out
