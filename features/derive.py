"""Feature derivation: validated columns → base features, vectorized.

Every feature of :data:`features.catalog.FEATURES` except the industry-relative
ones (those come from :class:`features.industry.IndustryBaseline`). Ratios by zero
or by a missing value are NaN, never inf or a silent 0; a missing input makes the
features that need it NaN, which LightGBM treats as missing.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from features._arrays import map_objects
from features.catalog import FEATURES
from features.columns import Columns, FloatArray

__all__ = [
    "BASE_FEATURE_NAMES",
    "RD_INSTITUTION_LEVELS",
    "TIER_LEVELS",
    "cagr",
    "derive_block",
    "derive_features",
    "growth",
    "log10_scale",
    "ratio",
]

BASE_FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.baseline_of is None)

RD_INSTITUTION_LEVELS: Mapping[str, float] = {
    "none": 0.0,
    "below_municipal": 1.0,
    "municipal": 2.0,
    "provincial": 3.0,
    "national": 4.0,
}
TIER_LEVELS: Mapping[str, float] = {
    "none": 0.0,
    "innovative_sme": 1.0,
    "srdi_sme": 2.0,
    "little_giant": 3.0,
}
_LN10 = float(np.log(10.0))


def ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Return ``numerator / denominator``, NaN where the result is not finite.

    A zero or missing denominator (or an overflow) gives NaN, never inf or 0.
    """
    with np.errstate(all="ignore"):
        return _finite(_ratio(numerator, denominator))


def growth(now: FloatArray, before: FloatArray) -> FloatArray:
    """Return ``now / before - 1``, NaN unless ``before`` is positive."""
    with np.errstate(all="ignore"):
        return _finite(_growth(now, before))


def cagr(now: FloatArray, before: FloatArray, years: float) -> FloatArray:
    """Compound annual growth rate over ``years``: ``(now / before) ** (1 / years) - 1``.

    NaN unless ``before`` is positive and ``now`` is not negative.
    """
    with np.errstate(all="ignore"):
        return _finite(_cagr(now, before, years))


def log10_scale(values: FloatArray) -> FloatArray:
    """Return ``log10(1 + values)`` for values ≥ 0, NaN otherwise."""
    with np.errstate(all="ignore"):
        return _finite(_log10_scale(values))


# The private forms skip np.errstate and the inf check (a few µs a call):
# derive_block enters np.errstate once and turns every non-finite value of the whole
# block into NaN in one pass, which matters on the one-record API path. An inf only
# ever combines into inf or NaN, so checking once at the end is the same.


def _finite(values: FloatArray) -> FloatArray:
    return np.where(np.isfinite(values), values, np.nan)


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    out: FloatArray = numerator / denominator
    return out


def _growth(now: FloatArray, before: FloatArray) -> FloatArray:
    out: FloatArray = np.where(before > 0, now, np.nan) / before - 1.0
    return out


def _cagr(now: FloatArray, before: FloatArray, years: float) -> FloatArray:
    base = np.where((before > 0) & (now >= 0), now, np.nan) / before
    out: FloatArray = base ** (1.0 / years) - 1.0
    return out


def _log10_scale(values: FloatArray) -> FloatArray:
    out: FloatArray = np.where(values >= 0, np.log1p(values), np.nan) / _LN10
    return out


def _levels(values: npt.NDArray[np.object_], table: Mapping[str, float]) -> FloatArray:
    mapped = map_objects(values, lambda v: table.get(v, np.nan) if isinstance(v, str) else np.nan)
    return mapped.astype(np.float64)


class _Inputs:
    """Read columns as float64, an all-NaN column standing in for an absent field."""

    def __init__(self, columns: Columns) -> None:
        self._columns = columns
        self.n = len(next(iter(columns.values()))) if columns else 0
        self._missing = np.full(self.n, np.nan)

    def number(self, name: str) -> FloatArray:
        values = self._columns.get(name)
        if values is None:
            return self._missing
        return np.asarray(values, dtype=np.float64)

    def text(self, name: str) -> npt.NDArray[np.object_]:
        values = self._columns.get(name)
        if values is None:
            return np.full(self.n, None, dtype=object)
        return np.asarray(values, dtype=object)


def derive_features(columns: Columns) -> dict[str, FloatArray]:
    """Derive every base feature from validated columns.

    Parameters
    ----------
    columns : Columns
        Output of :func:`features.validate.validate_frame` or
        :func:`features.validate.validate_record` (or a trusted panel through
        :func:`features.columns.columns_from_frame`). Absent optional fields are
        unknown.

    Returns
    -------
    dict of str to numpy.ndarray
        One float64 array per name in :data:`BASE_FEATURE_NAMES` (rows of
        :func:`derive_block`).
    """
    return dict(zip(BASE_FEATURE_NAMES, derive_block(columns), strict=True))


def derive_block(columns: Columns) -> FloatArray:
    """Derive every base feature as one (n_features, n_rows) block.

    Parameters
    ----------
    columns : Columns
        Output of :func:`features.validate.validate_frame` or
        :func:`features.validate.validate_record` (or a trusted panel through
        :func:`features.columns.columns_from_frame`). Absent optional fields are
        unknown.

    Returns
    -------
    dict of str to numpy.ndarray
        One float64 array per name in :data:`BASE_FEATURE_NAMES`.
    """
    with np.errstate(all="ignore"):
        c = _Inputs(columns)
        revenue, revenue_prev, revenue_prev2 = (
            c.number("revenue"),
            c.number("revenue_prev"),
            c.number("revenue_prev2"),
        )
        main = c.number("main_business_revenue")
        main_prev, main_prev2 = (
            c.number("main_business_revenue_prev"),
            c.number("main_business_revenue_prev2"),
        )
        employees = c.number("employees")
        assets, liabilities = c.number("total_assets"), c.number("total_liabilities")
        net_profit = c.number("net_profit")
        standards = c.number("standards_drafted")

        share = _ratio(main, revenue)
        equity = assets - liabilities
        has_standards = np.where(np.isnan(standards), np.nan, standards > 0)
        out: dict[str, FloatArray] = {
            "main_business_share": share,
            "main_business_share_change": share - _ratio(main_prev, revenue_prev),
            "years_in_niche": c.number("years_in_niche"),
            "national_market_share": c.number("national_market_share"),
            "strategic_emerging": c.number("strategic_emerging"),
            "key_chain_supplier": c.number("key_chain_supplier"),
            "rd_intensity": _ratio(c.number("rd_expense"), revenue),
            "rd_intensity_prev": _ratio(c.number("rd_expense_prev"), revenue_prev),
            "log_rd_expense": _log10_scale(c.number("rd_expense")),
            "rd_staff_share": _ratio(c.number("rd_staff"), employees),
            "class1_ip": c.number("class1_ip"),
            "class1_ip_per_100_staff": 100.0 * _ratio(c.number("class1_ip"), employees),
            "invention_patents_per_100_staff": 100.0
            * _ratio(c.number("invention_patents"), employees),
            "rd_institution_level": _levels(c.text("rd_institution"), RD_INSTITUTION_LEVELS),
            "gross_margin": _ratio(c.number("gross_profit"), revenue),
            "net_margin": _ratio(net_profit, revenue),
            "top5_customer_share": c.number("top5_customer_share"),
            "repeat_customer_share": c.number("repeat_customer_share"),
            "avg_customer_tenure_years": c.number("avg_customer_tenure_years"),
            "revenue_growth": _growth(revenue, revenue_prev),
            "revenue_cagr_2y": _cagr(revenue, revenue_prev2, 2.0),
            "main_business_growth": _growth(main, main_prev),
            "main_business_cagr_2y": _cagr(main, main_prev2, 2.0),
            "debt_ratio": _ratio(liabilities, assets),
            "roa": _ratio(net_profit, assets),
            # Equity at or below zero makes ROE meaningless, not extreme.
            "roe": _ratio(net_profit, np.where(equity > 0, equity, np.nan)),
            "log_equity_raised_2y": _log10_scale(c.number("equity_raised_2y")),
            "export_share": c.number("export_share"),
            "world_market_share": c.number("world_market_share"),
            "world_market_rank": c.number("world_market_rank"),
            "log_revenue": _log10_scale(revenue),
            "log_employees": _log10_scale(employees),
            "firm_age": c.number("fiscal_year") - c.number("founded_year"),
            "staff_turnover": c.number("staff_turnover"),
            "digital_level": c.number("digital_level"),
            # NaN when any item is unknown: an unknown item is not a failed one.
            "quality_items": c.number("quality_certification")
            + c.number("own_brand")
            + c.number("quality_award")
            + has_standards,
            "quality_certification": c.number("quality_certification"),
            "own_brand": c.number("own_brand"),
            "quality_award": c.number("quality_award"),
            "standards_drafted": standards,
            "current_tier_level": _levels(c.text("current_tier"), TIER_LEVELS),
        }
        arrays = [out[name] for name in BASE_FEATURE_NAMES]
        block = np.concatenate(arrays).reshape(len(arrays), c.n)
        block[~np.isfinite(block)] = np.nan
    return block
