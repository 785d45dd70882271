"""The measures of one firm-year as Python floats: the scalar twin of ``measures``.

A measure computed on length-1 arrays pays numpy's call overhead two or three
times (about 20 µs), and one record needs some fifty of them; the same arithmetic
on Python floats costs well under a microsecond. Every function here repeats its
namesake in :mod:`features.rules.measures` operation for operation, in the same
order, so the IEEE results are the same bits (the tests compare the two on random
records and a synthetic world). Measures of text fields (enum levels, industry
tables) use the lookups of ``measures.TEXT_LOOKUPS`` one value at a time; anything
but a known string goes to the vectorized context, which raises the same errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from math import inf, isfinite, isnan, nan
from types import MappingProxyType

from features.rules.measures import (
    BN,
    JP_MID_SIZED_MAX_REVENUE_JPY_BN,
    MILLION,
    TEXT_LOOKUPS,
    WAN,
    MeasureContext,
)

# Measures of text fields: one lookup per value (measures.TEXT_LOOKUPS), and the
# vectorized context for anything but a known string (it raises the same errors).
LOOKED_UP: frozenset[str] = frozenset(TEXT_LOOKUPS)


class FloatColumns:
    """The evaluation's input fields and looked-up measures as lists, made on first use.

    Fields are converted by :meth:`MeasureContext.number` (same values, same error
    for a non-numeric column), and only the fields some measure reads.
    """

    def __init__(self, ctx: MeasureContext) -> None:
        self.ctx = ctx
        self.fields: dict[str, list[float]] = {}  # the fields converted so far
        self._texts: dict[str, list[object]] = {}
        self._looked_up: dict[str, list[float]] = {}

    def text(self, name: str) -> list[object]:
        """Text field ``name`` of every row (``None`` when absent)."""
        values = self._texts.get(name)
        if values is None:
            values = self._texts[name] = self.ctx.text(name).tolist()
        return values

    def field(self, name: str) -> list[float]:
        """Input field ``name`` of every row."""
        values = self.fields.get(name)
        if values is None:
            values = self.fields[name] = self.ctx.number(name).tolist()
        return values

    def looked_up(self, name: str) -> list[float]:
        """Measure ``name`` (one of :data:`LOOKED_UP`) of every row."""
        values = self._looked_up.get(name)
        if values is None:
            values = self._looked_up[name] = self.ctx.get(name).tolist()
        return values


class RowMeasures:
    """The measures of row ``i``, each computed once, on first use."""

    def __init__(self, columns: FloatColumns, i: int) -> None:
        self._columns = columns
        self._i = i
        self._values: dict[str, float] = {}
        self.rates = columns.ctx.rates

    def number(self, field: str) -> float:
        """The input field (``NaN`` when unknown)."""
        values = self._columns.fields.get(field)  # the lists made so far, without a call
        if values is None:
            values = self._columns.field(field)
        return values[self._i]

    def get(self, name: str) -> float:
        """Measure ``name``."""
        value = self._values.get(name)
        if value is None:
            value = self._look_up(name) if name in LOOKED_UP else SCALAR_MEASURES[name](self)
            self._values[name] = value
        return value

    def _look_up(self, name: str) -> float:
        field, lookup = TEXT_LOOKUPS[name]
        text = self._columns.text(field)[self._i]
        if text is None:
            return nan
        if isinstance(text, str):
            try:
                return float(lookup(text))
            except KeyError:
                pass  # the context names the field and the value
        return self._columns.looked_up(name)[self._i]


def measure_rows(ctx: MeasureContext, names: Sequence[str]) -> list[dict[str, float]]:
    """Measures ``names`` of every row of ``ctx`` as Python floats, one dict per row.

    Parameters
    ----------
    ctx
        The evaluation's context (columns and rates).
    names
        Measure names, each in :data:`features.rules.measures.MEASURES`.

    Returns
    -------
    list of dict
        ``out[i][name]`` equals ``float(ctx.get(name)[i])`` bit for bit.
    """
    columns = FloatColumns(ctx)
    rows: list[dict[str, float]] = []
    for i in range(ctx.n_rows):
        row = RowMeasures(columns, i)
        rows.append({name: row.get(name) for name in names})
    return rows


# --- the arithmetic of features.derive and features.rules.measures, on floats ------


def _ratio(numerator: float, denominator: float) -> float:
    # derive.ratio: NaN where the quotient is not finite (x/0 is ±inf or NaN there).
    if denominator == 0:
        return nan
    out = numerator / denominator
    return out if isfinite(out) else nan


def _growth(now: float, before: float) -> float:
    # derive.growth: NaN unless before > 0, and NaN where not finite.
    if not before > 0:
        return nan
    out = now / before - 1.0
    return out if isfinite(out) else nan


def _nanmean(*values: float) -> float:
    # measures.nanmean_rows: the known values summed in order (unknown as 0.0).
    total = 0.0
    count = 0
    for k, value in enumerate(values):
        known = not isnan(value)
        addend = value if known else 0.0
        total = addend if k == 0 else total + addend
        count += known
    return _ratio(total, float(count))


def _field(field: str, scale: float = 1.0) -> Callable[[RowMeasures], float]:
    def compute(row: RowMeasures) -> float:
        value = row.number(field)
        return value / scale if scale != 1.0 else value

    return compute


def _rd_intensity(row: RowMeasures) -> float:
    return _ratio(row.number("rd_expense"), row.number("revenue"))


def _rd_intensity_prev(row: RowMeasures) -> float:
    return _ratio(row.number("rd_expense_prev"), row.number("revenue_prev"))


def _main_business_share(row: RowMeasures) -> float:
    return _ratio(row.number("main_business_revenue"), row.number("revenue"))


def _main_business_growth(row: RowMeasures) -> float:
    return _growth(row.number("main_business_revenue"), row.number("main_business_revenue_prev"))


def _main_business_growth_prev(row: RowMeasures) -> float:
    return _growth(
        row.number("main_business_revenue_prev"), row.number("main_business_revenue_prev2")
    )


def _main_business_growth_avg_2y(row: RowMeasures) -> float:
    return (row.get("main_business_growth") + row.get("main_business_growth_prev")) / 2.0


def _debt_ratio(row: RowMeasures) -> float:
    return _ratio(row.number("total_liabilities"), row.number("total_assets"))


def _net_margin(row: RowMeasures) -> float:
    return _ratio(row.number("net_profit"), row.number("revenue"))


def _rd_staff_share(row: RowMeasures) -> float:
    return _ratio(row.number("rd_staff"), row.number("employees"))


def _rd_avg_2y_wan(row: RowMeasures) -> float:
    return (row.number("rd_expense") + row.number("rd_expense_prev")) / 2.0 / WAN


def _rd_cum_2y_wan(row: RowMeasures) -> float:
    return (row.number("rd_expense") + row.number("rd_expense_prev")) / WAN


def _quality_items_met(row: RowMeasures) -> float:
    standards = row.number("standards_drafted")
    drafted = nan if isnan(standards) else float(standards >= 1)
    return (
        row.number("quality_award")
        + row.number("quality_certification")
        + row.number("own_brand")
        + drafted
    )


def _lg_rd_intensity_threshold(row: RowMeasures) -> float:
    revenue = row.get("revenue_wan")
    if isnan(revenue):
        return nan
    return 0.03 if revenue >= 10_000 else 0.06 if revenue >= 5_000 else inf


def _revenue_eur_bn(row: RowMeasures) -> float:
    return row.number("revenue") / row.rates.eur / BN


def _revenue_jpy_bn(row: RowMeasures) -> float:
    return row.number("revenue") / row.rates.jpy / BN


def _revenue_krw_bn(row: RowMeasures) -> float:
    return row.number("revenue") / row.rates.krw / BN


def _revenue_avg_3y_krw_bn(row: RowMeasures) -> float:
    mean = _nanmean(row.number("revenue"), row.number("revenue_prev"), row.number("revenue_prev2"))
    return mean / row.rates.krw / BN


def _total_assets_krw_bn(row: RowMeasures) -> float:
    return row.number("total_assets") / row.rates.krw / BN


def _exports_usd_m(row: RowMeasures) -> float:
    return row.number("revenue") * row.number("export_share") / row.rates.usd / MILLION


def _rd_intensity_available(row: RowMeasures) -> float:
    rd, rd_prev = row.number("rd_expense"), row.number("rd_expense_prev")
    revenue, revenue_prev = row.number("revenue"), row.number("revenue_prev")
    both = not isnan(rd) and not isnan(revenue)
    both_prev = not isnan(rd_prev) and not isnan(revenue_prev)
    return _ratio(
        (rd if both else 0.0) + (rd_prev if both_prev else 0.0),
        (revenue if both else 0.0) + (revenue_prev if both_prev else 0.0),
    )


def _revenue_growth_available(row: RowMeasures) -> float:
    return _nanmean(
        _growth(row.number("revenue"), row.number("revenue_prev")),
        _growth(row.number("revenue_prev"), row.number("revenue_prev2")),
    )


def _jp_is_large(row: RowMeasures) -> float:
    employees = row.number("employees")
    limit = row.get("jp_sme_employee_limit")
    revenue = row.get("revenue_jpy_bn")
    if employees > limit and revenue > JP_MID_SIZED_MAX_REVENUE_JPY_BN:
        return 1.0
    if employees <= limit or revenue <= JP_MID_SIZED_MAX_REVENUE_JPY_BN:
        return 0.0
    return nan


def _jp_world_share_threshold(row: RowMeasures) -> float:
    is_large = row.get("jp_is_large")
    return 0.20 if is_large == 1.0 else 0.10 if is_large == 0.0 else nan


def _jp_market_size_jpy_bn(row: RowMeasures) -> float:
    market_cny = _ratio(row.number("main_business_revenue"), row.number("world_market_share"))
    return market_cny / row.rates.jpy / BN


SCALAR_MEASURES: Mapping[str, Callable[[RowMeasures], float]] = MappingProxyType(
    {
        "revenue_wan": _field("revenue", WAN),
        "rd_expense_wan": _field("rd_expense", WAN),
        "rd_avg_2y_wan": _rd_avg_2y_wan,
        "rd_cum_2y_wan": _rd_cum_2y_wan,
        "equity_2y_wan": _field("equity_raised_2y", WAN),
        "rd_intensity": _rd_intensity,
        "rd_intensity_prev": _rd_intensity_prev,
        "main_business_share": _main_business_share,
        "main_business_growth": _main_business_growth,
        "main_business_growth_prev": _main_business_growth_prev,
        "main_business_growth_avg_2y": _main_business_growth_avg_2y,
        "debt_ratio": _debt_ratio,
        "net_margin": _net_margin,
        "rd_staff_share": _rd_staff_share,
        "national_market_share": _field("national_market_share"),
        "world_market_share": _field("world_market_share"),
        "export_share": _field("export_share"),
        "years_in_niche": _field("years_in_niche"),
        "class1_ip": _field("class1_ip"),
        "class2_ip": _field("class2_ip"),
        "invention_patents": _field("invention_patents"),
        "standards_drafted": _field("standards_drafted"),
        "quality_items_met": _quality_items_met,
        "strategic_emerging": _field("strategic_emerging"),
        "key_chain_supplier": _field("key_chain_supplier"),
        "quality_certification": _field("quality_certification"),
        "own_brand": _field("own_brand"),
        "quality_award": _field("quality_award"),
        "digital_level": _field("digital_level"),
        "lg_rd_intensity_threshold": _lg_rd_intensity_threshold,
        "world_market_rank": _field("world_market_rank"),
        "revenue_eur_bn": _revenue_eur_bn,
        "revenue_jpy_bn": _revenue_jpy_bn,
        "revenue_krw_bn": _revenue_krw_bn,
        "revenue_avg_3y_krw_bn": _revenue_avg_3y_krw_bn,
        "total_assets_krw_bn": _total_assets_krw_bn,
        "exports_usd_m": _exports_usd_m,
        "rd_intensity_available": _rd_intensity_available,
        "revenue_growth_available": _revenue_growth_available,
        "jp_is_large": _jp_is_large,
        "jp_world_share_threshold": _jp_world_share_threshold,
        "jp_market_size_jpy_bn": _jp_market_size_jpy_bn,
    }
)
