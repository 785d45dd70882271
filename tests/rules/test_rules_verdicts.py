"""Verdicts a fund manager acts on: SME status, direct routes, stated assumptions, re-review.

The SME limits are written here again from 《中小企业划型标准规定》(工信部联企业
〔2011〕300号) and its statistical version (2017), not read from the table module: a
firm is large when it reaches every limit of its sector.
"""

from __future__ import annotations

from typing import Any

import pytest

from features.rules import REVIEW_HORIZON, Verdict, evaluate_schemes, schemes_json
from tests.support.rules_firms import FIRM_A, FIRM_B, columns

CN = ("cn_innovative_sme", "cn_srdi_sme", "cn_little_giant")


def screen(*records: dict[str, Any]) -> list[dict[str, dict[str, Any]]]:
    """Each firm's schemes by id; the JSON agrees with the arrays' view."""
    cols = columns(*records)
    firms = schemes_json(cols, schemes=CN)
    ev = evaluate_schemes(cols, schemes=CN)
    out = []
    for i, firm in enumerate(firms):
        by_id = {s["scheme_id"]: s for s in firm}
        for sid, scheme in by_id.items():
            assert scheme["verdict"] == Verdict(ev[sid].verdict[i]).label
        out.append(by_id)
    return out


def criterion(scheme: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in scheme["criteria"] if c["id"] == cid)


# --- SME status (cn-sme-2011) ----------------------------------------------------------

# (industry code, sector, limits: staff, revenue 万元, assets 万元; None: no limit)
SECTORS: list[tuple[str, str, tuple[float | None, float | None, float | None]]] = [
    ("A01", "agriculture", (None, 20_000, None)),
    ("B06", "industry", (1000, 40_000, None)),
    ("C39", "industry", (1000, 40_000, None)),
    ("D44", "industry", (1000, 40_000, None)),
    ("E47", "construction", (None, 80_000, 80_000)),
    ("F51", "wholesale", (200, 40_000, None)),
    ("F52", "retail", (300, 20_000, None)),
    ("G54", "transport", (1000, 30_000, None)),
    ("G53", "transport", (1000, 30_000, None)),  # railway: by reference to transport
    ("G60", "postal", (1000, 30_000, None)),
    ("H61", "accommodation", (300, 10_000, None)),
    ("H62", "catering", (300, 10_000, None)),
    ("I63", "information transmission", (2000, 100_000, None)),
    ("I64", "information transmission", (2000, 100_000, None)),
    ("I65", "software", (300, 10_000, None)),
    ("L72", "leasing and business services", (300, None, 120_000)),
    ("M73", "other", (300, None, None)),
    ("N77", "other", (300, None, None)),
    ("P83", "other", (300, None, None)),
]


def firm_with(industry: str, staff: float | None, revenue_wan: float | None,
              assets_wan: float | None, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        **FIRM_A,
        "industry": industry,
        "employees": staff,
        "rd_staff": None,
        "revenue": None if revenue_wan is None else revenue_wan * 1e4,
        "total_assets": None if assets_wan is None else assets_wan * 1e4,
        "total_liabilities": None,
        **extra,
    }


def _at_limits(limits: tuple[float | None, ...], filler: float) -> list[float]:
    return [filler if v is None else v for v in limits]


@pytest.mark.parametrize(("industry", "sector", "limits"), SECTORS, ids=[s[0] for s in SECTORS])
def test_each_sector_just_below_and_just_above_its_limits(
    industry: str, sector: str, limits: tuple[float | None, float | None, float | None]
) -> None:
    staff, revenue, assets = _at_limits(limits, 1.0)
    on_every_limit = firm_with(industry, staff, revenue, assets)
    above = firm_with(industry, staff * 2, revenue * 2, assets * 2)
    records = [on_every_limit, above]
    # One figure just below its limit (the others at theirs) makes an SME.
    for j, limit in enumerate(limits):
        if limit is not None:
            figures = [staff, revenue, assets]
            figures[j] = limit - 1
            records.append(firm_with(industry, *figures))
    results = screen(*records)
    for k, result in enumerate(results):
        sme = criterion(result["cn_innovative_sme"], "sme")
        if k < 2:
            assert sme["verdict"] == "fail", (industry, k)
            assert "a large firm" in sme["gap_text"]
            for part in _limit_texts(limits):
                assert part in sme["gap_text"], (sme["gap_text"], part)
            for sid in CN:
                assert result[sid]["verdict"] == "not_eligible"
        else:
            assert sme["verdict"] == "pass", (industry, k)


def _limit_texts(limits: tuple[float | None, ...]) -> list[str]:
    staff, revenue, assets = limits
    out = []
    if staff is not None:
        out.append(f"≥ {staff:,.0f} staff")
    for value, name in ((revenue, "revenue"), (assets, "total assets")):
        if value is not None:
            text = f"{value / 1e4:g}亿" if value >= 1e4 else f"{value:g}万"
            out.append(f"≥ {text} {name}")
    return out


def test_unknown_figures_leave_sme_status_unknown_never_passed() -> None:
    # Revenue at the industry limit, headcount unknown: could be large.
    at_limit = firm_with("C39", None, 40_000, None)
    # A known figure under its limit settles "SME" on its own.
    small = firm_with("C39", 999, None, None)
    unknown, sme = screen(at_limit, small)
    assert criterion(unknown["cn_innovative_sme"], "sme")["verdict"] == "unknown"
    assert "a figure is missing" in criterion(unknown["cn_innovative_sme"], "sme")["gap_text"]
    assert criterion(sme["cn_innovative_sme"], "sme")["verdict"] == "pass"


def test_finance_is_never_sized_by_this_standard() -> None:
    (result,) = screen(firm_with("J66", 10, 100, 100))
    sme = criterion(result["cn_srdi_sme"], "sme")
    assert sme["verdict"] == "unknown"
    assert "银发〔2015〕309号" in sme["gap_text"]


@pytest.mark.parametrize(
    ("figures", "verdict"),
    [
        # K70 holds development (≥ 20亿 revenue and ≥ 1亿 assets), property management
        # (≥ 1,000 staff and ≥ 5000万 revenue) and other real estate (≥ 300 staff).
        ((299, 4999, 9999), "pass"),  # small under every reading
        ((1000, 200_000, 10_000), "fail"),  # large under every reading
        ((500, 4000, 5000), "unknown"),  # large as "other real estate" only
        ((200, 300_000, 20_000), "unknown"),  # large as a developer only
    ],
)
def test_real_estate_is_sized_under_every_reading_of_its_division(
    figures: tuple[float, float, float], verdict: str
) -> None:
    (result,) = screen(firm_with("K70", *figures))
    sme = criterion(result["cn_innovative_sme"], "sme")
    assert sme["verdict"] == verdict
    if verdict == "unknown":
        assert "cannot tell which row" in sme["gap_text"]


@pytest.mark.parametrize(
    ("figures", "verdict"),
    [((199, 50_000), "pass"), ((1000, 30_000), "fail"), ((500, 30_000), "unknown")],
)
def test_g59_is_warehousing_or_loading_and_unloading(
    figures: tuple[float, float], verdict: str
) -> None:
    (result,) = screen(firm_with("G59", *figures, None))
    assert criterion(result["cn_srdi_sme"], "sme")["verdict"] == verdict


def test_a_large_manufacturer_with_strong_figures_is_not_eligible() -> None:
    # The case: 12,000 staff, 80亿 revenue, every other figure strong.
    big = {**FIRM_A, "employees": 12_000, "rd_staff": 2_000, "revenue": 8e9,
           "main_business_revenue": 7e9, "main_business_revenue_prev": 6.2e9,
           "main_business_revenue_prev2": 5.4e9, "rd_expense": 5e8, "rd_expense_prev": 4.5e8,
           "revenue_prev": 7e9, "net_profit": 9e8, "total_assets": 1e10,
           "total_liabilities": 4e9, "high_tech_enterprise": 1}  # fmt: skip
    (result,) = screen(big)
    for sid in CN:
        assert result[sid]["verdict"] == "not_eligible", sid
        sme = criterion(result[sid], "sme")
        assert sme["verdict"] == "fail"
        assert sme["gap_text"] == (
            "SME status: a large firm — industry (mining, manufacturing, utilities): "
            "large when ≥ 1,000 staff and ≥ 4亿 revenue"
        )
    # Strong on the points and on the high-tech route: only the size test fails.
    innovative = result["cn_innovative_sme"]
    failing = [
        c["id"]
        for c in innovative["criteria"]
        if c["verdict"] == "fail" and c["kind"] == "required"
    ]
    assert failing == ["sme"]
    assert innovative["points"] >= 60
    assert innovative["assumptions"] == []


# --- direct routes: on, off, unreported ------------------------------------------------

NO_AWARD = "no national or provincial S&T award in the last 3 years was assumed"
NO_HIGH_TECH = "no valid high-tech enterprise status (or a similar honour) was assumed"
NO_VIOLATION = (
    "no major safety, quality or environmental incident, tax evasion, or serious-dishonesty "
    "or abnormal-operation listing in the last 3 years was assumed"
)
GENERAL = (
    "registration in China as an independent legal person, normal operation and products "
    "outside the prohibited, restricted and eliminated lists were assumed"
)
# FIRM_B scores 25 of 100 as an innovative SME: only a direct route can carry it.
WEAK = {**FIRM_B, "employees": 80, "serious_violation_3y": 0}


@pytest.mark.parametrize(
    ("fields", "verdict", "assumptions"),
    [
        ({"high_tech_enterprise": 1, "st_award_3y": "none"}, "eligible", [GENERAL]),
        ({"high_tech_enterprise": 0, "st_award_3y": "none"}, "not_eligible", []),
        ({"st_award_3y": "none"}, "not_eligible", [NO_HIGH_TECH]),
        ({"high_tech_enterprise": 0, "st_award_3y": "provincial"}, "eligible", [GENERAL]),
        ({"high_tech_enterprise": 0, "st_award_3y": "national"}, "eligible", [GENERAL]),
        ({"high_tech_enterprise": 0}, "not_eligible", [NO_AWARD]),
        ({}, "not_eligible", [NO_AWARD, NO_HIGH_TECH]),
    ],
)
def test_innovative_sme_routes_on_off_and_unreported(
    fields: dict[str, Any], verdict: str, assumptions: list[str]
) -> None:
    (result,) = screen({**WEAK, **fields})
    scheme = result["cn_innovative_sme"]
    assert scheme["points"] == 25
    assert scheme["verdict"] == verdict
    assert scheme["assumptions"] == assumptions


# An SRDI applicant meeting the four entry conditions with a low score.
SRDI_WEAK = {**FIRM_B, "employees": 80, "rd_staff": 2, "revenue": 5e7, "rd_expense": 2e6,
             "rd_expense_prev": 1.5e6, "years_in_niche": 3, "serious_violation_3y": 0,
             "digital_level": 1, "key_chain_supplier": 0, "quality_award": 0,
             "quality_certification": 0, "own_brand": 0, "standards_drafted": 0,
             "net_profit": 5e5, "main_business_revenue_prev2": 2.6e7}  # fmt: skip
NO_SRDI_AWARD = (
    "no provincial S&T award ranked in the top 3 of its winning units, nor a national one "
    "in the top 5, in the last 3 years was assumed"
)
NO_TOP500 = "no 创客中国 national top-500 placing in the last 3 years was assumed"


@pytest.mark.parametrize(
    ("fields", "verdict", "assumptions"),
    [
        ({"st_award_3y": "provincial", "contest_rank": "none"}, "eligible", [GENERAL]),
        ({"st_award_3y": "none", "contest_rank": "national_top500"}, "eligible", [GENERAL]),
        ({"st_award_3y": "none", "contest_rank": "national_top50"}, "eligible", [GENERAL]),
        ({"st_award_3y": "none", "contest_rank": "provincial_top"}, "not_eligible", []),
        ({"st_award_3y": "none"}, "not_eligible", [NO_TOP500]),
        ({"contest_rank": "none"}, "not_eligible", [NO_SRDI_AWARD]),
        ({}, "not_eligible", [NO_SRDI_AWARD, NO_TOP500]),
    ],
)
def test_srdi_routes_on_off_and_unreported(
    fields: dict[str, Any], verdict: str, assumptions: list[str]
) -> None:
    (result,) = screen({**SRDI_WEAK, **fields})
    scheme = result["cn_srdi_sme"]
    assert all(c["verdict"] == "pass" for c in scheme["criteria"] if c["group"] == "entry")
    assert scheme["points_upper"] < 60
    assert scheme["verdict"] == verdict
    assert scheme["assumptions"] == assumptions


# FIRM_A as a provincial firm with one Class-I item instead of two: it fails the
# general innovation route, which the direct route replaces.
LG_FIRM = {**FIRM_A, "current_tier": "srdi_sme", "class1_ip": 1, "serious_violation_3y": 0}
NO_NATIONAL_AWARD = (
    "no national S&T award ranked in the top 3 of its winning units in the last 3 years was assumed"
)
NO_TOP50 = "no 创客中国 national top-50 placing in the last 3 years was assumed"


@pytest.mark.parametrize(
    ("fields", "verdict", "assumptions"),
    [
        ({"st_award_3y": "national", "contest_rank": "none"}, "eligible", [GENERAL]),
        ({"st_award_3y": "none", "contest_rank": "national_top50"}, "eligible", [GENERAL]),
        ({"st_award_3y": "provincial", "contest_rank": "national_top500"}, "not_eligible", []),
        ({"st_award_3y": "none"}, "not_eligible", [NO_TOP50]),
        ({}, "not_eligible", [NO_NATIONAL_AWARD, NO_TOP50]),
        # Two Class-I items: the general route holds, the direct one is not needed.
        ({"class1_ip": 2}, "eligible", [GENERAL]),
    ],
)
def test_little_giant_innovation_direct_route(
    fields: dict[str, Any], verdict: str, assumptions: list[str]
) -> None:
    (result,) = screen({**LG_FIRM, **fields})
    scheme = result["cn_little_giant"]
    assert criterion(scheme, "class1_ip")["verdict"] == (
        "pass" if "class1_ip" in fields else "fail"
    )
    assert scheme["verdict"] == verdict
    assert scheme["assumptions"] == assumptions


def test_little_giant_without_certification_rests_on_the_developed_market_assumption() -> None:
    no_cert, unknown_cert = screen(
        {**LG_FIRM, "class1_ip": 2, "quality_certification": 0},
        {**LG_FIRM, "class1_ip": 2, "quality_certification": None},
    )
    assert no_cert["cn_little_giant"]["verdict"] == "not_eligible"
    assert no_cert["cn_little_giant"]["assumptions"] == [
        "no product certification in developed countries or regions (the alternative to a "
        "management-system certification) was assumed"
    ]
    # A certification not reported is an unknown figure: the verdict stays open.
    assert unknown_cert["cn_little_giant"]["verdict"] == "undetermined"


@pytest.mark.parametrize(
    ("violation", "verdict", "assumptions"),
    [
        (1, "not_eligible", []),
        (0, "eligible", [GENERAL]),
        (None, "eligible", [NO_VIOLATION, GENERAL]),
    ],
)
def test_a_serious_violation_is_an_input_or_a_stated_assumption(
    violation: int | None, verdict: str, assumptions: list[str]
) -> None:
    (result,) = screen({**FIRM_A, "serious_violation_3y": violation})
    scheme = result["cn_srdi_sme"]
    assert scheme["verdict"] == verdict
    assert scheme["assumptions"] == assumptions
    if violation == 1:
        gap = criterion(scheme, "no_serious_violation")["gap_text"]
        assert gap == "No serious violation in 3 years: yes — needs no"


# --- re-review -------------------------------------------------------------------------

CERTIFIED = {**FIRM_A, "current_tier": "srdi_sme", "tier_since": 2022, "serious_violation_3y": 0}


def test_a_certified_firm_due_for_re_review_that_passes_and_one_that_fails() -> None:
    slipped = {**CERTIFIED, "rd_expense": 4e6}  # R&D 2% of revenue: entry condition lost
    passes, fails = screen(CERTIFIED, slipped)
    assert passes["cn_srdi_sme"]["verdict"] == "certified"
    assert passes["cn_srdi_sme"]["re_review"] == {
        "year": 2025,
        "due": True,
        "verdict": "pass",
        "text": "re-review 2025: meets the criteria",
    }
    assert fails["cn_srdi_sme"]["verdict"] == "certified"
    assert fails["cn_srdi_sme"]["re_review"] == {
        "year": 2025,
        "due": True,
        "verdict": "fail",
        "text": "re-review 2025: at risk",
    }
    gap = criterion(fails["cn_srdi_sme"], "entry_rd_intensity")["gap_text"]
    assert gap == "R&D intensity 2% — 1 points short of 3%"
    # Only the held tier is re-reviewed; the tier below is simply held.
    assert passes["cn_innovative_sme"]["re_review"] is None
    assert passes["cn_innovative_sme"]["assumptions"] == []
    # The summary table carries the same.
    frame = evaluate_schemes(columns(CERTIFIED, slipped), schemes=CN).summary_frame()
    assert frame["re_review_year"].tolist() == [2025, 2025]
    assert frame["re_review_due"].tolist() == ["yes", "yes"]
    assert frame["re_review_verdict"].tolist() == ["pass", "fail"]


@pytest.mark.parametrize(
    ("fields", "review"),
    [
        # Granted in the record's own year: the re-review is beyond the horizon.
        ({"tier_since": 2024}, {"year": 2027, "due": False, "verdict": "pass"}),
        # The horizon is fiscal_year + 2: 2023 + 3 = 2026 is due for a 2024 record.
        ({"tier_since": 2023}, {"year": 2026, "due": True, "verdict": "pass"}),
        ({"tier_since": None}, {"year": None, "due": None, "verdict": "pass"}),
        ({"rd_expense": None}, {"year": 2025, "due": True, "verdict": "undetermined"}),
    ],
)
def test_re_review_year_horizon_and_unknowns(
    fields: dict[str, Any], review: dict[str, Any]
) -> None:
    (result,) = screen({**CERTIFIED, **fields})
    got = dict(result["cn_srdi_sme"]["re_review"])
    assert got.pop("text").startswith("re-review ")
    assert got == review


def test_uncertified_firms_have_no_re_review() -> None:
    frame = evaluate_schemes(columns(FIRM_A), schemes=CN).summary_frame()
    assert frame["re_review_year"].isna().all()
    assert frame["re_review_verdict"].isna().all()
    (result,) = screen(FIRM_A)
    assert all(result[sid]["re_review"] is None for sid in CN)


def test_a_little_giant_is_re_reviewed_on_its_own_table() -> None:
    held = {**LG_FIRM, "class1_ip": 2, "current_tier": "little_giant", "tier_since": 2023}
    (result,) = screen(held)
    assert result["cn_little_giant"]["verdict"] == "certified"
    assert result["cn_little_giant"]["re_review"]["text"] == "re-review 2026: meets the criteria"
    assert result["cn_srdi_sme"]["re_review"] is None


def test_the_re_review_horizon_is_the_models_label_horizon() -> None:
    from training.labels import DEFAULT_HORIZON

    assert REVIEW_HORIZON == DEFAULT_HORIZON
