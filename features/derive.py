"""Feature derivation: validated columns → base features, vectorized.

Every feature of :data:`features.catalog.FEATURES` except the industry-relative
ones (those come from :class:`features.industry.IndustryBaseline`). Ratios by zero
or by a missing value are NaN, never inf or a silent 0; a missing input makes the
features that need it NaN, which LightGBM treats as missing.

The definitions are tables (ratios, growth rates, log scales, pass-throughs), each
evaluated as one block operation over all its features: a POSTed record costs a few
dozen numpy calls rather than one per feature and input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from features._arrays import map_objects
from features.catalog import FEATURES
from features.columns import Columns, FloatArray
from features.tiers import TIER_LEVELS

__all__ = [
    "BASE_FEATURE_NAMES",
    "RATIOS",
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
_LN10 = float(np.log(10.0))

# feature: (numerator, denominator, factor). "_share_prev" only feeds the trend.
RATIOS: Mapping[str, tuple[str, str, float]] = {
    "main_business_share": ("main_business_revenue", "revenue", 1.0),
    "_share_prev": ("main_business_revenue_prev", "revenue_prev", 1.0),
    "rd_intensity": ("rd_expense", "revenue", 1.0),
    "rd_intensity_prev": ("rd_expense_prev", "revenue_prev", 1.0),
    "rd_staff_share": ("rd_staff", "employees", 1.0),
    "class1_ip_per_100_staff": ("class1_ip", "employees", 100.0),
    "invention_patents_per_100_staff": ("invention_patents", "employees", 100.0),
    "gross_margin": ("gross_profit", "revenue", 1.0),
    "net_margin": ("net_profit", "revenue", 1.0),
    "debt_ratio": ("total_liabilities", "total_assets", 1.0),
    "roa": ("net_profit", "total_assets", 1.0),
}
# feature: (now, before): now / before - 1, over one year.
_GROWTH: Mapping[str, tuple[str, str]] = {
    "revenue_growth": ("revenue", "revenue_prev"),
    "main_business_growth": ("main_business_revenue", "main_business_revenue_prev"),
}
# feature: (now, two years before): the compound annual rate over two years.
_CAGR: Mapping[str, tuple[str, str]] = {
    "revenue_cagr_2y": ("revenue", "revenue_prev2"),
    "main_business_cagr_2y": ("main_business_revenue", "main_business_revenue_prev2"),
}
# feature: input, as log10(1 + x).
_LOGS: Mapping[str, str] = {
    "log_rd_expense": "rd_expense",
    "log_equity_raised_2y": "equity_raised_2y",
    "log_revenue": "revenue",
    "log_employees": "employees",
}
_PASS_THROUGH: tuple[str, ...] = (
    "years_in_niche",
    "national_market_share",
    "strategic_emerging",
    "key_chain_supplier",
    "class1_ip",
    "top5_customer_share",
    "repeat_customer_share",
    "avg_customer_tenure_years",
    "export_share",
    "world_market_share",
    "world_market_rank",
    "staff_turnover",
    "digital_level",
    "quality_certification",
    "own_brand",
    "quality_award",
    "standards_drafted",
)
# The remaining features, computed one by one in derive_block.
_SPECIAL: tuple[str, ...] = (
    "main_business_share_change",
    "roe",
    "firm_age",
    "quality_items",
    "rd_institution_level",
    "current_tier_level",
)
_QUALITY_FLAGS = ("quality_certification", "own_brand", "quality_award")

_INPUTS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *(name for pair in RATIOS.values() for name in pair[:2]),
            *(name for pair in _GROWTH.values() for name in pair),
            *(name for pair in _CAGR.values() for name in pair),
            *_LOGS.values(),
            *_PASS_THROUGH,
            "fiscal_year",
            "founded_year",
        ]
    )
)
_AT: Mapping[str, int] = {name: i for i, name in enumerate(_INPUTS)}


def _rows(names: tuple[str, ...] | list[str]) -> npt.NDArray[np.intp]:
    return np.array([_AT[name] for name in names], dtype=np.intp)


_RATIO_NUM = _rows([num for num, _, _ in RATIOS.values()])
_RATIO_DEN = _rows([den for _, den, _ in RATIOS.values()])
_RATIO_FACTOR = np.array([[factor] for _, _, factor in RATIOS.values()])
_GROWTH_NOW, _GROWTH_BEFORE = (
    _rows([a for a, _ in _GROWTH.values()]),
    _rows([b for _, b in _GROWTH.values()]),
)
_CAGR_NOW, _CAGR_BEFORE = (
    _rows([a for a, _ in _CAGR.values()]),
    _rows([b for _, b in _CAGR.values()]),
)
_LOG_ROWS = _rows(list(_LOGS.values()))
_PASS_ROWS = _rows(_PASS_THROUGH)
_QUALITY_ROWS = _rows(_QUALITY_FLAGS)
_RATIO_NAMES = tuple(RATIOS)
_SHARE, _SHARE_PREV = _RATIO_NAMES.index("main_business_share"), _RATIO_NAMES.index("_share_prev")

# Order of the rows stacked in derive_block, and the permutation to catalog order.
_STACKED: tuple[str, ...] = (
    *_RATIO_NAMES,
    *_GROWTH,
    *_CAGR,
    *_LOGS,
    *_PASS_THROUGH,
    *_SPECIAL,
)
_ORDER = np.array([_STACKED.index(name) for name in BASE_FEATURE_NAMES], dtype=np.intp)


def ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Return ``numerator / denominator``, NaN where the result is not finite.

    A zero or missing denominator (or an overflow) gives NaN, never inf or 0.
    """
    with np.errstate(all="ignore"):
        return _finite(numerator / denominator)


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


# The private forms skip np.errstate and the inf check: derive_block enters
# np.errstate once and turns every non-finite value of the whole block into NaN in
# one pass. An inf only ever combines into inf or NaN, so checking once is the same.


def _finite(values: FloatArray) -> FloatArray:
    return np.where(np.isfinite(values), values, np.nan)


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


def _levels(values: npt.NDArray[Any] | None, table: Mapping[str, float], n: int) -> FloatArray:
    if values is None:
        return np.full(n, np.nan)
    mapped = map_objects(values, lambda v: table.get(v, np.nan) if isinstance(v, str) else np.nan)
    return mapped.astype(np.float64)


def _input_block(columns: Columns, n: int) -> FloatArray:
    missing = np.full(n, np.nan)
    arrays = []
    for name in _INPUTS:
        values = columns.get(name)
        arrays.append(missing if values is None else np.asarray(values, dtype=np.float64))
    return np.concatenate(arrays).reshape(len(_INPUTS), n)


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
        Validated columns (see :func:`derive_features`).

    Returns
    -------
    numpy.ndarray
        float64 block, rows in :data:`BASE_FEATURE_NAMES` order; NaN where
        unknown, never inf.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    x = _input_block(columns, n)
    with np.errstate(all="ignore"):
        ratios = x[_RATIO_NUM] / x[_RATIO_DEN] * _RATIO_FACTOR
        growths = _growth(x[_GROWTH_NOW], x[_GROWTH_BEFORE])
        cagrs = _cagr(x[_CAGR_NOW], x[_CAGR_BEFORE], 2.0)
        logs = _log10_scale(x[_LOG_ROWS])
        assets, liabilities = x[_AT["total_assets"]], x[_AT["total_liabilities"]]
        equity = assets - liabilities
        standards = x[_AT["standards_drafted"]]
        has_standards = np.where(np.isnan(standards), np.nan, standards > 0)
        special = (
            ratios[_SHARE] - ratios[_SHARE_PREV],
            # Equity at or below zero makes ROE meaningless, not extreme.
            x[_AT["net_profit"]] / np.where(equity > 0, equity, np.nan),
            x[_AT["fiscal_year"]] - x[_AT["founded_year"]],
            # NaN when any item is unknown: an unknown item is not a failed one.
            x[_QUALITY_ROWS].sum(axis=0) + has_standards,
            _levels(columns.get("rd_institution"), RD_INSTITUTION_LEVELS, n),
            _levels(columns.get("current_tier"), TIER_LEVELS, n),
        )
        block = np.concatenate(
            [
                ratios,
                growths,
                cagrs,
                logs,
                x[_PASS_ROWS],
                np.concatenate(special).reshape(len(special), n),
            ]
        )[_ORDER]
        block[~np.isfinite(block)] = np.nan
    return block
