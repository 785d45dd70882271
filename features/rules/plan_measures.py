"""Measures compiled into a workspace layout: one matrix row per field or measure.

The plan keeps every number of a block of rows in one ``float64`` matrix ``W``:
first the numeric input fields the selected tables read, then the text lookups,
then the computed measures. Measures are grouped by dependency level and kind, so
all ratios of a level are one ``derive.ratio`` on two gathered sub-matrices, all
sums one addition, and so on: the cost of a block does not grow with the number of
measures of a kind. A measure that is a field unchanged shares the field's row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

from features.rules.currency import CurrencyRates
from features.rules.logic import FloatArray
from features.rules.measures import (
    MEASURES,
    Custom,
    Formula,
    FormulaKind,
    Lookup,
    MeasureRef,
    Rate,
    Source,
    apply_formula,
)

IntArray: TypeAlias = NDArray[np.intp]

_KIND_ORDER: tuple[FormulaKind, ...] = ("field", "ratio", "growth", "sum", "product")
_RATES: tuple[Rate, ...] = ("eur", "jpy", "krw", "usd")


@dataclass(frozen=True, eq=False)
class FormulaStep:
    """Every formula of one kind and level: ``W[out] = kind(W[a], W[b]) / d1 / d2``.

    ``members`` are the step's rows of the layout's divisor columns; a stage of
    divisors that are all 1.0 is skipped (dividing by 1.0 is exact).
    """

    kind: FormulaKind
    a: IntArray
    b: IntArray | None
    out: slice
    members: slice
    divide: tuple[bool, bool]

    def run(self, W: FloatArray, divisors: tuple[FloatArray, FloatArray]) -> None:
        """Compute the step's rows of ``W`` in place."""
        a = W.take(self.a, axis=0)
        b = None if self.b is None else W.take(self.b, axis=0)
        values = apply_formula(self.kind, a, b)
        if self.divide[0]:
            values = values / divisors[0][self.members]
        if self.divide[1]:
            values = values / divisors[1][self.members]
        W[self.out] = values


@dataclass(frozen=True, eq=False)
class CustomStep:
    """One custom measure: ``W[out] = compute(W[inputs], rates)``."""

    name: str
    inputs: IntArray
    compute: Custom
    out: int

    def run(self, W: FloatArray, rates: CurrencyRates) -> None:
        """Compute the measure's row of ``W`` in place."""
        W[self.out] = self.compute.compute(W.take(self.inputs, axis=0), rates)


Step: TypeAlias = FormulaStep | CustomStep


@dataclass(frozen=True, eq=False)
class MeasureLayout:
    """Where each field and measure lives in the workspace, and how to fill it.

    Rows ``[0, len(fields))`` are the numeric input fields, then one row per lookup
    (``lookups[j]`` fills row ``len(fields) + j``), then the computed measures in
    ``steps`` order.
    """

    fields: tuple[str, ...]
    lookups: tuple[tuple[str, Lookup], ...]
    text_fields: tuple[str, ...]  # the fields the lookups read, each once
    steps: tuple[Step, ...]
    slots: Mapping[str, int]
    n_slots: int
    constants: tuple[float, ...]  # divisors that are numbers; rates follow them
    divisor_index: tuple[IntArray, IntArray]  # per formula member and stage

    def divisor_columns(self, rates: CurrencyRates) -> tuple[FloatArray, FloatArray]:
        """Both stages' divisors of every formula member, as ``(members, 1)`` columns."""
        table = np.array([*self.constants, *(getattr(rates, r) for r in _RATES)])
        first, second = self.divisor_index
        return table.take(first).reshape(-1, 1), table.take(second).reshape(-1, 1)


def _closure(names: Iterable[str]) -> list[str]:
    """``names`` and every measure they read, each once, dependencies first."""
    order: dict[str, None] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in trail:
            raise ValueError(f"measure {name!r} depends on itself: {' -> '.join(trail)}")
        spec = MEASURES.get(name)
        if spec is None:
            raise ValueError(f"unknown measure {name!r}; known: {sorted(MEASURES)}")
        for source in spec.inputs:
            if isinstance(source, MeasureRef):
                visit(source.name, (*trail, name))
        order[name] = None

    for name in names:
        visit(name, ())
    return list(order)


def _is_alias(name: str) -> bool:
    definition = MEASURES[name].definition
    return (
        isinstance(definition, Formula) and definition.kind == "field" and not definition.divisors
    )


def compile_measures(names: Iterable[str]) -> MeasureLayout:
    """Lay out the workspace for ``names`` and the measures and fields they read.

    Raises
    ------
    ValueError
        For an unknown measure or a cycle between measures.
    """
    needed = _closure(names)
    fields: dict[str, None] = {}
    for name in needed:
        for source in MEASURES[name].inputs:
            if isinstance(source, str):
                fields[source] = None
    slots: dict[str, int] = {}
    field_slots = {f: i for i, f in enumerate(fields)}

    def source_slot(source: Source) -> int:
        return slots[source.name] if isinstance(source, MeasureRef) else field_slots[source]

    lookups: list[tuple[str, Lookup]] = []
    level: dict[str, int] = {}
    for name in needed:
        definition = MEASURES[name].definition
        if isinstance(definition, Lookup):
            slots[name] = len(fields) + len(lookups)
            lookups.append((name, definition))
            level[name] = 0
        elif _is_alias(name):
            source = definition.inputs[0]
            assert isinstance(source, str)
            slots[name] = field_slots[source]
            level[name] = 0
        else:
            refs = [s.name for s in definition.inputs if isinstance(s, MeasureRef)]
            level[name] = 1 + max((level[r] for r in refs), default=0)

    steps: list[Step] = []
    next_slot = len(fields) + len(lookups)
    constants: dict[float, int] = {1.0: 0}
    divisor_index: tuple[list[int], list[int]] = ([], [])

    def divisor_row(divisor: float) -> int:
        return constants.setdefault(float(divisor), len(constants))

    formulas: list[tuple[str, Formula]] = []
    customs: list[tuple[str, Custom]] = []
    for name in needed:
        definition = MEASURES[name].definition
        if isinstance(definition, Formula) and not _is_alias(name):
            formulas.append((name, definition))
        elif isinstance(definition, Custom):
            customs.append((name, definition))
    pending: list[tuple[int, int, int]] = []  # (first member, stage, rate index) to fix up
    for depth in range(1, max(level.values(), default=0) + 1):
        for kind in _KIND_ORDER:
            group = [(n, f) for n, f in formulas if level[n] == depth and f.kind == kind]
            if not group:
                continue
            first = len(divisor_index[0])
            for offset, (name, formula) in enumerate(group):
                slots[name] = next_slot + offset
                padded = (*formula.divisors, 1.0, 1.0)[:2]
                for stage, divisor in enumerate(padded):
                    if isinstance(divisor, str):
                        pending.append((len(divisor_index[stage]), stage, _RATES.index(divisor)))
                        divisor_index[stage].append(-1)
                    else:
                        divisor_index[stage].append(divisor_row(divisor))
            members = slice(first, first + len(group))
            divide = (
                any(f.divisors[:1] not in ((), (1.0,)) for _, f in group),
                any(len(f.divisors) > 1 and f.divisors[1] != 1.0 for _, f in group),
            )
            steps.append(
                FormulaStep(
                    kind=kind,
                    a=np.array([source_slot(f.inputs[0]) for _, f in group], dtype=np.intp),
                    b=None
                    if kind == "field"
                    else np.array([source_slot(f.inputs[1]) for _, f in group], dtype=np.intp),
                    out=slice(next_slot, next_slot + len(group)),
                    members=members,
                    divide=divide,
                )
            )
            next_slot += len(group)
        for name, custom in customs:
            if level[name] == depth:
                slots[name] = next_slot
                inputs = np.array([source_slot(s) for s in custom.inputs], dtype=np.intp)
                steps.append(CustomStep(name, inputs, custom, next_slot))
                next_slot += 1
    for member, stage, rate in pending:
        divisor_index[stage][member] = len(constants) + rate
    return MeasureLayout(
        fields=tuple(fields),
        lookups=tuple(lookups),
        text_fields=tuple(dict.fromkeys(lookup.field for _, lookup in lookups)),
        steps=tuple(steps),
        slots=MappingProxyType(slots),
        n_slots=next_slot,
        constants=tuple(constants),
        divisor_index=(
            np.array(divisor_index[0], dtype=np.intp),
            np.array(divisor_index[1], dtype=np.intp),
        ),
    )
