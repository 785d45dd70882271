"""Rules about one field at a time: readable, within bounds, whole, present when required.

Number rules run on a (fields × rows) block (:data:`~features.validate.groups.NUMBER_NAMES`
order): a record's one column, or a frame's rows a cache-sized block at a time.
Unreadable cells (numbers, booleans, text) are reported from the parsers' masks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from features.columns import FloatArray, ObjectArray
from features.fields import FieldSpec
from features.parsing import format_number
from features.validate.cells import TEXT_FIELDS, BoolMask
from features.validate.errors import ErrorLog
from features.validate.groups import (
    BOOL_NAMES,
    HI,
    IS_INT,
    LO,
    NUMBER_NAMES,
    NUMBER_SPECS,
    REQUIRED_NUMBER_ROWS,
)

__all__ = [
    "SMALL_BLOCK_ROWS",
    "check_number_block",
    "fraction_rows",
    "not_a_number",
    "report_bad_bools",
    "report_bad_numbers",
    "report_texts",
    "wrong_numbers",
]

_BOOL_HINT = "is not a yes/no value (use true/false, 1/0, yes/no, Y/N or 是/否)"
# Up to this many rows the bounds are compared cell by cell as one matrix (one
# POSTed record); above it only fields whose extremes break a bound get a mask.
SMALL_BLOCK_ROWS = 64
_LO_COLUMN, _HI_COLUMN = LO[:, None], HI[:, None]


def wrong_numbers(block: FloatArray, fraction_rows: npt.NDArray[np.intp]) -> BoolMask | None:
    """Out-of-range values and fractional counts (fields × rows), ``None`` when none.

    ``fraction_rows`` are the block rows (count fields) whose fractions are checked:
    an integer-typed column needs no check. Fields are screened by their extremes
    (one min and one max per field in a clean block); a few rows are compared cell
    by cell instead, which costs fewer calls. NaN is never wrong.
    """
    if block.shape[1] <= SMALL_BLOCK_ROWS:
        wrong = (block < _LO_COLUMN) | (block > _HI_COLUMN)
        if fraction_rows.size:
            part = block[fraction_rows]
            wrong[fraction_rows] |= np.floor(part) < part
        return wrong if wrong.any() else None
    out: BoolMask | None = None
    with np.errstate(invalid="ignore"):
        broken = (np.fmin.reduce(block, axis=1) < LO) | (np.fmax.reduce(block, axis=1) > HI)
    suspects = np.flatnonzero(broken)
    if suspects.size:
        part = block[suspects]
        out = np.zeros(block.shape, dtype=bool)
        out[suspects] = (part < _LO_COLUMN[suspects]) | (part > _HI_COLUMN[suspects])
    if fraction_rows.size:
        part = block[fraction_rows]
        # floor(x) < x is (x - floor(x)) > 0 for finite x and false for NaN and ±inf.
        fraction = np.floor(part) < part
        if fraction.any():
            if out is None:
                out = np.zeros(block.shape, dtype=bool)
            out[fraction_rows] |= fraction
    return out


def check_number_block(
    block: FloatArray,
    start: int,
    number_bad: Mapping[int, BoolMask],
    fraction_rows: npt.NDArray[np.intp],
    errors: ErrorLog,
) -> BoolMask | None:
    """Report out-of-range, fractional and missing required values of rows ``start:``.

    Returns the block's mask of wrong values (``None`` when none), which the
    cross-field rules do not compare again.
    """
    wrong = wrong_numbers(block, fraction_rows)
    if wrong is not None:
        for j, i in zip(*np.nonzero(wrong), strict=True):
            errors.add(
                start + int(i), NUMBER_NAMES[j], _range_message(NUMBER_SPECS[j], block[j, i])
            )
    missing = np.isnan(block[REQUIRED_NUMBER_ROWS])
    if missing.any():
        stop = start + block.shape[1]
        for k, j in enumerate(REQUIRED_NUMBER_ROWS):
            bad = number_bad.get(int(j))
            if bad is not None:  # an unreadable value is reported as such, not as missing
                missing[k] &= ~bad[start:stop]
        for k, i in zip(*np.nonzero(missing), strict=True):
            name = NUMBER_NAMES[REQUIRED_NUMBER_ROWS[k]]
            errors.add(start + int(i), name, f"{name} is required but missing")
    return wrong


def report_bad_numbers(number_bad: Mapping[int, BoolMask], errors: ErrorLog) -> None:
    """Report every present value that is not a number."""
    for j, bad in number_bad.items():
        spec = NUMBER_SPECS[j]
        for i in np.flatnonzero(bad):
            errors.add(int(i), spec.name, not_a_number(errors, spec, int(i)))


def report_bad_bools(bool_bad: Mapping[int, BoolMask], errors: ErrorLog) -> None:
    """Report every present value that is not a yes/no value."""
    for j, bad in bool_bad.items():
        name = BOOL_NAMES[j]
        for i in np.flatnonzero(bad):
            errors.add(int(i), name, errors.quote(name, int(i)) + _BOOL_HINT)


def report_texts(
    texts: list[ObjectArray],
    bad: Mapping[int, BoolMask],
    missing: Mapping[int, BoolMask],
    errors: ErrorLog,
) -> None:
    """Report unrecognized and missing required text values; bad ones become None."""
    for j, where in bad.items():
        field = TEXT_FIELDS[j]
        name = field.spec.name
        for i in np.flatnonzero(where):
            errors.add(int(i), name, errors.quote(name, int(i)) + field.hint)
    for j, where in missing.items():
        name = TEXT_FIELDS[j].spec.name
        for i in np.flatnonzero(where):
            errors.add(int(i), name, f"{name} is required but missing")
    for j, where in bad.items():
        texts[j][where] = None


def not_a_number(errors: ErrorLog, spec: FieldSpec, i: int) -> str:
    """The message of a value of ``spec`` that could not be read as a number."""
    units = ""
    if spec.unit == "share":
        units = " (a share may be written 0.45 or 45%)"
    elif spec.is_money:
        units = " (an amount may carry 元, 万 or 亿)"
    return errors.quote(spec.name, i) + "is not a number" + units


def _range_message(spec: FieldSpec, value: float) -> str:
    value = float(value)
    shown = format_number(value)
    lo, hi = spec.minimum, spec.maximum
    inside = (lo is None or value >= lo) and (hi is None or value <= hi)
    if np.isinf(value):
        return f"{spec.name} ({shown}) is not a finite number"
    if spec.kind == "int" and inside:
        return f"{spec.name} ({shown}) must be a whole number"
    if spec.unit == "share":
        if value > 1.0:
            return (
                f"{spec.name} ({shown}) must be a fraction between 0 and 1 "
                f"(write {format_number(value / 100)} or {shown}%)"
            )
        return f"{spec.name} ({shown}) must be a fraction between 0 and 1"
    if lo == 0.0 and value < 0.0:
        return f"{spec.name} ({shown}) is negative; it must be ≥ 0"
    if lo is not None and hi is not None and hi < 1e5:
        return f"{spec.name} ({shown}) must be between {format_number(lo)} and {format_number(hi)}"
    if lo is not None and value < lo:
        return f"{spec.name} ({shown}) is below the minimum {format_number(lo)}"
    return f"{spec.name} ({shown}) is above the plausible maximum {format_number(hi or 0.0)}"


def fraction_rows(whole: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.intp]:
    """Block rows of count fields whose fractions need a check.

    ``whole`` marks number fields known to hold whole numbers (integer-typed,
    unscaled columns); ``None`` means none is known.
    """
    counts = IS_INT if whole is None else IS_INT & ~whole
    return np.flatnonzero(counts)
