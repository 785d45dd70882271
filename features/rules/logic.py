"""Three-valued conditions over measures: the vocabulary rule tables are written in.

A condition evaluates to a :class:`Truth`: two boolean arrays, *known true* and
*known false*; a row in neither is unknown. Keeping the two masks (rather than one
code array) makes AND / OR / at-least-k a handful of vectorized boolean operations,
and it is why a missing input can never turn into a fail: a comparison with ``NaN``
is neither true nor false.

Each condition also has ``evaluate_row``: the same logic for one firm whose
measures are Python floats, returning a :class:`CriterionVerdict` code. One record
evaluated that way costs microseconds where numpy's per-call overhead on length-1
arrays costs milliseconds; the tests hold the two equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, overload

import numpy as np
from numpy.typing import NDArray

from features.rules.verdicts import CriterionVerdict

Op: TypeAlias = Literal[">=", ">", "<=", "<", "=="]
RowValues: TypeAlias = Mapping[str, float]  # one firm's measures by name, NaN = unknown
FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]

# Thresholds are decimal numbers ("15%") and measures are float ratios: 115/100 - 1
# is 0.1499999999999999. Comparisons therefore allow a relative 1e-9, far below any
# difference the official texts draw, so a value exactly on an edge lands where the
# text puts it.
REL_TOL = 1e-9


_FAIL = int(CriterionVerdict.FAIL)
_PASS = int(CriterionVerdict.PASS)
_UNKNOWN = int(CriterionVerdict.UNKNOWN)


@overload
def compare(value: float, op: Op, threshold: float) -> bool: ...


@overload
def compare(value: FloatArray, op: Op, threshold: FloatArray | float) -> BoolArray: ...


def compare(value: Any, op: Op, threshold: Any) -> Any:
    """``value op threshold`` with the :data:`REL_TOL` allowance (``NaN`` → False).

    Works on arrays and on plain floats alike (one definition for both paths). An
    infinite threshold array gives ``inf - inf``; the engine evaluates under
    ``np.errstate(invalid="ignore")``.
    """
    if isinstance(threshold, float | int):
        tol: FloatArray | float = REL_TOL * max(1.0, abs(threshold))  # plain floats: no ufuncs
    else:
        tol = REL_TOL * np.maximum(1.0, np.abs(threshold))
    if op == ">=":
        out = value >= threshold - tol
    elif op == ">":
        out = value > threshold + tol
    elif op == "<=":
        out = value <= threshold + tol
    elif op == "<":
        out = value < threshold - tol
    else:
        out = abs(value - threshold) <= tol  # builtin abs: no numpy call on floats
    return out


class MeasureSource(Protocol):
    """Anything that hands out measure arrays by name (the evaluation context)."""

    n_rows: int

    def get(self, name: str) -> FloatArray:
        """Return the float64 array of measure ``name`` (``NaN`` = unknown)."""
        ...

    def known(self, name: str) -> BoolArray:
        """Return where measure ``name`` is known (not ``NaN``)."""
        ...


@dataclass(frozen=True)
class Truth:
    """Known-true and known-false masks; rows in neither are unknown."""

    true: BoolArray
    false: BoolArray

    @property
    def unknown(self) -> BoolArray:
        """Rows that are neither known true nor known false."""
        return ~(self.true | self.false)

    def codes(self) -> NDArray[np.int8]:
        """As :class:`CriterionVerdict` codes (FAIL=0, PASS=1, UNKNOWN=2)."""
        # UNKNOWN(2) - true(1) - 2*false(2): arithmetic is far faster than masked writes.
        # (codes: FAIL=0, PASS=1, UNKNOWN=2)
        out: NDArray[np.int8] = (
            np.int8(CriterionVerdict.UNKNOWN)
            - self.true.view(np.int8)
            - np.int8(2) * self.false.view(np.int8)
        )
        return out


def nan_unless(mask: BoolArray) -> FloatArray:
    """``0.0`` where ``mask`` holds, ``NaN`` elsewhere (add it to blank out rows).

    ``0 / 1 = 0`` and ``0 / 0 = NaN``: an arithmetic mask, several times faster than
    a masked assignment on random masks. Call it under
    ``np.errstate(invalid="ignore")`` (the engine does, once per evaluation).
    """
    out: FloatArray = np.divide(0.0, mask, dtype=np.float64)
    return out


def all_of_truths(truths: list[Truth], n_rows: int) -> Truth:
    """Kleene AND: false if any is false, true if all are true."""
    true = np.ones(n_rows, dtype=bool)
    false = np.zeros(n_rows, dtype=bool)
    for t in truths:
        true &= t.true
        false |= t.false
    return Truth(true, false)


def any_of_truths(truths: list[Truth], n_rows: int) -> Truth:
    """Kleene OR: true if any is true, false if all are false."""
    true = np.zeros(n_rows, dtype=bool)
    false = np.ones(n_rows, dtype=bool)
    for t in truths:
        true |= t.true
        false &= t.false
    return Truth(true, false)


@dataclass(frozen=True)
class Test:
    """Compare a measure with a threshold: ``measure op threshold``.

    ``threshold`` is a number in the measure's unit, or the name of a measure giving
    a per-row threshold (``+inf`` there means "this route does not apply").
    """

    measure: str
    op: Op
    threshold: float | str

    def evaluate(self, source: MeasureSource) -> Truth:
        """Evaluate on every row; ``NaN`` value or threshold gives unknown."""
        value = source.get(self.measure)
        threshold: FloatArray | float
        if isinstance(self.threshold, str):
            threshold = source.get(self.threshold)
            known = source.known(self.measure) & source.known(self.threshold)
        else:
            threshold = self.threshold
            known = source.known(self.measure)
        hit = compare(value, self.op, threshold)
        return Truth(hit & known, ~hit & known)

    def evaluate_row(self, values: RowValues) -> int:
        """Evaluate for one firm: a :class:`CriterionVerdict` code (``NaN`` → unknown)."""
        value = values[self.measure]
        threshold = values[self.threshold] if isinstance(self.threshold, str) else self.threshold
        if value != value or threshold != threshold:  # NaN
            return _UNKNOWN
        return _PASS if compare(value, self.op, threshold) else _FAIL

    def tests(self) -> Iterator[Test]:
        """Yield this test (for finding the displayed threshold)."""
        yield self

    def describe(self) -> str:
        """Human-readable text, e.g. ``rd_intensity >= 0.03``."""
        return f"{self.measure} {self.op} {self.threshold}"

    def to_dict(self) -> dict[str, object]:
        """The test as plain data."""
        return {"test": self.measure, "op": self.op, "threshold": self.threshold}


@dataclass(frozen=True)
class AtLeast:
    """At least ``k`` of the conditions hold (AND is k = all, OR is k = 1)."""

    k: int
    conditions: tuple[Condition, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.k <= len(self.conditions):
            raise ValueError(
                f"AtLeast needs 1 <= k <= {len(self.conditions)} conditions, got k={self.k}"
            )

    def evaluate(self, source: MeasureSource) -> Truth:
        """True where ≥ k are known true; false where fewer than k can still be true."""
        truths = [c.evaluate(source) for c in self.conditions]
        if self.k == len(truths):
            return all_of_truths(truths, source.n_rows)
        if self.k == 1:
            return any_of_truths(truths, source.n_rows)
        n_true = np.zeros(source.n_rows, dtype=np.int16)
        n_false = np.zeros(source.n_rows, dtype=np.int16)
        for t in truths:
            n_true += t.true
            n_false += t.false
        return Truth(n_true >= self.k, (len(truths) - n_false) < self.k)

    def evaluate_row(self, values: RowValues) -> int:
        """Evaluate for one firm (Kleene at-least-k, as :meth:`evaluate`)."""
        n_true = n_false = 0
        for condition in self.conditions:
            code = condition.evaluate_row(values)
            if code == _PASS:
                n_true += 1
            elif code == _FAIL:
                n_false += 1
        if n_true >= self.k:
            return _PASS
        if len(self.conditions) - n_false < self.k:
            return _FAIL
        return _UNKNOWN

    def tests(self) -> Iterator[Test]:
        """Yield every test inside, depth first."""
        for c in self.conditions:
            yield from c.tests()

    def describe(self) -> str:
        """Human-readable text."""
        parts = [c.describe() for c in self.conditions]
        if self.k == len(parts):
            return "(" + " and ".join(parts) + ")"
        if self.k == 1:
            return "(" + " or ".join(parts) + ")"
        return f"at least {self.k} of (" + "; ".join(parts) + ")"

    def to_dict(self) -> dict[str, object]:
        """The condition as plain data."""
        return {"at_least": self.k, "of": [c.to_dict() for c in self.conditions]}


@dataclass(frozen=True)
class NoInput:
    """A condition the input contract has no field for: always unknown."""

    reason: str

    def evaluate(self, source: MeasureSource) -> Truth:
        """Unknown on every row."""
        empty = np.zeros(source.n_rows, dtype=bool)
        return Truth(empty, empty.copy())

    def evaluate_row(self, values: RowValues) -> int:
        """Unknown."""
        return _UNKNOWN

    def tests(self) -> Iterator[Test]:
        """No tests."""
        return iter(())

    def describe(self) -> str:
        """Human-readable text."""
        return f"not in the input contract: {self.reason}"

    def to_dict(self) -> dict[str, object]:
        """The condition as plain data."""
        return {"no_input": self.reason}


Condition: TypeAlias = Test | AtLeast | NoInput


def all_of(*conditions: Condition) -> AtLeast:
    """All conditions hold."""
    return AtLeast(len(conditions), conditions)


def any_of(*conditions: Condition) -> AtLeast:
    """At least one condition holds."""
    return AtLeast(1, conditions)


def at_least(k: int, *conditions: Condition) -> AtLeast:
    """At least ``k`` conditions hold."""
    return AtLeast(k, conditions)
