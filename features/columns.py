"""The one data shape on every arrow: a mapping of column name → 1-D numpy array.

After validation numeric, count, share and boolean fields are ``float64`` with NaN
for unknown (booleans 1.0 / 0.0 / NaN); text and enum fields are ``object`` arrays
of ``str`` or ``None``. A POSTed record is the same mapping with length-1 arrays,
so one record and a whole frame run the same vectorized code. Arrays may be
read-only (validation hands on a float64 input column without copying it, and
absent fields share one all-missing array): copy before writing into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from features._arrays import as_object_array
from features.fields import FIELD_BY_NAME, FIELD_NAMES

__all__ = [
    "Columns",
    "FloatArray",
    "ObjectArray",
    "column_length",
    "columns_from_frame",
    "columns_to_frame",
    "take_rows",
]

Columns: TypeAlias = Mapping[str, npt.NDArray[Any]]
FloatArray: TypeAlias = npt.NDArray[np.float64]
ObjectArray: TypeAlias = npt.NDArray[np.object_]


def column_length(columns: Columns) -> int:
    """Return the common length of the arrays, 0 for an empty mapping.

    Raises
    ------
    ValueError
        When the arrays have different lengths.
    """
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        detail = ", ".join(f"{k}={len(v)}" for k, v in columns.items())
        raise ValueError(f"columns have different lengths: {detail}")
    return lengths.pop() if lengths else 0


def columns_from_frame(df: pd.DataFrame) -> dict[str, npt.NDArray[Any]]:
    """Convert a trusted DataFrame to :data:`Columns` without validating it.

    Contract fields get their validated dtype (float64 or object with ``None``);
    other columns keep numeric data as float64 and everything else as object. Use
    :func:`features.validate.validate_frame` for data from users: this function
    neither normalizes provinces nor checks bounds.

    Parameters
    ----------
    df : pandas.DataFrame
        E.g. a panel written by the simulator or by ``srdi features``.

    Returns
    -------
    dict of str to numpy.ndarray

    Raises
    ------
    ValueError
        When a numeric contract field holds values that are not numbers.
    """
    out: dict[str, npt.NDArray[Any]] = {}
    for name in df.columns:
        series = df[name]
        spec = FIELD_BY_NAME.get(str(name))
        numeric = spec.kind not in ("text", "enum") if spec else _is_numeric(series)
        if numeric:
            try:
                out[str(name)] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"column {name!r} holds values that are not numbers ({exc}); "
                    "validate the frame with features.validate.validate_frame first"
                ) from exc
        else:
            out[str(name)] = as_object_array(series)
    return out


def columns_to_frame(columns: Columns) -> pd.DataFrame:
    """Convert :data:`Columns` to a DataFrame, contract fields first in contract order."""
    column_length(columns)
    ordered = [n for n in FIELD_NAMES if n in columns]
    ordered += [n for n in columns if n not in FIELD_BY_NAME]
    return pd.DataFrame({n: columns[n] for n in ordered})


def take_rows(columns: Columns, rows: npt.NDArray[Any]) -> dict[str, npt.NDArray[Any]]:
    """Select rows (an index array or a boolean mask) from every column."""
    return {name: values[rows] for name, values in columns.items()}


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series.dtype))
