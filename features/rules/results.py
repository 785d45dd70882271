"""Read views of one evaluation: per scheme and per criterion, arrays over all firms.

They hold no arrays of their own: each attribute is a row of the plan's output
matrices (:class:`features.rules.engine.PlanOutput`). Scheme verdicts and points
come from the evaluation's first pass; a criterion's verdict and points, and the
group sums, from a second pass made on first access; value, threshold and gap
from the display pass, also made once on first access. A million-row screen that
reads the verdicts never pays for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from features.rules.logic import FloatArray
from features.rules.plan import CriterionPlan, SchemePlan

if TYPE_CHECKING:
    from features.rules.evaluation import SchemeEvaluation

__all__ = ["CriterionResult", "SchemeResult"]


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

    def __init__(self, evaluation: SchemeEvaluation, spec: CriterionPlan) -> None:
        self._evaluation = evaluation
        self._spec = spec
        crit = spec.criterion
        self.id = crit.id
        self.label = crit.label
        self.group = crit.group
        self.kind = crit.kind
        self.unit = crit.unit
        self.max_points = spec.max_points
        self.op = spec.op

    def __repr__(self) -> str:
        return f"CriterionResult(id={self.id!r}, kind={self.kind!r})"

    @property
    def verdict(self) -> NDArray[np.int8]:
        """:class:`CriterionVerdict` codes of every firm."""
        out = self._evaluation.criteria_output.criterion_verdict
        assert out is not None
        codes: NDArray[np.int8] = out[self._spec.index]
        return codes

    @property
    def assumed(self) -> NDArray[np.bool_] | None:
        """Where the criterion's stated assumption stood in for its unknown value.

        ``None`` for a criterion that states no assumption; the value assumed is
        ``criterion.assume.verdict`` of the table.
        """
        plan = self._evaluation.plan
        if self._spec.index not in plan.assumed.criteria:
            return None
        out = self._evaluation.criteria_output.assumed
        assert out is not None
        used: NDArray[np.bool_] = out[plan.assumed.criteria.index(self._spec.index)]
        return used

    @property
    def value(self) -> FloatArray:
        """The displayed measure of every firm (``NaN`` = unknown)."""
        out = self._evaluation.display_output.display
        assert out is not None
        row: FloatArray = out[0, self._spec.index]
        return row

    @property
    def threshold(self) -> FloatArray:
        """Threshold to reach, in ``unit``; ``NaN`` where none applies."""
        out = self._evaluation.display_output.display
        assert out is not None
        row: FloatArray = out[1, self._spec.index]
        return row

    @property
    def gap(self) -> FloatArray:
        """Distance to the threshold (``>= 0``), ``NaN`` unless failing."""
        out = self._evaluation.display_output.display
        assert out is not None
        row: FloatArray = out[2, self._spec.index]
        return row

    @property
    def points(self) -> FloatArray | None:
        """Known points, or ``None`` for a criterion without points."""
        if self._spec.scored < 0:
            return None
        out = self._evaluation.criteria_output.scored
        assert out is not None
        row: FloatArray = out[0, self._spec.scored]
        return row

    @property
    def points_upper(self) -> FloatArray | None:
        """Upper bound of the points, or ``None`` for a criterion without points."""
        if self._spec.scored < 0:
            return None
        out = self._evaluation.criteria_output.scored
        assert out is not None
        row: FloatArray = out[1, self._spec.scored]
        return row


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

    def __init__(self, evaluation: SchemeEvaluation, spec: SchemePlan) -> None:
        self._evaluation = evaluation
        self._spec = spec
        table = spec.table
        self.scheme_id = table.scheme_id
        self.name = table.name
        self.version = table.version
        self.pass_mark = table.pass_mark
        self.max_points = table.max_points
        self.grade_name = table.grade.name if table.grade else None

    def __repr__(self) -> str:
        return f"SchemeResult(scheme_id={self.scheme_id!r}, n_rows={self._evaluation.n_rows})"

    @property
    def verdict(self) -> NDArray[np.int8]:
        """:class:`Verdict` codes of every firm."""
        codes: NDArray[np.int8] = self._evaluation.summary_output.verdict[self._spec.index]
        return codes

    @property
    def points(self) -> FloatArray | None:
        """Known points of every firm, or ``None`` for an unscored scheme."""
        if self._spec.scored < 0:
            return None
        points: FloatArray = self._evaluation.summary_output.totals[0, self._spec.scored]
        return points

    @property
    def points_upper(self) -> FloatArray | None:
        """Upper bound of the points of every firm, or ``None`` for an unscored scheme."""
        if self._spec.scored < 0:
            return None
        points: FloatArray = self._evaluation.summary_output.totals[1, self._spec.scored]
        return points

    @property
    def grade_codes(self) -> NDArray[np.int8] | None:
        """Indices into :attr:`grade_labels`, or ``None`` for an ungraded scheme."""
        if self._spec.grade < 0:
            return None
        codes: NDArray[np.int8] = self._evaluation.summary_output.grades[self._spec.grade]
        return codes

    @property
    def grade_labels(self) -> tuple[str, ...]:
        """The grades best first, then the label below them, then ``"unknown"``."""
        return self._spec.grade_labels

    @property
    def grade(self) -> NDArray[np.object_] | None:
        """The grade label of every firm, or ``None`` for an ungraded scheme."""
        codes = self.grade_codes
        if codes is None:
            return None
        labels: NDArray[np.object_] = np.array(self._spec.grade_labels, dtype=object)[codes]
        return labels

    @cached_property
    def criteria(self) -> Mapping[str, CriterionResult]:
        """Every criterion by id, in table order."""
        plan = self._evaluation.plan
        return {
            plan.criteria[i].criterion.id: CriterionResult(self._evaluation, plan.criteria[i])
            for i in self._spec.criteria
        }

    @property
    def group_points(self) -> dict[str, FloatArray]:
        """Known points per group (scored schemes; empty otherwise)."""
        out = self._evaluation.criteria_output.groups
        assert out is not None
        return {group: out[0, row] for group, row in self._spec.groups}

    @property
    def group_points_upper(self) -> dict[str, FloatArray]:
        """Upper bound of the points per group (scored schemes; empty otherwise)."""
        out = self._evaluation.criteria_output.groups
        assert out is not None
        return {group: out[1, row] for group, row in self._spec.groups}
