"""The certification tiers: their order and what "at or above a tier" means.

The Chinese ladder has three rungs above ``none``: an innovative SME, a provincial
SRDI SME ("专精特新"中小企业) and a national Little Giant. A higher tier counts as
holding every lower one (a Little Giant is a provincial SRDI SME too), so every
question of the form "does this firm already hold tier T?" is a comparison of
levels. This module is the one place that order is written down; the input contract
(``current_tier``), the features, the labels, the scorer and the simulator read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CERTIFIED_TIERS",
    "STATUS_YEARS",
    "TIER_CHOICES",
    "TIER_LEVELS",
    "re_review_due_at",
    "re_review_year_of",
    "tier_level",
    "tiers_at_or_above",
]

TIER_CHOICES: Final = ("none", "innovative_sme", "srdi_sme", "little_giant")
"""Every ``current_tier`` value, lowest first; a tier's position is its level."""
CERTIFIED_TIERS: Final = TIER_CHOICES[1:]
"""The tiers a firm can be certified at (every tier but ``none``), lowest first."""
TIER_LEVELS: Final[Mapping[str, float]] = MappingProxyType(
    {tier: float(level) for level, tier in enumerate(TIER_CHOICES)}
)
"""Tier → level as a float (0.0 for ``none``), the form numeric columns take."""
STATUS_YEARS: Final = 3
"""Years a status runs before its re-review (复核, 工信部企业〔2022〕63号)."""


def tier_level(tier: str) -> int:
    """Return the level of ``tier``: 0 for ``none`` up to 3 for ``little_giant``.

    Raises
    ------
    ValueError
        When ``tier`` is not one of :data:`TIER_CHOICES`.
    """
    try:
        return TIER_CHOICES.index(tier)
    except ValueError:
        raise ValueError(f"unknown tier {tier!r}; expected one of {list(TIER_CHOICES)}") from None


def tiers_at_or_above(tier: str) -> tuple[str, ...]:
    """Return the certified tiers that count as holding ``tier``, lowest first.

    ``tiers_at_or_above("srdi_sme")`` is ``("srdi_sme", "little_giant")``.

    Raises
    ------
    ValueError
        When ``tier`` is not one of :data:`CERTIFIED_TIERS`.
    """
    if tier not in CERTIFIED_TIERS:
        raise ValueError(
            f"unknown certification tier {tier!r}; expected one of {list(CERTIFIED_TIERS)}"
        )
    return TIER_CHOICES[tier_level(tier) :]


def re_review_year_of(
    since: ArrayLike, status_years: ArrayLike = STATUS_YEARS
) -> NDArray[np.float64]:
    """Return the year a held status is re-reviewed: ``tier_since`` + its years.

    The one place the re-review year is computed: the rule engine's re-review of the
    held tier (``features.rules``), the ladder's ``next_step`` and retention question
    (``features.ladder``) call it.

    Parameters
    ----------
    since
        ``tier_since`` per row (NaN where unknown).
    status_years
        Years the status runs (per row or one number).

    Returns
    -------
    numpy.ndarray
        Float years, NaN where ``since`` is unknown.
    """
    return np.asarray(since, dtype=np.float64) + np.asarray(status_years, dtype=np.float64)


def re_review_due_at(year: ArrayLike, fiscal_year: ArrayLike, horizon: int) -> NDArray[np.float64]:
    """Return 1.0 where the re-review falls by ``fiscal_year + horizon``, 0.0 after, NaN unknown.

    A re-review year at or before the fiscal year (a status that should have been
    re-reviewed already, its ``tier_since`` not updated) counts as due.

    Parameters
    ----------
    year
        :func:`re_review_year_of` per row.
    fiscal_year
        The record's fiscal year per row.
    horizon
        Years ahead that count (the models' label horizon).
    """
    year = np.asarray(year, dtype=np.float64)
    last = np.asarray(fiscal_year, dtype=np.float64) + horizon
    out: NDArray[np.float64] = np.where(
        np.isnan(year) | np.isnan(last), np.nan, (year <= last).astype(np.float64)
    )
    return out
