"""Province-specific "distinctive" indicators (row 9 of the provincial SRDI table).

Each province sets its own 1–3 local indicators worth 15 points in total. A plug-in
returns, for the rows of its province, the points known to be earned and the most
that could be earned. Provinces without a plug-in get the neutral default: nothing
is known, so 0 points count toward the lower bound and 15 toward the upper bound —
a firm then needs 60 of the other 85 points to be *eligible*, and is *not eligible*
only when even 15 more would leave it below 60.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

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
