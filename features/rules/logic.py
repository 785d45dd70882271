"""Three-valued conditions over measures: the vocabulary rule tables are written in.

A condition is plain frozen data — a :class:`Test` of one measure against a
threshold, :class:`AtLeast` ``k`` of some conditions (AND is k = all, OR is k = 1),
or :class:`NoInput` for a rule the input contract has no field for. The engine
(:mod:`features.rules.plan`) compiles every condition of the selected tables into
flat arrays and evaluates them for all rows at once with Kleene's three-valued
logic: a comparison with an unknown (``NaN``) value is *unknown*, never false, so
a missing input can only ever make a verdict undetermined.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

Op: TypeAlias = Literal[">=", ">", "<=", "<", "=="]
FloatArray: TypeAlias = NDArray[np.float64]

OPS: tuple[Op, ...] = (">=", ">", "<=", "<", "==")

# Thresholds are decimal numbers ("15%") and measures are float ratios: 115/100 - 1
# is 0.1499999999999999. Comparisons therefore allow a relative 1e-9, far below any
# difference the official texts draw, so a value exactly on an edge lands where the
# text puts it: ``value >= t`` is read ``value >= t - tol``, ``value > t`` as
# ``value > t + tol``, ``value <= t`` as ``value <= t + tol``, ``value < t`` as
# ``value < t - tol`` and ``value == t`` as ``|value - t| <= tol``, with
# ``tol = REL_TOL * max(1, |t|)``.
REL_TOL = 1e-9


def tolerance(threshold: float) -> float:
    """The allowance of a comparison with ``threshold`` (see :data:`REL_TOL`)."""
    return REL_TOL * max(1.0, abs(threshold))


@dataclass(frozen=True)
class Test:
    """Compare a measure with a threshold: ``measure op threshold``.

    ``threshold`` is a number in the measure's unit, or the name of a measure giving
    a per-row threshold (``+inf`` there means "this route does not apply").
    """

    measure: str
    op: Op
    threshold: float | str

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"Test of {self.measure!r}: op must be one of {OPS}, got {self.op!r}")

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
    """At least ``k`` of the conditions hold (AND is k = all, OR is k = 1).

    Three-valued: true where at least ``k`` are known true, false where fewer than
    ``k`` can still be true, unknown otherwise.
    """

    k: int
    conditions: tuple[Condition, ...]

    def __post_init__(self) -> None:
        if not 1 <= self.k <= len(self.conditions):
            raise ValueError(
                f"AtLeast needs 1 <= k <= {len(self.conditions)} conditions, got k={self.k}"
            )

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
