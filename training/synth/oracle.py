"""The oracle: each firm-year's true probability of its next step within 2 years.

For a firm-year (i, t) not holding the target tier at the end of t, the oracle
gives P(granted that tier in t+1 or t+2 | everything the simulator knows at t);
for one holding provincial SRDI or Little Giant whose status is re-reviewed in
t+1 or t+2, P(kept at the re-review, or raised to Little Giant before it | the
same) — the ``retention`` target (see :func:`retention_year`).

* Year t+1 is reviewed on the year-t record, which is known: its odds are exact
  (application x review x the batch cut-off as realized, x survival).
* Year t+2 is reviewed on the year-t+1 record, which is not yet drawn: the state
  is replicated R times and advanced one year with fresh noise (the world's own
  :func:`~training.synth.dynamics.advance`), the tier events of t+1 are drawn, and
  the t+2 odds are again computed exactly on each replica and averaged.

Replicas are drawn conditional on the branch that matters, so no replica is
wasted: for P(SRDI) and for a provincial firm's P(Little Giant) the replicas
assume no target grant in t+1; for an uncertified firm's P(Little Giant) a second
set assumes the provincial grant in t+1 (the only route to a Little Giant in t+2).
Years after the last batch reuse the last year's policy and batch cut-off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from training.synth.certification import (
    Int8Array,
    IntArray,
    SchemeReview,
    YearOdds,
    grant_probability,
    review_records,
    year_odds,
)
from training.synth.config import LITTLE_GIANT, NONE, SRDI, Calibration
from training.synth.dynamics import advance
from training.synth.firms import BoolArray, Firms, FloatArray
from training.synth.panel import exit_probability, record_columns
from training.synth.state import FirmState

__all__ = ["OracleYear", "oracle_year", "retention_year"]

_CHUNK_REPLICA_ROWS = 400_000
"""Replica rows simulated at once: bounds memory; fixed so results do not depend on
the machine."""
_NEGLIGIBLE = 1e-6
"""Below this P(provincial grant in t+1), the Little Giant branch adds less than
the Monte Carlo noise and is not rolled out."""


@dataclass(frozen=True)
class OracleYear:
    """Oracle probabilities for the firms alive at the end of one year.

    ``NaN`` where the firm already holds the tier (no probability is due); for
    ``retention``, ``NaN`` unless the firm holds provincial SRDI or Little Giant
    and its status is re-reviewed within the horizon.
    """

    srdi_sme: FloatArray
    little_giant: FloatArray
    retention: FloatArray


def _scatter(index: npt.NDArray[np.intp], review: SchemeReview, n: int) -> SchemeReview:
    """A review of ``n`` rows: ``review`` at ``index``, nobody passing elsewhere."""
    full = SchemeReview.nobody(n)
    full.eligible[index] = review.eligible
    full.required_ok[index] = review.required_ok
    full.review_pass[index] = review.review_pass
    full.points[index] = review.points
    return full


def _cutoff(cutoffs: Mapping[int, float], year: int) -> float:
    if not cutoffs:
        return -np.inf
    return cutoffs.get(year, cutoffs[max(cutoffs)] if year > max(cutoffs) else -np.inf)


def _second_year_odds(
    state: FirmState,
    firms: Firms,
    alive: BoolArray,
    level: Int8Array,
    expiry: IntArray,
    year: int,
    cutoffs: Mapping[int, float],
    rng: np.random.Generator,
    cal: Calibration,
) -> tuple[YearOdds, FloatArray, FloatArray]:
    """Advance replicas one year: the next year's odds, survival and grant probability.

    The grant probability is given the firm is alive that year; the replica's
    chance of the grant is ``alive x survive x grant``.
    """
    cfg = cal.certification
    next_state = advance(state, firms, year - 1, rng, cal.dynamics)
    n = len(firms)
    columns = record_columns(next_state, firms, year - 1, level, expiry, cfg.status_years)
    # Only what can change the target probabilities is reviewed: provincial for all
    # (eligibility, the Little Giant ranking, the re-review's entry conditions),
    # Little Giant where the prerequisite (provincial status) holds; the innovative
    # tier cannot lead to either in t+2.
    reviews = review_records(columns, level, firms, (SRDI,), cfg)
    provincial = np.flatnonzero(alive & (level >= SRDI))
    if provincial.size:
        sub = {k: v[provincial] for k, v in columns.items()}
        part = review_records(
            sub, level[provincial], firms.take(provincial, identity=False), (LITTLE_GIANT,), cfg
        )
        reviews[LITTLE_GIANT] = _scatter(provincial, part[LITTLE_GIANT], n)
    odds = year_odds(year, level, expiry, reviews, firms, cfg)
    survive = 1.0 - exit_probability(next_state, firms, cal.dynamics)
    return odds, survive, grant_probability(odds, _cutoff(cutoffs, year), cfg)


def _kept(odds: YearOdds, level: Int8Array, grant: FloatArray) -> FloatArray:
    """P(a due status is kept | the firm acts that year): renewed, or raised (upgrade)."""
    raised = np.where(odds.target > level, grant, 0.0)
    out: FloatArray = 1.0 - (1.0 - odds.p_renew) * (1.0 - raised)
    return out


def oracle_year(
    year: int,
    state: FirmState,
    firms: Firms,
    level: Int8Array,
    expiry: IntArray,
    reviews: Mapping[int, SchemeReview],
    cutoffs: Mapping[int, float],
    replicates: int,
    rng: np.random.Generator,
    cal: Calibration,
    retention_rng: np.random.Generator | None = None,
) -> OracleYear:
    """Oracle probabilities for firms alive at the end of ``year``.

    Parameters
    ----------
    year
        The fiscal year t of the firm-years.
    state, firms
        True state at the end of ``year`` and static attributes, aligned.
    level, expiry
        Tier held at the end of ``year`` and its grant's expiry year.
    reviews
        :func:`~training.synth.certification.review_records` of the year-t records
        (all three tiers), as the realized world computed them.
    cutoffs
        Realized Little Giant batch cut-offs by year (``-inf``: quota not binding).
    replicates
        Monte Carlo replicas per firm-year for the second year.
    rng
        Random stream of the oracle.
    cal
        Calibration constants.
    retention_rng
        Random stream of the retention rollouts (``rng`` when not given); its own
        stream keeps the other targets' probabilities independent of it.

    Returns
    -------
    OracleYear
    """
    cfg = cal.certification
    n = len(firms)
    y1, y2 = year + 1, year + 2
    odds1 = year_odds(y1, level, expiry, reviews, firms, cfg)
    survive1 = 1.0 - exit_probability(state, firms, cal.dynamics)
    given_alive = grant_probability(odds1, _cutoff(cutoffs, y1), cfg)
    # The tier each row is a candidate for: provincial below it, else Little Giant.
    goal = np.where(level < SRDI, SRDI, LITTLE_GIANT).astype(np.int8)
    excluded = odds1.target == goal
    p1 = np.where(excluded, survive1 * given_alive, 0.0)

    p2_stay = np.zeros(n)  # E[P(goal in t+2) | no goal grant in t+1]
    p2_up = np.zeros(n)  # E[P(Little Giant in t+2) | provincial grant in t+1]
    rows_a = np.flatnonzero(level <= SRDI)
    rows_b = np.flatnonzero((level < SRDI) & excluded & (p1 > _NEGLIGIBLE))
    chunk = max(1, _CHUNK_REPLICA_ROWS // replicates)

    for start in range(0, rows_a.size, chunk):
        rows = rows_a[start : start + chunk]
        rep = np.repeat(rows, replicates)
        m = rep.size
        u = rng.random((5, m))
        # Year t+1 events, conditional on no grant of the goal tier.
        s1, g1, ex = survive1[rep], given_alive[rep], excluded[rep]
        p_exit = np.where(ex, (1.0 - s1) / np.maximum(1.0 - s1 * g1, 1e-12), 1.0 - s1)
        alive = u[0] >= p_exit
        lvl, exp_ = level[rep].copy(), expiry[rep].copy()
        due = alive & odds1.due[rep]
        renewed = due & (u[1] < odds1.p_renew[rep])
        demoted = due & ~renewed & (odds1.demote_tier[rep] > NONE) & (u[2] < odds1.p_demote[rep])
        lapsed = due & ~renewed & ~demoted
        lvl[demoted] = odds1.demote_tier[rep][demoted]
        lvl[lapsed] = NONE
        exp_[renewed | demoted] = y1 + cfg.status_years
        exp_[lapsed] = 0
        granted = alive & ~ex & (odds1.target[rep] > lvl) & (u[3] < g1)
        lvl[granted] = odds1.target[rep][granted]
        exp_[granted] = y1 + cfg.status_years
        odds2, survive2, grant2 = _second_year_odds(
            state.take(rep),
            firms.take(rep, identity=False),
            alive,
            lvl,
            exp_,
            y2,
            cutoffs,
            rng,
            cal,
        )
        p2 = alive * survive2 * grant2
        goal_rep = goal[rep]
        hit = np.where(odds2.target == goal_rep, p2, 0.0)
        p2_stay[rows] = hit.reshape(-1, replicates).mean(axis=1)

    for start in range(0, rows_b.size, chunk):
        rows = rows_b[start : start + chunk]
        rep = np.repeat(rows, replicates)
        lvl = np.full(rep.size, SRDI, dtype=np.int8)
        exp_ = np.full(rep.size, y1 + cfg.status_years, dtype=np.int64)
        alive = np.ones(rep.size, dtype=bool)
        odds2, survive2, grant2 = _second_year_odds(
            state.take(rep),
            firms.take(rep, identity=False),
            alive,
            lvl,
            exp_,
            y2,
            cutoffs,
            rng,
            cal,
        )
        p2 = survive2 * grant2
        hit = np.where(odds2.target == LITTLE_GIANT, p2, 0.0)
        p2_up[rows] = hit.reshape(-1, replicates).mean(axis=1)

    p_goal = p1 + (1.0 - p1) * p2_stay
    srdi = np.where(level < SRDI, p_goal, np.nan)
    little_giant = np.where(level < SRDI, p1 * p2_up, np.where(level == SRDI, p_goal, np.nan))
    retention = retention_year(
        year,
        state,
        firms,
        level,
        expiry,
        odds1,
        survive1,
        given_alive,
        cutoffs,
        replicates,
        rng if retention_rng is None else retention_rng,
        cal,
    )
    return OracleYear(srdi_sme=srdi, little_giant=little_giant, retention=retention)


def retention_year(
    year: int,
    state: FirmState,
    firms: Firms,
    level: Int8Array,
    expiry: IntArray,
    odds1: YearOdds,
    survive1: FloatArray,
    grant1: FloatArray,
    cutoffs: Mapping[int, float],
    replicates: int,
    rng: np.random.Generator,
    cal: Calibration,
) -> FloatArray:
    """P(a provincial SRDI or Little Giant status re-reviewed in t+1 or t+2 is kept).

    Kept means confirmed at the re-review, or raised to Little Giant before it or
    in its year (a grant at the held tier or higher by the expiry year, as the
    labels count it); exit before the re-review loses it.

    * Re-reviewed in t+1, on the known year-t record: survive x (1 - (1 - renew) x
      (1 - raise)), exact (renewal and upgrade are drawn independently).
    * Re-reviewed in t+2: raised in t+1 (exact), else the state is replicated and
      advanced one year as in :func:`oracle_year` and the t+2 odds averaged.

    Parameters
    ----------
    year
        The fiscal year t.
    state, firms, level, expiry
        As for :func:`oracle_year`.
    odds1, survive1, grant1
        Year t+1's odds, survival and grant probability given alive.
    cutoffs, replicates, rng, cal
        As for :func:`oracle_year`.

    Returns
    -------
    numpy.ndarray
        NaN for rows the question does not apply to.
    """
    y1, y2 = year + 1, year + 2
    held = level >= SRDI
    out = np.full(len(firms), np.nan)
    now = held & (expiry == y1)
    out[now] = (survive1 * _kept(odds1, level, grant1))[now]
    later = np.flatnonzero(held & (expiry == y2))
    if later.size == 0:
        return out
    raised1 = np.where(odds1.target > level, grant1, 0.0)[later]
    kept2 = np.zeros(later.size)
    chunk = max(1, _CHUNK_REPLICA_ROWS // replicates)
    for start in range(0, later.size, chunk):
        part = slice(start, start + chunk)
        rows = later[part]
        rep = np.repeat(rows, replicates)
        # Replicas alive in t+1 and not raised in t+1 (that branch is exact above):
        # still at their tier, re-reviewed in t+2.
        odds2, survive2, grant2 = _second_year_odds(
            state.take(rep),
            firms.take(rep, identity=False),
            np.ones(rep.size, dtype=bool),
            level[rep].copy(),
            expiry[rep].copy(),
            y2,
            cutoffs,
            rng,
            cal,
        )
        kept = survive2 * _kept(odds2, level[rep], grant2)
        kept2[part] = kept.reshape(-1, replicates).mean(axis=1)
    out[later] = survive1[later] * (raised1 + (1.0 - raised1) * kept2)
    return out
