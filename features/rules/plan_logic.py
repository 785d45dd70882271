"""Conditions compiled into flat node arrays, evaluated for all rows level by level.

Every condition of the selected tables becomes a row of one ``uint8`` code matrix
``N`` (rows = nodes, columns = firms), with the three truth values ordered
``FAIL = 0 < UNKNOWN = 1 < PASS = 2`` so that Kleene's AND is a minimum, OR a
maximum and "at least k" two counts:

* rows ``[0, n_tests)``: every distinct :class:`~features.rules.logic.Test`, all
  evaluated in a handful of matrix operations (``code = 2 * hit + unknown``);
* three constant rows: ``NEVER`` (0), ``UNKNOWN`` (1, every ``NoInput``) and
  ``ALWAYS`` (2);
* the :class:`~features.rules.logic.AtLeast` nodes, level by level (a node's
  children sit on lower levels): per level one gather of the children, padded to
  the widest node, and one ``minimum`` (AND), ``maximum`` (OR) or pair of counts
  (at least k of n) along the children's axis.

The same condition written twice (``Test("rd_intensity", ">=", 0.03)`` in two
tables) is one node, evaluated once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from features.rules.logic import (
    REL_TOL,
    AtLeast,
    Condition,
    FloatArray,
    NoInput,
    Op,
    Test,
    tolerance,
)

IntArray: TypeAlias = NDArray[np.intp]
CodeArray: TypeAlias = NDArray[np.uint8]

FAIL, UNKNOWN, PASS = 0, 1, 2  # the plan's order of truth values


# Operators in plan order, each with its comparison and the side of the allowance
# (value >= t - tol, value > t + tol, value <= t + tol, value < t - tol).
_ORDER: tuple[Op, ...] = (">=", ">", "<=", "<", "==")
_COMPARE = (np.greater_equal, np.greater, np.less_equal, np.less)
_SHIFT = {">=": -1.0, ">": 1.0, "<=": 1.0, "<": -1.0, "==": 0.0}


def _hits(
    values: FloatArray,
    bound: FloatArray,
    threshold: FloatArray,
    tol: FloatArray,
    ends: tuple[int, ...],
    out: NDArray[np.bool_],
) -> None:
    """Compare each op's slice of ``values`` with its bounds (see :data:`_ORDER`)."""
    start = 0
    for compare, end in zip(_COMPARE, ends, strict=False):
        if end > start:
            compare(values[start:end], bound[start:end], out=out[start:end])
        start = end
    if len(values) > start:  # "==": within the allowance of the threshold
        np.less_equal(np.abs(values[start:] - threshold[start:]), tol[start:], out=out[start:])


@dataclass(frozen=True, eq=False)
class ConstantTests:
    """Tests against numbers, grouped by operator in :data:`_ORDER`.

    ``bound`` holds each threshold with :data:`~features.rules.logic.REL_TOL`'s
    allowance already applied, so a group is one comparison for every firm.
    """

    slots: IntArray
    bound: FloatArray  # (k, 1): threshold -/+ tolerance
    threshold: FloatArray  # (k, 1)
    tolerance: FloatArray  # (k, 1)
    ends: tuple[int, ...]  # where the >=, >, <=, < groups end

    @property
    def size(self) -> int:
        """Number of tests."""
        return len(self.slots)

    def run(self, W: FloatArray, out: CodeArray) -> None:
        """Write the codes of the tests into ``out`` (one row per test)."""
        values = W.take(self.slots, axis=0)
        hit = np.empty(values.shape, dtype=bool)
        _hits(values, self.bound, self.threshold, self.tolerance, self.ends, hit)
        _codes(hit, np.isnan(values), out)


@dataclass(frozen=True, eq=False)
class MeasureTests:
    """Tests against another measure's per-row value (e.g. an industry's bound).

    The allowance is computed per row as for a number: ``tol = REL_TOL * max(1, |t|)``.
    """

    slots: IntArray
    thresholds: IntArray
    shift: FloatArray  # (k, 1): -1 (t - tol), +1 (t + tol), 0 for ==
    ends: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of tests."""
        return len(self.slots)

    def run(self, W: FloatArray, out: CodeArray) -> None:
        """Write the codes of the tests into ``out`` (one row per test)."""
        values = W.take(self.slots, axis=0)
        threshold = W.take(self.thresholds, axis=0)
        tol = REL_TOL * np.maximum(1.0, np.abs(threshold))
        hit = np.empty(values.shape, dtype=bool)
        _hits(values, threshold + self.shift * tol, threshold, tol, self.ends, hit)
        _codes(hit, np.isnan(values) | np.isnan(threshold), out)


def _codes(hit: NDArray[np.bool_], unknown: NDArray[np.bool_], out: CodeArray) -> None:
    # A comparison with NaN is False: hit and unknown never both hold.
    np.left_shift(hit.view(np.uint8), 1, out=out)
    np.bitwise_or(out, unknown.view(np.uint8), out=out)


@dataclass(frozen=True, eq=False)
class NodeLevel:
    """The AND, OR and at-least-k nodes of one level, written to ``N[out_start:]``.

    ``children`` holds one row per node (AND nodes, then OR nodes, then the others),
    padded to the level's widest node with a row that changes nothing: always-true
    for an AND, never-true for an OR or a count. Reducing along that middle axis
    runs over whole contiguous rows of firms (a ``reduceat`` over segments of rows
    would walk the firms one by one).
    """

    children: IntArray  # (nodes, widest)
    n_and: int
    n_or: int
    k: NDArray[np.int16]  # (n_k, 1)
    out_start: int

    def run(self, N: CodeArray) -> None:
        """Write the level's node codes into ``N``."""
        nodes, widest = self.children.shape
        G = N.take(self.children.reshape(-1), axis=0).reshape(nodes, widest, N.shape[1])
        row = self.out_start
        a, o = self.n_and, self.n_and + self.n_or
        if a:
            np.minimum.reduce(G[:a], axis=1, out=N[row : row + a])
        if o > a:
            np.maximum.reduce(G[a:o], axis=1, out=N[row + a : row + o])
        if nodes > o:
            rest = G[o:]
            known = np.add.reduce(rest == PASS, axis=1, dtype=np.int16)
            possible = np.add.reduce(rest != FAIL, axis=1, dtype=np.int16)
            np.add(
                known >= self.k, possible >= self.k, out=N[row + o : row + nodes], dtype=np.uint8
            )


@dataclass(frozen=True, eq=False)
class LogicPlan:
    """Tests and condition nodes; ``rows[condition]`` is the condition's row of ``N``."""

    constant_tests: ConstantTests
    measure_tests: MeasureTests
    levels: tuple[NodeLevel, ...]
    rows: Mapping[Condition, int]
    n_rows: int
    never: int
    unknown: int
    always: int

    def run(self, W: FloatArray, N: CodeArray) -> None:
        """Fill rows ``[0, n_rows)`` of ``N`` from the measures in ``W``."""
        n_constant = self.constant_tests.size
        if n_constant:
            self.constant_tests.run(W, N[:n_constant])
        if self.measure_tests.size:
            self.measure_tests.run(W, N[n_constant : self.never])
        N[self.never] = FAIL
        N[self.unknown] = UNKNOWN
        N[self.always] = PASS
        for level in self.levels:
            level.run(N)


def _col(values: list[float]) -> FloatArray:
    return np.array(values, dtype=np.float64).reshape(-1, 1)


def _collect(
    conditions: Iterable[Condition],
) -> tuple[list[Test], list[AtLeast], dict[AtLeast, int]]:
    tests: dict[Test, None] = {}
    nodes: dict[AtLeast, int] = {}  # node -> level

    def visit(condition: Condition) -> int:
        if isinstance(condition, Test):
            tests[condition] = None
            return 0
        if isinstance(condition, NoInput):
            return 0
        if condition in nodes:
            return nodes[condition]
        level = 1 + max(visit(c) for c in condition.conditions)
        nodes[condition] = level
        return level

    for condition in conditions:
        visit(condition)
    return list(tests), list(nodes), nodes


def compile_logic(conditions: Iterable[Condition], slots: Mapping[str, int]) -> LogicPlan:
    """Compile ``conditions`` (and everything inside them) into a :class:`LogicPlan`.

    Parameters
    ----------
    conditions
        The conditions whose codes the plan needs.
    slots
        Workspace row of each measure the tests read.
    """
    tests, _, node_level = _collect(conditions)
    constant = [t for t in tests if not isinstance(t.threshold, str)]
    by_measure = [t for t in tests if isinstance(t.threshold, str)]

    def position(test: Test) -> int:
        return _ORDER.index(test.op)

    constant.sort(key=position)  # stable: table order within an operator
    by_measure.sort(key=position)
    rows: dict[Condition, int] = {}
    for row, test in enumerate([*constant, *by_measure]):
        rows[test] = row
    n_tests = len(constant) + len(by_measure)
    never, unknown, always = n_tests, n_tests + 1, n_tests + 2

    def ends(tests: list[Test]) -> tuple[int, ...]:
        positions = [position(t) for t in tests]
        return tuple(sum(1 for p in positions if p <= k) for k in range(4))

    thresholds = [float(t.threshold) for t in constant]
    tolerances = [tolerance(t) for t in thresholds]
    constant_tests = ConstantTests(
        slots=np.array([slots[t.measure] for t in constant], dtype=np.intp),
        # The same forms as before any plan: value >= t - tol, value > t + tol, ...
        bound=_col(
            [
                t + _SHIFT[x.op] * tol
                for t, tol, x in zip(thresholds, tolerances, constant, strict=True)
            ]
        ),
        threshold=_col(thresholds),
        tolerance=_col(tolerances),
        ends=ends(constant),
    )
    measure_tests = MeasureTests(
        slots=np.array([slots[t.measure] for t in by_measure], dtype=np.intp),
        thresholds=np.array([slots[str(t.threshold)] for t in by_measure], dtype=np.intp),
        shift=_col([_SHIFT[t.op] for t in by_measure]),
        ends=ends(by_measure),
    )

    def row_of(condition: Condition) -> int:
        if isinstance(condition, NoInput):
            return unknown
        return rows[condition]

    levels: list[NodeLevel] = []
    next_row = always + 1
    for depth in range(1, max(node_level.values(), default=0) + 1):
        at_depth = [n for n, level in node_level.items() if level == depth]
        ands = [n for n in at_depth if n.k == len(n.conditions) and len(n.conditions) > 1]
        ors = [n for n in at_depth if n.k == 1 and len(n.conditions) > 1]
        singles = [n for n in at_depth if len(n.conditions) == 1]
        counted = [n for n in at_depth if 1 < n.k < len(n.conditions)]
        for node in singles:  # one condition: the node is its child
            rows[node] = row_of(node.conditions[0])
        nodes = (*ands, *ors, *counted)
        if not nodes:
            continue
        widest = max(len(n.conditions) for n in nodes)
        children = [
            [row_of(c) for c in node.conditions]
            + [always if node in ands else never] * (widest - len(node.conditions))
            for node in nodes
        ]
        out_start = next_row
        for node in nodes:
            rows[node] = next_row
            next_row += 1
        levels.append(
            NodeLevel(
                children=np.array(children, dtype=np.intp).reshape(len(nodes), widest),
                n_and=len(ands),
                n_or=len(ors),
                k=np.array([n.k for n in counted], dtype=np.int16).reshape(-1, 1),
                out_start=out_start,
            )
        )
    return LogicPlan(
        constant_tests=constant_tests,
        measure_tests=measure_tests,
        levels=tuple(levels),
        rows=_RowMap(rows, unknown),
        n_rows=next_row,
        never=never,
        unknown=unknown,
        always=always,
    )


class _RowMap(Mapping[Condition, int]):
    """Rows by condition; every :class:`NoInput` is the constant unknown row."""

    def __init__(self, rows: dict[Condition, int], unknown: int) -> None:
        self._rows = rows
        self._unknown = unknown

    def __getitem__(self, condition: Condition) -> int:
        if isinstance(condition, NoInput):
            return self._unknown
        return self._rows[condition]

    def __iter__(self) -> Iterator[Condition]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)
