"""Scheme screens for a few firms at a time, one firm after another, on Python floats.

:func:`evaluate_schemes` is built for columns of thousands of firms; for one POSTed
record its ~3,000 numpy calls on length-1 arrays cost milliseconds. This module
walks each :class:`SchemeTable` for one firm the way ``engine._evaluate_table``
walks it for all — band ladders (first band known met, first band possibly met),
group sums, the pass mark and group minima, routes, required gates, the certified
rank, grade ladders, plug-ins, thresholds from measures (``+inf``: the route does
not apply), gaps — with the conditions' ``evaluate_row`` on the firm's measures
(:mod:`features.rules.row_measures`), and writes the ``schemes`` JSON directly.

The output equals ``schemes_json(evaluate_schemes(...))`` dict for dict and float
for float (the tests hold the two together); keep both walks in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from math import isfinite, nan
from typing import Any

import numpy as np
import pandas as pd

from features.columns import Columns
from features.rules.currency import CurrencyRates
from features.rules.distinctive import DistinctivePlugin, distinctive_points
from features.rules.engine import display_test
from features.rules.logic import Condition, RowValues
from features.rules.measures import MeasureContext
from features.rules.registry import SCHEME_TABLES, resolve_schemes
from features.rules.report import criterion_template, gap_sentence
from features.rules.row_measures import measure_rows
from features.rules.tables import Criterion, SchemeTable
from features.rules.verdicts import CRITERION_VERDICT_LABELS, VERDICT_LABELS, Verdict

__all__ = ["evaluate_rows_json"]

_FAIL, _PASS, _UNKNOWN = 0, 1, 2  # CriterionVerdict codes (Verdict shares the first three)
_CERTIFIED = int(Verdict.CERTIFIED)
_PluginKey = tuple[str, str]  # (scheme id, criterion id)


@dataclass(frozen=True)
class _CriterionPlan:
    """What the walk needs of one criterion, worked out once per table."""

    criterion: Criterion
    template: dict[str, Any]
    op: str | None
    # rule criteria: the displayed threshold (a number, or a measure's name)
    threshold: float | str | None = None
    # points criteria: band conditions, points per band (+ the else points) and the
    # displayed edge of each band (+ NaN for "no band")
    bands: tuple[Condition, ...] = ()
    band_points: tuple[float, ...] = ()
    edges: tuple[float, ...] = ()


@dataclass(frozen=True)
class _TablePlan:
    table: SchemeTable
    criteria: tuple[_CriterionPlan, ...]
    measures: tuple[str, ...]
    template: dict[str, Any]
    grades: tuple[Condition, ...]


def _criterion_plan(crit: Criterion) -> _CriterionPlan:
    has_points = crit.has_points
    template = criterion_template(
        id=crit.id,
        label=crit.label,
        group=crit.group,
        kind=crit.kind,
        unit=crit.unit,
        max_points=crit.max_points if has_points else None,
        with_points=has_points,
    )
    if crit.kind == "plugin":
        return _CriterionPlan(crit, template, op=None)
    if crit.kind == "points":
        edges: list[float] = []
        ops: list[str] = []
        for band in crit.bands:
            test = display_test(crit, band.when.tests())
            if test is not None and not isinstance(test.threshold, str):
                edges.append(float(test.threshold))
                ops.append(test.op)
            else:
                edges.append(nan)
        return _CriterionPlan(
            crit,
            template,
            op=ops[0] if ops else None,
            bands=tuple(band.when for band in crit.bands),
            band_points=tuple(
                float(p) for p in [*(b.points for b in crit.bands), crit.else_points]
            ),
            edges=(*edges, nan),
        )
    assert crit.rule is not None  # guaranteed by Criterion.__post_init__
    test = display_test(crit, crit.rule.tests())
    if test is None:
        return _CriterionPlan(crit, template, op=None)
    threshold = test.threshold if isinstance(test.threshold, str) else float(test.threshold)
    return _CriterionPlan(crit, template, op=test.op, threshold=threshold)


def _measures_of(table: SchemeTable) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for crit in table.criteria:
        for test in crit.tests():
            names[test.measure] = None
            if isinstance(test.threshold, str):
                names[test.threshold] = None
        if crit.measure is not None:
            names[crit.measure] = None
    if table.certified_rank is not None:
        names["tier_rank"] = None
    for grade in table.grade.grades if table.grade else ():
        for test in grade.when.tests():
            names[test.measure] = None
    return tuple(names)


@cache
def _plan(scheme_id: str) -> _TablePlan:
    # Tables are immutable module constants, so their plans are built once, on first use.
    table = SCHEME_TABLES[scheme_id]
    template: dict[str, Any] = {
        "scheme_id": table.scheme_id,
        "name": table.name,
        "version": table.version,
        "verdict": None,
        "points": None,
        "points_upper": None,
        "pass_mark": table.pass_mark,
        "max_points": table.max_points,
        "criteria": None,
    }
    return _TablePlan(
        table=table,
        criteria=tuple(_criterion_plan(c) for c in table.criteria),
        measures=_measures_of(table),
        template=template,
        grades=tuple(g.when for g in table.grade.grades) if table.grade else (),
    )


def _gap(value: float, threshold: float, op: str) -> float:
    """``engine._gap`` for one firm: distance in the passing direction, NaN if none."""
    if op in (">=", ">"):
        gap = threshold - value
    elif op in ("<=", "<"):
        gap = value - threshold
    else:
        gap = abs(threshold - value)
    return gap + 0.0 if gap >= 0 else nan


def _ladder(conditions: tuple[Condition, ...], values: RowValues) -> tuple[int, int]:
    """Index of the first band known met and of the first possibly met (``engine._ladder``)."""
    first_met = first_possible = len(conditions)
    for k, condition in enumerate(conditions):
        code = condition.evaluate_row(values)
        if code != _FAIL and first_possible == len(conditions):
            first_possible = k
        if code == _PASS:
            first_met = k
            break
    return first_met, first_possible


def _points_verdict(lo: float, hi: float, max_points: float) -> int:
    return _PASS if lo >= max_points else _FAIL if hi < max_points else _UNKNOWN


def _all_of(codes: Iterable[int]) -> int:
    out = _PASS
    for code in codes:
        if code == _FAIL:
            return _FAIL
        if code == _UNKNOWN:
            out = _UNKNOWN
    return out


def _any_of(codes: Iterable[int]) -> int:
    out = _FAIL
    for code in codes:
        if code == _PASS:
            return _PASS
        if code == _UNKNOWN:
            out = _UNKNOWN
    return out


def _filled(
    plan: _CriterionPlan,
    verdict: int,
    value: float,
    threshold: float,
    gap: float,
    points: float | None = None,
    upper: float | None = None,
) -> dict[str, Any]:
    crit = plan.criterion
    out = plan.template.copy()
    out["verdict"] = CRITERION_VERDICT_LABELS[verdict]
    # report.json_number inline (the values are floats already): 165 calls per firm.
    out["value"] = value if isfinite(value) else None
    out["threshold"] = threshold if isfinite(threshold) else None
    out["gap"] = gap if isfinite(gap) else None
    if verdict != _PASS:
        max_points = crit.max_points if points is not None else None
        out["gap_text"] = gap_sentence(
            crit.label, crit.unit, plan.op, verdict, value, threshold, gap, points, max_points
        )
    if points is not None:
        out["points"] = points
        out["points_upper"] = upper
    return out


def _scheme_row(
    plan: _TablePlan, values: RowValues, plugin_points: Mapping[_PluginKey, tuple[float, float]]
) -> dict[str, Any]:
    table = plan.table
    criteria: list[dict[str, Any]] = []
    required: list[int] = []
    routes: list[int] = []
    groups_lo: dict[str, float] = {}
    groups_hi: dict[str, float] = {}
    for cp in plan.criteria:
        crit = cp.criterion
        if crit.kind == "points":
            assert crit.measure is not None and crit.max_points is not None
            first_met, first_possible = _ladder(cp.bands, values)
            lo, hi = cp.band_points[first_met], cp.band_points[first_possible]
            verdict = _points_verdict(lo, hi, crit.max_points)
            value = values[crit.measure]
            settled = verdict == _FAIL and first_met == first_possible
            threshold = cp.edges[first_met - 1] if settled else nan
            gap = nan if cp.op is None else _gap(value, threshold, cp.op)
            criteria.append(_filled(cp, verdict, value, threshold, gap, lo, hi))
            groups_lo[crit.group] = groups_lo.get(crit.group, 0.0) + lo
            groups_hi[crit.group] = groups_hi.get(crit.group, 0.0) + hi
        elif crit.kind == "plugin":
            assert crit.max_points is not None
            lo, hi = plugin_points.get((table.scheme_id, crit.id), (0.0, float(crit.max_points)))
            verdict = _points_verdict(lo, hi, crit.max_points)
            value = lo + 0.0 if lo == hi else nan
            criteria.append(_filled(cp, verdict, value, nan, nan, lo, hi))
            groups_lo[crit.group] = groups_lo.get(crit.group, 0.0) + lo
            groups_hi[crit.group] = groups_hi.get(crit.group, 0.0) + hi
        else:
            assert crit.rule is not None and crit.measure is not None
            verdict = crit.rule.evaluate_row(values)
            if crit.kind == "required":
                required.append(verdict)
            elif crit.kind == "route":
                routes.append(verdict)
            value = values[crit.measure]
            if cp.op is None:
                threshold = gap = nan
            else:
                if isinstance(cp.threshold, str):
                    shown = values[cp.threshold]
                    threshold = shown + 0.0 if isfinite(shown) else nan  # +inf: route n/a
                else:
                    assert cp.threshold is not None
                    threshold = cp.threshold
                gap = _gap(value, threshold, cp.op) if verdict == _FAIL else nan
            criteria.append(_filled(cp, verdict, value, threshold, gap))

    out = plan.template.copy()
    gates = [_all_of(required)]
    if table.pass_mark is not None:
        # Group totals summed in group order, as numpy sums the stacked groups.
        lows, highs = list(groups_lo.values()), list(groups_hi.values())
        points, upper = lows[0], highs[0]
        for low, high in zip(lows[1:], highs[1:], strict=True):
            points += low
            upper += high
        score_true = points >= table.pass_mark
        score_false = upper < table.pass_mark
        for group, minimum in table.group_minima:
            score_true = score_true and groups_lo[group] >= minimum
            score_false = score_false or groups_hi[group] < minimum
        score = _PASS if score_true else _FAIL if score_false else _UNKNOWN
        gates.append(_any_of([score, *routes]))
        out["points"] = points
        out["points_upper"] = upper
    elif routes:
        gates.append(_any_of(routes))
    verdict = _all_of(gates)
    if table.certified_rank is not None and values["tier_rank"] >= table.certified_rank:
        verdict = _CERTIFIED
    out["verdict"] = VERDICT_LABELS[verdict]
    out["criteria"] = criteria
    if table.grade is not None:
        ladder = table.grade
        first_met, first_possible = _ladder(plan.grades, values)
        if first_met != first_possible:
            out[ladder.name] = "unknown"
        elif first_met == len(ladder.grades):
            out[ladder.name] = ladder.below
        else:
            out[ladder.name] = ladder.grades[first_met].label
    return out


def evaluate_rows_json(
    columns: Columns | pd.DataFrame,
    schemes: Iterable[str] | str | None = None,
    rates: CurrencyRates | None = None,
    distinctive: Mapping[str, DistinctivePlugin] | None = None,
) -> list[list[dict[str, Any]]]:
    """Every firm's ``schemes`` JSON, evaluated firm by firm (fast for a few firms).

    Takes the arguments of :func:`features.rules.evaluate_schemes` and returns what
    ``serving.scoring.scheme_json.schemes_json`` makes of its result: ``out[i]`` is
    ``evaluate_schemes(...).firm(i)``. Cheaper for one record and a handful of
    records; the vectorized engine wins on large batches.

    Parameters
    ----------
    columns
        Validated columns (or a DataFrame of the same).
    schemes
        Scheme ids, in order (one id may be a string); ``None`` evaluates all eight.
    rates
        Exchange rates for the foreign schemes; :class:`CurrencyRates` ``()`` if omitted.
    distinctive
        Plug-ins for the provincial "distinctive" indicators, by canonical province.

    Returns
    -------
    list of list of dict
        One ``schemes`` list per row, in row order.

    Raises
    ------
    ValueError
        As :func:`features.rules.evaluate_schemes`.
    """
    if isinstance(columns, pd.DataFrame):
        columns = {str(name): columns[name].to_numpy() for name in columns.columns}
    plans = [_plan(t.scheme_id) for t in resolve_schemes(schemes)]
    ctx = MeasureContext(columns, rates or CurrencyRates())
    with np.errstate(invalid="ignore", divide="ignore"):  # the looked-up measures
        plugin_rows = _plugin_rows(plans, ctx, distinctive or {})
        names = list(dict.fromkeys(name for plan in plans for name in plan.measures))
        rows = measure_rows(ctx, names)
    if "fiscal_year" in columns:
        ctx.number("fiscal_year")  # the same error as the engine for a non-numeric year
    return [
        [_scheme_row(plan, values, plugin_rows[i]) for plan in plans]
        for i, values in enumerate(rows)
    ]


def _plugin_rows(
    plans: list[_TablePlan], ctx: MeasureContext, plugins: Mapping[str, DistinctivePlugin]
) -> list[dict[_PluginKey, tuple[float, float]]]:
    """Per row, the plug-in criteria's ``(known, upper)`` points (empty: the default)."""
    out: list[dict[_PluginKey, tuple[float, float]]] = [{} for _ in range(ctx.n_rows)]
    if not plugins:
        return out
    province = ctx.text("province")
    for plan in plans:
        for cp in plan.criteria:
            crit = cp.criterion
            if crit.kind != "plugin":
                continue
            assert crit.max_points is not None
            lo, hi = distinctive_points(ctx.columns, province, plugins, crit.max_points)
            for i, pair in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
                out[i][plan.table.scheme_id, crit.id] = pair
    return out
