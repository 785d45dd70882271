"""Properties of the simulator's building blocks (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from training.synth import roc_auc
from training.synth.certification import (
    SchemeReview,
    little_giant_quotas,
    quota_factor,
    year_odds,
)
from training.synth.config import DEFAULT_CALIBRATION, INNOVATIVE, LITTLE_GIANT, SRDI
from training.synth.dynamics import advance
from training.synth.firms import draw_firms
from training.synth.panel import record_columns, simulate_panel

CAL = DEFAULT_CALIBRATION
SHARES = ("top5_customer_share", "repeat_customer_share", "export_share",
          "national_market_share", "world_market_share", "staff_turnover")  # fmt: skip
COUNTS = ("employees", "rd_staff", "invention_patents", "class1_ip", "class2_ip",
          "standards_drafted", "world_market_rank", "digital_level")  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    capability=st.floats(-4, 4),
    focus=st.floats(-4, 4),
    management=st.floats(-4, 4),
    year=st.integers(2014, 2027),
)
def test_one_year_of_dynamics_stays_within_the_contract(
    seed: int, capability: float, focus: float, management: float, year: int
) -> None:
    rng = np.random.default_rng(seed)
    firms = draw_firms(40, rng, CAL)
    firms = replace(
        firms,
        capability=np.full(40, capability),
        focus=np.full(40, focus),
        management=np.full(40, management),
    )
    state = simulate_panel(firms, year - 1, year - 1, rng, CAL.dynamics)[year - 1]
    firms = firms.rows(0, len(state))
    after = advance(state, firms, year, rng, CAL.dynamics)
    none = np.zeros(len(firms), dtype=np.int8)
    rec = record_columns(after, firms, year, none, np.zeros(len(firms), dtype=np.int64), 3)
    for name in SHARES:
        assert ((rec[name] >= 0) & (rec[name] <= 1)).all(), name
    for name in COUNTS:
        values = rec[name]
        assert (values >= 0).all() and (values == np.round(values)).all(), name
    assert (rec["main_business_revenue"] <= rec["revenue"]).all()
    assert (rec["rd_staff"] <= rec["employees"]).all()
    assert (rec["rd_expense"] <= rec["revenue"]).all()
    assert (rec["gross_profit"] <= rec["revenue"]).all()
    assert (rec["total_liabilities"] <= rec["total_assets"]).all()
    assert (after.invention_patents >= 0).all() and (after.class1_ip >= 0).all()
    assert np.isfinite(after.log_revenue).all()
    np.testing.assert_allclose(rec["revenue_prev"], state.revenue)


@settings(max_examples=50, deadline=None)
@given(
    labels=st.lists(st.booleans(), min_size=2, max_size=60),
    data=st.data(),
)
def test_roc_auc_matches_scikit_learn(labels: list[bool], data: st.DataObject) -> None:
    scores = data.draw(st.lists(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]),
                                min_size=len(labels), max_size=len(labels)))  # fmt: skip
    y = np.array(labels)
    if y.all() or not y.any():
        assert np.isnan(roc_auc(y, np.array(scores)))
    else:
        assert np.isclose(roc_auc(y, np.array(scores)), roc_auc_score(y, scores))


@given(
    points=st.lists(st.floats(0, 100), min_size=1, max_size=30),
    cutoff=st.floats(0, 100),
)
def test_quota_factor_is_a_probability_increasing_in_points(
    points: list[float], cutoff: float
) -> None:
    p = np.sort(np.array(points))
    factor = quota_factor(p, cutoff, CAL.certification)
    assert ((factor >= 0) & (factor <= 1)).all()
    assert (np.diff(factor) >= 0).all()
    assert (quota_factor(p, -np.inf, CAL.certification) == 1).all()


@given(n_alive=st.integers(100, 2_000_000))
def test_batches_scale_with_the_population(n_alive: int) -> None:
    quotas = little_giant_quotas(n_alive, CAL.certification)
    real = CAL.certification.little_giant_batches
    assert list(quotas) == list(real)
    scale = n_alive * 0.035 / 17_600
    for year, size in real.items():
        assert quotas[year] == max(1, round(size * scale))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), year=st.integers(2014, 2027))
def test_year_odds_are_probabilities_of_steps_up_the_ladder(seed: int, year: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    firms = draw_firms(n, rng, CAL)
    level = rng.integers(0, 4, n).astype(np.int8)
    expiry = np.where(level > 0, rng.integers(year, year + 3, n), 0)
    reviews = {
        t: SchemeReview(
            eligible=rng.random(n) < 0.4,
            required_ok=np.ones(n, dtype=bool),
            review_pass=rng.random(n),
            points=rng.uniform(20, 100, n),
        )
        for t in (INNOVATIVE, SRDI, LITTLE_GIANT)
    }
    odds = year_odds(year, level, expiry, reviews, firms, CAL.certification)
    for p in (odds.p_apply, odds.p_review, odds.p_renew, odds.p_demote):
        assert ((p >= 0) & (p <= 1)).all()
    applying = odds.target > 0
    assert (odds.target[applying] > level[applying]).all()
    assert (odds.p_apply[~applying] == 0).all()
    if year < 2022:
        assert not (odds.target == INNOVATIVE).any()
    if year < 2019:
        assert not (odds.target == LITTLE_GIANT).any()
    assert (odds.due == ((level > 0) & (expiry == year))).all()
