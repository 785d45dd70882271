"""The ladder of questions: one target per rung, whom it asks, what comes next.

A firm stands on a rung of the tier ladder (``current_tier``: none, innovative SME,
provincial SRDI SME, national Little Giant). Each rung has a next step, and each
next step is one model's question (a *target*):

============  =========================================  ===============================
target        whom it asks (its population)              what it predicts within H years
============  =========================================  ===============================
srdi_sme      firms below the provincial tier             certified provincial SRDI SME
              (``none``, ``innovative_sme``)              (or higher)
little_giant  provincial SRDI SMEs (``srdi_sme``)         certified national Little Giant
retention     SRDI SMEs and Little Giants whose status    the status is kept (confirmed or
              comes up for re-review within H years       raised) at the re-review
============  =========================================  ===============================

A status lasts :data:`STATUS_YEARS` years from the year it was granted or last
confirmed (``tier_since``), then it is re-reviewed. A certified firm whose re-review
year is unknown (no ``tier_since``) is asked the retention question too, and the
answer says the year was not reported.

The labels (``training.labels``), the scorer and the MLflow model wrapper all ask
this module whom a target applies to, so the three agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np

from features.columns import Columns, column_length
from features.tiers import STATUS_YEARS, re_review_due_at, re_review_year_of

__all__ = [
    "DEFAULT_TARGET",
    "STATUS_YEARS",
    "TARGETS",
    "TARGET_BY_ID",
    "TARGET_IDS",
    "Target",
    "TargetId",
    "applies",
    "next_target",
    "re_review_due",
    "re_review_year",
]


@dataclass(frozen=True, slots=True)
class Target:
    """One rung's question.

    Attributes
    ----------
    id : str
        ``srdi_sme``, ``little_giant`` or ``retention`` (``srdi train --target``).
    question : str
        What a user asks, as the page's selector and ``srdi score --target`` show it.
    predicts : str
        The event whose probability the score is.
    population : str
        Whom the target asks: also the reference population of its percentiles.
    rungs : tuple of str
        The ``current_tier`` values of that population.
    rank_ascending : bool
        A ranking by this target puts the lowest probability first (re-review risk:
        the firms least likely to keep their status).
    """

    id: str
    question: str
    predicts: str
    population: str
    rungs: tuple[str, ...]
    rank_ascending: bool = False


TARGETS: tuple[Target, ...] = (
    Target(
        "srdi_sme",
        "next provincial SRDI",
        "certified provincial SRDI SME (or higher) within H years",
        "firms below the provincial tier (no tier or innovative SME)",
        ("none", "innovative_sme"),
    ),
    Target(
        "little_giant",
        "next Little Giant",
        "certified national Little Giant within H years",
        "provincial SRDI SMEs",
        ("srdi_sme",),
    ),
    Target(
        "retention",
        "re-review risk",
        "the status is kept (confirmed, or raised to Little Giant) at its re-review",
        "SRDI SMEs and Little Giants whose re-review falls within H years",
        ("srdi_sme", "little_giant"),
        rank_ascending=True,
    ),
)
TARGET_IDS: tuple[str, ...] = tuple(t.id for t in TARGETS)
TargetId = Literal["srdi_sme", "little_giant", "retention"]
"""The question ids as a type (schemas, query parameters); equal to :data:`TARGET_IDS`."""
TARGET_BY_ID: Mapping[str, Target] = MappingProxyType({t.id: t for t in TARGETS})
DEFAULT_TARGET = "srdi_sme"
"""The first question (and the one the service answered alone before the ladder)."""

# The rung's next step: the one question whose answer is the firm's top-level score.
_NEXT: Mapping[str, str] = MappingProxyType(
    {
        "none": "srdi_sme",
        "innovative_sme": "srdi_sme",
        "srdi_sme": "little_giant",
        "little_giant": "retention",
    }
)


def next_target(tier: str | None) -> str | None:
    """The target of a rung's next step; ``None`` for an unknown rung.

    Below the provincial tier it is ``srdi_sme``; a provincial SRDI SME's is
    ``little_giant``; a Little Giant's is keeping its status (``retention``).
    """
    return _NEXT.get(tier) if tier is not None else None


def _tiers(columns: Columns) -> np.ndarray:
    values = columns.get("current_tier")
    if values is None:
        return np.full(column_length(columns), "none", dtype=object)
    tiers = np.asarray(values, dtype=object)
    # An unreported tier is read as none: the contract's default for the field.
    return np.where(tiers == None, "none", tiers)  # noqa: E711 (element-wise)


def re_review_year(columns: Columns) -> np.ndarray:
    """``tier_since`` + :data:`STATUS_YEARS` for firms holding a tier; NaN otherwise."""
    n = column_length(columns)
    since = columns.get("tier_since")
    if since is None:
        return np.full(n, np.nan)
    held = _tiers(columns) != "none"
    return np.where(held, re_review_year_of(since), np.nan)


def re_review_due(columns: Columns, horizon: int) -> np.ndarray:
    """1.0 where the re-review falls by ``fiscal_year + horizon``, 0.0 after, NaN unknown.

    A re-review year at or before the fiscal year (a status that should have been
    re-reviewed already) counts as due.
    """
    return re_review_due_at(re_review_year(columns), columns["fiscal_year"], horizon)


def applies(target: str, columns: Columns, horizon: int) -> np.ndarray:
    """True for the rows ``target`` has a question for (its population).

    Parameters
    ----------
    target
        One of :data:`TARGET_IDS`.
    columns
        Validated columns (``current_tier``, and for ``retention`` ``tier_since``
        and ``fiscal_year``).
    horizon
        H, the model's horizon in years (the retention question asks about
        re-reviews within it).

    Raises
    ------
    ValueError
        For an unknown target.
    """
    spec = TARGET_BY_ID.get(target)
    if spec is None:
        raise ValueError(f"unknown target {target!r}; expected one of {list(TARGET_IDS)}")
    tiers = _tiers(columns)
    on_rung = np.zeros(tiers.shape[0], dtype=bool)
    for tier in spec.rungs:
        on_rung |= tiers == tier
    if target != "retention":
        return on_rung
    # Unknown re-review year: asked, and the answer says the year is unknown.
    due: np.ndarray = on_rung & (re_review_due(columns, horizon) != 0.0)
    return due
