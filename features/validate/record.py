"""Validating one record (a POSTed JSON object): the frame's rules on length-1 columns.

JSON numbers take a shortcut: the number and boolean fields are converted as one
block in one call, and the rules run on that block directly. Anything else (text
cells, units, aliases) goes through the same parsers as a frame's columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from features.columns import Columns, FloatArray
from features.headers import resolve_headers
from features.parsing import bad_mask
from features.validate.cells import (
    TEXT_FIELDS,
    BoolMask,
    ParsedTexts,
    parse_bool_columns,
    parse_number_columns,
)
from features.validate.checks import Parsed, check
from features.validate.errors import FieldError, RecordValidationError
from features.validate.field_rules import fraction_rows
from features.validate.groups import BOOL_NAMES, KNOWN, NUMBER_NAMES

__all__ = ["validate_record"]

_ROW0 = np.zeros(1, dtype=np.int64)
_ALL_FRACTION_ROWS = fraction_rows(None)


def validate_record(record: Mapping[str, Any]) -> Columns:
    """Validate one record and return it as :data:`Columns` of length-1 arrays.

    Parameters
    ----------
    record : mapping
        Field → value (Python scalars as decoded from JSON, or text as in a CSV
        cell). Aliases are accepted as keys; unknown keys are ignored.

    Returns
    -------
    Columns

    Raises
    ------
    RecordValidationError
        With one :class:`FieldError` per broken rule.
    """
    scales: dict[str, float] = {}
    if not KNOWN.issuperset(record):
        resolution = resolve_headers(record.keys())
        record = {name: record[m.header] for name, m in resolution.matches.items()}
        scales = {name: m.scale for name, m in resolution.matches.items() if m.scale != 1.0}
    raw = _RecordRaw(record)
    block: FloatArray | None = None
    bools: FloatArray | None = None
    if not scales:
        # Fast path for JSON-decoded numbers: one conversion for the whole block.
        try:
            block = np.array([[record.get(n)] for n in NUMBER_NAMES], dtype=np.float64)
            bools = np.array([[record.get(n)] for n in BOOL_NAMES], dtype=np.float64)
        except (TypeError, ValueError):
            block = bools = None
    if block is None or bools is None:
        numbers, number_bad = parse_number_columns(raw, 1, scales)
        bool_list, bool_bad = parse_bool_columns(raw, 1)
        block = np.array(numbers)
    else:
        numbers, number_bad = list(block), {}
        bool_list, bool_bad = list(bools), _bool_range_bad(bools)
    parsed = Parsed(
        raw=raw,
        n=1,
        numbers=numbers,
        texts=_record_texts(record),
        bools=bool_list,
        number_bad=number_bad,
        bool_bad=bool_bad,
        fraction_rows=_ALL_FRACTION_ROWS,
        block=block,
        scales=scales,
    )
    result = check(parsed, _ROW0, [])
    if result.errors:
        raise RecordValidationError(
            [FieldError(e.field, e.value, e.message) for e in result.errors]
        )
    return result.columns


def _record_texts(record: Mapping[str, Any]) -> ParsedTexts:
    """The text fields of one record, each parsed by its element parser."""
    texts = ParsedTexts([], {}, {})
    for j, field in enumerate(TEXT_FIELDS):
        value = field.parse(_none_if_nan(record.get(field.spec.name)))
        column = np.empty(1, dtype=object)
        column[0] = value
        texts.values.append(column)
        bad = bad_mask(column)
        if bad[0]:
            texts.bad[j] = bad
        elif value is None and field.spec.required:
            texts.missing[j] = np.ones(1, dtype=bool)
    return texts


def _bool_range_bad(bools: FloatArray) -> dict[int, BoolMask]:
    bad = (bools != 0.0) & (bools != 1.0) & ~np.isnan(bools)
    return {int(j): bad[j] for j in np.flatnonzero(bad[:, 0])}


def _none_if_nan(value: object) -> object:
    return None if isinstance(value, float) and value != value else value


class _RecordRaw(Mapping[str, npt.NDArray[Any]]):
    """A record's values seen as length-1 columns, built only when looked at."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self._record = record

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        out = np.empty(1, dtype=object)
        out[0] = self._record[name]
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._record)

    def __len__(self) -> int:
        return len(self._record)
