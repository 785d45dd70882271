"""The criterion and scheme parts of a plan, compiled from the flattened criteria.

Each part is a few index and constant arrays the engine walks for every block:

* :class:`Assumed`: rule criteria whose unknown value is replaced by an assumption;
* :class:`Ladders`: points criteria and grade ladders as padded band blocks;
* :class:`Scoring`: points, group sums, scheme totals, pass marks, group minima;
* :class:`Replaced`: required criteria a route stands in for, each group one row;
* :class:`Gates`: required criteria, the score or direct routes, the certified rank;
* :class:`Stated`: where an assumption decides the verdict (the verdict without it);
* :class:`Review`: the re-review of the held tier;
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
class OrOfAnd:
    """Rows of ``N`` computed as ``max(min(N[all_of]), max(N[any_of]))``.

    A group of required criteria (all of them) or the routes that replace them (any
    one): each row of ``all_of`` is padded with the always-true row, each row of
    ``any_of`` with the never-true one.
    """

    all_of: IntArray
    any_of: IntArray
    rows: slice

    @property
    def size(self) -> int:
        """Number of rows computed."""
        return int(self.rows.stop - self.rows.start)

    @classmethod
    def compile(
        cls, groups: list[tuple[list[int], list[int]]], logic: LogicPlan, rows: Rows
    ) -> OrOfAnd:
        """One row per ``(all of these rows, or any of those)``."""
        return cls(
            all_of=padded([a for a, _ in groups], pad=logic.always),
            any_of=padded([b for _, b in groups], pad=logic.never),
            rows=rows.take(len(groups)),
        )


@dataclass(frozen=True, eq=False)
class Replaced:
    """Required criteria that routes replace: per group, all of them or one route.

    ``gate_row`` maps each criterion to the row the gates read (its assumed value
    where it states an assumption); ``group_of`` maps a replaced criterion or a
    replacing route to its group.
    """

    groups: OrOfAnd
    members: tuple[tuple[int, ...], ...]  # criterion indices of each group
    routes: tuple[tuple[int, ...], ...]
    scheme: tuple[int, ...]  # each group's scheme
    group_of: Mapping[int, int]

    @classmethod
    def compile(
        cls, flat: Flat, logic: LogicPlan, gate_row: Mapping[int, int], rows: Rows
    ) -> Replaced:
        """The replaced groups of every scheme of ``flat``, in table order."""
        index = {(flat.scheme_of[i], c.id): i for i, c in enumerate(flat.criteria)}
        members: list[tuple[int, ...]] = []
        routes: list[tuple[int, ...]] = []
        scheme: list[int] = []
        for k, table in enumerate(flat.tables):
            for replaced, route_ids in table.replaced_groups():
                members.append(tuple(index[k, i] for i in replaced))
                routes.append(tuple(index[k, i] for i in route_ids))
                scheme.append(k)
        group_of = {
            i: g
            for g, group in enumerate(zip(members, routes, strict=True))
            for i in (*group[0], *group[1])
        }

        def row(i: int) -> int:
            return gate_row.get(i, logic.rows[_rule(flat.criteria[i])])

        groups = OrOfAnd.compile(
            [
                ([row(i) for i in m], [row(i) for i in r])
                for m, r in zip(members, routes, strict=True)
            ],
            logic,
            rows,
        )
        return cls(groups, tuple(members), tuple(routes), tuple(scheme), group_of)


@dataclass(frozen=True, eq=False)
class Gates:
    """The scheme verdict: AND of required criteria, OR of score and routes, rank.

    A group of required criteria that routes replace is one required row (see
    :class:`Replaced`); routes that replace nothing are alternatives to the score.
    """

    required: IntArray  # (schemes, most): rows of N, padded always-true
    alternatives: IntArray  # (schemes, most): rows of N, padded never-true
    certified: IntArray  # row of each scheme's "tier_rank >= rank" test, or NEVER
    required_lists: tuple[tuple[int, ...], ...]  # unpadded, for the counterfactuals
    alternative_lists: tuple[tuple[int, ...], ...]

    @classmethod
    def compile(
        cls,
        flat: Flat,
        logic: LogicPlan,
        scoring: Scoring,
        gate_row: Mapping[int, int],
        replaced: Replaced,
    ) -> Gates:
        """Each scheme's required rows, alternative rows and certified-rank row."""
        required: list[list[int]] = []
        alternatives: list[list[int]] = []
        certified: list[int] = []

        def row(i: int) -> int:
            return gate_row.get(i, logic.rows[_rule(flat.criteria[i])])

        for k, table in enumerate(flat.tables):
            routes = [
                row(i) for i in flat.where("route", scheme=k) if not flat.criteria[i].replaces
            ]
            if k in scoring.schemes:
                routes.insert(0, scoring.score_rows.start + scoring.schemes.index(k))
            needed = [
                row(i) for i in flat.where("required", scheme=k) if i not in replaced.group_of
            ]
            needed += [
                replaced.groups.rows.start + g
                for g, scheme in enumerate(replaced.scheme)
                if scheme == k
            ]
            required.append(needed or [logic.always])
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
            required_lists=tuple(tuple(r) for r in required),
            alternative_lists=tuple(tuple(a) for a in alternatives),
        )


@dataclass(frozen=True, eq=False)
class Stated:
    """Where a scheme's verdict rests on an assumption: the verdict without it differs.

    For each criterion that states an assumption, the scheme's gates are compiled
    once more with that criterion's raw (unknown) row in place of its assumed one —
    through its replaced group, where it is in one — so all the counterfactual
    verdicts of a block are two reductions. An assumption is listed where its
    counterfactual verdict is not the verdict.
    """

    groups: OrOfAnd  # the replaced groups again, with the criterion's raw row
    required: IntArray  # (assumptions, most): rows of N, padded always-true
    alternatives: IntArray  # (assumptions, most): rows of N, padded never-true
    scheme: IntArray  # (assumptions,): each one's scheme

    @classmethod
    def compile(
        cls,
        flat: Flat,
        logic: LogicPlan,
        assumed: Assumed,
        replaced: Replaced,
        gates: Gates,
        rows: Rows,
    ) -> Stated:
        """The counterfactual gates of every assumption of ``flat``."""
        gate_row = assumed.gate_rows()
        raw_of = {i: int(assumed.sources[j]) for j, i in enumerate(assumed.criteria)}
        group_rows: list[tuple[list[int], list[int]]] = []
        swaps: list[tuple[int, int]] = []  # (row in the gates, its counterfactual)
        for i in assumed.criteria:
            g = replaced.group_of.get(i)
            if g is None:
                swaps.append((gate_row[i], raw_of[i]))
                continue

            def row(c: int, i: int = i) -> int:
                if c == i:
                    return raw_of[i]
                return gate_row.get(c, logic.rows[_rule(flat.criteria[c])])

            group_rows.append(
                ([row(c) for c in replaced.members[g]], [row(c) for c in replaced.routes[g]])
            )
            swaps.append((replaced.groups.rows.start + g, -len(group_rows)))
        groups = OrOfAnd.compile(group_rows, logic, rows)
        required: list[list[int]] = []
        alternatives: list[list[int]] = []
        for i, (old, new) in zip(assumed.criteria, swaps, strict=True):
            new_row = groups.rows.start + (-new - 1) if new < 0 else new
            k = flat.scheme_of[i]
            required.append([new_row if r == old else r for r in gates.required_lists[k]])
            alternatives.append([new_row if r == old else r for r in gates.alternative_lists[k]])
        return cls(
            groups=groups,
            required=padded(required, pad=logic.always),
            alternatives=padded(alternatives, pad=logic.never),
            scheme=ints(flat.scheme_of[i] for i in assumed.criteria),
        )


@dataclass(frozen=True, eq=False)
class Review:
    """The re-review of a held tier: the table's verdict without the certified override.

    A firm holds a scheme's tier exactly (``tier_rank == rank``) in at most one
    scheme; its re-review falls ``status_years`` after ``tier_since``.
    """

    schemes: IntArray  # scheme indices with a re-review
    held: IntArray  # their "tier_rank == rank" rows of N
    status_years: FloatArray  # (k,)
    since_slot: int  # workspace rows of tier_since and fiscal_year (-1: none)
    year_slot: int

    @property
    def size(self) -> int:
        """Number of schemes with a re-review."""
        return len(self.schemes)

    @classmethod
    def compile(cls, flat: Flat, logic: LogicPlan, slots: Mapping[str, int]) -> Review:
        """The re-reviewed schemes of ``flat``."""
        which = [k for k, t in enumerate(flat.tables) if t.status_years is not None]
        return cls(
            schemes=ints(which),
            held=ints(logic.rows[held_test(flat.tables[k])] for k in which),
            status_years=np.array(
                [float(flat.tables[k].status_years or 0) for k in which], dtype=np.float64
            ),
            since_slot=slots["tier_since"] if which else -1,
            year_slot=slots["fiscal_year"] if which else -1,
        )


def held_test(table: SchemeTable) -> Test:
    """The test of "holds exactly this tier" (the tier re-reviewed)."""
    assert table.certified_rank is not None
    return Test("tier_rank", "==", float(table.certified_rank))


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
    no_value: IntArray  # rule criteria without a measure: nothing to show
    constant: FloatArray  # (n_criteria, 1): NaN unless a number
    slot_criteria: IntArray
    slot_sources: IntArray
    ladder_criteria: IntArray  # criteria indices of points criteria, in ladder order
    direction: FloatArray  # (n_criteria, 1): +1 (>=, >, ==), -1 (<=, <), NaN (no op)
    equal_criteria: IntArray  # criteria shown with "==": the gap is |t - v|
    not_rule_criteria: NDArray[np.bool_]  # (n_criteria, 1): else the gap shows on a fail only
    ops: tuple[str | None, ...]  # each criterion's shown comparison
    explained: IntArray  # criteria with an Explanation
    explain_slots: IntArray  # the workspace rows choosing their sentences

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
            no_value=ints(
                i for i, c in enumerate(flat.criteria) if c.measure is None and c.kind != "plugin"
            ),
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
            explained=ints(i for i, c in enumerate(flat.criteria) if c.explain is not None),
            explain_slots=ints(
                slots[c.explain.measure] for c in flat.criteria if c.explain is not None
            ),
        )
