"""The realized history: which firms are observed each year, and their tiers.

Financial paths (:func:`~training.synth.panel.simulate_panel`) do not depend on
certification, so they are simulated first; this module then walks the panel
years once: exits, then the year's certification events drawn from the odds of
:mod:`training.synth.certification`, then the review of the year's records for
the next year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from training.synth.certification import (
    Int8Array,
    IntArray,
    SchemeReview,
    little_giant_quotas,
    review_records,
    sample_year,
    year_odds,
)
from training.synth.config import FIRST_YEAR, INNOVATIVE, LAST_YEAR, LITTLE_GIANT, SRDI, Calibration
from training.synth.firms import Firms
from training.synth.panel import exit_probability, record_columns
from training.synth.state import FirmState

__all__ = ["History", "YearSnapshot", "simulate_history"]

_REVIEWED = (INNOVATIVE, SRDI, LITTLE_GIANT)


@dataclass(frozen=True)
class YearSnapshot:
    """The firms observed at the end of one year, with their tiers and reviews.

    ``rows`` are firm indices (ascending); every other array is aligned with them.
    ``reviews`` read the true, complete year records as applications for the next
    year.
    """

    rows: npt.NDArray[np.intp]
    level: Int8Array
    expiry: IntArray
    reviews: dict[int, SchemeReview]


@dataclass(frozen=True)
class History:
    """The realized world: yearly snapshots, every grant, and the batches."""

    years: dict[int, YearSnapshot]
    grant_firm: IntArray
    grant_tier: Int8Array
    grant_year: IntArray
    grant_kind: Int8Array
    """:data:`~training.synth.certification.NEW`, ``RENEWAL`` or ``DEMOTION``."""
    exit_year: IntArray
    """Year a firm is first unobserved after having been observed; 0 if never."""
    quotas: dict[int, int]
    cutoffs: dict[int, float]
    """Realized Little Giant review-score cut-off by batch (``-inf``: not binding)."""
    rereviews: dict[str, dict[str, int]] = field(default_factory=dict)
    """Re-reviews due and passed, by tier name, over all years."""


def _observed(
    states: dict[int, FirmState], firms: Firms, cal: Calibration, rng: np.random.Generator
) -> tuple[dict[int, npt.NDArray[np.intp]], IntArray]:
    """Rows observed each year: founded, not exited (exits start in FIRST_YEAR + 1)."""
    n = len(firms)
    exit_year = np.zeros(n, dtype=np.int64)
    alive = np.zeros(n, dtype=bool)
    rows: dict[int, npt.NDArray[np.intp]] = {}
    for year in range(FIRST_YEAR - 1, LAST_YEAR + 1):
        k = len(states[year])
        if year > FIRST_YEAR:
            prev = np.flatnonzero(alive)
            p_exit = exit_probability(states[year - 1].take(prev), firms.take(prev), cal.dynamics)
            gone = prev[rng.random(prev.size) < p_exit]
            alive[gone] = False
            exit_year[gone] = year
        alive[:k] |= (firms.founded_year[:k] == year) | (year <= FIRST_YEAR)
        rows[year] = np.flatnonzero(alive)
    return rows, exit_year


def simulate_history(
    firms: Firms,
    states: dict[int, FirmState],
    cal: Calibration,
    exit_rng: np.random.Generator,
    cert_rng: np.random.Generator,
    progress: Callable[[float], None] | None = None,
) -> History:
    """Walk the panel years: exits, certification events, reviews.

    Parameters
    ----------
    firms
        The population.
    states
        End-of-year states from ``FIRST_YEAR - 1`` to ``LAST_YEAR``.
    cal
        Calibration constants.
    exit_rng, cert_rng
        Random streams of exits and of the certification process.
    progress
        Called with the fraction of years done.

    Returns
    -------
    History
    """
    cfg = cal.certification
    observed, exit_year = _observed(states, firms, cal, exit_rng)
    n = len(firms)
    level = np.zeros(n, dtype=np.int8)
    expiry = np.zeros(n, dtype=np.int64)
    quotas = little_giant_quotas(int(observed[LAST_YEAR].size), cfg)

    def snapshot(year: int) -> YearSnapshot:
        rows = observed[year]
        sub_firms = firms.take(rows)
        records = record_columns(
            states[year].take(rows), sub_firms, year, level[rows], expiry[rows], cfg.status_years
        )
        reviews = review_records(records, level[rows], sub_firms, _REVIEWED, cfg)
        return YearSnapshot(rows, level[rows].copy(), expiry[rows].copy(), reviews)

    years = {FIRST_YEAR - 1: snapshot(FIRST_YEAR - 1)}
    grants: list[tuple[IntArray, Int8Array, Int8Array, int]] = []
    cutoffs: dict[int, float] = {}
    due = {name: 0 for name in ("innovative_sme", "srdi_sme", "little_giant")}
    passed = dict(due)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        last = years[year - 1]
        # Firms act in a year when they had a record last year and are still there.
        acting = np.isin(last.rows, observed[year], assume_unique=True)
        pos = np.flatnonzero(acting)
        rows = last.rows[pos]
        reviews = {t: r.take(pos) for t, r in last.reviews.items()}
        odds = year_odds(year, level[rows], expiry[rows], reviews, firms.take(rows), cfg)
        new_level, new_expiry, granted, cutoff = sample_year(
            odds, level[rows], expiry[rows], year, quotas.get(year), cert_rng, cfg
        )
        for tier, name in (
            (INNOVATIVE, "innovative_sme"),
            (SRDI, "srdi_sme"),
            (LITTLE_GIANT, "little_giant"),
        ):
            was = odds.due & (level[rows] == tier)
            due[name] += int(was.sum())
            passed[name] += int(
                (was & (new_level == tier) & (new_expiry == year + cfg.status_years)).sum()
            )
        if year in quotas:
            cutoffs[year] = cutoff
        level[rows] = new_level
        expiry[rows] = new_expiry
        grants.append((rows[granted.row].astype(np.int64), granted.tier, granted.kind, year))
        years[year] = snapshot(year)
        if progress is not None:
            progress((year - FIRST_YEAR + 1) / (LAST_YEAR - FIRST_YEAR + 1))

    return History(
        years=years,
        grant_firm=np.concatenate([g[0] for g in grants]),
        grant_tier=np.concatenate([g[1] for g in grants]).astype(np.int8),
        grant_year=np.concatenate([np.full(g[0].size, g[3], dtype=np.int64) for g in grants]),
        grant_kind=np.concatenate([g[2] for g in grants]).astype(np.int8),
        exit_year=exit_year,
        quotas=quotas,
        cutoffs=cutoffs,
        rereviews={name: {"due": due[name], "passed": passed[name]} for name in due},
    )
