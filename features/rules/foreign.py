"""Peer schemes abroad: Germany, Japan, Korea (CRITERIA.md §3–5).

Money thresholds are written in the scheme's own currency; the measures convert
the firm's CNY figures with the evaluation's :class:`CurrencyRates`.
"""

from __future__ import annotations

from features.rules.logic import Test, all_of, any_of
from features.rules.tables import Criterion, Grade, GradeLadder, SchemeTable

HIDDEN_CHAMPION = SchemeTable(
    scheme_id="de_hidden_champion",
    name="Hidden Champion (Hermann Simon)",
    version="de-2020",
    country="DE",
    sources=("H. Simon, Hidden Champions (2020 criteria: revenue below €5bn)", "CRITERIA.md §3"),
    criteria=(
        Criterion(
            id="world_market_rank",
            label="World market rank",
            group="market position",
            kind="required",
            measure="world_market_rank",
            rule=Test("world_market_rank", "<=", 3),
        ),
        Criterion(
            id="revenue_cap",
            label="Revenue",
            group="size",
            kind="required",
            measure="revenue_eur_bn",
            rule=Test("revenue_eur_bn", "<", 5.0),
        ),
    ),
    not_evaluated=(
        "alternative: number 1 on its continent (no continental-rank input)",
        "low public awareness (no input field)",
    ),
)

GLOBAL_NICHE_TOP = SchemeTable(
    scheme_id="jp_global_niche_top",
    name="Global Niche Top (METI GNT 100)",
    version="jp-2020",
    country="JP",
    sources=("METI グローバルニッチトップ企業100選 2020 selection criteria", "CRITERIA.md §4"),
    criteria=(
        Criterion(
            id="world_market_share",
            label="World market share",
            group="market position",
            kind="required",
            measure="world_market_share",
            rule=Test("world_market_share", ">=", "jp_world_share_threshold"),
            note="20% for large firms, 10% for SMEs and mid-sized firms",
        ),
        Criterion(
            id="large_firm_market_size",
            label="World niche market size",
            group="market position",
            kind="required",
            measure="jp_market_size_jpy_bn",
            rule=any_of(
                Test("jp_is_large", "==", 0),
                all_of(
                    Test("jp_market_size_jpy_bn", ">=", 10.0),
                    Test("jp_market_size_jpy_bn", "<=", 100.0),
                ),
            ),
            note=(
                "large firms only: market of ¥10-100bn, implied by main-business revenue / "
                "world market share"
            ),
        ),
    ),
    not_evaluated=(
        "share reached in any one of the last 3 years: only year t is in the record",
        "SME capital test (the employee test is used alone)",
    ),
)

WORLD_CLASS_300 = SchemeTable(
    scheme_id="kr_world_class_300",
    name="World Class 300 (Korea)",
    version="kr-2011",
    country="KR",
    sources=("MOTIE/SMBA World Class 300 programme (2011-2018)", "CRITERIA.md §5"),
    criteria=(
        Criterion(
            id="revenue_min",
            label="Revenue",
            group="size",
            kind="required",
            measure="revenue_krw_bn",
            rule=Test("revenue_krw_bn", ">=", 40.0),
        ),
        Criterion(
            id="revenue_max",
            label="Revenue",
            group="size",
            kind="required",
            measure="revenue_krw_bn",
            rule=Test("revenue_krw_bn", "<=", 1000.0),
        ),
        Criterion(
            id="export_share",
            label="Export share",
            group="internationalization",
            kind="required",
            measure="export_share",
            rule=Test("export_share", ">=", 0.20),
        ),
        Criterion(
            id="rd_or_growth",
            label="R&D intensity",
            group="innovation",
            kind="required",
            measure="rd_intensity_available",
            rule=any_of(
                Test("rd_intensity_available", ">=", 0.02),
                Test("revenue_growth_available", ">=", 0.15),
            ),
            note=(
                "3-year R&D / revenue read over the years reported (t, t-1); 5-year average "
                "growth read as the mean of the reported yearly rates (t, t-1)"
            ),
        ),
    ),
    not_evaluated=("being an SME or mid-sized firm under Korean law (see kr_mid_sized)",),
)

GLOBAL_STRONG_SMALL = SchemeTable(
    scheme_id="kr_global_strong_small",
    name="Global strong small enterprise 1000+ (Korea)",
    version="kr-2023",
    country="KR",
    sources=("MSS 글로벌 강소기업 1000+ (since 2023)", "CRITERIA.md §5"),
    criteria=(
        Criterion(
            id="revenue_min",
            label="Revenue",
            group="size",
            kind="required",
            measure="revenue_krw_bn",
            rule=Test("revenue_krw_bn", ">=", 10.0),
        ),
        Criterion(
            id="revenue_max",
            label="Revenue",
            group="size",
            kind="required",
            measure="revenue_krw_bn",
            rule=Test("revenue_krw_bn", "<=", 100.0),
        ),
        Criterion(
            id="exports",
            label="Exports",
            group="internationalization",
            kind="required",
            measure="exports_usd_m",
            rule=Test("exports_usd_m", ">=", 0.1),
        ),
    ),
    grade=GradeLadder(
        name="export_tier",
        grades=(
            Grade("US$10M+", Test("exports_usd_m", ">=", 10.0)),
            Grade("US$5M+", Test("exports_usd_m", ">=", 5.0)),
            Grade("US$1-5M", Test("exports_usd_m", ">=", 1.0)),
            Grade("US$0.1-1M", Test("exports_usd_m", ">=", 0.1)),
        ),
        below="below US$0.1M",
    ),
    not_evaluated=(
        "lower revenue floor (₩5bn) of innovative and service firms: no input identifies them",
    ),
)

MID_SIZED = SchemeTable(
    scheme_id="kr_mid_sized",
    name="Mid-sized backbone firm (중견기업, Korea)",
    version="kr-2017",
    country="KR",
    sources=("Korean Act on the Mid-sized Enterprises; Framework Act on SMEs", "CRITERIA.md §5"),
    criteria=(
        Criterion(
            id="not_sme",
            label="3-year average revenue",
            group="size",
            kind="required",
            measure="revenue_avg_3y_krw_bn",
            rule=any_of(
                Test("revenue_avg_3y_krw_bn", ">", "kr_sme_revenue_bound_krw_bn"),
                Test("total_assets_krw_bn", ">=", 500.0),
            ),
            note="above the SME size: revenue over the industry's bound, or assets >= ₩500bn",
        ),
        Criterion(
            id="assets_cap",
            label="Total assets",
            group="size",
            kind="required",
            measure="total_assets_krw_bn",
            rule=Test("total_assets_krw_bn", "<", 10_000.0),
            note="the firm's own assets below ₩10tn (group membership has no input)",
        ),
        Criterion(
            id="sector",
            label="Financial or public sector",
            group="sector",
            kind="required",
            measure="kr_excluded_sector",
            rule=Test("kr_excluded_sector", "==", 0),
        ),
    ),
    not_evaluated=(
        "membership of a business group with cross-shareholding limits (assets >= ₩10tn)",
        "being >= 30% owned by such a group's entity",
        "public or non-profit ownership (only the industry section is checked)",
    ),
)

TABLES: tuple[SchemeTable, ...] = (
    HIDDEN_CHAMPION,
    GLOBAL_NICHE_TOP,
    WORLD_CLASS_300,
    GLOBAL_STRONG_SMALL,
    MID_SIZED,
)
