"""Result containers: per criterion and per scheme, arrays over all firms.

Display arrays (threshold, gap, per-criterion points) are computed on first access:
a million-row screen reads the verdicts and the scheme points, and keeping eight
megabytes of gaps for each of ninety criteria it never reads would cost more than
evaluating the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from features.rules.logic import FloatArray


@dataclass(frozen=True)
class CriterionDetail:
    """The lazily computed arrays of a :class:`CriterionResult`."""

    threshold: FloatArray
    gap: FloatArray
    points: FloatArray | None = None
    points_upper: FloatArray | None = None


@dataclass(frozen=True)
class CriterionResult:
    """One criterion evaluated for every firm.

    Attributes
    ----------
    verdict
        ``int8`` :class:`CriterionVerdict` codes (FAIL=0, PASS=1, UNKNOWN=2). For a
        points indicator, PASS means the top band is reached.
    value
        The displayed measure, in ``unit`` (shares as 0–1 fractions).
    threshold
        The threshold to reach (for a points indicator: the next band's edge).
    gap
        How far the value is from the threshold, ``>= 0``; ``NaN`` unless failing
        on the displayed measure.
    points, points_upper, max_points
        Known points and the most the unknown inputs could add (points criteria
        only, else ``None``).
    op
        The comparison of the displayed threshold (``>=``, ``<``, ...).
    """

    id: str
    label: str
    group: str
    kind: str
    unit: str
    verdict: NDArray[np.int8]
    value: FloatArray
    max_points: float | None
    op: str | None
    compute_detail: Callable[[], CriterionDetail] = field(repr=False, compare=False)

    @cached_property
    def detail(self) -> CriterionDetail:
        """Threshold, gap and points, computed once on first access."""
        with np.errstate(invalid="ignore", divide="ignore"):  # see logic.nan_unless
            return self.compute_detail()

    @property
    def threshold(self) -> FloatArray:
        """Threshold to reach, in ``unit``; ``NaN`` where none applies."""
        return self.detail.threshold

    @property
    def gap(self) -> FloatArray:
        """Distance to the threshold (``>= 0``), ``NaN`` unless failing."""
        return self.detail.gap

    @property
    def points(self) -> FloatArray | None:
        """Known points, or ``None`` for a criterion without points."""
        return self.detail.points if self.max_points is not None else None

    @property
    def points_upper(self) -> FloatArray | None:
        """Upper bound of the points, or ``None`` for a criterion without points."""
        return self.detail.points_upper if self.max_points is not None else None


@dataclass(frozen=True)
class SchemeResult:
    """One scheme evaluated for every firm.

    Attributes
    ----------
    verdict
        ``int8`` :class:`Verdict` codes (NOT_ELIGIBLE=0, ELIGIBLE=1,
        UNDETERMINED=2, CERTIFIED=3).
    points
        Known points (unknown indicators count 0), or ``None`` for unscored schemes.
    points_upper
        Points with every unknown indicator at its maximum, or ``None``.
    group_points, group_points_upper
        The same per group of the official table.
    criteria
        Every criterion by id, in table order.
    grade
        Labels of a graded scheme (Korea's export tiers), ``"unknown"`` when the
        inputs cannot tell; ``None`` for ungraded schemes.
    """

    scheme_id: str
    name: str
    version: str
    verdict: NDArray[np.int8]
    points: FloatArray | None
    points_upper: FloatArray | None
    pass_mark: float | None
    max_points: float | None
    criteria: dict[str, CriterionResult]
    group_points: dict[str, FloatArray] = field(default_factory=dict)
    group_points_upper: dict[str, FloatArray] = field(default_factory=dict)
    grade_name: str | None = None
    grade: NDArray[np.object_] | None = None
