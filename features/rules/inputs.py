"""The columns of one evaluation, prepared once for every block of the plan.

Checked here, with errors that name the field: columns of equal length, numeric
fields that are numbers. Text fields are factorized once per call and each lookup
measure becomes a small table indexed by the codes (a million rows with 31
industries cost 31 lookups); the provincial plug-ins score their rows once per
call. The engine then slices these arrays block by block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from features.columns import Columns
from features.rules.categories import factorize, lookup_table
from features.rules.currency import CurrencyRates
from features.rules.distinctive import DistinctivePlugin, distinctive_points
from features.rules.logic import FloatArray
from features.rules.plan import RulePlan

# Years after fiscal_year within which a re-review counts as due: the model's label
# horizon (training.labels.DEFAULT_HORIZON), so "due" means "within what the score
# looks at".
REVIEW_HORIZON = 2

_MISSING = np.array([np.nan])
_FLOAT64 = np.dtype(np.float64)


@dataclass(frozen=True, eq=False)
class PlanInputs:
    """What the plan reads of one evaluation's columns.

    Attributes
    ----------
    fields
        The plan's numeric fields in its order, float64 (``None``: absent, unknown).
    lookup_codes
        ``(n_lookups, n_rows)`` indices into ``lookup_values`` (a ``NaN`` slot for a
        missing text).
    plugin_points
        Per plug-in criterion, ``(known, upper)`` points of every row; ``None`` when
        no plug-in is given (every row then gets ``(0, max_points)``).
    divisors
        The formulas' divisor columns for the evaluation's rates.
    horizon
        Years after ``fiscal_year`` within which a re-review counts as due.
    """

    n_rows: int
    fields: tuple[FloatArray | None, ...]
    lookup_values: FloatArray
    lookup_codes: NDArray[np.int32]
    plugin_points: tuple[tuple[FloatArray, FloatArray], ...] | None
    divisors: tuple[FloatArray, FloatArray]
    rates: CurrencyRates
    identity: Mapping[str, NDArray[Any]]
    horizon: int = REVIEW_HORIZON


def number_column(columns: Columns, field: str) -> FloatArray | None:
    """``field`` as float64 (``None`` when the column is absent).

    Raises
    ------
    ValueError
        When the column holds something other than numbers.
    """
    values = columns.get(field)
    if values is None or values.dtype is _FLOAT64 or values.dtype == _FLOAT64:
        return values
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{field}: expected numbers (NaN for unknown), got dtype {values.dtype}; "
            "validate the input with features.validate first"
        ) from exc


def text_column(columns: Columns, field: str, n_rows: int) -> NDArray[np.object_]:
    """``field`` as an object array (all ``None`` when absent)."""
    values = columns.get(field)
    if values is None:
        return np.full(n_rows, None, dtype=object)
    return np.asarray(values, dtype=object)


def row_count(columns: Columns) -> int:
    """The common length of the columns.

    Raises
    ------
    ValueError
        For no columns or columns of different lengths.
    """
    if not columns:
        raise ValueError("columns is empty: expected at least the required input fields")
    if len(set(map(len, columns.values()))) != 1:
        lengths = {name: len(values) for name, values in columns.items()}
        raise ValueError(f"columns have different lengths: {lengths}")
    return len(next(iter(columns.values())))


def prepare_inputs(
    plan: RulePlan,
    columns: Columns,
    rates: CurrencyRates,
    plugins: Mapping[str, DistinctivePlugin],
    horizon: int = REVIEW_HORIZON,
) -> PlanInputs:
    """Check and convert ``columns`` for ``plan`` (``horizon``: see :class:`PlanInputs`).

    Raises
    ------
    ValueError
        For columns of different lengths or none, a non-numeric numeric field, an
        unknown enum or industry value (naming the first row holding it), or a
        plug-in returning bad points.
    """
    n = row_count(columns)
    layout = plan.measures
    fields = tuple(number_column(columns, name) for name in layout.fields)
    factorized = {name: factorize(text_column(columns, name, n)) for name in layout.text_fields}
    # One table for all lookups, each preceded by a NaN slot: code -1 (missing) + 1
    # lands on it.
    parts: list[FloatArray] = []
    codes: list[NDArray[np.intp]] = []
    starts: list[int] = []
    size = 0
    for _, lookup in layout.lookups:
        field_codes, uniques = factorized[lookup.field]
        parts += [_MISSING, lookup_table((field_codes, uniques), lookup.lookup, lookup.field)]
        codes.append(field_codes)
        starts.append(size + 1)
        size += 1 + len(uniques)
    lookup_values = np.concatenate(parts) if parts else np.empty(0)
    # A few thousand distinct values at most: 32-bit codes take half the memory.
    lookup_codes = np.empty((len(codes), n), dtype=np.int32)
    for row, (field_codes, start) in enumerate(zip(codes, starts, strict=True)):
        np.add(field_codes, start, out=lookup_codes[row], casting="unsafe")
    plugin_points = None
    if plugins and plan.scoring.plugins:
        province = text_column(columns, "province", n)
        plugin_points = tuple(
            distinctive_points(columns, province, plugins, max_points)
            for _, max_points in plan.scoring.plugins
        )
    divisors = layout.divisor_columns(rates)
    identity: dict[str, NDArray[Any]] = {}
    if "company_id" in columns:
        identity["company_id"] = text_column(columns, "company_id", n)
    if "fiscal_year" in columns:
        year = number_column(columns, "fiscal_year")
        assert year is not None
        identity["fiscal_year"] = year
    return PlanInputs(
        n_rows=n,
        fields=fields,
        lookup_values=lookup_values,
        lookup_codes=lookup_codes,
        plugin_points=plugin_points,
        divisors=divisors,
        rates=rates,
        identity=identity,
        horizon=horizon,
    )
