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
    FORMULA_KERNELS,
    MEASURES,
    NEEDS_FINITE,
    Custom,
    Divisor,
    Formula,
    FormulaKind,
    Lookup,
    MeasureRef,
    Rate,
    Source,
)

IntArray: TypeAlias = NDArray[np.intp]

_KIND_ORDER: tuple[FormulaKind, ...] = ("field", "ratio", "growth", "sum", "product")
_RATES: tuple[Rate, ...] = ("eur", "jpy", "krw", "usd")


@dataclass(frozen=True, eq=False)
class FormulaStep:
    """Every formula of one dependency level, its kinds side by side.

    One gather of each input for the whole level, one operation per kind on its
    rows, one clean-up of the ratios and growth rates (NaN where not finite), then
    one division per stage of divisors (a stage of all 1.0 is skipped: dividing by
    1.0 is exact). ``members`` are the level's rows of the layout's divisor columns.
    """

    a: IntArray
    b: IntArray  # a field's own row again: it has one input
    parts: tuple[tuple[FormulaKind, slice], ...]  # rows of ``out`` per kind
    finite: slice  # rows of ``out`` cleaned up (ratios and growth rates, adjacent)
    out: slice
    members: slice
    divide: tuple[bool, bool]

    def run(self, W: FloatArray, divisors: tuple[FloatArray, FloatArray]) -> None:
        """Compute the level's rows of ``W`` in place."""
        a = W.take(self.a, axis=0)
        b = W.take(self.b, axis=0)
        out = W[self.out]
        for kind, rows in self.parts:
            FORMULA_KERNELS[kind](a[rows], b[rows], out[rows])
        if self.finite.stop > self.finite.start:
            raw = out[self.finite]
            out[self.finite] = np.where(np.isfinite(raw), raw, np.nan)
        if self.divide[0]:
            out /= divisors[0][self.members]
        if self.divide[1]:
            out /= divisors[1][self.members]


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
    formulas = [
        (n, d)
        for n in needed
        if isinstance(d := MEASURES[n].definition, Formula) and not _is_alias(n)
    ]
    customs = [(n, d) for n in needed if isinstance(d := MEASURES[n].definition, Custom)]
    # Divisors: numbers first, each once, then the four exchange rates.
    constants = list(
        dict.fromkeys(
            [1.0] + [float(d) for _, f in formulas for d in f.divisors if not isinstance(d, str)]
        )
    )

    def divisor_row(divisor: Divisor) -> int:
        if isinstance(divisor, str):
            return len(constants) + _RATES.index(divisor)
        return constants.index(float(divisor))

    divisor_index: tuple[list[int], list[int]] = ([], [])
    for depth in range(1, max(level.values(), default=0) + 1):
        group = sorted(
            ((n, f) for n, f in formulas if level[n] == depth),
            key=lambda item: _KIND_ORDER.index(item[1].kind),
        )
        if group:
            first = len(divisor_index[0])
            parts: list[tuple[FormulaKind, slice]] = []
            for offset, (name, formula) in enumerate(group):
                slots[name] = next_slot + offset
                if not parts or parts[-1][0] != formula.kind:
                    parts.append((formula.kind, slice(offset, offset + 1)))
                else:
                    parts[-1] = (formula.kind, slice(parts[-1][1].start, offset + 1))
                padded = (*formula.divisors, 1.0, 1.0)[:2]
                for stage, divisor in enumerate(padded):
                    divisor_index[stage].append(divisor_row(divisor))
            cleaned = [rows for kind, rows in parts if kind in NEEDS_FINITE]
            steps.append(
                FormulaStep(
                    a=np.array([source_slot(f.inputs[0]) for _, f in group], dtype=np.intp),
                    b=np.array([source_slot(f.inputs[-1]) for _, f in group], dtype=np.intp),
                    parts=tuple(parts),
                    finite=slice(cleaned[0].start, cleaned[-1].stop) if cleaned else slice(0, 0),
                    out=slice(next_slot, next_slot + len(group)),
                    members=slice(first, first + len(group)),
                    divide=(
                        any(divisor_index[0][k] != 0 for k in range(first, first + len(group))),
                        any(divisor_index[1][k] != 0 for k in range(first, first + len(group))),
                    ),
                )
            )
            next_slot += len(group)
        for name, custom in customs:
            if level[name] == depth:
                slots[name] = next_slot
                inputs = np.array([source_slot(s) for s in custom.inputs], dtype=np.intp)
                steps.append(CustomStep(name, inputs, custom, next_slot))
                next_slot += 1
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
