"""Rules between fields: one amount may not exceed another; debt_ratio fills liabilities.

The pair rules run on the same (fields × rows) number block as the field rules; a
value already reported as wrong is not compared again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from features.columns import FloatArray
from features.fields import DEBT_RATIO
from features.parsing import format_number, parse_numbers
from features.validate.cells import BoolMask, apply_scale
from features.validate.errors import ErrorLog
from features.validate.field_rules import not_a_number
from features.validate.groups import NUMBER_INDEX

__all__ = ["PAIR_RULES", "PairRule", "check_pairs", "fill_liabilities"]


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


def fill_liabilities(
    numbers: list[FloatArray],
    raw: npt.NDArray[Any],
    scale: float | None,
    errors: ErrorLog,
    warnings: list[str],
) -> None:
    """Fill a missing ``total_liabilities`` with ``debt_ratio × total_assets``.

    Reports unreadable and out-of-range ratios; replaces the liabilities column of
    ``numbers`` (never written in place: it may be the input's own array) and warns
    about rows whose ratio could not be used because their assets are missing.
    """
    parsed = parse_numbers(raw, percent=True)
    ratio = apply_scale(parsed.values, parsed.explicit, scale)
    if parsed.bad is not None:
        for i in np.flatnonzero(parsed.bad):
            errors.add(int(i), DEBT_RATIO.name, not_a_number(errors, DEBT_RATIO, int(i)))
    hi = DEBT_RATIO.maximum or 10.0
    outside = (ratio < 0.0) | (ratio > hi)
    for i in np.flatnonzero(outside):
        errors.add(
            int(i),
            DEBT_RATIO.name,
            f"debt_ratio ({format_number(float(ratio[i]))}) must be a fraction between "
            f"0 and {format_number(hi)} (write 0.45 or 45%)",
        )
    liabilities = numbers[_LIABILITIES]
    usable = ~np.isnan(ratio) & ~outside & np.isnan(liabilities)
    assets = numbers[_ASSETS]
    fill = usable & ~np.isnan(assets)
    numbers[_LIABILITIES] = np.where(fill, ratio * assets, liabilities)
    unused = int((usable & np.isnan(assets)).sum())
    if unused:
        warnings.append(
            f"debt_ratio not used on {unused} row(s): total_assets is missing, so "
            "total_liabilities stays unknown"
        )
