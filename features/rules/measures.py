"""Named measures the rule tables compare, declared as data.

Most measures are one arithmetic step on input fields — a field in another unit,
a ratio, a growth rate, a sum or a product, divided by constants or exchange rates
— and are declared as a :class:`Formula`: the plan (``features.rules.plan``)
evaluates every formula of one kind in one matrix operation, so one record does
not pay fifty separate small numpy computations. Measures of a text field are a
:class:`Lookup` (one call per distinct value), and the few that need more are a
:class:`Custom` vectorized function. Every measure is ``float64`` with ``NaN`` for
unknown; a division by zero or by a missing value gives ``NaN``. Ratios and
growth rates are :mod:`features.derive`'s, so a rule and a feature of the same
name give the same number (the same arithmetic, without ``derive``'s own
``np.errstate``: the engine evaluates under one for the whole plan).

An input named by a plain string is a contract field; :class:`MeasureRef` names
another measure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, TypeAlias

import numpy as np

from features.derive import RD_INSTITUTION_LEVELS, TIER_LEVELS
from features.fields import CONTEST_RANK_CHOICES, ST_AWARD_CHOICES
from features.rules import cn_sme_2011
from features.rules import units as u
from features.rules.currency import CurrencyRates
from features.rules.logic import FloatArray
from features.rules.sector_tables import (
    JP_SME_EMPLOYEE_LIMIT_DEFAULT,
    JP_SME_EMPLOYEE_LIMITS,
    KR_EXCLUDED_SECTIONS,
    KR_SME_REVENUE_BOUNDS_KRW_BN,
    lookup_by_division,
)

WAN = 1e4  # yuan per 万
BN = 1e9
MILLION = 1e6
JP_MID_SIZED_MAX_REVENUE_JPY_BN = 100.0  # 中堅企業: revenue up to ¥100bn (1,000億円)

Rate: TypeAlias = Literal["eur", "jpy", "krw", "usd"]
Divisor: TypeAlias = float | Rate  # a constant, or CNY per unit of a currency
FormulaKind: TypeAlias = Literal["field", "ratio", "growth", "sum", "product"]


@dataclass(frozen=True)
class MeasureRef:
    """An input that is another measure (a plain string is a contract field)."""

    name: str


Source: TypeAlias = str | MeasureRef


@dataclass(frozen=True)
class Formula:
    """One arithmetic step, then divided by ``divisors`` in order.

    ``field``: ``a``; ``ratio``: ``derive.ratio(a, b)``; ``growth``:
    ``derive.growth(a, b)``; ``sum``: ``a + b``; ``product``: ``a * b``.
    """

    kind: FormulaKind
    inputs: tuple[Source, ...]
    divisors: tuple[Divisor, ...] = ()

    def __post_init__(self) -> None:
        arity = 1 if self.kind == "field" else 2
        if len(self.inputs) != arity:
            raise ValueError(f"a {self.kind} formula takes {arity} input(s), got {self.inputs}")
        if len(self.divisors) > 2:
            raise ValueError(f"at most two divisors, got {self.divisors}")


@dataclass(frozen=True)
class Lookup:
    """A number per value of a text field; ``lookup`` raises ``KeyError`` for unknown ones."""

    field: str
    lookup: Callable[[str], float]


@dataclass(frozen=True)
class Custom:
    """A vectorized function of its inputs and the exchange rates.

    ``compute`` receives the inputs stacked as a ``(len(inputs), rows)`` matrix.
    """

    inputs: tuple[Source, ...]
    compute: Callable[[FloatArray, CurrencyRates], FloatArray]


Definition: TypeAlias = Formula | Lookup | Custom


@dataclass(frozen=True)
class MeasureSpec:
    """A named measure: plain-language label, unit, description and definition."""

    label: str
    unit: str
    description: str
    definition: Definition

    @property
    def inputs(self) -> tuple[Source, ...]:
        """Fields and measures the definition reads (a lookup reads a text field)."""
        return () if isinstance(self.definition, Lookup) else self.definition.inputs


def field(name: str, *divisors: Divisor) -> Formula:
    """The input field ``name`` (divided by ``divisors``)."""
    return Formula("field", (name,), divisors)


def ratio_of(a: Source, b: Source, *divisors: Divisor) -> Formula:
    """``a / b``, ``NaN`` where not finite (divided by ``divisors``)."""
    return Formula("ratio", (a, b), divisors)


def growth_of(now: Source, before: Source) -> Formula:
    """``now / before - 1``, ``NaN`` unless ``before`` is positive."""
    return Formula("growth", (now, before))


def sum_of(a: Source, b: Source, *divisors: Divisor) -> Formula:
    """``a + b`` (divided by ``divisors``)."""
    return Formula("sum", (a, b), divisors)


def product_of(a: Source, b: Source, *divisors: Divisor) -> Formula:
    """``a * b`` (divided by ``divisors``)."""
    return Formula("product", (a, b), divisors)


def ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``features.derive.ratio``: ``a / b``, ``NaN`` where not finite.

    Call under ``np.errstate(all="ignore")`` (as the engine does).
    """
    values = numerator / denominator
    out: FloatArray = np.where(np.isfinite(values), values, np.nan)
    return out


def growth(now: FloatArray, before: FloatArray) -> FloatArray:
    """``features.derive.growth``: ``now / before - 1``, ``NaN`` unless ``before`` > 0.

    Call under ``np.errstate(all="ignore")`` (as the engine does).
    """
    values = np.where(before > 0, now, np.nan) / before - 1.0
    out: FloatArray = np.where(np.isfinite(values), values, np.nan)
    return out


def _field_into(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    out[...] = a


def _ratio_into(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    np.divide(a, b, out=out)  # non-finite results become NaN in the plan's clean-up


def _growth_into(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    np.divide(np.where(b > 0, a, np.nan), b, out=out)
    np.subtract(out, 1.0, out=out)


def _sum_into(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    np.add(a, b, out=out)


def _product_into(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    np.multiply(a, b, out=out)


# The arithmetic of each formula kind on stacked inputs, written into ``out``; a
# ratio or growth rate is then set to NaN where not finite (see ``NEEDS_FINITE``),
# which makes them :func:`ratio` and :func:`growth` exactly.
FORMULA_KERNELS: Mapping[FormulaKind, Callable[[FloatArray, FloatArray, FloatArray], None]] = (
    MappingProxyType(
        {
            "field": _field_into,
            "ratio": _ratio_into,
            "growth": _growth_into,
            "sum": _sum_into,
            "product": _product_into,
        }
    )
)
NEEDS_FINITE: frozenset[FormulaKind] = frozenset({"ratio", "growth"})


def divisor_value(divisor: Divisor, rates: CurrencyRates) -> float:
    """A divisor as a number (an exchange rate looked up in ``rates``)."""
    return float(getattr(rates, divisor)) if isinstance(divisor, str) else float(divisor)


def nanmean_rows(stacked: FloatArray) -> FloatArray:
    """Column mean over the known values of a ``(k, rows)`` matrix; ``NaN`` where none is.

    The known values are added in row order (unknown ones as 0.0), one addition
    after the other, so a row's mean does not depend on how many rows are evaluated.
    """
    known = stacked == stacked  # not NaN
    parts = np.where(known, stacked, 0.0)
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return ratio(total, np.add.reduce(known, axis=0, dtype=np.float64))


# Enum levels, lowest first: none 0, then each choice one higher.
ST_AWARD_LEVELS: Mapping[str, float] = MappingProxyType(
    {choice: float(level) for level, choice in enumerate(ST_AWARD_CHOICES)}
)
CONTEST_LEVELS: Mapping[str, float] = MappingProxyType(
    {choice: float(level) for level, choice in enumerate(CONTEST_RANK_CHOICES)}
)

# --- custom measures -----------------------------------------------------------------


def _cn_sme_status(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    return cn_sme_2011.sme_status(x)


def _quality_items_met(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    # Shown beside the quality-management points; NaN when any item is unknown.
    award, certification, brand, standards = x
    drafted = (standards >= 1) + standards * 0.0  # 1.0 / 0.0, NaN where unknown
    out: FloatArray = award + certification + brand + drafted
    return out


_LG_RD_FLOORS = np.array([np.inf, 0.06, 0.03])  # below 5000万, 5000万-1亿, from 1亿


def _lg_rd_intensity_threshold(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    # Little Giant: the R&D-intensity floor depends on prior-year revenue; below
    # 5000万 the intensity route does not apply (+inf), the financing route does.
    (revenue,) = x
    band = (revenue >= 5_000).view(np.uint8) + (revenue >= 10_000).view(np.uint8)
    out: FloatArray = _LG_RD_FLOORS.take(band) + revenue * 0.0  # + 0.0, or NaN when unknown
    return out


def _revenue_avg_3y_krw_bn(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    # The SME test uses the 3-year average; years not reported are left out.
    out: FloatArray = nanmean_rows(x) / rates.krw / BN
    return out


def _rd_intensity_available(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    # World Class 300 asks for 3 years; the record holds 2: pool the years reported.
    # x: R&D of t and t-1, then revenue of t and t-1.
    known = x == x  # not NaN
    both = known[:2] & known[2:]
    rd_now, rd_prev = np.where(both, x[:2], 0.0)
    revenue_now, revenue_prev = np.where(both, x[2:], 0.0)
    return ratio(rd_now + rd_prev, revenue_now + revenue_prev)


def _mean_of_known(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    return nanmean_rows(x)


def _jp_is_large(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    # Large = neither an SME (employees within the industry's limit) nor mid-sized
    # (revenue ≤ ¥100bn). Either fact alone settles "not large".
    employees, limit, revenue = x
    not_large = (employees <= limit) | (revenue <= JP_MID_SIZED_MAX_REVENUE_JPY_BN)
    large = (employees > limit) & (revenue > JP_MID_SIZED_MAX_REVENUE_JPY_BN)
    return np.where(large, 1.0, np.where(not_large, 0.0, np.nan))


_GNT_SHARE, _GNT_SHARE_LARGE = 0.10, 0.20  # 0.10 + (0.20 - 0.10) is 0.20 exactly


def _jp_world_share_threshold(x: FloatArray, rates: CurrencyRates) -> FloatArray:
    # jp_is_large is 1.0, 0.0 or NaN: 20% for large firms, 10% for the others.
    (is_large,) = x
    out: FloatArray = _GNT_SHARE + (_GNT_SHARE_LARGE - _GNT_SHARE) * is_large
    return out


# --- lookups of one text value -------------------------------------------------------


def kr_sme_revenue_bound_of(code: str) -> float:
    """The Korean SME revenue bound (₩bn) of a GB/T 4754 code (``KeyError`` if none)."""
    return lookup_by_division(KR_SME_REVENUE_BOUNDS_KRW_BN, code)


def kr_excluded_sector_of(code: str) -> float:
    """1.0 for a financial or public-sector code, else 0.0."""
    return 1.0 if code[:1] in KR_EXCLUDED_SECTIONS else 0.0


def jp_sme_employee_limit_of(code: str) -> float:
    """The Japanese SME employee ceiling of a GB/T 4754 code."""
    return JP_SME_EMPLOYEE_LIMITS.get(
        code, JP_SME_EMPLOYEE_LIMITS.get(code[:1], JP_SME_EMPLOYEE_LIMIT_DEFAULT)
    )


def _spec(label: str, unit: str, definition: Definition, description: str) -> MeasureSpec:
    return MeasureSpec(label=label, unit=unit, description=description, definition=definition)


MEASURES: Mapping[str, MeasureSpec] = MappingProxyType(
    {
        # China, money in 万元
        "revenue_wan": _spec(
            "Revenue", u.WAN_YUAN, field("revenue", WAN), "prior-year operating revenue"
        ),
        "rd_expense_wan": _spec(
            "R&D expense", u.WAN_YUAN, field("rd_expense", WAN), "prior-year R&D expense"
        ),
        "rd_avg_2y_wan": _spec(
            "2-year average R&D expense",
            u.WAN_YUAN,
            sum_of("rd_expense", "rd_expense_prev", 2.0, WAN),
            "(R&D_t + R&D_t-1) / 2",
        ),
        "rd_cum_2y_wan": _spec(
            "2-year cumulative R&D expense",
            u.WAN_YUAN,
            sum_of("rd_expense", "rd_expense_prev", WAN),
            "R&D_t + R&D_t-1",
        ),
        "equity_2y_wan": _spec(
            "Equity raised in 2 years",
            u.WAN_YUAN,
            field("equity_raised_2y", WAN),
            "new equity financing in the last 2 years",
        ),
        # China, shares
        "rd_intensity": _spec(
            "R&D intensity", u.PERCENT, ratio_of("rd_expense", "revenue"), "R&D_t / revenue_t"
        ),
        "rd_intensity_prev": _spec(
            "R&D intensity (year before)",
            u.PERCENT,
            ratio_of("rd_expense_prev", "revenue_prev"),
            "R&D_t-1 / revenue_t-1",
        ),
        "main_business_share": _spec(
            "Main-business share",
            u.PERCENT,
            ratio_of("main_business_revenue", "revenue"),
            "main-business revenue_t / revenue_t",
        ),
        "main_business_growth": _spec(
            "Main-business revenue growth",
            u.PERCENT,
            growth_of("main_business_revenue", "main_business_revenue_prev"),
            "main-business revenue_t / main-business revenue_t-1 - 1",
        ),
        "main_business_growth_prev": _spec(
            "Main-business revenue growth (year before)",
            u.PERCENT,
            growth_of("main_business_revenue_prev", "main_business_revenue_prev2"),
            "main-business revenue_t-1 / main-business revenue_t-2 - 1",
        ),
        "main_business_growth_avg_2y": _spec(
            "2-year average main-business growth",
            u.PERCENT,
            # 近2年平均增长率: the mean of the two yearly rates; both years are needed.
            sum_of(
                MeasureRef("main_business_growth"), MeasureRef("main_business_growth_prev"), 2.0
            ),
            "mean of the growth rates of t and t-1",
        ),
        "debt_ratio": _spec(
            "Debt ratio",
            u.PERCENT,
            ratio_of("total_liabilities", "total_assets"),
            "total liabilities / total assets",
        ),
        "net_margin": _spec(
            "Net margin", u.PERCENT, ratio_of("net_profit", "revenue"), "net profit / revenue"
        ),
        "rd_staff_share": _spec(
            "R&D staff share", u.PERCENT, ratio_of("rd_staff", "employees"), "R&D staff / employees"
        ),
        "national_market_share": _spec(
            "National market share",
            u.PERCENT,
            field("national_market_share"),
            "share of the main product's national niche market",
        ),
        "world_market_share": _spec(
            "World market share",
            u.PERCENT,
            field("world_market_share"),
            "share of the main product's world niche market",
        ),
        "export_share": _spec(
            "Export share", u.PERCENT, field("export_share"), "exports / revenue"
        ),
        # China, counts, years, flags, levels
        "years_in_niche": _spec(
            "Years in the niche", u.YEARS, field("years_in_niche"), "years in the niche"
        ),
        "class1_ip": _spec(
            "Class-I IP", u.COUNT, field("class1_ip"), "Class-I IP tied to the main product"
        ),
        "class2_ip": _spec("Class-II IP", u.COUNT, field("class2_ip"), "Class-II IP"),
        "invention_patents": _spec(
            "Invention patents", u.COUNT, field("invention_patents"), "valid invention patents"
        ),
        "standards_drafted": _spec(
            "Standards drafted", u.COUNT, field("standards_drafted"), "standards co-drafted"
        ),
        "quality_items_met": _spec(
            "Quality items met",
            u.COUNT,
            Custom(
                ("quality_award", "quality_certification", "own_brand", "standards_drafted"),
                _quality_items_met,
            ),
            "quality award + certification + own brand + drafted a standard",
        ),
        "strategic_emerging": _spec(
            "Strategic emerging industry",
            u.FLAG,
            field("strategic_emerging"),
            "main product in the strategic-emerging-industries list",
        ),
        "key_chain_supplier": _spec(
            "Key supply-chain role",
            u.FLAG,
            field("key_chain_supplier"),
            "supplies chain leaders / fills a key gap",
        ),
        "quality_certification": _spec(
            "Quality certification",
            u.FLAG,
            field("quality_certification"),
            "ISO9001-type certification",
        ),
        "own_brand": _spec("Own brand", u.FLAG, field("own_brand"), "has an own brand"),
        "high_tech_enterprise": _spec(
            "High-tech enterprise",
            u.FLAG,
            field("high_tech_enterprise"),
            "valid 高新技术企业 status or a similar honour",
        ),
        "serious_violation_3y": _spec(
            "Serious violation in 3 years",
            u.FLAG,
            field("serious_violation_3y"),
            "major incident, tax evasion or a serious-dishonesty listing in 3 years",
        ),
        "st_award_level": _spec(
            "S&T award in 3 years",
            u.LEVEL,
            Lookup("st_award_3y", ST_AWARD_LEVELS.__getitem__),
            "none 0, provincial 1, national 2",
        ),
        "contest_level": _spec(
            "创客中国 placing in 3 years",
            u.LEVEL,
            Lookup("contest_rank", CONTEST_LEVELS.__getitem__),
            "none 0, provincial top 1, national top 500 2, national top 50 3",
        ),
        # The SME size standard (features.rules.cn_sme_2011)
        "employees": _spec("Employees", u.COUNT, field("employees"), "headcount at year end"),
        "total_assets_wan": _spec(
            "Total assets", u.WAN_YUAN, field("total_assets", WAN), "total assets at year end"
        ),
        "cn_sme_sector": _spec(
            "Sector of the SME size standard",
            u.LEVEL,
            Lookup("industry", cn_sme_2011.sector_index),
            f"index of the industry's sector in {cn_sme_2011.VERSION}",
        ),
        "cn_sme_status": _spec(
            "SME",
            u.FLAG,
            Custom(
                (
                    "employees",
                    MeasureRef("revenue_wan"),
                    MeasureRef("total_assets_wan"),
                    MeasureRef("cn_sme_sector"),
                ),
                _cn_sme_status,
            ),
            f"1 SME, 0 large firm under {cn_sme_2011.VERSION}; unknown when the figures "
            "cannot tell",
        ),
        # Re-review
        "tier_since": _spec(
            "Tier held since", u.YEARS, field("tier_since"), "year the held tier was granted"
        ),
        "fiscal_year": _spec("Fiscal year", u.YEARS, field("fiscal_year"), "fiscal year t"),
        "quality_award": _spec(
            "Quality award", u.FLAG, field("quality_award"), "provincial-or-higher quality award"
        ),
        "digital_level": _spec(
            "Digitalisation level", u.LEVEL, field("digital_level"), "SME digitalisation 1-4"
        ),
        "rd_institution_level": _spec(
            "R&D institution level",
            u.LEVEL,
            Lookup("rd_institution", RD_INSTITUTION_LEVELS.__getitem__),
            "none 0, below municipal 1, municipal 2, provincial 3, national 4",
        ),
        "tier_rank": _spec(
            "Certification held",
            u.LEVEL,
            Lookup("current_tier", TIER_LEVELS.__getitem__),
            "none 0, innovative SME 1, SRDI SME 2, Little Giant 3",
        ),
        "lg_rd_intensity_threshold": _spec(
            "Little Giant R&D-intensity floor",
            u.PERCENT,
            Custom((MeasureRef("revenue_wan"),), _lg_rd_intensity_threshold),
            "3% when revenue >= 1亿, 6% when 5000万-1亿, +inf (route n/a) below",
        ),
        # Foreign schemes: money in their currency
        "world_market_rank": _spec(
            "World market rank", u.RANK, field("world_market_rank"), "rank in the world niche"
        ),
        "revenue_eur_bn": _spec(
            "Revenue", u.EUR_BN, field("revenue", "eur", BN), "revenue in € billion"
        ),
        "revenue_jpy_bn": _spec(
            "Revenue", u.JPY_BN, field("revenue", "jpy", BN), "revenue in ¥ billion"
        ),
        "revenue_krw_bn": _spec(
            "Revenue", u.KRW_BN, field("revenue", "krw", BN), "revenue in ₩ billion"
        ),
        "revenue_avg_3y_krw_bn": _spec(
            "3-year average revenue",
            u.KRW_BN,
            Custom(("revenue", "revenue_prev", "revenue_prev2"), _revenue_avg_3y_krw_bn),
            "mean of the reported revenues of t, t-1, t-2 in ₩ billion",
        ),
        "total_assets_krw_bn": _spec(
            "Total assets", u.KRW_BN, field("total_assets", "krw", BN), "total assets in ₩ billion"
        ),
        "exports_usd_m": _spec(
            "Exports",
            u.USD_M,
            product_of("revenue", "export_share", "usd", MILLION),
            "revenue x export share in US$ million",
        ),
        "rd_intensity_available": _spec(
            "R&D intensity (years reported)",
            u.PERCENT,
            Custom(
                ("rd_expense", "rd_expense_prev", "revenue", "revenue_prev"),
                _rd_intensity_available,
            ),
            "sum of R&D / sum of revenue over t and t-1 where both are reported",
        ),
        "revenue_growth_available": _spec(
            "Average revenue growth (years reported)",
            u.PERCENT,
            # World Class 300 asks for 5-year average growth; the record holds 2 rates.
            Custom(
                (MeasureRef("revenue_growth"), MeasureRef("revenue_growth_prev")), _mean_of_known
            ),
            "mean of the reported yearly revenue growth rates of t and t-1",
        ),
        "revenue_growth": _spec(
            "Revenue growth",
            u.PERCENT,
            growth_of("revenue", "revenue_prev"),
            "revenue_t / revenue_t-1 - 1",
        ),
        "revenue_growth_prev": _spec(
            "Revenue growth (year before)",
            u.PERCENT,
            growth_of("revenue_prev", "revenue_prev2"),
            "revenue_t-1 / revenue_t-2 - 1",
        ),
        "kr_sme_revenue_bound_krw_bn": _spec(
            "Korean SME revenue bound for the industry",
            u.KRW_BN,
            Lookup("industry", kr_sme_revenue_bound_of),
            "3-year average revenue ceiling of a Korean SME in this industry",
        ),
        "kr_excluded_sector": _spec(
            "Financial or public sector",
            u.FLAG,
            Lookup("industry", kr_excluded_sector_of),
            "industry in GB/T 4754 section J (finance), S (public) or T (international bodies)",
        ),
        "jp_sme_employee_limit": _spec(
            "Japanese SME employee limit for the industry",
            u.COUNT,
            Lookup("industry", jp_sme_employee_limit_of),
            "SME Basic Act employee ceiling (300; wholesale/services 100; retail 50)",
        ),
        "jp_is_large": _spec(
            "Large firm (Japanese size classes)",
            u.FLAG,
            Custom(
                ("employees", MeasureRef("jp_sme_employee_limit"), MeasureRef("revenue_jpy_bn")),
                _jp_is_large,
            ),
            "employees above the SME limit and revenue above ¥100bn",
        ),
        "jp_world_share_threshold": _spec(
            "GNT world-share floor",
            u.PERCENT,
            Custom((MeasureRef("jp_is_large"),), _jp_world_share_threshold),
            "20% for large firms, 10% for SMEs and mid-sized firms",
        ),
        "jp_market_size_jpy_bn": _spec(
            "World niche market size",
            u.JPY_BN,
            # The niche market's size, implied by the main product's sales and its share.
            ratio_of("main_business_revenue", "world_market_share", "jpy", BN),
            "main-business revenue / world market share in ¥ billion",
        ),
    }
)
