"""Named measures the rule tables compare: ratios, growth, sums, converted money.

Each measure is one small vectorized function of the input columns (and the
exchange rates), returning ``float64`` with ``NaN`` for unknown. A division by zero
or by a missing value gives ``NaN``; a missing column is unknown on every row.
Measures are computed lazily and cached per evaluation, so a scheme that is not
asked for costs nothing. Ratios and growth rates are :mod:`features.derive`'s, so a
rule and a feature of the same name give the same number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from features.columns import Columns
from features.derive import RD_INSTITUTION_LEVELS, TIER_LEVELS, growth, ratio
from features.rules import units as u
from features.rules.categories import Factorized, factorize, map_enum, map_text
from features.rules.currency import CurrencyRates
from features.rules.logic import BoolArray, FloatArray
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


class MeasureContext:
    """Columns + rates of one evaluation, with a per-evaluation measure cache.

    Parameters
    ----------
    columns
        Validated columns (see ``docs/architecture.md``): numeric fields as float
        arrays with ``NaN`` = unknown, text/enum fields as object arrays.
    rates
        Exchange rates for the foreign schemes.
    """

    def __init__(self, columns: Columns, rates: CurrencyRates) -> None:
        lengths = {name: len(values) for name, values in columns.items()}
        if not lengths:
            raise ValueError("columns is empty: expected at least the required input fields")
        if len(set(lengths.values())) != 1:
            raise ValueError(f"columns have different lengths: {lengths}")
        self.columns = columns
        self.rates = rates
        self.n_rows: int = next(iter(lengths.values()))
        self._cache: dict[str, FloatArray] = {}
        self._known: dict[str, BoolArray] = {}
        self._factorized: dict[str, Factorized] = {}

    def number(self, field: str) -> FloatArray:
        """The input field as float64 (all ``NaN`` when the column is absent)."""
        values = self.columns.get(field)
        if values is None:
            return np.full(self.n_rows, np.nan)
        try:
            return np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{field}: expected numbers (NaN for unknown), got dtype {values.dtype}; "
                "validate the input with features.validate first"
            ) from exc

    def text(self, field: str) -> NDArray[np.object_]:
        """The input field as an object array (all ``None`` when absent)."""
        values = self.columns.get(field)
        if values is None:
            return np.full(self.n_rows, None, dtype=object)
        return np.asarray(values, dtype=object)

    def categories(self, field: str) -> Factorized:
        """The text field factorized once per evaluation (codes, distinct values)."""
        cached = self._factorized.get(field)
        if cached is None:
            cached = factorize(self.text(field))
            self._factorized[field] = cached
        return cached

    def known(self, name: str) -> BoolArray:
        """Where measure ``name`` is known, computed once per evaluation."""
        cached = self._known.get(name)
        if cached is None:
            cached = ~np.isnan(self.get(name))
            self._known[name] = cached
        return cached

    def get(self, name: str) -> FloatArray:
        """Measure ``name``, computed once per evaluation."""
        cached = self._cache.get(name)
        if cached is None:
            spec = MEASURES.get(name)
            if spec is None:
                raise KeyError(f"unknown measure {name!r}; known: {sorted(MEASURES)}")
            cached = spec.compute(self)
            self._cache[name] = cached
        return cached


@dataclass(frozen=True)
class MeasureSpec:
    """A named measure: plain-language label, unit, and its vectorized function."""

    label: str
    unit: str
    compute: Callable[[MeasureContext], FloatArray]
    description: str


def nanmean_rows(*arrays: FloatArray) -> FloatArray:
    """Row mean over the known values; ``NaN`` where none is known."""
    stacked = np.vstack(arrays)
    known = ~np.isnan(stacked)
    count = known.sum(axis=0)
    total = np.where(known, stacked, 0.0).sum(axis=0)
    return ratio(total, count.astype(np.float64))


def _flag(field: str) -> Callable[[MeasureContext], FloatArray]:
    def compute(ctx: MeasureContext) -> FloatArray:
        return ctx.number(field)

    return compute


def _field(field: str, scale: float = 1.0) -> Callable[[MeasureContext], FloatArray]:
    def compute(ctx: MeasureContext) -> FloatArray:
        values = ctx.number(field)
        return values / scale if scale != 1.0 else values

    return compute


# --- China: ratios and growth -------------------------------------------------------


def _rd_intensity(ctx: MeasureContext) -> FloatArray:
    return ratio(ctx.number("rd_expense"), ctx.number("revenue"))


def _rd_intensity_prev(ctx: MeasureContext) -> FloatArray:
    return ratio(ctx.number("rd_expense_prev"), ctx.number("revenue_prev"))


def _main_business_share(ctx: MeasureContext) -> FloatArray:
    return ratio(ctx.number("main_business_revenue"), ctx.number("revenue"))


def _main_business_growth(ctx: MeasureContext) -> FloatArray:
    return growth(ctx.number("main_business_revenue"), ctx.number("main_business_revenue_prev"))


def _main_business_growth_prev(ctx: MeasureContext) -> FloatArray:
    return growth(
        ctx.number("main_business_revenue_prev"), ctx.number("main_business_revenue_prev2")
    )


def _main_business_growth_avg_2y(ctx: MeasureContext) -> FloatArray:
    # 近2年平均增长率: the mean of the two yearly rates; both years are needed.
    return (ctx.get("main_business_growth") + ctx.get("main_business_growth_prev")) / 2.0


def _debt_ratio(ctx: MeasureContext) -> FloatArray:
    return ratio(ctx.number("total_liabilities"), ctx.number("total_assets"))


def _net_margin(ctx: MeasureContext) -> FloatArray:
    return ratio(ctx.number("net_profit"), ctx.number("revenue"))


def _rd_staff_share(ctx: MeasureContext) -> FloatArray:
    return ratio(ctx.number("rd_staff"), ctx.number("employees"))


def _rd_avg_2y_wan(ctx: MeasureContext) -> FloatArray:
    return (ctx.number("rd_expense") + ctx.number("rd_expense_prev")) / 2.0 / WAN


def _rd_cum_2y_wan(ctx: MeasureContext) -> FloatArray:
    return (ctx.number("rd_expense") + ctx.number("rd_expense_prev")) / WAN


def _quality_items_met(ctx: MeasureContext) -> FloatArray:
    # Shown beside the quality-management points; NaN when any item is unknown.
    standards = ctx.number("standards_drafted")
    drafted = np.where(np.isnan(standards), np.nan, (standards >= 1).astype(np.float64))
    items = np.vstack(
        [
            ctx.number("quality_award"),
            ctx.number("quality_certification"),
            ctx.number("own_brand"),
            drafted,
        ]
    )
    total: FloatArray = items.sum(axis=0)
    return total


def _rd_institution_level(ctx: MeasureContext) -> FloatArray:
    return map_enum(ctx.categories("rd_institution"), RD_INSTITUTION_LEVELS, "rd_institution")


def _tier_rank(ctx: MeasureContext) -> FloatArray:
    return map_enum(ctx.categories("current_tier"), TIER_LEVELS, "current_tier")


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


# Measures of one text field: (field, lookup of one value, KeyError when unknown).
TEXT_LOOKUPS: Mapping[str, tuple[str, Callable[[str], float]]] = MappingProxyType(
    {
        "rd_institution_level": ("rd_institution", RD_INSTITUTION_LEVELS.__getitem__),
        "tier_rank": ("current_tier", TIER_LEVELS.__getitem__),
        "kr_sme_revenue_bound_krw_bn": ("industry", kr_sme_revenue_bound_of),
        "kr_excluded_sector": ("industry", kr_excluded_sector_of),
        "jp_sme_employee_limit": ("industry", jp_sme_employee_limit_of),
    }
)


def _lg_rd_intensity_threshold(ctx: MeasureContext) -> FloatArray:
    # Little Giant: the R&D-intensity floor depends on prior-year revenue; below
    # 5000万 the intensity route does not apply (+inf), the financing route does.
    revenue = ctx.get("revenue_wan")
    out = np.where(revenue >= 10_000, 0.03, np.where(revenue >= 5_000, 0.06, np.inf))
    out[np.isnan(revenue)] = np.nan
    return out


# --- Foreign schemes: money in their currency ---------------------------------------


def _revenue_eur_bn(ctx: MeasureContext) -> FloatArray:
    return ctx.number("revenue") / ctx.rates.eur / BN


def _revenue_jpy_bn(ctx: MeasureContext) -> FloatArray:
    return ctx.number("revenue") / ctx.rates.jpy / BN


def _revenue_krw_bn(ctx: MeasureContext) -> FloatArray:
    return ctx.number("revenue") / ctx.rates.krw / BN


def _revenue_avg_3y_krw_bn(ctx: MeasureContext) -> FloatArray:
    # The SME test uses the 3-year average; years not reported are left out.
    mean = nanmean_rows(
        ctx.number("revenue"), ctx.number("revenue_prev"), ctx.number("revenue_prev2")
    )
    return mean / ctx.rates.krw / BN


def _total_assets_krw_bn(ctx: MeasureContext) -> FloatArray:
    return ctx.number("total_assets") / ctx.rates.krw / BN


def _exports_usd_m(ctx: MeasureContext) -> FloatArray:
    return ctx.number("revenue") * ctx.number("export_share") / ctx.rates.usd / MILLION


def _rd_intensity_available(ctx: MeasureContext) -> FloatArray:
    # World Class 300 asks for 3 years; the record holds 2: pool the years reported.
    rd = np.vstack([ctx.number("rd_expense"), ctx.number("rd_expense_prev")])
    revenue = np.vstack([ctx.number("revenue"), ctx.number("revenue_prev")])
    both = ~np.isnan(rd) & ~np.isnan(revenue)
    return ratio(np.where(both, rd, 0.0).sum(axis=0), np.where(both, revenue, 0.0).sum(axis=0))


def _revenue_growth_available(ctx: MeasureContext) -> FloatArray:
    # World Class 300 asks for 5-year average growth; the record holds 2 yearly rates.
    return nanmean_rows(
        growth(ctx.number("revenue"), ctx.number("revenue_prev")),
        growth(ctx.number("revenue_prev"), ctx.number("revenue_prev2")),
    )


def _kr_sme_revenue_bound_krw_bn(ctx: MeasureContext) -> FloatArray:
    return map_text(ctx.categories("industry"), kr_sme_revenue_bound_of, "industry")


def _kr_excluded_sector(ctx: MeasureContext) -> FloatArray:
    return map_text(ctx.categories("industry"), kr_excluded_sector_of, "industry")


def _jp_sme_employee_limit(ctx: MeasureContext) -> FloatArray:
    return map_text(ctx.categories("industry"), jp_sme_employee_limit_of, "industry")


JP_MID_SIZED_MAX_REVENUE_JPY_BN = 100.0  # 中堅企業: revenue up to ¥100bn (1,000億円)


def _jp_is_large(ctx: MeasureContext) -> FloatArray:
    # Large = neither an SME (employees within the industry's limit) nor mid-sized
    # (revenue ≤ ¥100bn). Either fact alone settles "not large".
    employees = ctx.number("employees")
    limit = ctx.get("jp_sme_employee_limit")
    revenue = ctx.get("revenue_jpy_bn")
    not_large = (employees <= limit) | (revenue <= JP_MID_SIZED_MAX_REVENUE_JPY_BN)
    large = (employees > limit) & (revenue > JP_MID_SIZED_MAX_REVENUE_JPY_BN)
    return np.where(large, 1.0, np.where(not_large, 0.0, np.nan))


def _jp_world_share_threshold(ctx: MeasureContext) -> FloatArray:
    is_large = ctx.get("jp_is_large")
    return np.where(is_large == 1.0, 0.20, np.where(is_large == 0.0, 0.10, np.nan))


def _jp_market_size_jpy_bn(ctx: MeasureContext) -> FloatArray:
    # The niche market's size, implied by the main product's sales and its share.
    market_cny = ratio(ctx.number("main_business_revenue"), ctx.number("world_market_share"))
    return market_cny / ctx.rates.jpy / BN


def _spec(
    label: str, unit: str, compute: Callable[[MeasureContext], FloatArray], description: str
) -> MeasureSpec:
    return MeasureSpec(label=label, unit=unit, compute=compute, description=description)


MEASURES: Mapping[str, MeasureSpec] = MappingProxyType(
    {
        # China, money in 万元
        "revenue_wan": _spec(
            "Revenue", u.WAN_YUAN, _field("revenue", WAN), "prior-year operating revenue"
        ),
        "rd_expense_wan": _spec(
            "R&D expense", u.WAN_YUAN, _field("rd_expense", WAN), "prior-year R&D expense"
        ),
        "rd_avg_2y_wan": _spec(
            "2-year average R&D expense", u.WAN_YUAN, _rd_avg_2y_wan, "(R&D_t + R&D_t-1) / 2"
        ),
        "rd_cum_2y_wan": _spec(
            "2-year cumulative R&D expense", u.WAN_YUAN, _rd_cum_2y_wan, "R&D_t + R&D_t-1"
        ),
        "equity_2y_wan": _spec(
            "Equity raised in 2 years",
            u.WAN_YUAN,
            _field("equity_raised_2y", WAN),
            "new equity financing in the last 2 years",
        ),
        # China, shares
        "rd_intensity": _spec("R&D intensity", u.PERCENT, _rd_intensity, "R&D_t / revenue_t"),
        "rd_intensity_prev": _spec(
            "R&D intensity (year before)",
            u.PERCENT,
            _rd_intensity_prev,
            "R&D_t-1 / revenue_t-1",
        ),
        "main_business_share": _spec(
            "Main-business share",
            u.PERCENT,
            _main_business_share,
            "main-business revenue_t / revenue_t",
        ),
        "main_business_growth": _spec(
            "Main-business revenue growth",
            u.PERCENT,
            _main_business_growth,
            "main-business revenue_t / main-business revenue_t-1 - 1",
        ),
        "main_business_growth_prev": _spec(
            "Main-business revenue growth (year before)",
            u.PERCENT,
            _main_business_growth_prev,
            "main-business revenue_t-1 / main-business revenue_t-2 - 1",
        ),
        "main_business_growth_avg_2y": _spec(
            "2-year average main-business growth",
            u.PERCENT,
            _main_business_growth_avg_2y,
            "mean of the growth rates of t and t-1",
        ),
        "debt_ratio": _spec(
            "Debt ratio", u.PERCENT, _debt_ratio, "total liabilities / total assets"
        ),
        "net_margin": _spec("Net margin", u.PERCENT, _net_margin, "net profit / revenue"),
        "rd_staff_share": _spec(
            "R&D staff share", u.PERCENT, _rd_staff_share, "R&D staff / employees"
        ),
        "national_market_share": _spec(
            "National market share",
            u.PERCENT,
            _field("national_market_share"),
            "share of the main product's national niche market",
        ),
        "world_market_share": _spec(
            "World market share",
            u.PERCENT,
            _field("world_market_share"),
            "share of the main product's world niche market",
        ),
        "export_share": _spec(
            "Export share", u.PERCENT, _field("export_share"), "exports / revenue"
        ),
        # China, counts, years, flags, levels
        "years_in_niche": _spec(
            "Years in the niche", u.YEARS, _field("years_in_niche"), "years in the niche"
        ),
        "class1_ip": _spec(
            "Class-I IP", u.COUNT, _field("class1_ip"), "Class-I IP tied to the main product"
        ),
        "class2_ip": _spec("Class-II IP", u.COUNT, _field("class2_ip"), "Class-II IP"),
        "invention_patents": _spec(
            "Invention patents", u.COUNT, _field("invention_patents"), "valid invention patents"
        ),
        "standards_drafted": _spec(
            "Standards drafted", u.COUNT, _field("standards_drafted"), "standards co-drafted"
        ),
        "quality_items_met": _spec(
            "Quality items met",
            u.COUNT,
            _quality_items_met,
            "quality award + certification + own brand + drafted a standard",
        ),
        "strategic_emerging": _spec(
            "Strategic emerging industry",
            u.FLAG,
            _flag("strategic_emerging"),
            "main product in the strategic-emerging-industries list",
        ),
        "key_chain_supplier": _spec(
            "Key supply-chain role",
            u.FLAG,
            _flag("key_chain_supplier"),
            "supplies chain leaders / fills a key gap",
        ),
        "quality_certification": _spec(
            "Quality certification",
            u.FLAG,
            _flag("quality_certification"),
            "ISO9001-type certification",
        ),
        "own_brand": _spec("Own brand", u.FLAG, _flag("own_brand"), "has an own brand"),
        "quality_award": _spec(
            "Quality award", u.FLAG, _flag("quality_award"), "provincial-or-higher quality award"
        ),
        "digital_level": _spec(
            "Digitalisation level", u.LEVEL, _field("digital_level"), "SME digitalisation 1-4"
        ),
        "rd_institution_level": _spec(
            "R&D institution level",
            u.LEVEL,
            _rd_institution_level,
            "none 0, below municipal 1, municipal 2, provincial 3, national 4",
        ),
        "tier_rank": _spec(
            "Certification held",
            u.LEVEL,
            _tier_rank,
            "none 0, innovative SME 1, SRDI SME 2, Little Giant 3",
        ),
        "lg_rd_intensity_threshold": _spec(
            "Little Giant R&D-intensity floor",
            u.PERCENT,
            _lg_rd_intensity_threshold,
            "3% when revenue >= 1亿, 6% when 5000万-1亿, +inf (route n/a) below",
        ),
        # Foreign schemes
        "world_market_rank": _spec(
            "World market rank", u.RANK, _field("world_market_rank"), "rank in the world niche"
        ),
        "revenue_eur_bn": _spec("Revenue", u.EUR_BN, _revenue_eur_bn, "revenue in € billion"),
        "revenue_jpy_bn": _spec("Revenue", u.JPY_BN, _revenue_jpy_bn, "revenue in ¥ billion"),
        "revenue_krw_bn": _spec("Revenue", u.KRW_BN, _revenue_krw_bn, "revenue in ₩ billion"),
        "revenue_avg_3y_krw_bn": _spec(
            "3-year average revenue",
            u.KRW_BN,
            _revenue_avg_3y_krw_bn,
            "mean of the reported revenues of t, t-1, t-2 in ₩ billion",
        ),
        "total_assets_krw_bn": _spec(
            "Total assets", u.KRW_BN, _total_assets_krw_bn, "total assets in ₩ billion"
        ),
        "exports_usd_m": _spec(
            "Exports", u.USD_M, _exports_usd_m, "revenue x export share in US$ million"
        ),
        "rd_intensity_available": _spec(
            "R&D intensity (years reported)",
            u.PERCENT,
            _rd_intensity_available,
            "sum of R&D / sum of revenue over t and t-1 where both are reported",
        ),
        "revenue_growth_available": _spec(
            "Average revenue growth (years reported)",
            u.PERCENT,
            _revenue_growth_available,
            "mean of the reported yearly revenue growth rates of t and t-1",
        ),
        "kr_sme_revenue_bound_krw_bn": _spec(
            "Korean SME revenue bound for the industry",
            u.KRW_BN,
            _kr_sme_revenue_bound_krw_bn,
            "3-year average revenue ceiling of a Korean SME in this industry",
        ),
        "kr_excluded_sector": _spec(
            "Financial or public sector",
            u.FLAG,
            _kr_excluded_sector,
            "industry in GB/T 4754 section J (finance), S (public) or T (international bodies)",
        ),
        "jp_sme_employee_limit": _spec(
            "Japanese SME employee limit for the industry",
            u.COUNT,
            _jp_sme_employee_limit,
            "SME Basic Act employee ceiling (300; wholesale/services 100; retail 50)",
        ),
        "jp_is_large": _spec(
            "Large firm (Japanese size classes)",
            u.FLAG,
            _jp_is_large,
            "employees above the SME limit and revenue above ¥100bn",
        ),
        "jp_world_share_threshold": _spec(
            "GNT world-share floor",
            u.PERCENT,
            _jp_world_share_threshold,
            "20% for large firms, 10% for SMEs and mid-sized firms",
        ),
        "jp_market_size_jpy_bn": _spec(
            "World niche market size",
            u.JPY_BN,
            _jp_market_size_jpy_bn,
            "main-business revenue / world market share in ¥ billion",
        ),
    }
)
