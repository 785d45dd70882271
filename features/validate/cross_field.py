"""Rules between fields: one amount may not exceed another; ratio inputs fill amounts.

The pair rules run on the same (fields × rows) number block as the field rules; a
value already reported as wrong is not compared again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from features.columns import FloatArray
from features.fields import RATIO_INPUTS, RatioInput
from features.parsing import format_number, parse_numbers
from features.validate.cells import BoolMask, RawColumn, apply_scale, as_array
from features.validate.errors import ErrorLog
from features.validate.field_rules import not_a_number
from features.validate.groups import NUMBER_INDEX

__all__ = ["PAIR_RULES", "RATIO_TOLERANCE", "PairRule", "check_pairs", "fill_from_ratios"]


@dataclass(frozen=True, slots=True)
class PairRule:
    """``left`` must not exceed ``right`` (a relative 1e-9 absorbs unit rounding)."""

    left: str
    right: str
    verb: str


PAIR_RULES: tuple[PairRule, ...] = (
    PairRule("main_business_revenue", "revenue", "exceeds"),
    PairRule("main_business_revenue_prev", "revenue_prev", "exceeds"),
    PairRule("main_business_revenue_prev2", "revenue_prev2", "exceeds"),
    PairRule("rd_staff", "employees", "exceeds"),
    PairRule("gross_profit", "revenue", "exceeds"),
    PairRule("founded_year", "fiscal_year", "is after"),
    PairRule("tier_since", "fiscal_year", "is after"),
)
_LEFT = np.array([NUMBER_INDEX[r.left] for r in PAIR_RULES])
_RIGHT = np.array([NUMBER_INDEX[r.right] for r in PAIR_RULES])
_ASSETS = NUMBER_INDEX["total_assets"]
_LIABILITIES = NUMBER_INDEX["total_liabilities"]


def check_pairs(block: FloatArray, wrong: BoolMask | None, start: int, errors: ErrorLog) -> None:
    """Report every broken pair rule in the number block of rows ``start:``.

    ``wrong`` marks values the field rules already reported. Unreadable and missing
    values are NaN, and NaN breaks no rule.
    """
    left, right = block[_LEFT], block[_RIGHT]
    broken = left > right + 1e-9 * np.abs(right)
    if not broken.any():
        return
    if wrong is not None:
        broken &= ~(wrong[_LEFT] | wrong[_RIGHT])
    for k, i in zip(*np.nonzero(broken), strict=True):
        rule = PAIR_RULES[k]
        a, b = format_number(float(left[k, i])), format_number(float(right[k, i]))
        errors.add(start + int(i), rule.left, f"{rule.left} ({a}) {rule.verb} {rule.right} ({b})")


def fill_from_ratios(
    numbers: list[FloatArray],
    raw: Mapping[str, RawColumn],
    scales: Mapping[str, float],
    errors: ErrorLog,
    warnings: list[str],
) -> None:
    """Fill missing amounts from the ratio inputs given, and check the amounts given.

    For each ratio input present (:data:`features.fields.RATIO_INPUTS`:
    ``debt_ratio``, ``gross_margin``, ``net_margin``, ``rd_intensity``):

    - its values are read as fractions: ``41.2%`` and a ``(%)`` header are percent;
      a bare number above 1 in absolute value is percent too (``41.2`` is 41.2 %),
      one within ±1 is a fraction (``0.412``), and a warning counts the bare values
      read as percent — a true ratio above 100 % must carry its ``%`` (see
      docs/data-contract.md);
    - unreadable and out-of-bounds values are errors on the ratio's row and field;
    - a missing amount becomes ``ratio × base`` (a given amount always wins); rows
      whose base is missing keep the amount unknown, with a warning;
    - a given amount whose own ratio differs from the given ratio by more than
      :data:`RATIO_TOLERANCE` gets a warning naming the row, both fields and values.

    ``numbers`` is updated by replacing arrays (never in place: an array may be the
    input's own).
    """
    for ratio in RATIO_INPUTS:
        column = raw.get(ratio.spec.name)
        if column is not None:
            _fill_one(
                ratio, numbers, as_array(column), scales.get(ratio.spec.name), errors, warnings
            )


RATIO_TOLERANCE = 0.005
"""Half a percentage point: a ratio and its amount disagreeing by more get a warning."""
_SHOWN_DISAGREEMENTS = 5


def _read_ratio(
    ratio: RatioInput, raw: npt.NDArray[Any], scale: float | None, warnings: list[str]
) -> tuple[FloatArray, BoolMask | None]:
    parsed = parse_numbers(raw, percent=True)
    values = apply_scale(parsed.values, parsed.explicit, scale)
    if scale is None:
        bare = np.abs(values) > 1.0
        if parsed.explicit is not None:
            bare &= ~parsed.explicit
        count = int(bare.sum())
        if count:
            values = np.where(bare, values / 100.0, values)
            warnings.append(
                f"{ratio.spec.name}: {count} value(s) without % and above 1 read as percent "
                "(41.2 as 41.2%); write 0.412, 41.2% or put (%) in the header to say which"
            )
    return values, parsed.bad


def _fill_one(
    ratio: RatioInput,
    numbers: list[FloatArray],
    raw: npt.NDArray[Any],
    scale: float | None,
    errors: ErrorLog,
    warnings: list[str],
) -> None:
    spec, name = ratio.spec, ratio.spec.name
    values, bad = _read_ratio(ratio, raw, scale, warnings)
    if bad is not None:
        for i in np.flatnonzero(bad):
            errors.add(int(i), name, not_a_number(errors, spec, int(i)))
    lo = -np.inf if spec.minimum is None else spec.minimum
    hi = np.inf if spec.maximum is None else spec.maximum
    outside = (values < lo) | (values > hi)
    for i in np.flatnonzero(outside):
        errors.add(
            int(i),
            name,
            f"{name} ({format_number(float(values[i]))}) must be a fraction between "
            f"{format_number(lo)} and {format_number(hi)} (write 0.45 or 45%)",
        )
    usable = ~np.isnan(values) & ~outside
    amount = numbers[NUMBER_INDEX[ratio.amount]]
    base = numbers[NUMBER_INDEX[ratio.base]]
    missing = usable & np.isnan(amount)
    fill = missing & ~np.isnan(base)
    if fill.any():
        numbers[NUMBER_INDEX[ratio.amount]] = np.where(fill, values * base, amount)
    unused = int((missing & np.isnan(base)).sum())
    if unused:
        warnings.append(
            f"{name} not used on {unused} row(s): {ratio.base} is missing, so "
            f"{ratio.amount} stays unknown"
        )
    _check_against_amount(ratio, values, usable & ~np.isnan(amount), amount, base, errors, warnings)


def _check_against_amount(
    ratio: RatioInput,
    values: FloatArray,
    both: BoolMask,
    amount: FloatArray,
    base: FloatArray,
    errors: ErrorLog,
    warnings: list[str],
) -> None:
    """Warn where a given amount and the given ratio disagree beyond the tolerance."""
    checked = both & ~np.isnan(base) & (base != 0.0)
    if not checked.any():
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = np.where(checked, amount / np.where(checked, base, 1.0), np.nan)
    off = np.flatnonzero(checked & (np.abs(implied - values) > RATIO_TOLERANCE))
    for i in off[:_SHOWN_DISAGREEMENTS]:
        warnings.append(
            f"row {errors.row_number(int(i))}: {ratio.spec.name} ({_percent(values[i])}) "
            f"disagrees with {ratio.amount} / {ratio.base} ({_percent(implied[i])}) by more "
            f"than {RATIO_TOLERANCE * 100:g} percentage points; {ratio.amount} as given is kept"
        )
    if off.size > _SHOWN_DISAGREEMENTS:
        warnings.append(
            f"{ratio.spec.name} disagrees with {ratio.amount} / {ratio.base} on "
            f"{off.size - _SHOWN_DISAGREEMENTS} more row(s)"
        )


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"
