"""Hand-worked example firms for each scheme: verdicts and points worked on paper.

FIRM_A (see _rules_firms.py): revenue 2亿, main business 1.7亿 (85%), growth
1.7/1.5 - 1 = 13.3% and 1.5/1.3 - 1 = 15.4% (mean 14.4%), R&D 1200万 (6%; year
before 1000万 / 1.8亿 = 5.6%), debt 1.35/3 = 45%, net margin 11%, R&D staff
40/250 = 16%, provincial R&D institution, 8 invention patents in a strategic-
emerging product, digital level 3, certification + own brand + a drafted standard.
"""

from __future__ import annotations

import numpy as np
import pytest

from features.rules import (
    CriterionVerdict,
    CurrencyRates,
    Verdict,
    evaluate_schemes,
    schemes_json,
)
from tests.support.rules_firms import FIRM_A, FIRM_B, columns, record


def evaluate(*records: dict, **kwargs: object):  # type: ignore[no-untyped-def]
    """Evaluate the records; every example also holds the JSON to the arrays' view."""
    cols = columns(*records)
    ev = evaluate_schemes(cols, **kwargs)  # type: ignore[arg-type]
    firms = schemes_json(cols, **kwargs)  # type: ignore[arg-type]
    assert firms == [ev.firm(i) for i in range(ev.n_rows)] == ev.json()
    for firm, i in zip(firms, range(ev.n_rows), strict=True):
        for scheme in firm:
            assert scheme["verdict"] == Verdict(ev[scheme["scheme_id"]].verdict[i]).label
    return ev


def test_innovative_sme_firm_a_scores_95_and_is_eligible() -> None:
    r = evaluate(FIRM_A)["cn_innovative_sme"]
    # IP 20 (high-value) + R&D 6% 20 | growth 13.3% 15 + debt 45% 10 | emerging 10 + share 85% 20
    assert r.points[0] == 95 and r.points_upper[0] == 95
    assert {g: v[0] for g, v in r.group_points.items()} == {
        "innovation": 40,
        "growth": 25,
        "specialization": 30,
    }
    assert r.verdict[0] == Verdict.ELIGIBLE


def test_innovative_sme_firm_b_scores_25_and_fails_without_a_route() -> None:
    r = evaluate(FIRM_B)["cn_innovative_sme"]
    # Class-II 5 + R&D 1.5% 5 | growth 0% 5 + debt 80% 0 | not emerging 5 + share 52% 5
    assert r.points[0] == 25 and r.points_upper[0] == 25
    assert r.verdict[0] == Verdict.NOT_ELIGIBLE


@pytest.mark.parametrize(
    ("overrides", "verdict"),
    [
        ({"rd_institution": "provincial"}, Verdict.ELIGIBLE),
        ({"rd_institution": "national"}, Verdict.ELIGIBLE),
        ({"rd_institution": "municipal"}, Verdict.NOT_ELIGIBLE),
        ({"equity_raised_2y": 5e6}, Verdict.ELIGIBLE),  # exactly 500万
        ({"equity_raised_2y": 4.99e6}, Verdict.NOT_ELIGIBLE),
        ({"equity_raised_2y": None}, Verdict.UNDETERMINED),  # the route might hold
    ],
)
def test_innovative_sme_direct_routes(overrides: dict, verdict: Verdict) -> None:
    r = evaluate({**FIRM_B, **overrides})["cn_innovative_sme"]
    assert r.verdict[0] == verdict


def test_innovative_sme_group_minimum_blocks_a_high_total() -> None:
    # Class-II only 5 + R&D 1.5% 5 = innovation 10 < 20, though the total is 65 ≥ 60.
    firm = {
        **FIRM_A,
        "invention_patents": 0,
        "class1_ip": 0,
        "class2_ip": 1,
        "rd_expense": 3e6,
        "rd_institution": "municipal",
    }  # fmt: skip (provincial would be a direct route)
    r = evaluate(firm)["cn_innovative_sme"]
    assert r.group_points["innovation"][0] == 10
    assert r.points[0] == 65
    assert r.verdict[0] == Verdict.NOT_ELIGIBLE


def test_srdi_firm_a_scores_78_known_95_at_most() -> None:
    r = evaluate(FIRM_A)["cn_srdi_sme"]
    expected = {
        "main_business_share": 5,  # 85%
        "main_business_growth": 10,  # mean 14.4%
        "years_in_niche": 4,  # 9 years
        "chain_role": 3,  # flag: 3 known, 5 at most
        "digital_level": 5,
        "quality_management": 5,  # three items
        "net_margin": 10,  # 11%
        "debt_ratio": 5,  # 45%
        "distinctive": 0,  # neutral default: 0 known, 15 at most
        "ip": 10,
        "rd_input": 10,  # 1200万
        "rd_staff_share": 3,  # 16%
        "rd_institution": 8,  # provincial
    }
    got = {k: c.points[0] for k, c in r.criteria.items() if c.points is not None}
    assert got == expected
    assert r.points[0] == 78 and r.points_upper[0] == 78 + 2 + 15
    assert r.verdict[0] == Verdict.ELIGIBLE
    assert all(
        r.criteria[c].verdict[0] == CriterionVerdict.PASS for c in r.criteria if "entry" in c
    )


def test_srdi_direct_route_rescues_a_low_score_but_not_a_failed_entry_condition() -> None:
    weak = {
        **FIRM_A,
        "net_profit": 1e6,
        "total_liabilities": 2.7e8,
        "digital_level": 1,
        "quality_certification": 0,
        "own_brand": 0,
        "standards_drafted": 0,
        "rd_institution": "none",
        "key_chain_supplier": 0,
    }
    r = evaluate(weak)["cn_srdi_sme"]
    assert r.points_upper[0] < 60  # 5+10+4+0 | 0+0+0+0 | 15 | 10+10+3+0 = 57
    # ... but the 2-year average R&D (1200 + 1000)/2 = 1100万 ≥ 1000万 is a direct route.
    assert r.criteria["route_rd_average"].verdict[0] == CriterionVerdict.PASS
    assert r.verdict[0] == Verdict.ELIGIBLE
    no_route = evaluate({**weak, "rd_expense_prev": 7e6})["cn_srdi_sme"]  # average 950万
    assert no_route.verdict[0] == Verdict.NOT_ELIGIBLE
    young = evaluate({**weak, "years_in_niche": 1.5})["cn_srdi_sme"]  # entry condition 1
    assert young.verdict[0] == Verdict.NOT_ELIGIBLE


def test_srdi_financing_alternatives() -> None:
    small = {**FIRM_A, "revenue": 9e6, "main_business_revenue": 8e6, "rd_expense": 3e6}
    r = evaluate(small, {**small, "equity_raised_2y": 2e7}, {**small, "equity_raised_2y": 6e7})
    entry = r["cn_srdi_sme"].criteria["entry_revenue_or_financing"].verdict
    np.testing.assert_array_equal(entry, [0, 1, 1])  # revenue 900万 < 1000万; 2000万 equity
    assert r["cn_srdi_sme"].criteria["route_financing"].verdict[2] == CriterionVerdict.PASS


def test_srdi_missing_rd_is_undetermined_not_a_fail() -> None:
    r = evaluate({**FIRM_A, "rd_expense": None})["cn_srdi_sme"]
    assert r.criteria["entry_rd_expense"].verdict[0] == CriterionVerdict.UNKNOWN
    assert r.verdict[0] == Verdict.UNDETERMINED


def test_little_giant_firm_a_with_provincial_status_is_eligible() -> None:
    r = evaluate({**FIRM_A, "current_tier": "srdi_sme"})["cn_little_giant"]
    failing = [k for k, c in r.criteria.items() if c.verdict[0] != CriterionVerdict.PASS]
    # Every criterion with an input passes; the unreported routes and conditions are
    # unknown, and their stated assumptions carry the verdict.
    assert failing == [
        "no_serious_violation",
        "general_conditions",
        "certification_developed_markets",
        "route_st_award",
        "route_contest",
    ]
    assert r.verdict[0] == Verdict.ELIGIBLE
    assert r.points is None and r.points_upper is None


@pytest.mark.parametrize(
    ("tier", "verdict"),
    [
        ("srdi_sme", Verdict.ELIGIBLE),
        ("little_giant", Verdict.CERTIFIED),
        ("innovative_sme", Verdict.NOT_ELIGIBLE),
        ("none", Verdict.NOT_ELIGIBLE),
        (None, Verdict.UNDETERMINED),
    ],
)
def test_little_giant_prerequisite(tier: str | None, verdict: Verdict) -> None:
    assert evaluate({**FIRM_A, "current_tier": tier})["cn_little_giant"].verdict[0] == verdict


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("none", (Verdict.ELIGIBLE, Verdict.ELIGIBLE)),
        ("innovative_sme", (Verdict.CERTIFIED, Verdict.ELIGIBLE)),
        ("srdi_sme", (Verdict.CERTIFIED, Verdict.CERTIFIED)),
        ("little_giant", (Verdict.CERTIFIED, Verdict.CERTIFIED)),
    ],
)
def test_firms_at_or_above_a_tier_are_certified(tier: str, expected: tuple) -> None:
    ev = evaluate({**FIRM_A, "current_tier": tier})
    assert (ev["cn_innovative_sme"].verdict[0], ev["cn_srdi_sme"].verdict[0]) == expected


def test_little_giant_rd_intensity_by_revenue_band() -> None:
    base = {**FIRM_A, "current_tier": "srdi_sme"}
    mid = {**base, "revenue": 8e7, "revenue_prev": 7e7, "main_business_revenue": 7e7,
           "rd_expense_prev": 4.2e6}  # fmt: skip
    r = evaluate(
        {**mid, "rd_expense": 4.8e6},  # 6% and 6%: passes the 5000万-1亿 floor exactly
        {**mid, "rd_expense": 4.4e6},  # 5.5% < 6%
        {**base, "revenue": 1e8, "rd_expense": 3e6},  # 1亿: 3% floor, exactly met
        {
            **base,
            "revenue": 4e7,
            "main_business_revenue": 3.5e7,
            "rd_expense": 1.5e7,
            "rd_expense_prev": 1.5e7,
            "equity_raised_2y": 8e7,
            "employees": 100,
            "rd_staff": 50,
        },  # < 5000万: 8000万 financing, 3000万 R&D, 50% staff
        {
            **base,
            "revenue": 4e7,
            "main_business_revenue": 3.5e7,
            "rd_expense": 1.5e7,
            "rd_expense_prev": 1.5e7,
            "equity_raised_2y": 7.9e7,
            "employees": 100,
            "rd_staff": 50,
        },
    )
    got = r["cn_little_giant"].criteria["rd_intensity"].verdict
    np.testing.assert_array_equal(got, [1, 0, 1, 1, 0])


def test_hidden_champion() -> None:
    eur = CurrencyRates().eur
    r = evaluate(
        {**FIRM_A, "world_market_rank": 3},
        {**FIRM_A, "world_market_rank": 4},
        {**FIRM_A, "world_market_rank": 1, "revenue": 5e9 * eur},  # exactly €5bn: not below
        {**FIRM_A, "world_market_rank": None},
    )["de_hidden_champion"]
    np.testing.assert_array_equal(r.verdict, [1, 0, 0, 2])


def test_hidden_champion_revenue_cap_moves_with_the_rate() -> None:
    firm = {**FIRM_A, "world_market_rank": 1, "revenue": 4e10}  # CNY 400亿
    assert evaluate(firm)["de_hidden_champion"].verdict[0] == Verdict.NOT_ELIGIBLE  # €5.1bn
    cheap_eur = evaluate(firm, rates=CurrencyRates(eur=9.0))  # €4.4bn
    assert cheap_eur["de_hidden_champion"].verdict[0] == Verdict.ELIGIBLE


def test_global_niche_top_share_floor_depends_on_size() -> None:
    jpy = CurrencyRates().jpy
    big = {"employees": 5000, "revenue": 200e9 * jpy, "main_business_revenue": 6e9 * jpy}
    r = evaluate(
        {**FIRM_A, "world_market_share": 0.10},  # SME (250 staff): 10% floor, met
        {**FIRM_A, "world_market_share": 0.099},
        {**FIRM_A, **big, "world_market_share": 0.15},  # large: 20% floor
        {**FIRM_A, **big, "world_market_share": 0.20},  # market ¥6bn/0.2 = ¥30bn: in 10–100
        {**FIRM_A, **big, "main_business_revenue": 30e9 * jpy, "world_market_share": 0.2},
        {**FIRM_A, **big, "employees": None, "world_market_share": 0.15},  # size unknown
        {**FIRM_A, "employees": 1000, "world_market_share": 0.12},  # mid-sized (≤ ¥100bn)
    )["jp_global_niche_top"]
    # row 5: market ¥150bn is above the ¥10–100bn range of large-firm products
    np.testing.assert_array_equal(r.verdict, [1, 0, 0, 1, 0, 2, 1])


def test_world_class_300() -> None:
    krw = CurrencyRates().krw
    good = {**FIRM_A, "revenue": 100e9 * krw, "revenue_prev": 95e9 * krw, "export_share": 0.2,
            "rd_expense": 2e9 * krw, "rd_expense_prev": 1.9e9 * krw}  # fmt: skip
    r = evaluate(
        good,  # ₩100bn, exports 20%, R&D exactly 2% over two years
        {**good, "export_share": 0.19},
        {**good, "revenue": 39e9 * krw},
        {**good, "revenue": 1001e9 * krw},
        # R&D 1% but average growth ≥ 15%: (₩100bn/₩80bn - 1 + ₩80bn/₩69.6bn - 1) / 2
        {
            **good,
            "rd_expense": 1e9 * krw,
            "rd_expense_prev": 0.8e9 * krw,
            "revenue_prev": 80e9 * krw,
            "revenue_prev2": 69.6e9 * krw,
        },
        {
            **good,
            "rd_expense": 1e9 * krw,
            "rd_expense_prev": 0.8e9 * krw,
            "revenue_prev": 95e9 * krw,
            "revenue_prev2": 90e9 * krw,
        },
    )["kr_world_class_300"]
    np.testing.assert_array_equal(r.verdict, [1, 0, 0, 0, 1, 0])


def test_global_strong_small_verdict_and_export_tier() -> None:
    krw, usd = CurrencyRates().krw, CurrencyRates().usd
    base = {**FIRM_A, "revenue": 50e9 * krw}

    def exporting(usd_m: float | None) -> dict:
        share = None if usd_m is None else usd_m * 1e6 * usd / base["revenue"]
        return {**base, "export_share": share}

    r = evaluate(
        exporting(0.1), exporting(0.09), exporting(1), exporting(5), exporting(12),
        exporting(None), {**exporting(2), "revenue": 9e9 * krw},  # ₩9bn, so US$0.36M
    )["kr_global_strong_small"]  # fmt: skip
    np.testing.assert_array_equal(r.verdict, [1, 0, 1, 1, 1, 2, 0])
    assert list(r.grade) == [
        "US$0.1-1M", "below US$0.1M", "US$1-5M", "US$5M+", "US$10M+", "unknown", "US$0.1-1M"
    ]  # fmt: skip


def test_mid_sized() -> None:
    krw = CurrencyRates().krw
    base = {**FIRM_A, "industry": "C34", "total_assets": 300e9 * krw}
    rev = {"revenue": 120e9 * krw, "revenue_prev": 110e9 * krw, "revenue_prev2": 100e9 * krw}
    r = evaluate(
        {**base, **rev},  # 3-year mean ₩110bn > ₩100bn machinery bound: not an SME
        {**base, **rev, "industry": "C38"},  # electrical machinery bound ₩150bn: still SME
        {**base, "total_assets": 600e9 * krw},  # small revenue but assets ≥ ₩500bn
        {**base, **rev, "industry": "J66"},  # finance is excluded
        {**base, **rev, "total_assets": 11_000e9 * krw},  # ₩11tn: a large group
        {**base, "total_assets": None},  # small revenue, assets unknown
    )["kr_mid_sized"]
    np.testing.assert_array_equal(r.verdict, [1, 0, 1, 0, 0, 2])


def test_firm_a_foreign_schemes_worked_by_hand() -> None:
    ev = evaluate(FIRM_A)
    assert ev["de_hidden_champion"].verdict[0] == Verdict.NOT_ELIGIBLE  # rank 6
    assert ev["jp_global_niche_top"].verdict[0] == Verdict.NOT_ELIGIBLE  # 4% < 10%
    assert ev["kr_world_class_300"].verdict[0] == Verdict.NOT_ELIGIBLE  # ₩38.5bn < ₩40bn
    gss = ev["kr_global_strong_small"]
    assert gss.verdict[0] == Verdict.ELIGIBLE and gss.grade[0] == "US$5M+"  # US$6.9M
    assert ev["kr_mid_sized"].verdict[0] == Verdict.NOT_ELIGIBLE  # an SME by Korean rules


def test_record_helper_defaults_are_unknown() -> None:
    ev = evaluate(record())
    assert ev["cn_srdi_sme"].verdict[0] == Verdict.UNDETERMINED
