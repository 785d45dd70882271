"""The feature catalog: every model feature with its family, label, unit and sign.

Order matters: :class:`features.pipeline.FeaturePipeline` returns its matrix in
catalog order, and a model bundle refuses a catalog that differs from its own.

Units: ``%`` is a 0–1 fraction shown as a percentage; ``pp`` a difference of
two such fractions shown in percentage points; ``log10 CNY`` is log10(1 + yuan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = ["FAMILIES", "FEATURES", "FEATURE_BY_NAME", "FEATURE_NAMES", "FeatureSpec"]

FAMILIES: Mapping[str, str] = MappingProxyType(
    {
        "specialization": "Specialization",
        "rd_intensity": "R&D intensity",
        "margin": "Margin",
        "customer_stickiness": "Customer stickiness",
        "growth": "Growth",
        "financial_health": "Financial health",
        "internationalization": "Internationalization",
        "scale_age": "Scale and age",
        "workforce_stability": "Workforce stability",
        "digital_quality": "Digitalisation and quality",
    }
)


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One model feature.

    Attributes
    ----------
    name : str
        Column name in the feature matrix.
    family : str
        Key of :data:`FAMILIES`; reasons are grouped by it.
    label : str
        Plain-language label for reasons and the page.
    unit : str
        Display unit (see module docstring).
    direction : {1, -1, 0}
        Sign the domain expects: +1 higher helps certification, -1 hurts, 0 unclear
        (e.g. size: SMEs only, yet Little Giants are the larger SMEs).
    monotone : bool
        Whether a model may constrain the feature to ``direction``.
    baseline_of : str or None
        For industry-relative features, the feature whose industry median is
        subtracted (``gross_margin`` for ``gross_margin_vs_industry``).
    """

    name: str
    family: str
    label: str
    unit: str
    direction: Literal[-1, 0, 1]
    monotone: bool
    baseline_of: str | None = None


def _f(
    name: str,
    family: str,
    label: str,
    unit: str,
    direction: Literal[-1, 0, 1] = 1,
    monotone: bool = True,
    baseline_of: str | None = None,
) -> FeatureSpec:
    return FeatureSpec(name, family, label, unit, direction, monotone, baseline_of)


FEATURES: tuple[FeatureSpec, ...] = (
    # specialization
    _f("main_business_share", "specialization", "Main-business share of revenue", "%"),
    _f(
        "main_business_share_change",
        "specialization",
        "Change in main-business share since last year",
        "pp",
        monotone=False,
    ),
    _f("years_in_niche", "specialization", "Years in the niche", "years"),
    _f("national_market_share", "specialization", "National share of the niche market", "%"),
    _f(
        "strategic_emerging",
        "specialization",
        "Main product in a strategic emerging industry",
        "yes/no",
    ),
    _f(
        "key_chain_supplier",
        "specialization",
        "Supplies chain leaders or fills a key gap",
        "yes/no",
    ),
    # rd_intensity
    _f("rd_intensity", "rd_intensity", "R&D expense / revenue", "%"),
    _f("rd_intensity_prev", "rd_intensity", "R&D expense / revenue last year", "%"),
    _f(
        "rd_intensity_vs_industry",
        "rd_intensity",
        "R&D intensity minus the industry median",
        "pp",
        baseline_of="rd_intensity",
    ),
    _f("log_rd_expense", "rd_intensity", "R&D expense (scale)", "log10 CNY"),
    _f("rd_staff_share", "rd_intensity", "R&D staff share of headcount", "%"),
    _f("class1_ip", "rd_intensity", "Class-I IP items tied to the main product", "count"),
    _f("class1_ip_per_100_staff", "rd_intensity", "Class-I IP per 100 staff", "per 100 staff"),
    _f(
        "invention_patents_per_100_staff",
        "rd_intensity",
        "Invention patents per 100 staff",
        "per 100 staff",
    ),
    _f(
        "rd_institution_level",
        "rd_intensity",
        "R&D institution level (0 none – 4 national)",
        "level",
    ),
    # margin
    _f("gross_margin", "margin", "Gross margin", "%"),
    _f("net_margin", "margin", "Net margin", "%"),
    _f(
        "gross_margin_vs_industry",
        "margin",
        "Gross margin minus the industry median",
        "pp",
        baseline_of="gross_margin",
    ),
    # customer_stickiness
    _f(
        "top5_customer_share",
        "customer_stickiness",
        "Revenue share of the top-5 customers",
        "%",
        direction=0,
        monotone=False,
    ),
    _f(
        "repeat_customer_share",
        "customer_stickiness",
        "Revenue share from customers of 3+ years",
        "%",
    ),
    _f("avg_customer_tenure_years", "customer_stickiness", "Average customer tenure", "years"),
    # growth
    _f("revenue_growth", "growth", "Revenue growth over last year", "%"),
    _f("revenue_cagr_2y", "growth", "Revenue growth, 2-year annual rate", "%"),
    _f(
        "revenue_cagr_2y_vs_industry",
        "growth",
        "Revenue growth minus the industry median",
        "pp",
        baseline_of="revenue_cagr_2y",
    ),
    _f("main_business_growth", "growth", "Main-business revenue growth over last year", "%"),
    _f("main_business_cagr_2y", "growth", "Main-business revenue growth, 2-year annual rate", "%"),
    # financial_health
    _f("debt_ratio", "financial_health", "Debt / assets", "%", direction=-1),
    _f("roa", "financial_health", "Return on assets", "%"),
    _f("roe", "financial_health", "Return on equity", "%", monotone=False),
    _f("log_equity_raised_2y", "financial_health", "Equity raised in 2 years (scale)", "log10 CNY"),
    # internationalization
    _f("export_share", "internationalization", "Export share of revenue", "%"),
    _f("world_market_share", "internationalization", "World share of the niche market", "%"),
    _f(
        "world_market_rank",
        "internationalization",
        "Rank in the world niche market",
        "rank",
        direction=-1,
    ),
    # scale_age
    _f("log_revenue", "scale_age", "Revenue (scale)", "log10 CNY", direction=0, monotone=False),
    _f(
        "log_employees",
        "scale_age",
        "Headcount (scale)",
        "log10 persons",
        direction=0,
        monotone=False,
    ),
    _f("firm_age", "scale_age", "Firm age", "years", direction=0, monotone=False),
    # workforce_stability
    _f("staff_turnover", "workforce_stability", "Yearly staff turnover", "%", direction=-1),
    # digital_quality
    _f("digital_level", "digital_quality", "Digitalisation level (1–4)", "level"),
    _f(
        "quality_items",
        "digital_quality",
        "Quality items met (certification, brand, award, standards)",
        "count",
    ),
    _f("quality_certification", "digital_quality", "ISO9001-type certification", "yes/no"),
    _f("own_brand", "digital_quality", "Own brand", "yes/no"),
    _f("quality_award", "digital_quality", "Provincial-or-higher quality award", "yes/no"),
    _f("standards_drafted", "digital_quality", "Standards drafted", "count"),
    _f("current_tier_level", "digital_quality", "Certification tier already held", "level"),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_BY_NAME: Mapping[str, FeatureSpec] = MappingProxyType({f.name: f for f in FEATURES})
