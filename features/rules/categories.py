"""Vectorized lookups from text/enum columns to numbers.

Text columns are ``object`` arrays; mapping row by row in Python would dominate the
engine's time, so each column is factorized once and only its distinct values are
looked up. A handful of rows (one POSTed record) is factorized in plain Python:
``pd.factorize`` costs tens of microseconds before it looks at the first value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from features.rules.logic import FloatArray

Factorized: TypeAlias = tuple[NDArray[np.intp], NDArray[np.object_]]

# Up to this many rows a dict beats pandas' hash table (measured: 32 rows in plain
# Python cost about what pd.factorize spends on setup alone).
SMALL_COLUMN_ROWS = 32


def factorize(values: NDArray[np.object_]) -> Factorized:
    """Codes (``-1`` = missing) and distinct values of a text column.

    The distinct values are in order of first appearance, as ``pd.factorize`` gives
    them; ``None``, ``NaN`` and ``pd.NA`` are missing.
    """
    array = np.asarray(values, dtype=object)
    if len(array) <= SMALL_COLUMN_ROWS:
        return _factorize_small(array)
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)


def _factorize_small(values: NDArray[np.object_]) -> Factorized:
    first_seen: dict[object, int] = {}
    codes: list[int] = []
    for value in values.tolist():
        if value is None or (not isinstance(value, str) and _missing(value)):
            codes.append(-1)
        else:
            codes.append(first_seen.setdefault(value, len(first_seen)))
    uniques = np.empty(len(first_seen), dtype=object)
    for code, value in enumerate(first_seen):
        uniques[code] = value
    return np.array(codes, dtype=np.intp), uniques


def _missing(value: Any) -> bool:
    # A float NaN without pandas' call (the common case); anything else asks pandas.
    if isinstance(value, float):
        return value != value
    return bool(pd.isna(value))


def lookup_table(factorized: Factorized, lookup: Callable[[str], float], field: str) -> FloatArray:
    """The number of each distinct value: ``table[codes]`` maps the column's known rows.

    Parameters
    ----------
    factorized
        The column's :func:`factorize` result.
    lookup
        Function from one value to a number; raises ``KeyError`` for a value it does
        not know.
    field
        Column name, for the error message.

    Raises
    ------
    ValueError
        Naming the field, the unknown values and the first row holding one.
    """
    codes, uniques = factorized
    table = np.empty(len(uniques), dtype=np.float64)
    bad_codes: list[int] = []
    for i, value in enumerate(uniques.tolist()):
        try:
            table[i] = lookup(str(value))
        except KeyError:
            bad_codes.append(i)
    if bad_codes:
        first_row = int(np.flatnonzero(np.isin(codes, bad_codes))[0])
        bad = sorted(str(uniques[i]) for i in bad_codes)
        raise ValueError(
            f"{field}: unknown value(s) {bad[:5]} (first at row {first_row}); "
            "validate the input with features.validate first"
        )
    return table
