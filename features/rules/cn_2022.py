"""China, MIIT graded cultivation of quality SMEs (工信部企业〔2022〕63号): version ``cn-2022``.

Band edges follow the official wording read statutorily (民法典 art. 1259: 以上,
以下 and 以内 include the number itself; 不满, 超过 and 以外 do not): "5%以上 20;
3%-5% 15" puts 5% in the 20-point band and 3% in the 15-point band, and a number
written in two bands ("55%以下 10; 55%-75% 5") goes to the better one, as the
provincial guidance scores edges ("边界值按高分档计分"). Every reading of the
official wording is in ``docs/schemes.md``.

Every tier first asks for what the text asks of every applicant (第三条): an SME
under the size standard (:mod:`features.rules.cn_sme_2011`), no serious violation
in 3 years, and the general conditions the record cannot show (stated as assumed).
The 2026 revision (工信部企业〔2026〕2号) renames the bottom tier 科技和创新型中小企业
and sets new standards for new applications; these tables encode the 2022 text,
which the 2026 re-reviews still apply.
"""

from __future__ import annotations

from features.rules import cn_sme_2011
from features.rules.logic import NoInput, Test, all_of, any_of, at_least
from features.rules.tables import Assumption, Band, Criterion, Explanation, SchemeTable
from features.tiers import STATUS_YEARS

VERSION = "cn-2022"
SOURCES = (
    "工信部企业〔2022〕63号 优质中小企业梯度培育管理暂行办法 (in force 2022-08-01)",
    cn_sme_2011.SOURCE,
    "shared/domain/CRITERIA.md §1",
)

# --- what every tier asks of every applicant (第三条) -------------------------------

_SME_LABEL = "SME status"


def _general() -> tuple[Criterion, ...]:
    """The SME size test, no serious violation, and the conditions the record lacks."""
    return (
        Criterion(
            id="sme",
            label=_SME_LABEL,
            group="general",
            kind="required",
            measure="cn_sme_status",
            rule=Test("cn_sme_status", "==", 1),
            explain=Explanation(
                "cn_sme_sector",
                fail=cn_sme_2011.fail_sentences(_SME_LABEL),
                unknown=cn_sme_2011.unknown_sentences(_SME_LABEL),
            ),
            note=(
                f"{cn_sme_2011.VERSION}: large when every limit of the industry's sector is "
                "reached (>=); an SME as soon as one known figure is below its limit"
            ),
        ),
        Criterion(
            id="no_serious_violation",
            label="No serious violation in 3 years",
            group="general",
            kind="required",
            measure="serious_violation_3y",
            rule=Test("serious_violation_3y", "==", 0),
            assume=Assumption(
                "pass",
                "no major safety, quality or environmental incident, tax evasion, or "
                "serious-dishonesty or abnormal-operation listing in the last 3 years was "
                "assumed",
            ),
        ),
        Criterion(
            id="general_conditions",
            label="Registration, operation and products",
            group="general",
            kind="required",
            rule=NoInput(
                "registered in China with independent legal-person status, operating "
                "normally, products not prohibited, restricted or eliminated"
            ),
            assume=Assumption(
                "pass",
                "registration in China as an independent legal person, normal operation and "
                "products outside the prohibited, restricted and eliminated lists were assumed",
            ),
            note="no input field: always assumed met, and said so where a verdict rests on it",
        ),
    )


def _ascending(measure: str, *edges_points: tuple[float, float]) -> tuple[Band, ...]:
    """Bands 'value ≥ edge → points', best first."""
    return tuple(Band(points, Test(measure, ">=", edge)) for edge, points in edges_points)


def _ip_bands(high: float, self_developed: float, class1: float, class2: float) -> tuple[Band, ...]:
    # The contract cannot tell "high-value" or "self-developed" Class-I IP apart:
    # high-value = an invention patent in a strategic-emerging-industry product
    # (CNIPA's first high-value category); self-developed = any invention patent.
    return (
        Band(high, all_of(Test("invention_patents", ">=", 1), Test("strategic_emerging", "==", 1))),
        Band(self_developed, Test("invention_patents", ">=", 1)),
        Band(class1, Test("class1_ip", ">=", 1)),
        Band(class2, Test("class2_ip", ">=", 1)),
    )


_IP_NOTE = (
    "high-value Class-I = invention patents >= 1 in a strategic-emerging product; "
    "self-developed Class-I = invention patents >= 1; Class-I = class1_ip >= 1"
)
_PROXY_EQUITY = "equity_raised_2y stands in for the 3-year window"

_NO_AWARD = Assumption(
    "fail", "no national or provincial S&T award in the last 3 years was assumed"
)
_NO_HIGH_TECH = Assumption(
    "fail", "no valid high-tech enterprise status (or a similar honour) was assumed"
)

INNOVATIVE_SME = SchemeTable(
    scheme_id="cn_innovative_sme",
    name="Innovative SME (创新型中小企业; 科技和创新型中小企业 from 2026)",
    version=VERSION,
    country="CN",
    sources=SOURCES,
    pass_mark=60.0,
    group_minima=(("innovation", 20.0), ("growth", 15.0), ("specialization", 15.0)),
    certified_rank=1.0,
    status_years=STATUS_YEARS,
    criteria=(
        *_general(),
        Criterion(
            id="ip",
            label="IP tied to the main product",
            group="innovation",
            kind="points",
            measure="class1_ip",
            bands=_ip_bands(20, 15, 10, 5),
            note=_IP_NOTE,
        ),
        Criterion(
            id="rd_intensity",
            label="R&D intensity",
            group="innovation",
            kind="points",
            measure="rd_intensity",
            bands=_ascending("rd_intensity", (0.05, 20), (0.03, 15), (0.02, 10), (0.01, 5)),
        ),
        Criterion(
            id="main_business_growth",
            label="Main-business revenue growth",
            group="growth",
            kind="points",
            measure="main_business_growth",
            bands=_ascending("main_business_growth", (0.15, 20), (0.10, 15), (0.05, 10), (0.0, 5)),
        ),
        Criterion(
            id="debt_ratio",
            label="Debt ratio",
            group="growth",
            kind="points",
            measure="debt_ratio",
            bands=(
                Band(10, Test("debt_ratio", "<=", 0.55)),
                Band(5, Test("debt_ratio", "<=", 0.75)),
            ),
            note="55%以下 10; 55%-75% 5; 75%以上 0: 55% -> 10 and 75% -> 5 (the better band)",
        ),
        Criterion(
            id="strategic_emerging",
            label="Main product in a strategic emerging industry",
            group="specialization",
            kind="points",
            measure="strategic_emerging",
            bands=(Band(10, Test("strategic_emerging", "==", 1)),),
            else_points=5.0,
        ),
        Criterion(
            id="main_business_share",
            label="Main-business share",
            group="specialization",
            kind="points",
            measure="main_business_share",
            bands=_ascending("main_business_share", (0.70, 20), (0.60, 15), (0.55, 10), (0.50, 5)),
        ),
        Criterion(
            id="route_st_award",
            label="National or provincial S&T award in 3 years",
            group="direct route",
            kind="route",
            measure="st_award_level",
            rule=Test("st_award_level", ">=", 1),
            assume=_NO_AWARD,
        ),
        Criterion(
            id="route_high_tech",
            label="High-tech enterprise or similar honour",
            group="direct route",
            kind="route",
            measure="high_tech_enterprise",
            rule=Test("high_tech_enterprise", "==", 1),
            assume=_NO_HIGH_TECH,
            note=(
                "高新技术企业, national technology-innovation demonstration enterprise, IP "
                "advantage or demonstration enterprise, within validity"
            ),
        ),
        Criterion(
            id="route_rd_institution",
            label="R&D institution at provincial level or above",
            group="direct route",
            kind="route",
            measure="rd_institution_level",
            rule=Test("rd_institution_level", ">=", 3),
        ),
        Criterion(
            id="route_equity",
            label="Equity financing",
            group="direct route",
            kind="route",
            measure="equity_2y_wan",
            rule=Test("equity_2y_wan", ">=", 500),
            note=_PROXY_EQUITY,
        ),
    ),
)

_QUALITY_ITEMS = (
    Test("quality_award", "==", 1),
    Test("quality_certification", "==", 1),
    Test("own_brand", "==", 1),
    Test("standards_drafted", ">=", 1),
)

SRDI_SME = SchemeTable(
    scheme_id="cn_srdi_sme",
    name="Provincial SRDI SME (专精特新中小企业)",
    version=VERSION,
    country="CN",
    sources=SOURCES,
    pass_mark=60.0,
    certified_rank=2.0,
    status_years=STATUS_YEARS,
    criteria=(
        *_general(),
        # The four entry conditions; condition 4 is the score or a direct route.
        Criterion(
            id="entry_years_in_niche",
            label="Years in the niche",
            group="entry",
            kind="required",
            measure="years_in_niche",
            rule=Test("years_in_niche", ">=", 2),
        ),
        Criterion(
            id="entry_rd_expense",
            label="R&D expense",
            group="entry",
            kind="required",
            measure="rd_expense_wan",
            rule=Test("rd_expense_wan", ">=", 100),
        ),
        Criterion(
            id="entry_rd_intensity",
            label="R&D intensity",
            group="entry",
            kind="required",
            measure="rd_intensity",
            rule=Test("rd_intensity", ">=", 0.03),
        ),
        Criterion(
            id="entry_revenue_or_financing",
            label="Revenue",
            group="entry",
            kind="required",
            measure="revenue_wan",
            rule=any_of(Test("revenue_wan", ">=", 1000), Test("equity_2y_wan", ">=", 2000)),
            note="revenue >= 1000万, or >= 2000万 new equity financing in 2 years",
        ),
        # 13 indicators, 100 points
        Criterion(
            id="main_business_share",
            label="Main-business share",
            group="specialization",
            kind="points",
            measure="main_business_share",
            bands=_ascending("main_business_share", (0.80, 5), (0.70, 3), (0.60, 1)),
        ),
        Criterion(
            id="main_business_growth",
            label="2-year average main-business growth",
            group="specialization",
            kind="points",
            measure="main_business_growth_avg_2y",
            bands=_ascending(
                "main_business_growth_avg_2y",
                (0.10, 10),
                (0.08, 8),
                (0.06, 6),
                (0.04, 4),
                (0.0, 2),
            ),
            note="average = mean of the growth rates of t and t-1",
        ),
        Criterion(
            id="years_in_niche",
            label="Years in the niche",
            group="specialization",
            kind="points",
            measure="years_in_niche",
            bands=_ascending("years_in_niche", (10, 5), (8, 4), (6, 3), (4, 2), (2, 1)),
            note="1 point per full 2 years, max 5",
        ),
        Criterion(
            id="chain_role",
            label="Supply-chain role of the main product",
            group="specialization",
            kind="points",
            measure="key_chain_supplier",
            bands=(
                Band(
                    5,
                    all_of(
                        Test("key_chain_supplier", "==", 1),
                        NoInput("fills a key gap, as opposed to supplying chain leaders"),
                    ),
                ),
                Band(3, Test("key_chain_supplier", "==", 1)),
            ),
            note=(
                "key_chain_supplier = 1 earns 3 known points, 5 at most (the flag cannot "
                "tell 'fills a key gap' from 'supplies chain leaders'); the "
                "industrial-foundation route has no input field"
            ),
        ),
        Criterion(
            id="digital_level",
            label="Digitalisation level",
            group="refinement",
            kind="points",
            measure="digital_level",
            bands=_ascending("digital_level", (3, 5), (2, 3)),
        ),
        Criterion(
            id="quality_management",
            label="Quality management",
            group="refinement",
            kind="points",
            measure="quality_items_met",
            bands=(Band(5, at_least(2, *_QUALITY_ITEMS)), Band(3, at_least(1, *_QUALITY_ITEMS))),
            note="3 points per item met (award, certification, own brand, drafted standard), cap 5",
        ),
        Criterion(
            id="net_margin",
            label="Net margin",
            group="refinement",
            kind="points",
            measure="net_margin",
            bands=_ascending("net_margin", (0.10, 10), (0.08, 8), (0.06, 6), (0.04, 4), (0.02, 2)),
        ),
        Criterion(
            id="debt_ratio",
            label="Debt ratio",
            group="refinement",
            kind="points",
            measure="debt_ratio",
            bands=(
                Band(5, Test("debt_ratio", "<=", 0.50)),
                Band(3, Test("debt_ratio", "<=", 0.60)),
                Band(1, Test("debt_ratio", "<=", 0.70)),
            ),
            note=(
                "50%以下 5; 50%-60% 3; 60%-70% 1; 70%以上 0: an edge goes to the better band "
                "(50% -> 5, 60% -> 3, 70% -> 1)"
            ),
        ),
        Criterion(
            id="distinctive",
            label="Provincial distinctive indicators",
            group="distinctive",
            kind="plugin",
            max_points=15.0,
            note="set per province by a DistinctivePlugin; default: unknown (0 known, 15 at most)",
        ),
        Criterion(
            id="ip",
            label="IP tied to the main product",
            group="innovation",
            kind="points",
            measure="class1_ip",
            bands=_ip_bands(10, 8, 6, 2),
            note=_IP_NOTE,
        ),
        Criterion(
            id="rd_input",
            label="R&D input",
            group="innovation",
            kind="points",
            measure="rd_intensity",
            bands=tuple(
                Band(
                    points,
                    any_of(Test("rd_expense_wan", ">=", wan), Test("rd_intensity", ">=", share)),
                )
                for wan, share, points in (
                    (500, 0.10, 10),
                    (400, 0.08, 8),
                    (300, 0.06, 6),
                    (200, 0.04, 4),
                    (100, 0.03, 2),
                )
            ),
            note="amount or intensity, whichever gives more points",
        ),
        Criterion(
            id="rd_staff_share",
            label="R&D staff share",
            group="innovation",
            kind="points",
            measure="rd_staff_share",
            bands=_ascending("rd_staff_share", (0.20, 5), (0.10, 3), (0.05, 1)),
        ),
        Criterion(
            id="rd_institution",
            label="R&D institution level",
            group="innovation",
            kind="points",
            measure="rd_institution_level",
            bands=_ascending("rd_institution_level", (4, 10), (3, 8), (2, 4), (1, 2)),
        ),
        # Direct routes for condition 4
        Criterion(
            id="route_rd_average",
            label="2-year average R&D expense",
            group="direct route",
            kind="route",
            measure="rd_avg_2y_wan",
            rule=Test("rd_avg_2y_wan", ">=", 1000),
        ),
        Criterion(
            id="route_financing",
            label="Equity financing in 2 years",
            group="direct route",
            kind="route",
            measure="equity_2y_wan",
            rule=Test("equity_2y_wan", ">=", 6000),
        ),
        Criterion(
            id="route_st_award",
            label="S&T award in 3 years (provincial top 3 / national top 5)",
            group="direct route",
            kind="route",
            measure="st_award_level",
            rule=Test("st_award_level", ">=", 1),
            assume=Assumption(
                "fail",
                "no provincial S&T award ranked in the top 3 of its winning units, nor a "
                "national one in the top 5, in the last 3 years was assumed",
            ),
            note=(
                "a reported provincial or national award is read as ranked within the "
                "route's places (the field has the level, not the rank)"
            ),
        ),
        Criterion(
            id="route_contest",
            label="创客中国 national top 500 in 3 years",
            group="direct route",
            kind="route",
            measure="contest_level",
            rule=Test("contest_level", ">=", 2),
            assume=Assumption(
                "fail", "no 创客中国 national top-500 placing in the last 3 years was assumed"
            ),
        ),
    ),
)

_LG_INNOVATION = ("rd_intensity", "rd_institution", "class1_ip")

LITTLE_GIANT = SchemeTable(
    scheme_id="cn_little_giant",
    name='National Little Giant (专精特新"小巨人")',
    version=VERSION,
    country="CN",
    sources=SOURCES,
    certified_rank=3.0,
    status_years=STATUS_YEARS,
    criteria=(
        *_general(),
        Criterion(
            id="prerequisite_srdi",
            label="Holds provincial SRDI status",
            group="prerequisite",
            kind="required",
            measure="tier_rank",
            rule=Test("tier_rank", ">=", 2),
        ),
        Criterion(
            id="years_in_niche",
            label="Years in the niche",
            group="specialization",
            kind="required",
            measure="years_in_niche",
            rule=Test("years_in_niche", ">=", 3),
        ),
        Criterion(
            id="main_business_share",
            label="Main-business share",
            group="specialization",
            kind="required",
            measure="main_business_share",
            rule=Test("main_business_share", ">=", 0.70),
        ),
        Criterion(
            id="main_business_growth",
            label="2-year average main-business growth",
            group="specialization",
            kind="required",
            measure="main_business_growth_avg_2y",
            rule=Test("main_business_growth_avg_2y", ">=", 0.05),
        ),
        Criterion(
            id="information_systems",
            label="Digitalisation level",
            group="refinement",
            kind="required",
            measure="digital_level",
            rule=Test("digital_level", ">=", 2),
            note="core business on information systems read as digitalisation level >= 2",
        ),
        Criterion(
            id="certification",
            label="Management-system certification",
            group="refinement",
            kind="required",
            measure="quality_certification",
            rule=Test("quality_certification", "==", 1),
            note=(
                "取得相关管理体系认证, or (route below) 产品通过发达国家和地区产品认证; "
                "quality_certification is the management-system certification"
            ),
        ),
        Criterion(
            id="certification_developed_markets",
            label="Product certified in developed markets",
            group="refinement",
            kind="route",
            rule=NoInput("product certification in developed countries or regions"),
            assume=Assumption(
                "fail",
                "no product certification in developed countries or regions (the "
                "alternative to a management-system certification) was assumed",
            ),
            replaces=("certification",),
            note="no input field: the alternative is assumed not met where it would decide",
        ),
        Criterion(
            id="debt_ratio",
            label="Debt ratio",
            group="refinement",
            kind="required",
            measure="debt_ratio",
            rule=Test("debt_ratio", "<=", 0.70),
        ),
        Criterion(
            id="national_market_share",
            label="National market share",
            group="distinctive",
            kind="required",
            measure="national_market_share",
            rule=Test("national_market_share", ">=", 0.10),
        ),
        Criterion(
            id="own_brand",
            label="Own brand",
            group="distinctive",
            kind="required",
            measure="own_brand",
            rule=Test("own_brand", "==", 1),
        ),
        Criterion(
            id="rd_intensity",
            label="R&D intensity",
            group="innovation",
            kind="required",
            measure="rd_intensity",
            rule=any_of(
                all_of(
                    Test("rd_intensity", ">=", "lg_rd_intensity_threshold"),
                    Test("rd_intensity_prev", ">=", "lg_rd_intensity_threshold"),
                ),
                all_of(
                    Test("revenue_wan", "<=", 5000),
                    Test("equity_2y_wan", ">=", 8000),
                    Test("rd_cum_2y_wan", ">=", 3000),
                    Test("rd_staff_share", ">=", 0.50),
                ),
            ),
            note=(
                "each of years t and t-1 against the floor set by year-t revenue: 1亿以上 3%, "
                "5000万-1亿 6%; 5000万以下: >= 8000万 financing in 2 years, >= 3000万 "
                "R&D over t and t-1 and R&D staff >= 50%. An edge is in both brackets: "
                "1亿 meets either floor (3% suffices), 5000万 either the 6% floor or the "
                "financing route"
            ),
        ),
        Criterion(
            id="rd_institution",
            label="R&D institution",
            group="innovation",
            kind="required",
            measure="rd_institution_level",
            rule=Test("rd_institution_level", ">=", 1),
            note="any level (own or joint) counts; 'none' fails",
        ),
        Criterion(
            id="class1_ip",
            label="Class-I IP tied to the main product",
            group="innovation",
            kind="required",
            measure="class1_ip",
            rule=Test("class1_ip", ">=", 2),
        ),
        Criterion(
            id="route_st_award",
            label="National S&T award in 3 years (top 3)",
            group="innovation direct route",
            kind="route",
            measure="st_award_level",
            rule=Test("st_award_level", ">=", 2),
            assume=Assumption(
                "fail",
                "no national S&T award ranked in the top 3 of its winning units in the last "
                "3 years was assumed",
            ),
            replaces=_LG_INNOVATION,
            note=(
                "replaces the three innovation conditions; a reported national award is "
                "read as ranked in the top 3 (the field has the level, not the rank)"
            ),
        ),
        Criterion(
            id="route_contest",
            label="创客中国 national top 50 in 3 years",
            group="innovation direct route",
            kind="route",
            measure="contest_level",
            rule=Test("contest_level", ">=", 3),
            assume=Assumption(
                "fail", "no 创客中国 national top-50 placing in the last 3 years was assumed"
            ),
            replaces=_LG_INNOVATION,
            note="replaces the three innovation conditions",
        ),
        Criterion(
            id="chain_role",
            label="Key supply-chain role",
            group="industry chain",
            kind="required",
            measure="key_chain_supplier",
            rule=Test("key_chain_supplier", "==", 1),
            note="'sits at a key link and fills a gap' read as key_chain_supplier",
        ),
        Criterion(
            id="key_field",
            label="Main product in a key field",
            group="main product field",
            kind="advisory",
            measure="strategic_emerging",
            rule=Test("strategic_emerging", "==", 1),
            note=(
                "required only 'in principle' (原则上); strategic_emerging is shown as the "
                "nearest input and does not change the verdict"
            ),
        ),
    ),
    not_evaluated=(
        "main product field (core industrial foundation, ten key manufacturing industries, "
        "key network fields): 'in principle' only, shown as advisory",
    ),
)

TABLES: tuple[SchemeTable, ...] = (INNOVATIVE_SME, SRDI_SME, LITTLE_GIANT)
