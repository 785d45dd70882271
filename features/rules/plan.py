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
   points criteria gathered into one padded ``(bands, criteria, rows)`` block whose
   first band known met and first band possibly met are counted band by band — and
   plug-in criteria take their points from the plug-ins;
4. **schemes**: group sums and scheme totals (added term by term in table order),
   pass marks and group minima, required gates, routes and the certified rank, each
   one gather plus one reduction over all schemes at once;
5. **display** (only when asked): value, threshold and gap of every criterion as
   matrices.

Plans of the shipped tables are cached by scheme ids (:func:`plan_for`); tables are
immutable, so a plan never changes once built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from features.rules.logic import Condition
from features.rules.plan_logic import LogicPlan, compile_logic
from features.rules.plan_measures import MeasureLayout, compile_measures
from features.rules.plan_parts import (
    Assumed,
    Display,
    Flat,
    Gates,
    Ladders,
    Replaced,
    Review,
    Rows,
    Scoring,
    Stated,
    certified_test,
    held_test,
    ints,
)
from features.rules.registry import SCHEME_IDS, resolve_schemes
from features.rules.report import (
    criterion_template,
    quantity_texts,
    scheme_template,
    unknown_sentence,
)
from features.rules.tables import Criterion, SchemeTable

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
    unit: str
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
    review
        Its row of the re-review parts, else ``-1``.
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
    review: int = -1


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
    replaced: Replaced
    gates: Gates
    stated: Stated
    review: Review
    display: Display
    code_rows: IntArray  # each criterion's code row, in criteria order
    scored_rows: IntArray  # each criterion's row of the points matrices, -1 if none
    unknown_texts: NDArray[np.object_]  # (n_criteria, 1): each one's "not determined"
    # Per criterion with an Explanation (Display.explained order): fail and unknown texts
    explanations: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    json_entries: tuple[tuple[dict[str, object], int], ...]  # (template, scored row or -1)
    # (template, index, scored row, grade key, assumptions, re-reviewed or not)
    json_schemes: tuple[
        tuple[dict[str, object], int, int, str | None, tuple[tuple[int, str], ...], bool], ...
    ]
    threshold_texts: Mapping[str, Mapping[float, str]]  # by unit: the shown thresholds
    n_scored_schemes: int
    n_grades: int
    n_codes: int  # rows of the code matrix

    @property
    def scheme_ids(self) -> tuple[str, ...]:
        """The schemes, in evaluation order."""
        return tuple(t.scheme_id for t in self.tables)


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
            out.append(certified_test(table))
        if table.status_years is not None:
            out.append(held_test(table))
    return out


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
            if crit.explain is not None:
                names[crit.explain.measure] = None
        if table.status_years is not None:
            names.update(dict.fromkeys(("tier_since", "fiscal_year")))
    return list(names)


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
    flat = Flat.of(tables)
    rows = Rows(logic.n_rows)
    assumed = Assumed.compile(flat, logic, rows)
    ladders = Ladders.compile(flat, logic)
    scoring = Scoring.compile(flat, ladders, logic, rows)
    replaced = Replaced.compile(flat, logic, assumed.gate_rows(), rows)
    gates = Gates.compile(flat, logic, scoring, assumed.gate_rows(), replaced)
    stated = Stated.compile(flat, logic, assumed, replaced, gates, rows)
    review = Review.compile(flat, logic, measures.slots)
    display = Display.compile(flat, ladders, measures.slots)

    criteria: list[CriterionPlan] = []
    for i, crit in enumerate(flat.criteria):
        max_points = crit.max_points if crit.has_points else None
        criteria.append(
            CriterionPlan(
                criterion=crit,
                index=i,
                unit=crit.unit,
                code_row=scoring.code_row(i) if crit.rule is None else logic.rows[crit.rule],
                scored=scoring.scored_row.get(i, -1),
                value_slot=-1 if crit.measure is None else measures.slots[crit.measure],
                op=display.ops[i],
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
    schemes: list[SchemePlan] = []
    flag_row = {i: j for j, i in enumerate(assumed.criteria)}
    start = 0
    for k, table in enumerate(tables):
        stop = start + len(table.criteria)
        sentences = []
        for i in range(start, stop):
            assume = flat.criteria[i].assume
            if assume is not None:
                sentences.append((flag_row[i], assume.sentence))
        grade = table.grade
        schemes.append(
            SchemePlan(
                table=table,
                index=k,
                criteria=range(start, stop),
                scored=scoring.schemes.index(k) if k in scoring.schemes else -1,
                grade=ladders.graded.index(k) if k in ladders.graded else -1,
                grade_labels=()
                if grade is None
                else (*(g.label for g in grade.grades), grade.below, "unknown"),
                groups=scoring.groups.get(k, ()),
                assumptions=tuple(sentences),
                template=scheme_template(table),
                grade_key=None if grade is None else grade.name,
                review=review.schemes.tolist().index(k) if k in review.schemes else -1,
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
        replaced=replaced,
        gates=gates,
        stated=stated,
        review=review,
        display=display,
        code_rows=ints(c.code_row for c in criteria),
        scored_rows=ints(c.scored for c in criteria),
        unknown_texts=np.array([c.unknown_text for c in criteria], dtype=object).reshape(-1, 1),
        explanations=tuple(
            (explain.fail, explain.unknown)
            for explain in (flat.criteria[i].explain for i in display.explained)
            if explain is not None
        ),
        json_entries=tuple((c.template, c.scored) for c in criteria),
        json_schemes=tuple(
            (s.template, s.index, s.scored, s.grade_key, s.assumptions, s.review >= 0)
            for s in schemes
        ),
        threshold_texts=_threshold_texts(criteria, display, ladders),
        n_scored_schemes=len(scoring.schemes),
        n_grades=len(ladders.graded),
        n_codes=rows.next,
    )


def _threshold_texts(
    criteria: list[CriterionPlan], display: Display, ladders: Ladders
) -> Mapping[str, Mapping[float, str]]:
    """Every constant threshold and band edge, written once in its criterion's unit."""
    values: dict[str, set[float]] = {}
    for spec in criteria:
        values.setdefault(spec.unit, set()).add(float(display.constant[spec.index, 0]))
    for k, i in enumerate(ladders.criteria):
        edges = ladders.edges[k * ladders.width : (k + 1) * ladders.width]
        values.setdefault(criteria[i].unit, set()).update(edges.tolist())
    return MappingProxyType(
        {unit: MappingProxyType(quantity_texts(v, unit)) for unit, v in values.items()}
    )


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
