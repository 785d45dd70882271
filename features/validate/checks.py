"""The checks shared by frames and records, and the validated columns they leave.

Text and unreadable cells are reported from the parsers' masks; the number rules
(bounds, whole numbers, required values, pairs) run on a (fields × rows) block. A
large frame is walked :data:`ROW_BLOCK` rows at a time: each block is copied into
one reused buffer that stays in the processor's cache while every rule runs over
it, instead of each rule streaming all the columns through memory and allocating
full-length masks. Rows with an error are dropped at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from features.columns import FloatArray, ObjectArray
from features.fields import DERIVED_INPUTS
from features.validate.cells import BoolMask, ParsedTexts, RawColumn
from features.validate.cross_field import check_pairs, fill_from_ratios
from features.validate.errors import ErrorLog, ValidatedFrame
from features.validate.field_rules import (
    check_number_block,
    report_bad_bools,
    report_bad_numbers,
    report_texts,
)
from features.validate.groups import BOOL_NAMES, NUMBER_NAMES, TEXT_NAMES

__all__ = ["ROW_BLOCK", "Parsed", "check"]

# Rows checked at a time: 35 number fields of 4,096 rows are 1.1 MB.
ROW_BLOCK = 4_096


@dataclass(slots=True)
class Parsed:
    """Every field of a frame or record, parsed, with the cells that could not be.

    Attributes
    ----------
    raw : mapping
        The raw columns as given (shown in errors).
    n : int
        Rows.
    numbers : list of numpy.ndarray
        One float64 array per number field.
    texts : ParsedTexts
        The text fields.
    bools : list of numpy.ndarray
        One float64 array per boolean field.
    number_bad, bool_bad : dict
        Field position → mask of unreadable cells (fields with some only).
    fraction_rows : numpy.ndarray
        Number fields whose fractions are checked (counts not read as integers).
    block : numpy.ndarray or None
        The numbers as one (fields × rows) block, when they were parsed as one (a
        record): the rules run on it directly.
    scales : mapping
        Header units of the fields that had one.
    """

    raw: Mapping[str, RawColumn]
    n: int
    numbers: list[FloatArray]
    texts: ParsedTexts
    bools: list[FloatArray]
    number_bad: dict[int, BoolMask]
    bool_bad: dict[int, BoolMask]
    fraction_rows: npt.NDArray[np.intp]
    block: FloatArray | None = None
    scales: Mapping[str, float] = field(default_factory=dict)


def check(parsed: Parsed, rows: npt.NDArray[np.int64], warnings: list[str]) -> ValidatedFrame:
    """Run every rule, drop the rows that broke one, and return the good rows' columns."""
    n = parsed.n
    errors = ErrorLog(parsed.raw, rows)
    report_texts(parsed.texts.values, parsed.texts.bad, parsed.texts.missing, errors)
    report_bad_numbers(parsed.number_bad, errors)
    if parsed.block is not None:
        _check_block(parsed.block, 0, parsed, errors)
    elif n:
        _check_blocks(parsed, errors)
    report_bad_bools(parsed.bool_bad, errors)
    numbers = parsed.numbers
    if any(name in parsed.raw for name in DERIVED_INPUTS):
        numbers = list(numbers)
        fill_from_ratios(numbers, parsed.raw, parsed.scales, errors, warnings)
    columns: dict[str, npt.NDArray[Any]] = dict(zip(NUMBER_NAMES, numbers, strict=True))
    columns.update(zip(BOOL_NAMES, parsed.bools, strict=True))
    texts: list[ObjectArray] = parsed.texts.values
    columns.update(zip(TEXT_NAMES, texts, strict=True))
    if errors.items:
        good = ~errors.bad_rows(n)
        columns = {name: values[good] for name, values in columns.items()}
        rows = rows[good]
    return ValidatedFrame(columns, rows, errors.render(), warnings, n)


def _check_block(block: FloatArray, start: int, parsed: Parsed, errors: ErrorLog) -> None:
    wrong = check_number_block(block, start, parsed.number_bad, parsed.fraction_rows, errors)
    check_pairs(block, wrong, start, errors)


def _check_blocks(parsed: Parsed, errors: ErrorLog) -> None:
    """The number rules over the rows, one cache-sized block at a time."""
    n, numbers = parsed.n, parsed.numbers
    buffer = np.empty((len(numbers), min(n, ROW_BLOCK)))
    for start in range(0, n, ROW_BLOCK):
        stop = min(start + ROW_BLOCK, n)
        block = buffer if stop - start == buffer.shape[1] else buffer[:, : stop - start]
        for j, values in enumerate(numbers):
            block[j] = values[start:stop]
        _check_block(block, start, parsed, errors)
