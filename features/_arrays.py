"""Small array helpers shared by the normalizers and the validator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["as_object_array", "map_numbers", "map_objects"]

# Below this many rows a comprehension beats pandas' hashing set-up (a POSTed
# record is one row); above it only the distinct values are mapped.
_SMALL = 32


def as_object_array(values: npt.ArrayLike | pd.Series) -> npt.NDArray[np.object_]:
    """Return ``values`` as a 1-D object array, pandas missing values as ``None``."""
    if isinstance(values, pd.Series):
        # pandas-stubs do not accept None as na_value, pandas does.
        out: npt.NDArray[np.object_] = values.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
        return out
    arr = np.asarray(values)
    if arr.dtype == object:
        return arr.reshape(-1)
    out = np.empty(arr.size, dtype=object)
    out[:] = arr.reshape(-1).tolist()
    return out


def map_objects(
    values: npt.ArrayLike | pd.Series, fn: Callable[[Any], Any]
) -> npt.NDArray[np.object_]:
    """Apply ``fn`` to each distinct value and broadcast the results.

    ``fn`` receives ``None`` for missing values (``None`` or NaN) and must be a
    pure function of its argument: it is called once per distinct value, not once
    per row, so a million rows with 31 provinces cost 31 calls.
    """
    arr = as_object_array(values)
    out = np.empty(arr.size, dtype=object)
    if arr.size <= _SMALL:
        out[:] = [fn(None if _is_missing(v) else v) for v in arr]
        return out
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [fn(u) for u in uniques]
    mapped[-1] = fn(None)
    out[:] = mapped[codes]
    return out


def map_numbers(
    values: npt.ArrayLike | pd.Series, fn: Callable[[Any], float], dtype: npt.DTypeLike
) -> npt.NDArray[Any]:
    """Apply a number-valued ``fn`` to each distinct value; the results as ``dtype``.

    The same as ``map_objects(values, fn).astype(dtype)``, but the results of the
    distinct values are looked up in a numeric table by their codes: no object array
    of a million results is built only to be converted.
    """
    arr = as_object_array(values)
    if arr.size <= _SMALL:
        return np.array([fn(None if _is_missing(v) else v) for v in arr], dtype=dtype)
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    table = np.array([*(fn(u) for u in uniques), fn(None)], dtype=dtype)
    out: npt.NDArray[Any] = table[codes]  # the sentinel -1 is the last entry: fn(None)
    return out


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
