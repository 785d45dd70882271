"""Province-specific "distinctive" indicators (row 9 of the provincial SRDI table).

Each province sets its own 1–3 local indicators worth 15 points in total. A plug-in
returns, for the rows of its province, the points known to be earned and the most
that could be earned. Provinces without a plug-in get the neutral default: nothing
is known, so 0 points count toward the lower bound and 15 toward the upper bound —
a firm then needs 60 of the other 85 points to be *eligible*, and is *not eligible*
only when even 15 more would leave it below 60.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from features.columns import Columns
from features.rules.logic import FloatArray


class DistinctivePlugin(Protocol):
    """Scores a province's local indicators.

    Implementations receive only the rows of their province (columns sliced to those
    rows) and must return two float64 arrays of that length, ``0 <= known <= upper
    <= max_points``, without ``NaN``.
    """

    def points(self, columns: Columns, max_points: float) -> tuple[FloatArray, FloatArray]:
        """Return ``(known, upper)`` points for each row."""
        ...


@dataclass(frozen=True)
class NeutralDistinctive:
    """The default: nothing known (0 known, ``max_points`` at most)."""

    def points(self, columns: Columns, max_points: float) -> tuple[FloatArray, FloatArray]:
        """Return ``(0, max_points)`` for every row."""
        n = len(next(iter(columns.values())))
        return np.zeros(n), np.full(n, float(max_points))


@dataclass(frozen=True)
class FixedDistinctive:
    """A documented fixed score for every firm of the province (known exactly)."""

    value: float

    def points(self, columns: Columns, max_points: float) -> tuple[FloatArray, FloatArray]:
        """Return ``(value, value)`` for every row."""
        if not 0.0 <= self.value <= max_points:
            raise ValueError(f"FixedDistinctive value {self.value} outside 0..{max_points}")
        n = len(next(iter(columns.values())))
        return np.full(n, self.value), np.full(n, self.value)


def distinctive_points(
    columns: Columns,
    province: NDArray[np.object_],
    plugins: Mapping[str, DistinctivePlugin],
    max_points: float,
) -> tuple[FloatArray, FloatArray]:
    """Known and upper points of every row: each plug-in scores its province's rows.

    Parameters
    ----------
    columns
        The evaluated columns; each plug-in receives them sliced to its rows.
    province
        Canonical province of each row.
    plugins
        Plug-ins by province; rows of other provinces get ``(0, max_points)``.
    max_points
        The criterion's maximum.

    Raises
    ------
    ValueError
        When a plug-in returns arrays of the wrong length or points outside
        ``0 <= known <= upper <= max_points`` (naming the province and the row).
    """
    n = len(province)
    lo = np.zeros(n)
    hi = np.full(n, max_points)
    for name, plugin in plugins.items():
        mask = province == name
        if not mask.any():
            continue
        sub = {field: np.asarray(values)[mask] for field, values in columns.items()}
        known, upper = plugin.points(sub, max_points)
        _check_plugin_points(name, known, upper, int(mask.sum()), max_points)
        lo[mask] = known
        hi[mask] = upper
    return lo, hi


def _check_plugin_points(province: str, known: Any, upper: Any, n: int, max_points: float) -> None:
    known_a = np.asarray(known, dtype=np.float64)
    upper_a = np.asarray(upper, dtype=np.float64)
    if known_a.shape != (n,) or upper_a.shape != (n,):
        raise ValueError(
            f"distinctive plug-in for {province}: expected two arrays of {n} rows, got "
            f"shapes {known_a.shape} and {upper_a.shape}"
        )
    ok = (known_a >= 0) & (known_a <= upper_a) & (upper_a <= max_points)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise ValueError(
            f"distinctive plug-in for {province}: points must satisfy 0 <= known <= upper "
            f"<= {max_points} with no NaN; row {row} of the province has known="
            f"{known_a[row]}, upper={upper_a[row]}"
        )
