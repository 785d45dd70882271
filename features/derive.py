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
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from features._arrays import map_numbers
from features.catalog import FEATURES
from features.columns import Columns, FloatArray
from features.tiers import TIER_LEVELS

__all__ = [
    "BASE_FEATURE_NAMES",
    "RATIOS",
    "RD_INSTITUTION_LEVELS",
    "ROW_BLOCK",
    "TIER_LEVELS",
    "DeriveInputs",
    "FeatureRows",
    "cagr",
    "derive_block",
    "derive_features",
    "derive_inputs",
    "derive_rows",
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
# Rows derived at a time: about 40 inputs and 44 features of 8,192 rows are ~5.5 MB,
# which the caches keep while every step of the block runs over them.
ROW_BLOCK = 8_192

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

_RATIO_FEATURES = tuple(name for name in _RATIO_NAMES if name in BASE_FEATURE_NAMES)
_RATIO_KEEP = np.array([_RATIO_NAMES.index(name) for name in _RATIO_FEATURES], dtype=np.intp)


@dataclass(frozen=True, slots=True)
class FeatureRows:
    """The rows of a block that :func:`derive_rows` fills, one per base feature.

    Attributes
    ----------
    ratios, growths, cagrs, logs, passes, special : numpy.ndarray
        Destination rows of each group of features (ratios, one-year growth, CAGR,
        log scales, pass-throughs and the rest), in their table's order.
    """

    ratios: npt.NDArray[np.intp]
    growths: npt.NDArray[np.intp]
    cagrs: npt.NDArray[np.intp]
    logs: npt.NDArray[np.intp]
    passes: npt.NDArray[np.intp]
    special: tuple[int, ...]

    @classmethod
    def at(cls, position: Mapping[str, int]) -> FeatureRows:
        """Rows for a block where base feature ``name`` is row ``position[name]``."""

        def rows(names: tuple[str, ...]) -> npt.NDArray[np.intp]:
            return np.array([position[name] for name in names], dtype=np.intp)

        return cls(
            ratios=rows(_RATIO_FEATURES),
            growths=rows(tuple(_GROWTH)),
            cagrs=rows(tuple(_CAGR)),
            logs=rows(tuple(_LOGS)),
            passes=rows(_PASS_THROUGH),
            special=tuple(position[name] for name in _SPECIAL),
        )


# derive_block's own layout: rows in BASE_FEATURE_NAMES order.
_BASE_ROWS = FeatureRows.at({name: i for i, name in enumerate(BASE_FEATURE_NAMES)})


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
    return map_numbers(
        values, lambda v: table.get(v, np.nan) if isinstance(v, str) else np.nan, np.float64
    )


@dataclass(frozen=True, slots=True)
class DeriveInputs:
    """The inputs of every base feature, read once from validated columns.

    Attributes
    ----------
    n : int
        Rows.
    arrays : tuple of numpy.ndarray
        One float64 array per input (the column itself when it is float64 already;
        a shared NaN array when it is absent).
    levels : numpy.ndarray
        (2, n) float64: the ``rd_institution`` and ``current_tier`` levels (text
        mapped once for all rows, not once per block).
    """

    n: int
    arrays: tuple[FloatArray, ...]
    levels: FloatArray


def derive_inputs(columns: Columns) -> DeriveInputs:
    """Read the inputs of :func:`derive_rows` from validated columns (no copy of floats)."""
    n = len(next(iter(columns.values()))) if columns else 0
    missing = np.full(n, np.nan)
    arrays = tuple(
        missing if (values := columns.get(name)) is None else np.asarray(values, np.float64)
        for name in _INPUTS
    )
    levels = np.empty((2, n))
    levels[0] = _levels(columns.get("rd_institution"), RD_INSTITUTION_LEVELS, n)
    levels[1] = _levels(columns.get("current_tier"), TIER_LEVELS, n)
    return DeriveInputs(n, arrays, levels)


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
    inputs = derive_inputs(columns)
    if inputs.n <= ROW_BLOCK:
        return derive_rows(inputs, 0, inputs.n)
    block = np.empty((len(BASE_FEATURE_NAMES), inputs.n))
    for start in range(0, inputs.n, ROW_BLOCK):
        stop = min(start + ROW_BLOCK, inputs.n)
        block[:, start:stop] = derive_rows(inputs, start, stop)
    return block


def derive_rows(
    inputs: DeriveInputs,
    start: int,
    stop: int,
    out: FloatArray | None = None,
    rows: FeatureRows = _BASE_ROWS,
) -> FloatArray:
    """Derive every base feature of rows ``start:stop`` into a (features, rows) block.

    Callers walk a large input in blocks of :data:`ROW_BLOCK` rows: every
    intermediate array then stays in the processor's cache, and memory is not
    allocated afresh (page by page) for each of them.

    Parameters
    ----------
    inputs : DeriveInputs
        From :func:`derive_inputs`.
    start, stop : int
        The rows.
    out : numpy.ndarray, optional
        The block to fill, ``(k, stop - start)``; a new
        ``(len(BASE_FEATURE_NAMES), stop - start)`` block by default.
    rows : FeatureRows, optional
        Where each feature goes in ``out`` (default: :data:`BASE_FEATURE_NAMES`
        order). Rows of ``out`` that are no feature's are left unspecified.

    Returns
    -------
    numpy.ndarray
        ``out``: float64, NaN where unknown, never inf.
    """
    n = stop - start
    if out is None:
        out = np.empty((len(BASE_FEATURE_NAMES), n))
    if start == 0 and stop == inputs.n:  # one record, or a block of its own: no slicing
        arrays, levels = inputs.arrays, inputs.levels
    else:
        arrays = tuple(values[start:stop] for values in inputs.arrays)
        levels = inputs.levels[:, start:stop]
    x = np.concatenate(arrays).reshape(len(_INPUTS), n)
    with np.errstate(all="ignore"):
        ratios = x[_RATIO_NUM] / x[_RATIO_DEN]
        ratios *= _RATIO_FACTOR
        out[rows.ratios] = ratios[_RATIO_KEEP]
        out[rows.growths] = _growth(x[_GROWTH_NOW], x[_GROWTH_BEFORE])
        out[rows.cagrs] = _cagr(x[_CAGR_NOW], x[_CAGR_BEFORE], 2.0)
        out[rows.logs] = _log10_scale(x[_LOG_ROWS])
        out[rows.passes] = x[_PASS_ROWS]
        share_change, roe, age, quality, rd_level, tier_level = rows.special
        np.subtract(ratios[_SHARE], ratios[_SHARE_PREV], out=out[share_change])
        # Equity at or below zero makes ROE meaningless, not extreme.
        equity = x[_AT["total_assets"]] - x[_AT["total_liabilities"]]
        np.divide(x[_AT["net_profit"]], np.where(equity > 0, equity, np.nan), out=out[roe])
        np.subtract(x[_AT["fiscal_year"]], x[_AT["founded_year"]], out=out[age])
        # NaN when any item is unknown: an unknown item is not a failed one.
        standards = x[_AT["standards_drafted"]]
        has_standards = np.where(np.isnan(standards), np.nan, standards > 0)
        np.add(x[_QUALITY_ROWS].sum(axis=0), has_standards, out=out[quality])
        out[rd_level] = levels[0]
        out[tier_level] = levels[1]
        np.copyto(out, np.nan, where=~np.isfinite(out))
    return out
