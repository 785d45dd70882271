"""Calibration constants of the synthetic SRDI world, each with its source.

Every number the simulator uses lives here. A comment names the line of
``CRITERIA.md`` (the domain reference) a constant is calibrated to; constants with
no published counterpart are marked ``assumption`` and chosen to be plausible for
Chinese SMEs, then tuned only so that the published figures of ``CRITERIA.md`` §2
come out (see ``docs/synthetic-world.md`` for the achieved figures).

The population is "SMEs that could plausibly apply": the universe a fund would
screen (firms with a product line, some revenue and a chance of certification),
not all 52 million Chinese SMEs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from features.tiers import STATUS_YEARS, TIER_CHOICES, tier_level

__all__ = [
    "DEFAULT_CALIBRATION",
    "DEFAULT_ORACLE_REPLICATES",
    "EQUITY_BOOM",
    "FIRST_YEAR",
    "GENERATOR_VERSION",
    "HORIZON",
    "INDUSTRIES",
    "INNOVATIVE",
    "LAST_YEAR",
    "LITTLE_GIANT",
    "MACRO_GROWTH",
    "NONE",
    "ORACLE_TARGETS",
    "PROVINCES",
    "SCHEME_OF_TIER",
    "SRDI",
    "Calibration",
    "Certification",
    "Dynamics",
    "Industry",
    "Missingness",
    "Population",
    "Province",
]

# 1.2: the route fields, tier_since, the SME size test and no serious violation in the
# review; the re-review follows the firm's figures.
GENERATOR_VERSION: Final = "1.2.0"

FIRST_YEAR: Final = 2014
"""First fiscal year of the published panel (issue #2: "Financial panel 2014–2025")."""
LAST_YEAR: Final = 2025
"""Last fiscal year of the published panel."""
HORIZON: Final = 2
"""Oracle horizon: certified in t+1..t+2 (DESIGN.md, "Label", H = 2)."""

# Tier levels as the simulator stores them (``features.tiers``: a tier's position in
# TIER_CHOICES is its level).
NONE, INNOVATIVE, SRDI, LITTLE_GIANT = (tier_level(t) for t in TIER_CHOICES)
SCHEME_OF_TIER: Final = MappingProxyType(
    {INNOVATIVE: "cn_innovative_sme", SRDI: "cn_srdi_sme", LITTLE_GIANT: "cn_little_giant"}
)
"""Rule-engine scheme id of each certifiable tier (DESIGN.md, "Scheme ids")."""

ORACLE_TARGETS: Final = ("srdi_sme", "little_giant", "retention")
"""The targets the oracle gives probabilities for (DESIGN.md, ``srdi train --target``)."""


@dataclass(frozen=True)
class Industry:
    """One GB/T 4754-2017 division and its norms (all norms: assumption)."""

    code: str
    weight: float
    manufacturing: bool
    rd_norm: float
    """Median R&D expense / revenue of an average firm."""
    gross_margin: float
    overhead: float
    """Selling, general and administrative cost / revenue."""
    growth: float
    """Nominal log revenue growth of the division per year."""
    revenue_per_employee: float
    assets_to_revenue: float
    export_logit: float
    top5_logit: float
    strategic_share: float
    """Probability that a firm's main product is on the strategic-emerging list."""
    capability_shift: float
    log_market_size: float
    """Natural log of a typical national niche market in 2014, CNY."""


# Weights: manufacturing divisions hold about 65 % of the screening universe; the
# low-SRDI sectors named in the issue (F51, E47, C17, C13) are included on purpose.
INDUSTRIES: Final[tuple[Industry, ...]] = (
    Industry(
        "C13", 0.025, True, 0.006, 0.14, 0.07, 0.05, 1.4e6, 0.9, -1.5, -0.6, 0.02, -0.20, 20.7
    ),
    Industry(
        "C14", 0.015, True, 0.009, 0.22, 0.13, 0.06, 1.0e6, 1.0, -1.8, -0.8, 0.03, -0.15, 20.7
    ),
    Industry(
        "C17", 0.030, True, 0.009, 0.14, 0.07, 0.03, 0.8e6, 0.9, -0.3, -0.5, 0.02, -0.25, 20.9
    ),
    Industry(
        "C18", 0.015, True, 0.0075, 0.18, 0.11, 0.02, 0.5e6, 0.8, -0.2, -0.4, 0.01, -0.30, 20.9
    ),
    Industry(
        "C22", 0.012, True, 0.0135, 0.16, 0.08, 0.04, 1.2e6, 1.2, -1.5, -0.5, 0.03, -0.15, 20.7
    ),
    Industry(
        "C26", 0.050, True, 0.0225, 0.22, 0.10, 0.07, 1.6e6, 1.1, -1.0, -0.2, 0.25, 0.00, 20.5
    ),
    Industry("C27", 0.030, True, 0.045, 0.40, 0.25, 0.09, 1.1e6, 1.5, -1.2, -0.6, 0.70, 0.20, 20.5),
    Industry(
        "C29", 0.040, True, 0.0225, 0.18, 0.09, 0.06, 0.9e6, 0.9, -0.6, 0.0, 0.15, -0.05, 20.3
    ),
    Industry(
        "C30", 0.030, True, 0.0188, 0.20, 0.10, 0.05, 1.0e6, 1.2, -1.5, -0.4, 0.15, -0.10, 20.5
    ),
    Industry("C32", 0.012, True, 0.0188, 0.12, 0.05, 0.07, 2.5e6, 0.9, -1.2, 0.4, 0.30, 0.00, 20.7),
    Industry(
        "C33", 0.050, True, 0.0188, 0.17, 0.08, 0.05, 0.9e6, 0.9, -0.7, 0.1, 0.05, -0.10, 20.3
    ),
    Industry("C34", 0.070, True, 0.03, 0.25, 0.11, 0.07, 0.9e6, 1.1, -0.8, 0.1, 0.40, 0.10, 20.0),
    Industry("C35", 0.070, True, 0.036, 0.28, 0.12, 0.08, 0.9e6, 1.2, -0.8, 0.2, 0.55, 0.15, 20.0),
    Industry("C36", 0.035, True, 0.0263, 0.18, 0.08, 0.06, 1.2e6, 1.0, -1.0, 0.8, 0.40, 0.05, 20.3),
    Industry("C37", 0.015, True, 0.0375, 0.22, 0.10, 0.08, 1.0e6, 1.3, -1.0, 0.9, 0.70, 0.20, 20.0),
    Industry("C38", 0.060, True, 0.0315, 0.22, 0.10, 0.08, 1.0e6, 1.0, -0.5, 0.2, 0.55, 0.10, 20.1),
    Industry("C39", 0.065, True, 0.0413, 0.22, 0.10, 0.10, 1.0e6, 1.0, -0.1, 0.5, 0.70, 0.20, 20.1),
    Industry(
        "C40", 0.030, True, 0.0488, 0.38, 0.18, 0.09, 0.8e6, 1.1, -0.8, -0.2, 0.60, 0.25, 19.7
    ),
    Industry(
        "I64", 0.020, False, 0.0525, 0.45, 0.28, 0.12, 0.9e6, 0.8, -2.0, 0.0, 0.50, 0.25, 21.6
    ),
    Industry("I65", 0.050, False, 0.075, 0.45, 0.28, 0.12, 0.6e6, 0.9, -1.8, 0.0, 0.55, 0.25, 21.6),
    Industry(
        "M73", 0.015, False, 0.1125, 0.45, 0.25, 0.10, 0.6e6, 1.2, -1.8, 0.2, 0.60, 0.40, 20.7
    ),
    Industry(
        "M74", 0.030, False, 0.0375, 0.35, 0.25, 0.08, 0.6e6, 0.9, -2.0, -0.2, 0.30, 0.05, 21.0
    ),
    Industry(
        "N77", 0.015, False, 0.0188, 0.28, 0.15, 0.08, 0.8e6, 1.3, -3.0, 0.3, 0.40, 0.00, 21.0
    ),
    Industry(
        "L72", 0.030, False, 0.0037, 0.20, 0.15, 0.06, 0.7e6, 0.8, -2.5, -0.3, 0.02, -0.30, 21.5
    ),
    Industry(
        "F51", 0.090, False, 0.0023, 0.10, 0.06, 0.05, 3.0e6, 0.6, -1.2, -0.3, 0.03, -0.35, 22.0
    ),
    Industry(
        "E47", 0.045, False, 0.0045, 0.10, 0.05, 0.04, 1.5e6, 1.2, -3.5, 0.6, 0.01, -0.35, 22.5
    ),
)


@dataclass(frozen=True)
class Province:
    """A province-level division: SME weight, policy intensity, capability shift."""

    code: str
    """GB/T 2260 code; names come from :mod:`features.provinces`."""
    weight: float
    policy: float
    """Provincial SRDI policy intensity (logit shift of applications; assumption)."""
    capability_shift: float


# Weights (assumption, rounded from provincial SME counts): the coastal provinces
# hold most SMEs; policy is strongest where the certified-firm lists are longest.
PROVINCES: Final[tuple[Province, ...]] = (
    Province("11", 0.040, 0.30, 0.35),
    Province("12", 0.015, 0.10, 0.10),
    Province("13", 0.035, 0.00, -0.05),
    Province("14", 0.012, -0.10, -0.10),
    Province("15", 0.008, -0.20, -0.15),
    Province("21", 0.022, 0.00, 0.00),
    Province("22", 0.010, -0.10, -0.05),
    Province("23", 0.010, -0.10, -0.05),
    Province("31", 0.040, 0.30, 0.30),
    Province("32", 0.110, 0.35, 0.15),
    Province("33", 0.110, 0.40, 0.10),
    Province("34", 0.045, 0.20, 0.05),
    Province("35", 0.040, 0.10, 0.00),
    Province("36", 0.025, 0.00, -0.05),
    Province("37", 0.085, 0.30, 0.05),
    Province("41", 0.045, 0.05, -0.05),
    Province("42", 0.040, 0.15, 0.05),
    Province("43", 0.035, 0.15, 0.00),
    Province("44", 0.140, 0.30, 0.15),
    Province("45", 0.015, -0.10, -0.10),
    Province("46", 0.004, -0.20, -0.10),
    Province("50", 0.022, 0.10, 0.00),
    Province("51", 0.040, 0.10, 0.05),
    Province("52", 0.010, -0.10, -0.10),
    Province("53", 0.010, -0.15, -0.10),
    Province("54", 0.001, -0.40, -0.20),
    Province("61", 0.018, 0.05, 0.05),
    Province("62", 0.006, -0.20, -0.15),
    Province("63", 0.002, -0.30, -0.20),
    Province("64", 0.003, -0.30, -0.15),
    Province("65", 0.006, -0.30, -0.15),
)


@dataclass(frozen=True)
class Population:
    """Founding years and latent traits of the screening universe."""

    # Median age in 2025 ≈ 13 years: "average age about 13 years" of Little Giants
    # (CRITERIA.md §2, Profile) sits near the middle of the universe's ages.
    log_age_2025_median: float = 2.65
    log_age_2025_sd: float = 0.55
    max_age_2025: int = 45
    # Traits are standard normal; correlations are an assumption (capable firms tend
    # to be better managed and more focused).
    corr_capability_focus: float = 0.20
    corr_capability_management: float = 0.35
    corr_focus_management: float = 0.15
    # Years between founding and entering today's niche: exponential, shorter for
    # focused firms (assumption).
    niche_delay_mean_years: float = 2.0
    niche_delay_focus: float = -0.5
    strategic_capability: float = 0.5  # capable firms make strategic-emerging products
    # Provincial "distinctive" indicators: "each province sets 1–3" worth 15 points
    # (CRITERIA.md §1b, row 9); modelled as 3 items of 5 points, met more often by
    # capable firms in active provinces (assumption).
    local_items: int = 3
    local_points_per_item: float = 5.0
    local_intercept: float = -1.5
    local_capability: float = 0.6
    # Review items the input contract cannot carry (a chain supplier that "fills a
    # key supply-chain gap", CRITERIA.md §1b row 4): the reviewer knows them.
    merit_intercept: float = -1.0
    merit_capability: float = 0.8
    # Honours and events behind the direct routes and the "no serious violation"
    # condition (assumptions; rates in docs/synthetic-world.md). A firm whose figures
    # meet the 高新技术企业 tests holds the status when it applies for it: most do,
    # the status being the most common way innovative SMEs qualify.
    high_tech_take_up: float = 0.95
    # At most one S&T award, one 创客中国 placing and one serious violation per firm,
    # each in a year drawn uniformly over the firm's life (up to two years past the
    # panel, which the oracle's horizon reaches). The chance of ever having one is a
    # logistic in capability (awards, contests) or management (violations).
    award_intercept: float = -3.2
    award_capability: float = 0.9
    award_national_share: float = 0.06  # national awards are rare next to provincial ones
    contest_first_year: int = 2016  # 创客中国 started in 2016
    contest_intercept: float = -3.0
    contest_capability: float = 0.6
    contest_national_top500_share: float = 0.20
    contest_national_top50_share: float = 0.04
    violation_intercept: float = -3.4
    violation_management: float = -0.6
    # Multiplier of a division's weight in the universe (none by default): another
    # industry mix, as the robustness evaluation draws (training.robustness).
    industry_weight_factors: MappingProxyType[str, float] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True)
class Dynamics:
    """Coefficients of the yearly financial dynamics (assumptions unless noted)."""

    entry_log_revenue: float = 15.0  # e^15 ≈ 3.3 million CNY in the founding year
    entry_log_revenue_sd: float = 0.7
    entry_capability: float = 0.4
    entry_management: float = 0.2
    young_firm_years: int = 5  # debt and staff turnover are higher in the first years
    startup_years: int = 8  # equity rounds are more likely in the first years
    young_growth: float = 0.30  # extra log growth of a new firm, decaying with age
    young_growth_decay_years: float = 4.0
    growth_capability: float = 0.05
    growth_management: float = 0.02
    # Mean reversion of size: firms stay SMEs. Log revenue is pulled towards a
    # reference (e^16.8 ≈ 20 million in 2014) that grows with the division, plus
    # what a firm's advantages sustain; mature firms grow with their market.
    growth_size_reversion: float = 0.08
    size_reference_log_revenue: float = 16.8
    growth_shock_persistence: float = 0.35
    growth_shock_sd: float = 0.14
    min_revenue: float = 2e5
    # Main-business share: focus drives it (issue #2).
    main_share_intercept: float = 1.25
    main_share_focus: float = 1.1
    main_share_persistence: float = 0.6
    main_share_shock_sd: float = 0.25
    # R&D intensity: capability drives it around the division norm. Little Giants'
    # R&D intensity "averages 10.4 %" (CRITERIA.md §2, Profile, 1 src).
    rd_capability: float = 0.35
    rd_focus: float = 0.10
    rd_persistence: float = 0.7
    rd_shock_sd: float = 0.18
    rd_max: float = 0.6
    rd_staff_base: float = 0.02
    rd_staff_per_rd_intensity: float = 1.8
    rd_staff_sd: float = 0.03
    gross_margin_capability: float = 0.035
    gross_margin_focus: float = 0.02
    gross_margin_persistence: float = 0.5
    gross_margin_shock_sd: float = 0.03
    net_margin_rd_cost: float = 0.7  # share of R&D expense not recovered (super-deduction)
    net_margin_management: float = 0.02
    net_margin_shock_sd: float = 0.03
    productivity_management: float = 0.15
    productivity_capability: float = 0.10
    productivity_firm_sd: float = 0.30
    asset_firm_sd: float = 0.25
    debt_intercept: float = -0.30  # logit of debt / assets: median ≈ 43 %
    debt_management: float = -0.35
    debt_persistence: float = 0.7
    debt_shock_sd: float = 0.25
    debt_young: float = 0.3
    asset_shock_sd: float = 0.1
    # Patents: about 14–17 invention patents per Little Giant, 26.6 by 2024
    # (CRITERIA.md §2, Profile).
    invention_rate: float = 0.10  # per (R&D million CNY)^0.6
    invention_rd_elasticity: float = 0.6
    invention_capability: float = 0.35
    patent_lapse: float = 0.03
    class1_tie_intercept: float = 0.5  # logit share of new inventions tied to the main product
    class1_tie_focus: float = 0.8
    class1_other_rate: float = 0.05  # other Class-I IP (e.g. software, IC layouts)
    class1_other_capability: float = 0.5
    class2_rate: float = 0.8
    class2_rd_elasticity: float = 0.6
    class2_lapse: float = 0.08
    class2_capability: float = 0.2
    rd_institution_intercept: float = -3.6
    rd_institution_capability: float = 1.0
    rd_institution_rd: float = 0.6  # per log10 of R&D expense in millions
    rd_institution_level: float = -0.9
    rd_institution_trend: float = 0.05
    digital_intercept: float = -3.2
    digital_management: float = 0.7
    digital_capability: float = 0.3
    digital_trend: float = 0.18
    digital_level: float = -0.8
    quality_cert_intercept: float = -1.5
    quality_cert_management: float = 0.8
    certificate_size: float = 0.3  # per log10 of revenue in units of 10 million
    quality_award_intercept: float = -5.6
    quality_award_management: float = 0.7
    quality_award_capability: float = 0.6
    quality_award_size: float = 0.4
    own_brand_intercept: float = -2.2
    own_brand_focus: float = 0.6
    own_brand_capability: float = 0.4
    certificate_drop: float = 0.02
    standards_rate: float = 0.02
    standards_capability: float = 0.6
    standards_share: float = 2.5
    key_supplier_intercept: float = -3.5
    key_supplier_share: float = 6.0
    key_supplier_capability: float = 0.8
    key_supplier_focus: float = 0.5
    key_supplier_drop: float = 0.05
    equity_intercept: float = -3.6
    equity_capability: float = 0.7
    equity_young: float = 0.3
    equity_log_median: float = 16.8  # e^16.8 ≈ 20 million CNY per round
    equity_sd: float = 0.8
    equity_size_capability: float = 0.5
    exporter_start_rate: float = 0.06  # x P(exporter) from the firm's propensity
    export_intercept: float = -1.2
    export_capability: float = 0.4
    export_propensity: float = 0.3
    export_persistence: float = 0.8
    export_shock_sd: float = 0.3
    market_size_focus: float = -1.0  # focused firms pick narrower niches
    market_size_capability: float = -0.3
    market_size_sd: float = 0.8
    max_market_share: float = 0.9
    world_multiplier_log_median: float = 1.4  # world niche ≈ 4 × the national one
    world_multiplier_sd: float = 0.5
    world_rank_scale: float = 0.3  # rank ≈ 0.3 / world share
    world_rank_sd: float = 0.3
    world_rank_max: float = 9999.0
    top5_focus: float = 0.5
    top5_size: float = -0.25
    customer_persistence: float = 0.7
    customer_shock_sd: float = 0.3
    repeat_intercept: float = 0.2
    repeat_management: float = 0.4
    repeat_focus: float = 0.4
    repeat_age: float = 0.05
    repeat_age_cap: float = 20.0
    repeat_shock: float = 0.5
    tenure_intercept: float = 0.3
    tenure_focus: float = 0.4
    tenure_management: float = 0.3
    tenure_sd: float = 0.3
    turnover_intercept: float = -1.7
    turnover_management: float = -0.45
    turnover_young: float = 0.3
    turnover_sd: float = 0.3
    exit_intercept: float = -4.2
    exit_capability: float = -0.4
    exit_management: float = -0.4
    exit_loss: float = 1.0


# Macro shocks to log revenue growth by year (assumption: 2015–16 slowdown, the
# 2020 pandemic dip and 2021 rebound).
MACRO_GROWTH: Final = MappingProxyType(
    {2015: -0.03, 2016: -0.02, 2019: -0.01, 2020: -0.06, 2021: 0.05, 2022: -0.02}
)
# Primary-market equity boom (assumption; "about 40 % raised primary-market equity",
# CRITERIA.md §2, Profile).
EQUITY_BOOM: Final = MappingProxyType({2016: 0.2, 2017: 0.3, 2020: 0.3, 2021: 0.5, 2022: 0.2})


@dataclass(frozen=True)
class Missingness:
    """How often published fields are missing (issue #2: customer and market-share
    fields most often, others rarely); the review sees complete values."""

    customer_fields: tuple[str, ...] = (
        "top5_customer_share",
        "repeat_customer_share",
        "avg_customer_tenure_years",
    )
    market_fields: tuple[str, ...] = (
        "national_market_share",
        "world_market_share",
        "world_market_rank",
    )
    customer_rate: float = 0.40
    market_rate: float = 0.50
    other_rate: float = 0.02
    firm_disclosure_sd: float = 1.2  # firm-level disclosure habit (logit scale)
    never_missing: tuple[str, ...] = (
        "company_id",
        "name",
        "fiscal_year",
        "founded_year",
        "province",
        "industry",
        "revenue",
        "revenue_prev",
        "revenue_prev2",
        "current_tier",
    )


@dataclass(frozen=True)
class Certification:
    """Application, review, quota and expiry of the three Chinese tiers."""

    # "each status valid 3 years, then re-reviewed" (CRITERIA.md §1); the same number
    # the rule tables and the scorer add to tier_since.
    status_years: int = STATUS_YEARS
    innovative_from: int = 2022  # 工信部企业〔2022〕63号 "In force 2022-08-01" (CRITERIA.md §1)
    # Provincial SRDI lists predate 2022 (provincial programmes since 2013); they are
    # modelled with the cn-2022 tables throughout, documented in docs/synthetic-world.md.
    provincial_from: int = 2014
    little_giant_from: int = 2019
    # "Little Giant batches: 2019: 248; 2020: 1,744; ..." (CRITERIA.md §2).
    little_giant_batches: MappingProxyType[int, int] = field(
        default_factory=lambda: MappingProxyType(
            {2019: 248, 2020: 1744, 2021: 2930, 2022: 4357, 2023: 3671, 2024: 3012, 2025: 3482}
        )
    )
    # Quotas scale so Little Giants are this share of the firms alive in 2025:
    # "Little Giants are 3.5 % of industrial SMEs above designated size" and
    # "Cumulative ... 17,600+ (late 2025)" (CRITERIA.md §2).
    little_giant_share: float = 0.035
    little_giant_holders_2025: int = 17_600
    # Application propensity (logit): intercept by tier and year, plus shifts.
    # Ramps follow "Provincial SRDI SMEs: < 40,000 (2021) → > 140,000 (2025)"
    # (CRITERIA.md §2) and the 2022 graded-cultivation scheme.
    apply_innovative: MappingProxyType[int, float] = field(
        default_factory=lambda: MappingProxyType({2022: -0.6, 2023: -0.4, 2024: -0.4, 2025: -0.4})
    )
    apply_srdi: MappingProxyType[int, float] = field(
        default_factory=lambda: MappingProxyType(
            {
                2014: -5.5,
                2015: -5.3,
                2016: -5.1,
                2017: -4.9,
                2018: -4.3,
                2019: -4.0,
                2020: -3.8,
                2021: -3.6,
                2022: -2.5,
                2023: -2.4,
                2024: -2.4,
                2025: -2.4,
            }
        )
    )
    apply_little_giant: float = 0.5
    apply_capability: float = 0.5
    apply_policy: float = 1.0
    apply_tier: float = 0.4
    apply_eligible: float = 1.2  # firms know their own figures (self-assessment)
    # Review: the reviewer scores the 100-point table with noise, so marginal
    # applicants fail and a few that miss the pass mark by a point or two pass
    # (hard entry conditions are never waived).
    review_points_sd: float = 1.0
    review_points_offset: float = 0.5  # points are whole numbers: 60 passes most of the time
    # Little Giant review score: the 13-indicator points plus reviewer noise; the
    # batch quota sets the cut-off (CRITERIA.md §2 batch sizes).
    little_giant_review_sd: float = 6.0
    # Re-review at expiry: "Re-review pass rate 2025: 87 % (1 src)" (CRITERIA.md §2).
    # The re-review applies the criteria to the firm's figures: a firm still meeting
    # them almost always keeps the status; one that slipped on a soft criterion but
    # kept the entry conditions (the tier's required criteria; for a Little Giant,
    # the provincial ones) keeps it the more often the closer its points stay to the
    # bar: up to rereview_pass_lapsed x Phi((points - reference) / sd), where points
    # are the tier's own table (the provincial points for a Little Giant, whose table
    # has none). Reference and sd are an assumption, set so the overall pass rate
    # stays near the published 87 %. Every tier's required criteria include the SME
    # size test and no serious violation: a firm grown large or with a violation fails
    # outright.
    rereview_pass_eligible: float = 0.99
    rereview_pass_lapsed: float = 0.9
    rereview_points_reference: MappingProxyType[int, float] = field(
        default_factory=lambda: MappingProxyType({1: 42.0, 2: 46.0, 3: 62.0})
    )
    rereview_points_sd: float = 4.0


@dataclass(frozen=True)
class Calibration:
    """Everything the simulator needs; pass a modified copy to explore variants."""

    population: Population = field(default_factory=Population)
    dynamics: Dynamics = field(default_factory=Dynamics)
    missingness: Missingness = field(default_factory=Missingness)
    certification: Certification = field(default_factory=Certification)


DEFAULT_CALIBRATION: Final = Calibration()

DEFAULT_ORACLE_REPLICATES: Final = 8
"""Monte Carlo rollouts per firm-year (the closed-form parts need none)."""
