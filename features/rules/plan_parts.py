"""The criterion and scheme parts of a plan, compiled from the flattened criteria.

Each part is a few index and constant arrays the engine walks for every block:

* :class:`Assumed`: rule criteria whose unknown value is replaced by an assumption;
* :class:`Ladders`: points criteria and grade ladders as padded band blocks;
* :class:`Scoring`: points, group sums, scheme totals, pass marks, group minima;
* :class:`Gates`: required criteria, the score or direct routes, the certified rank;
* :class:`Display`: where each criterion's shown threshold comes from.

Rows of the code matrix are handed out in order by :class:`Rows`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from features.rules.logic import Condition, FloatArray, Test
from features.rules.plan_logic import FAIL, PASS, LogicPlan
from features.rules.tables import Criterion, SchemeTable

IntArray: TypeAlias = NDArray[np.intp]


class Rows:
    """Hands out consecutive rows of the code matrix."""

    def __init__(self, start: int) -> None:
        self.next = start

    def take(self, n: int) -> slice:
        """The next ``n`` rows."""
        rows = slice(self.next, self.next + n)
        self.next += n
        return rows


@dataclass(frozen=True)
class Flat:
    """The criteria of the compiled tables in output order, with their scheme."""

    tables: tuple[SchemeTable, ...]
    criteria: tuple[Criterion, ...]
    scheme_of: tuple[int, ...]

    @classmethod
    def of(cls, tables: tuple[SchemeTable, ...]) -> Flat:
        """Flatten ``tables``."""
        pairs = [(k, crit) for k, table in enumerate(tables) for crit in table.criteria]
        return cls(tables, tuple(c for _, c in pairs), tuple(k for k, _ in pairs))

    def where(self, *kinds: str, scheme: int | None = None) -> list[int]:
        """Indices of the criteria of ``kinds`` (of one scheme, if given)."""
        return [
            i
            for i, crit in enumerate(self.criteria)
            if crit.kind in kinds and (scheme is None or self.scheme_of[i] == scheme)
        ]


def ints(values: Iterable[int]) -> IntArray:
    """Indices as an array."""
    return np.fromiter(values, dtype=np.intp)


def column(values: Iterable[float]) -> FloatArray:
    """Numbers as a ``(k, 1)`` column (broadcast over the firms)."""
    return np.fromiter(values, dtype=np.float64).reshape(-1, 1)


def padded(rows: list[list[int]], pad: int) -> IntArray:
    """Rows of indices as a matrix, short rows filled with ``pad``."""
    width = max((len(r) for r in rows), default=0)
    return np.array([r + [pad] * (width - len(r)) for r in rows], dtype=np.intp).reshape(
        len(rows), width
    )


def display_test(crit: Criterion, conditions: Iterable[Test]) -> Test | None:
    """The first test on the criterion's own measure: it gives threshold and gap."""
    return next((t for t in conditions if t.measure == crit.measure), None)


@dataclass(frozen=True, eq=False)
class Assumed:
    """Rule criteria with an assumption: where unknown, the gates read the assumed value."""

    sources: IntArray  # each one's rule row
    values: NDArray[np.uint8]  # (k, 1): FAIL or PASS
    rows: slice  # the rows the gates read
    criteria: tuple[int, ...]  # their criterion indices

    @classmethod
    def compile(cls, flat: Flat, logic: LogicPlan, rows: Rows) -> Assumed:
        """One more code row per criterion that states an assumption."""
        which = [i for i, crit in enumerate(flat.criteria) if crit.assume is not None]
        values = []
        for i in which:
            assume = flat.criteria[i].assume
            assert assume is not None
            values.append(PASS if assume.verdict == "pass" else FAIL)
        return cls(
            sources=ints(logic.rows[_rule(flat.criteria[i])] for i in which),
            values=np.array(values, dtype=np.uint8).reshape(-1, 1),
            rows=rows.take(len(which)),
            criteria=tuple(which),
        )

    def gate_rows(self) -> dict[int, int]:
        """Criterion index → the row the gates read instead of its rule's."""
        return {i: self.rows.start + j for j, i in enumerate(self.criteria)}


def _rule(crit: Criterion) -> Condition:
    assert crit.rule is not None
    return crit.rule


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
    size: int  # number of ladders
    n_points: int
    # (n_points, 1): first flat index of each points ladder; small integers, so the
    # indices of a block are 2 bytes each rather than 8
    offsets: NDArray[np.uint16]
    points: FloatArray  # (n_points * width,): band points, then the else points
    edges: FloatArray  # (n_points * width,): displayed band edges, NaN past the bands
    lengths: IntArray  # (n_points, 1): number of bands
    grade_lengths: IntArray  # (n_grades, 1): number of grades
    criteria: tuple[int, ...]  # criterion index of each points ladder
    graded: tuple[int, ...]  # scheme index of each grade ladder
    ops: Mapping[int, str | None]  # criterion index → the op of the shown band edges

    @classmethod
    def compile(cls, flat: Flat, logic: LogicPlan) -> Ladders:
        """The ladders of the points criteria and grade ladders of ``flat``."""
        points_of = flat.where("points")
        graded = [k for k, t in enumerate(flat.tables) if t.grade is not None]
        bands: list[list[int]] = [
            [logic.rows[b.when] for b in flat.criteria[i].bands] for i in points_of
        ]
        for k in graded:
            ladder = flat.tables[k].grade
            assert ladder is not None
            bands.append([logic.rows[g.when] for g in ladder.grades])
        width = 1 + max((len(r) for r in bands), default=0)
        points: list[float] = []
        edges: list[float] = []
        ops: dict[int, str | None] = {}
        for i in points_of:
            crit = flat.criteria[i]
            band_points = [float(b.points) for b in crit.bands]
            points += band_points + [float(crit.else_points)] * (width - len(band_points))
            shown: list[float] = []
            shown_ops: list[str] = []
            for band in crit.bands:
                test = display_test(crit, band.when.tests())
                if test is not None and not isinstance(test.threshold, str):
                    shown.append(float(test.threshold))
                    shown_ops.append(test.op)
                else:
                    shown.append(np.nan)
            edges += shown + [np.nan] * (width - len(shown))
            ops[i] = shown_ops[0] if shown_ops else None
        full = [r + [logic.always] * (width - len(r)) for r in bands]
        if len(points_of) * width >= 2**16:
            raise ValueError(f"{len(points_of)} points criteria of {width} bands: too many")
        return cls(
            rows=ints(r[k] for k in range(width) for r in full),  # band by band
            width=width,
            size=len(full),
            n_points=len(points_of),
            offsets=(np.arange(len(points_of), dtype=np.uint16) * width).reshape(-1, 1),
            points=np.array(points, dtype=np.float64),
            edges=np.array(edges, dtype=np.float64),
            lengths=ints(len(b) for b in bands[: len(points_of)]).reshape(-1, 1),
            grade_lengths=ints(len(b) for b in bands[len(points_of) :]).reshape(-1, 1),
            criteria=tuple(points_of),
            graded=tuple(graded),
            ops=ops,
        )


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
    scored_row: Mapping[int, int]  # criterion index → scored row
    schemes: tuple[int, ...]  # scheme index of each scored scheme
    groups: Mapping[int, tuple[tuple[str, int], ...]]  # scheme → (group, group row)
    n_scored: int
    n_groups: int

    @classmethod
    def compile(cls, flat: Flat, ladders: Ladders, logic: LogicPlan, rows: Rows) -> Scoring:
        """Points, sums and score tests of the scored criteria and schemes of ``flat``."""
        plugin_of = flat.where("plugin")
        scored_of = [*ladders.criteria, *plugin_of]
        scored_row = {i: r for r, i in enumerate(scored_of)}
        verdict_rows = rows.take(len(scored_of))
        schemes = [k for k, t in enumerate(flat.tables) if t.pass_mark is not None]
        group_members: list[list[int]] = []
        scheme_groups: list[list[int]] = []
        groups: dict[int, tuple[tuple[str, int], ...]] = {}
        sources: list[int] = []
        marks: list[float] = []
        tests: list[list[int]] = []
        for s, k in enumerate(schemes):
            table = flat.tables[k]
            members: dict[str, list[int]] = {}
            for i in flat.where("points", "plugin", scheme=k):
                members.setdefault(flat.criteria[i].group, []).append(scored_row[i])
            group_row = {group: len(group_members) + g for g, group in enumerate(members)}
            group_members += list(members.values())
            scheme_groups.append(list(group_row.values()))
            groups[k] = tuple(group_row.items())
            assert table.pass_mark is not None
            first = len(sources)
            sources.append(s)  # the scheme total
            marks.append(float(table.pass_mark))
            for group, minimum in table.group_minima:
                sources.append(len(schemes) + group_row[group])  # rows after the totals
                marks.append(float(minimum))
            tests.append(list(range(first, len(sources))))
        test_rows = rows.take(len(sources))
        return cls(
            max_points=column(float(flat.criteria[i].max_points or 0.0) for i in scored_of),
            plugins=tuple(
                (scored_row[i], float(flat.criteria[i].max_points or 0.0)) for i in plugin_of
            ),
            verdict_rows=verdict_rows,
            group_members=padded(group_members, pad=len(scored_of)),
            scheme_groups=padded(scheme_groups, pad=len(group_members)),
            score_sources=ints(sources),
            score_marks=column(marks),
            score_test_rows=test_rows,
            score_tests=padded([[test_rows.start + t for t in ts] for ts in tests], logic.always),
            score_rows=rows.take(len(schemes)),
            scored_row=scored_row,
            schemes=tuple(schemes),
            groups=groups,
            n_scored=len(scored_of),
            n_groups=len(group_members),
        )

    def code_row(self, criterion: int) -> int:
        """The row of a scored criterion's verdict."""
        start: int = self.verdict_rows.start
        return start + self.scored_row[criterion]


@dataclass(frozen=True, eq=False)
class Gates:
    """The scheme verdict: AND of required criteria, OR of score and routes, rank."""

    required: IntArray  # (schemes, most): rows of N, padded always-true
    alternatives: IntArray  # (schemes, most): rows of N, padded never-true
    certified: IntArray  # row of each scheme's "tier_rank >= rank" test, or NEVER

    @classmethod
    def compile(
        cls,
        flat: Flat,
        logic: LogicPlan,
        scoring: Scoring,
        gate_row: Mapping[int, int],
    ) -> Gates:
        """Each scheme's required rows, alternative rows and certified-rank row."""
        required: list[list[int]] = []
        alternatives: list[list[int]] = []
        certified: list[int] = []

        def row(i: int) -> int:
            return gate_row.get(i, logic.rows[_rule(flat.criteria[i])])

        for k, table in enumerate(flat.tables):
            routes = [row(i) for i in flat.where("route", scheme=k)]
            if k in scoring.schemes:
                routes.insert(0, scoring.score_rows.start + scoring.schemes.index(k))
            required.append([row(i) for i in flat.where("required", scheme=k)] or [logic.always])
            alternatives.append(routes or [logic.always])
            certified.append(
                logic.rows[certified_test(table)]
                if table.certified_rank is not None
                else logic.never
            )
        return cls(
            required=padded(required, pad=logic.always),
            alternatives=padded(alternatives, pad=logic.never),
            certified=ints(certified),
        )


def certified_test(table: SchemeTable) -> Test:
    """The test of "already holds this tier" (Chinese tiers)."""
    assert table.certified_rank is not None
    return Test("tier_rank", ">=", float(table.certified_rank))


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
    not_rule_criteria: NDArray[np.bool_]  # (n_criteria, 1): else the gap shows on a fail only
    ops: tuple[str | None, ...]  # each criterion's shown comparison

    @classmethod
    def compile(cls, flat: Flat, ladders: Ladders, slots: Mapping[str, int]) -> Display:
        """The display of every criterion of ``flat``."""
        ops: list[str | None] = []
        constant: list[float] = []
        slot_criteria: list[int] = []
        slot_sources: list[int] = []
        for i, crit in enumerate(flat.criteria):
            op: str | None = ladders.ops.get(i)
            shown = np.nan
            test = None if crit.rule is None else display_test(crit, crit.rule.tests())
            if test is not None:
                op = test.op
                if isinstance(test.threshold, str):
                    slot_criteria.append(i)
                    slot_sources.append(slots[test.threshold])
                else:
                    shown = float(test.threshold)
            ops.append(op)
            constant.append(shown)
        return cls(
            value_slots=ints(0 if c.measure is None else slots[c.measure] for c in flat.criteria),
            plugin_criteria=ints(flat.where("plugin")),
            constant=column(constant),
            slot_criteria=ints(slot_criteria),
            slot_sources=ints(slot_sources),
            ladder_criteria=ints(ladders.criteria),
            direction=column(
                np.nan if op is None else -1.0 if op in ("<=", "<") else 1.0 for op in ops
            ),
            equal_criteria=ints(i for i, op in enumerate(ops) if op == "=="),
            not_rule_criteria=np.array([c.rule is None for c in flat.criteria], dtype=bool).reshape(
                -1, 1
            ),
            ops=tuple(ops),
        )
