"""A set of rule tables compiled once into flat arrays: the plan the engine walks.

Like a fitted scikit-learn tree kept as arrays that one loop walks, a
:class:`RulePlan` holds every selected table as index and constant arrays; the
engine (:mod:`features.rules.engine`) runs the same few dozen array operations for
one record and for a block of a million rows:

1. **measures** (:mod:`~features.rules.plan_measures`): input fields, lookups and
   computed measures as rows of one ``float64`` matrix;
2. **conditions** (:mod:`~features.rules.plan_logic`): every distinct test and
   condition node as a row of one ``uint8`` code matrix (``FAIL=0 < UNKNOWN=1 <
   PASS=2``);
3. **criteria**: a rule criterion is its condition's row (or, with an
   :class:`~features.rules.tables.Assumption`, a row with the assumed value where
   the rule is unknown); points criteria are *ladders* — the band codes of all
   points criteria gathered into one padded ``(criteria, bands, rows)`` block whose
   first band known met and first band possibly met are two ``argmax`` calls — and
   plug-in criteria take their points from the plug-ins;
4. **schemes**: group sums, scheme totals, pass marks and group minima, required
   gates, routes and the certified rank, each one gather plus one ``reduceat`` over
   all schemes at once;
5. **display** (only when asked): value, threshold and gap of every criterion as
   matrices.

Plans of the shipped tables are cached by scheme ids (:func:`plan_for`); tables are
immutable, so a plan never changes once built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from features.rules.logic import Condition, FloatArray, Test
from features.rules.plan_logic import FAIL, PASS, LogicPlan, compile_logic
from features.rules.plan_measures import MeasureLayout, compile_measures
from features.rules.registry import SCHEME_IDS, resolve_schemes
from features.rules.report import criterion_template, scheme_template, unknown_sentence
from features.rules.tables import Assumption, Criterion, SchemeTable

IntArray: TypeAlias = NDArray[np.intp]

__all__ = ["CriterionPlan", "RulePlan", "SchemePlan", "compile_plan", "plan_for"]


@dataclass(frozen=True, eq=False)
class CriterionPlan:
    """One criterion's place in the plan and its fixed JSON parts.

    Attributes
    ----------
    code_row
        Row of the code matrix holding the criterion's own verdict.
    scored
        Row of the points matrices (points and plug-in criteria), else ``-1``.
    value_slot
        Workspace row of the displayed measure (``-1`` for a plug-in).
    op
        The displayed comparison, ``None`` when no threshold is shown.
    template
        The criterion's JSON with the per-firm keys ``None``; the writer copies it
        and never changes it.
    """

    criterion: Criterion
    index: int
    code_row: int
    scored: int
    value_slot: int
    op: str | None
    max_points: float | None
    template: dict[str, object]
    unknown_text: str


@dataclass(frozen=True, eq=False)
class SchemePlan:
    """One scheme's place in the plan.

    Attributes
    ----------
    criteria
        Its criteria's indices in :attr:`RulePlan.criteria` (a range).
    scored
        Row of the scheme totals, else ``-1``.
    grade
        Row of the grade codes, else ``-1``; ``grade_labels[code]`` is the label.
    groups
        ``(group, row of the group sums)`` of a scored scheme, in table order.
    assumptions
        ``(row of the assumption flags, sentence)`` of each criterion that states one.
    """

    table: SchemeTable
    index: int
    criteria: range
    scored: int
    grade: int
    grade_labels: tuple[str, ...]
    groups: tuple[tuple[str, int], ...]
    assumptions: tuple[tuple[int, str], ...]
    template: dict[str, object]
    grade_key: str | None  # the JSON key of the grade (``export_tier``)


@dataclass(frozen=True, eq=False)
class Ladders:
    """Points criteria, then grade ladders, as padded band blocks.

    ``rows`` holds, band by band (best first), the code row of that band of every
    ladder, padded to ``width`` bands with the always-true row, which stands for
    "no band" (the else points, the ``below`` grade). The first band known met
    (code 2) and the first band possibly met (code ≥ 1) are counts of the leading
    bands that are not.
    """

    rows: IntArray
    width: int
    n_points: int
    offsets: IntArray  # (n_points, 1): first flat index of each points ladder
    points: FloatArray  # (n_points * width,): band points, then the else points
    edges: FloatArray  # (n_points * width,): displayed band edges, NaN past the bands
    lengths: IntArray  # (n_points, 1): number of bands
    grade_lengths: IntArray  # (n_grades, 1): number of grades

    @property
    def size(self) -> int:
        """Number of ladders."""
        return len(self.rows) // max(self.width, 1)


@dataclass(frozen=True, eq=False)
class Scoring:
    """Points of scored criteria, group and scheme sums, and the score tests.

    Scored rows are the points criteria (from the ladders), then the plug-ins.
    """

    max_points: FloatArray  # (n_scored, 1)
    plugins: tuple[tuple[int, float], ...]  # (scored row, max points) per plug-in
    verdict_rows: slice  # rows of N holding each scored criterion's verdict
    # Sums are added one term after the other in table order, as the official
    # tables add them (and the same for one row or many): each group lists its
    # scored rows, each scheme its groups, padded with the index of a zero row.
    group_members: IntArray  # (n_groups, most members)
    scheme_groups: IntArray  # (n_scored_schemes, most groups)
    score_sources: IntArray  # rows of [scheme totals; group sums]
    score_marks: FloatArray  # (n_score_tests, 1)
    score_test_rows: slice  # rows of N holding each score test's code
    score_tests: IntArray  # (n_scored_schemes, most tests): rows of N, padded always-true
    score_rows: slice  # rows of N holding each scored scheme's score code

    @property
    def n_scored(self) -> int:
        """Number of scored criteria."""
        return len(self.max_points)

    @property
    def n_groups(self) -> int:
        """Number of groups of all scored schemes."""
        return len(self.group_members)


@dataclass(frozen=True, eq=False)
class Gates:
    """The scheme verdict: AND of required criteria, OR of score and routes, rank."""

    required: IntArray  # (schemes, most): rows of N, padded always-true
    alternatives: IntArray  # (schemes, most): rows of N, padded never-true
    certified: IntArray  # row of each scheme's "tier_rank >= rank" test, or NEVER


@dataclass(frozen=True, eq=False)
class Assumed:
    """Rule criteria with an assumption: where unknown, the gates read the assumed value."""

    sources: IntArray
    values: NDArray[np.uint8]  # (k, 1): FAIL or PASS
    rows: slice


@dataclass(frozen=True, eq=False)
class Display:
    """Where each criterion's displayed threshold comes from, and its gap's direction.

    A threshold is a number, another measure's value (``slot``; ``+inf`` there shows
    as none), or the edge of the band above the firm's (points criteria).
    """

    value_slots: IntArray
    plugin_criteria: IntArray  # criteria indices of plug-ins, aligned with Scoring.plugins
    constant: FloatArray  # (n_criteria, 1): NaN unless a number
    slot_criteria: IntArray
    slot_sources: IntArray
    ladder_criteria: IntArray  # criteria indices of points criteria, in ladder order
    direction: FloatArray  # (n_criteria, 1): +1 (>=, >, ==), -1 (<=, <), NaN (no op)
    equal_criteria: IntArray  # criteria shown with "==": the gap is |t - v|
    rule_criteria: NDArray[np.bool_]  # (n_criteria, 1): the gap shows only on a fail


@dataclass(frozen=True, eq=False)
class RulePlan:
    """The compiled tables. Build with :func:`compile_plan` or :func:`plan_for`."""

    tables: tuple[SchemeTable, ...]
    schemes: tuple[SchemePlan, ...]
    criteria: tuple[CriterionPlan, ...]
    measures: MeasureLayout
    logic: LogicPlan
    assumed: Assumed
    ladders: Ladders
    scoring: Scoring
    gates: Gates
    display: Display
    code_rows: IntArray  # each criterion's code row, in criteria order
    scored_rows: IntArray  # each criterion's row of the points matrices, -1 if none
    unknown_texts: NDArray[np.object_]  # (n_criteria, 1): each one's "not determined"
    json_entries: tuple[tuple[dict[str, object], bool], ...]  # (template, has points)
    # (template, index, first and last criterion, scored row, grade key, assumptions)
    json_schemes: tuple[
        tuple[dict[str, object], int, int, int, int, str | None, tuple[tuple[int, str], ...]],
        ...,
    ]
    n_codes: int  # rows of the code matrix

    @property
    def scheme_ids(self) -> tuple[str, ...]:
        """The schemes, in evaluation order."""
        return tuple(t.scheme_id for t in self.tables)

    @property
    def states_assumptions(self) -> bool:
        """Whether any table declares an assumption."""
        return any(s.assumptions for s in self.schemes)

    @property
    def n_scored_schemes(self) -> int:
        """Schemes with a points total."""
        return sum(1 for s in self.schemes if s.scored >= 0)

    @property
    def n_grades(self) -> int:
        """Schemes with a grade ladder."""
        return sum(1 for s in self.schemes if s.grade >= 0)


def _display_test(crit: Criterion, conditions: Iterable[Test]) -> Test | None:
    """The first test on the criterion's own measure: it gives threshold and gap."""
    return next((t for t in conditions if t.measure == crit.measure), None)


def _conditions(tables: tuple[SchemeTable, ...]) -> list[Condition]:
    out: list[Condition] = []
    for table in tables:
        for crit in table.criteria:
            if crit.rule is not None:
                out.append(crit.rule)
            out.extend(band.when for band in crit.bands)
        if table.grade is not None:
            out.extend(g.when for g in table.grade.grades)
        if table.certified_rank is not None:
            out.append(_certified_test(table))
    return out


def _certified_test(table: SchemeTable) -> Test:
    assert table.certified_rank is not None
    return Test("tier_rank", ">=", float(table.certified_rank))


def _measure_names(tables: tuple[SchemeTable, ...], conditions: list[Condition]) -> list[str]:
    names: dict[str, None] = {}
    for condition in conditions:
        for test in condition.tests():
            names[test.measure] = None
            if isinstance(test.threshold, str):
                names[test.threshold] = None
    for table in tables:
        for crit in table.criteria:
            if crit.measure is not None:
                names[crit.measure] = None
    return list(names)


def _ints(values: Iterable[int]) -> IntArray:
    return np.fromiter(values, dtype=np.intp)


def _padded(rows: list[list[int]], pad: int) -> IntArray:
    """Rows of indices as a matrix, short rows filled with ``pad``."""
    width = max((len(r) for r in rows), default=0)
    return np.array([r + [pad] * (width - len(r)) for r in rows], dtype=np.intp).reshape(
        len(rows), width
    )


def _column(values: Iterable[float]) -> FloatArray:
    return np.fromiter(values, dtype=np.float64).reshape(-1, 1)


def compile_plan(tables: Iterable[SchemeTable]) -> RulePlan:
    """Compile rule tables into a :class:`RulePlan`.

    Parameters
    ----------
    tables
        The schemes to evaluate, in output order.

    Raises
    ------
    ValueError
        For duplicate scheme ids or a measure the tables name that does not exist.
    """
    tables = tuple(tables)
    ids = [t.scheme_id for t in tables]
    if len(set(ids)) != len(ids):
        raise ValueError(f"each scheme may be evaluated once, got {ids}")
    conditions = _conditions(tables)
    measures = compile_measures(_measure_names(tables, conditions))
    logic = compile_logic(conditions, measures.slots)
    next_row = logic.n_rows

    flat: list[tuple[int, SchemeTable, Criterion]] = [
        (k, table, crit) for k, table in enumerate(tables) for crit in table.criteria
    ]
    # Assumptions: one more code row per criterion that states one.
    assumed_of = [i for i, (_, _, crit) in enumerate(flat) if crit.assume is not None]
    assumed = Assumed(
        sources=_ints(logic.rows[flat[i][2].rule] for i in assumed_of),  # type: ignore[index]
        values=np.array(
            [PASS if _assumption(flat[i][2]).verdict == "pass" else FAIL for i in assumed_of],
            dtype=np.uint8,
        ).reshape(-1, 1),
        rows=slice(next_row, next_row + len(assumed_of)),
    )
    gate_row = {i: next_row + j for j, i in enumerate(assumed_of)}
    next_row += len(assumed_of)

    # Ladders: points criteria, then grade ladders.
    points_of = [i for i, (_, _, crit) in enumerate(flat) if crit.kind == "points"]
    grade_of = [k for k, t in enumerate(tables) if t.grade is not None]
    band_rows: list[list[int]] = [
        [logic.rows[b.when] for b in flat[i][2].bands] for i in points_of
    ] + [[logic.rows[g.when] for g in tables[k].grade.grades] for k in grade_of]  # type: ignore[union-attr]
    width = 1 + max((len(r) for r in band_rows), default=0)
    padded = [r + [logic.always] * (width - len(r)) for r in band_rows]
    points_table: list[float] = []
    edges_table: list[float] = []
    display_ops: dict[int, str | None] = {}
    for i in points_of:
        crit = flat[i][2]
        band_points = [float(b.points) for b in crit.bands]
        points_table.extend(band_points + [float(crit.else_points)] * (width - len(band_points)))
        edges: list[float] = []
        ops: list[str] = []
        for band in crit.bands:
            test = _display_test(crit, band.when.tests())
            if test is not None and not isinstance(test.threshold, str):
                edges.append(float(test.threshold))
                ops.append(test.op)
            else:
                edges.append(np.nan)
        edges_table.extend(edges + [np.nan] * (width - len(edges)))
        display_ops[i] = ops[0] if ops else None
    ladders = Ladders(
        rows=_ints(rows[k] for k in range(width) for rows in padded),  # band by band
        width=width,
        n_points=len(points_of),
        offsets=(np.arange(len(points_of), dtype=np.intp) * width).reshape(-1, 1),
        points=np.array(points_table, dtype=np.float64),
        edges=np.array(edges_table, dtype=np.float64),
        lengths=_ints(len(flat[i][2].bands) for i in points_of).reshape(-1, 1),
        grade_lengths=_ints(
            len(band_rows[len(points_of) + j]) for j in range(len(grade_of))
        ).reshape(-1, 1),
    )

    # Scored criteria: points criteria (ladder order), then plug-ins.
    plugin_of = [i for i, (_, _, crit) in enumerate(flat) if crit.kind == "plugin"]
    scored_of = points_of + plugin_of
    scored_row = {i: r for r, i in enumerate(scored_of)}
    verdict_rows = slice(next_row, next_row + len(scored_of))
    next_row += len(scored_of)
    group_members: list[list[int]] = []
    scheme_groups: list[list[int]] = []
    groups_by_scheme: dict[int, list[tuple[str, int]]] = {}
    score_sources: list[int] = []
    score_marks: list[float] = []
    score_tests: list[list[int]] = []
    scored_schemes = [k for k, t in enumerate(tables) if t.pass_mark is not None]
    n_groups = sum(
        len({c.group for c in tables[k].criteria if c.has_points}) for k in scored_schemes
    )
    for s, k in enumerate(scored_schemes):
        table = tables[k]
        groups: dict[str, list[int]] = {}
        for i, (kk, _, crit) in enumerate(flat):
            if kk == k and crit.has_points:
                groups.setdefault(crit.group, []).append(scored_row[i])
        group_index: dict[str, int] = {}
        for group, members in groups.items():
            group_index[group] = len(group_members)
            group_members.append(members)
        scheme_groups.append(list(group_index.values()))
        groups_by_scheme[k] = list(group_index.items())
        first_test = len(score_sources)
        assert table.pass_mark is not None
        score_sources.append(s)  # the scheme total
        score_marks.append(float(table.pass_mark))
        for group, minimum in table.group_minima:
            score_sources.append(len(scored_schemes) + group_index[group])
            score_marks.append(float(minimum))
        score_tests.append(list(range(first_test, len(score_sources))))
    assert len(group_members) == n_groups
    score_test_rows = slice(next_row, next_row + len(score_sources))
    next_row += len(score_sources)
    score_tests = [[score_test_rows.start + t for t in tests] for tests in score_tests]
    score_rows = slice(next_row, next_row + len(scored_schemes))
    next_row += len(scored_schemes)
    scoring = Scoring(
        max_points=_column(float(flat[i][2].max_points or 0.0) for i in scored_of),
        plugins=tuple((scored_row[i], float(flat[i][2].max_points or 0.0)) for i in plugin_of),
        verdict_rows=verdict_rows,
        group_members=_padded(group_members, pad=len(scored_of)),
        scheme_groups=_padded(scheme_groups, pad=n_groups),
        score_sources=_ints(score_sources),
        score_marks=_column(score_marks),
        score_test_rows=score_test_rows,
        score_tests=_padded(score_tests, pad=logic.always),
        score_rows=score_rows,
    )

    # Criterion code rows (their own verdicts) and the gates.
    code_row: dict[int, int] = {}
    for i, (_, _, crit) in enumerate(flat):
        if crit.rule is not None:
            code_row[i] = logic.rows[crit.rule]
        else:
            code_row[i] = verdict_rows.start + scored_row[i]
    required: list[list[int]] = []
    alternatives: list[list[int]] = []
    certified: list[int] = []
    for k, table in enumerate(tables):
        members = [i for i, (kk, _, _) in enumerate(flat) if kk == k]
        gates = [gate_row.get(i, code_row[i]) for i in members if flat[i][2].kind == "required"]
        routes = [gate_row.get(i, code_row[i]) for i in members if flat[i][2].kind == "route"]
        if table.pass_mark is not None:
            routes.insert(0, score_rows.start + scored_schemes.index(k))
        required.append(gates or [logic.always])
        alternatives.append(routes or [logic.always])
        certified.append(
            logic.rows[_certified_test(table)] if table.certified_rank is not None else logic.never
        )
    gates_plan = Gates(
        required=_padded(required, pad=logic.always),
        alternatives=_padded(alternatives, pad=logic.never),
        certified=_ints(certified),
    )

    # Display and the fixed JSON parts.
    criteria: list[CriterionPlan] = []
    constant: list[float] = []
    direction: list[float] = []
    slot_criteria: list[int] = []
    slot_sources: list[int] = []
    equal_criteria: list[int] = []
    for i, (_, _, crit) in enumerate(flat):
        op: str | None = None
        shown = np.nan
        if crit.rule is not None:
            test = _display_test(crit, crit.rule.tests())
            if test is not None:
                op = test.op
                if isinstance(test.threshold, str):
                    slot_criteria.append(i)
                    slot_sources.append(measures.slots[test.threshold])
                else:
                    shown = float(test.threshold)
        elif crit.kind == "points":
            op = display_ops[i]
        constant.append(shown)
        direction.append(np.nan if op is None else -1.0 if op in ("<=", "<") else 1.0)
        if op == "==":
            equal_criteria.append(i)
        max_points = crit.max_points if crit.has_points else None
        criteria.append(
            CriterionPlan(
                criterion=crit,
                index=i,
                code_row=code_row[i],
                scored=scored_row.get(i, -1),
                value_slot=-1 if crit.measure is None else measures.slots[crit.measure],
                op=op,
                max_points=max_points,
                template=criterion_template(
                    id=crit.id,
                    label=crit.label,
                    group=crit.group,
                    kind=crit.kind,
                    unit=crit.unit,
                    max_points=max_points,
                    with_points=crit.has_points,
                ),
                unknown_text=unknown_sentence(crit.label),
            )
        )
    display = Display(
        value_slots=_ints(max(c.value_slot, 0) for c in criteria),
        plugin_criteria=_ints(plugin_of),
        constant=_column(constant),
        slot_criteria=_ints(slot_criteria),
        slot_sources=_ints(slot_sources),
        ladder_criteria=_ints(points_of),
        direction=_column(direction),
        equal_criteria=_ints(equal_criteria),
        rule_criteria=np.array([c.rule is not None for _, _, c in flat], dtype=bool).reshape(-1, 1),
    )

    schemes: list[SchemePlan] = []
    start = 0
    assumption_row = {i: j for j, i in enumerate(assumed_of)}
    for k, table in enumerate(tables):
        stop = start + len(table.criteria)
        grade_labels: tuple[str, ...] = ()
        if table.grade is not None:
            grade_labels = (*(g.label for g in table.grade.grades), table.grade.below, "unknown")
        schemes.append(
            SchemePlan(
                table=table,
                index=k,
                criteria=range(start, stop),
                scored=scored_schemes.index(k) if k in scored_schemes else -1,
                grade=grade_of.index(k) if k in grade_of else -1,
                grade_labels=grade_labels,
                groups=tuple(groups_by_scheme.get(k, ())),
                assumptions=tuple(
                    (assumption_row[i], _assumption(flat[i][2]).sentence)
                    for i in range(start, stop)
                    if i in assumption_row
                ),
                template=scheme_template(table),
                grade_key=table.grade.name if table.grade is not None else None,
            )
        )
        start = stop
    return RulePlan(
        tables=tables,
        schemes=tuple(schemes),
        criteria=tuple(criteria),
        measures=measures,
        logic=logic,
        assumed=assumed,
        ladders=ladders,
        scoring=scoring,
        gates=gates_plan,
        display=display,
        code_rows=_ints(c.code_row for c in criteria),
        scored_rows=_ints(c.scored for c in criteria),
        unknown_texts=np.array([c.unknown_text for c in criteria], dtype=object).reshape(-1, 1),
        json_entries=tuple((c.template, c.scored >= 0) for c in criteria),
        json_schemes=tuple(
            (
                s.template,
                s.index,
                s.criteria.start,
                s.criteria.stop,
                s.scored,
                s.grade_key,
                s.assumptions,
            )
            for s in schemes
        ),
        n_codes=next_row,
    )


def _assumption(crit: Criterion) -> Assumption:
    assert crit.assume is not None
    return crit.assume


@cache
def _plan_of_ids(scheme_ids: tuple[str, ...]) -> RulePlan:
    # The shipped tables are immutable module constants: a plan is built once per
    # selection of schemes and shared by every evaluation.
    return compile_plan(resolve_schemes(scheme_ids))


def plan_for(schemes: Iterable[str] | str | None = None) -> RulePlan:
    """The cached plan of the shipped tables for ``schemes`` (``None`` = all eight).

    Raises
    ------
    ValueError
        For an unknown scheme id.
    """
    if schemes is None:
        return _plan_of_ids(SCHEME_IDS)
    return _plan_of_ids((schemes,) if isinstance(schemes, str) else tuple(schemes))
