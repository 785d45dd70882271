"""The oracle's conditional rollouts agree with plain, unconditional Monte Carlo.

The oracle draws its replicas conditional on the branch that matters and combines
an exact first year with averaged second-year odds. Here the same quantity is
estimated the naive way — draw every t+1 event, advance, take the t+2 odds — with
many replicas, for a few hundred firm-years.
"""

from __future__ import annotations

import numpy as np
import pytest

from training.synth.certification import grant_probability, review_records, year_odds
from training.synth.config import DEFAULT_CALIBRATION, LITTLE_GIANT, NONE, SRDI
from training.synth.dynamics import advance
from training.synth.firms import draw_firms
from training.synth.oracle import _cutoff, oracle_year
from training.synth.panel import exit_probability, record_columns, simulate_panel
from training.synth.timeline import simulate_history

CAL = DEFAULT_CALIBRATION
YEAR = 2022
NAIVE_REPLICAS = 300


@pytest.fixture(scope="module")
def snapshot() -> tuple:
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(3).spawn(4)]
    firms = draw_firms(3000, streams[0], CAL)
    states = simulate_panel(firms, 2013, 2025, streams[1], CAL.dynamics)
    history = simulate_history(firms, states, CAL, streams[2], streams[3])
    snap = history.years[YEAR]
    # Keep a few hundred firm-years, over-weighting those with a real chance.
    srdi_points = snap.reviews[SRDI].points
    pick = np.flatnonzero((snap.level <= SRDI) & (srdi_points >= 40))[:300]
    rows = snap.rows[pick]
    reviews = {t: r.take(pick) for t, r in snap.reviews.items()}
    return (states[YEAR].take(rows), firms.take(rows), snap.level[pick], snap.expiry[pick],
            reviews, history.cutoffs)  # fmt: skip


def _naive(snapshot: tuple, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    state, firms, level, expiry, reviews, cutoffs = snapshot
    cfg = CAL.certification
    rep = np.repeat(np.arange(len(level)), NAIVE_REPLICAS)
    odds = year_odds(YEAR + 1, level, expiry, reviews, firms, cfg)
    given_alive = grant_probability(odds, _cutoff(cutoffs, YEAR + 1), cfg)
    survive = 1.0 - exit_probability(state, firms, CAL.dynamics)
    u = rng.random((4, rep.size))
    alive = u[0] < survive[rep]
    lvl, exp_ = level[rep].copy(), expiry[rep].copy()
    due = alive & odds.due[rep]
    renewed = due & (u[1] < odds.p_renew[rep])
    demoted = due & ~renewed & (odds.demote_tier[rep] > NONE) & (u[2] < odds.p_demote[rep])
    lvl[demoted] = odds.demote_tier[rep][demoted]
    lvl[due & ~renewed & ~demoted] = NONE
    exp_[renewed | demoted] = YEAR + 1 + cfg.status_years
    granted = alive & (u[3] < given_alive[rep]) & (odds.target[rep] > lvl)
    lvl[granted] = odds.target[rep][granted]
    exp_[granted] = YEAR + 1 + cfg.status_years
    got_srdi = granted & (odds.target[rep] == SRDI)
    got_lg = granted & (odds.target[rep] == LITTLE_GIANT)

    rep_firms = firms.take(rep, identity=False)
    nxt = advance(state.take(rep), rep_firms, YEAR + 1, rng, CAL.dynamics)
    columns = record_columns(nxt, rep_firms, YEAR + 1, lvl, exp_, CAL.certification.status_years)
    second = review_records(columns, lvl, rep_firms, (SRDI, LITTLE_GIANT), cfg)
    odds2 = year_odds(YEAR + 2, lvl, exp_, second, rep_firms, cfg)
    p2 = (
        alive
        * (1 - exit_probability(nxt, rep_firms, CAL.dynamics))
        * grant_probability(odds2, _cutoff(cutoffs, YEAR + 2), cfg)
    )
    srdi = np.where(got_srdi, 1.0, np.where(odds2.target == SRDI, p2, 0.0) * ~got_lg)
    lg = np.where(got_lg, 1.0, np.where(odds2.target == LITTLE_GIANT, p2, 0.0))
    shape = (len(level), NAIVE_REPLICAS)
    srdi_mean = srdi.reshape(shape).mean(axis=1)
    lg_mean = lg.reshape(shape).mean(axis=1)
    return np.where(level < SRDI, srdi_mean, np.nan), np.where(level <= SRDI, lg_mean, np.nan)


def test_oracle_matches_naive_monte_carlo(snapshot: tuple) -> None:
    state, firms, level, expiry, reviews, cutoffs = snapshot
    result = oracle_year(YEAR, state, firms, level, expiry, reviews, cutoffs, 64,
                         np.random.default_rng(1), CAL)  # fmt: skip
    naive_srdi, naive_lg = _naive(snapshot, np.random.default_rng(2))
    for oracle, naive in ((result.srdi_sme, naive_srdi), (result.little_giant, naive_lg)):
        np.testing.assert_array_equal(np.isnan(oracle), np.isnan(naive))
        known = ~np.isnan(oracle)
        o, n = oracle[known], naive[known]
        assert o.std() > 0.02  # the sample spans real differences
        assert abs(o.mean() - n.mean()) < 0.01
        assert np.corrcoef(o, n)[0, 1] > 0.95
        assert np.abs(o - n).max() < 0.15


@pytest.fixture(scope="module")
def holders() -> tuple:
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(3).spawn(4)]
    firms = draw_firms(3000, streams[0], CAL)
    states = simulate_panel(firms, 2013, 2025, streams[1], CAL.dynamics)
    history = simulate_history(firms, states, CAL, streams[2], streams[3])
    snap = history.years[YEAR]
    due = (snap.level >= SRDI) & (snap.expiry > YEAR) & (snap.expiry <= YEAR + 2)
    pick = np.flatnonzero(due)[:300]
    rows = snap.rows[pick]
    reviews = {t: r.take(pick) for t, r in snap.reviews.items()}
    return (states[YEAR].take(rows), firms.take(rows), snap.level[pick], snap.expiry[pick],
            reviews, history.cutoffs)  # fmt: skip


def _naive_retention(holders: tuple, rng: np.random.Generator) -> np.ndarray:
    """Draw every t+1 event; a status due in t+2 is then judged on the advanced state."""
    state, firms, level, expiry, reviews, cutoffs = holders
    cfg = CAL.certification
    rep = np.repeat(np.arange(len(level)), NAIVE_REPLICAS)
    odds = year_odds(YEAR + 1, level, expiry, reviews, firms, cfg)
    grant = grant_probability(odds, _cutoff(cutoffs, YEAR + 1), cfg)
    survive = 1.0 - exit_probability(state, firms, CAL.dynamics)
    u = rng.random((3, rep.size))
    alive = u[0] < survive[rep]
    raised = alive & (odds.target[rep] > level[rep]) & (u[1] < grant[rep])
    now = expiry[rep] == YEAR + 1
    kept_now = alive & ((u[2] < odds.p_renew[rep]) | raised)

    rep_firms = firms.take(rep, identity=False)
    nxt = advance(state.take(rep), rep_firms, YEAR + 1, rng, CAL.dynamics)
    lvl = level[rep].copy()
    columns = record_columns(nxt, rep_firms, YEAR + 1, lvl, expiry[rep], cfg.status_years)
    second = review_records(columns, lvl, rep_firms, (SRDI, LITTLE_GIANT), cfg)
    odds2 = year_odds(YEAR + 2, lvl, expiry[rep], second, rep_firms, cfg)
    grant2 = grant_probability(odds2, _cutoff(cutoffs, YEAR + 2), cfg)
    raised2 = np.where(odds2.target > lvl, grant2, 0.0)
    survive2 = 1 - exit_probability(nxt, rep_firms, CAL.dynamics)
    kept_later = np.where(raised, 1.0, alive * survive2 * (1 - (1 - odds2.p_renew) * (1 - raised2)))
    kept = np.where(now, kept_now, kept_later)
    return kept.reshape(len(level), NAIVE_REPLICAS).mean(axis=1)


def test_retention_oracle_matches_naive_monte_carlo(holders: tuple) -> None:
    state, firms, level, expiry, reviews, cutoffs = holders
    assert len(level) > 100 and {YEAR + 1, YEAR + 2} <= set(expiry.tolist())
    result = oracle_year(YEAR, state, firms, level, expiry, reviews, cutoffs, 64,
                         np.random.default_rng(1), CAL)  # fmt: skip
    naive = _naive_retention(holders, np.random.default_rng(2))
    oracle = result.retention
    assert not np.isnan(oracle).any()
    assert oracle.std() > 0.02
    assert abs(oracle.mean() - naive.mean()) < 0.01
    assert np.corrcoef(oracle, naive)[0, 1] > 0.9
    assert np.abs(oracle - naive).max() < 0.15
