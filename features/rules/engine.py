"""The generic, vectorized evaluator of scheme tables.

Every rule table is evaluated the same way: measures are computed once per call,
conditions give known-true/known-false masks, bands give known and upper-bound
points, and the scheme verdict combines required criteria, the points test and the
direct routes with three-valued logic — so a missing input can only ever make a
verdict *undetermined*, never *not eligible*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from features.columns import Columns
from features.rules.currency import CurrencyRates
from features.rules.distinctive import DistinctivePlugin, distinctive_points
from features.rules.evaluation import SchemeEvaluation
from features.rules.logic import (
    FloatArray,
    Test,
    Truth,
    all_of_truths,
    any_of_truths,
    nan_unless,
)
from features.rules.measures import MeasureContext
from features.rules.registry import resolve_schemes
from features.rules.results import CriterionDetail, CriterionResult, SchemeResult
from features.rules.tables import Criterion, GradeLadder, SchemeTable
from features.rules.verdicts import CriterionVerdict, Verdict


def evaluate_schemes(
    columns: Columns | pd.DataFrame,
    schemes: Iterable[str] | str | None = None,
    rates: CurrencyRates | None = None,
    distinctive: Mapping[str, DistinctivePlugin] | None = None,
) -> SchemeEvaluation:
    """Evaluate scheme rule tables for every firm-year.

    A record of fiscal year t is read as an application made in t+1: its year-t
    figures are the "prior-year" figures and ``_prev`` is year t-1.

    Parameters
    ----------
    columns
        Validated columns (``docs/architecture.md``): numeric fields float64 with
        ``NaN`` = unknown, booleans 1.0/0.0/NaN, text/enum fields object arrays. A
        DataFrame of the same is accepted. Absent optional columns are unknown.
    schemes
        Scheme ids to evaluate, in order (one id may be given as a string);
        ``None`` evaluates all eight.
    rates
        CNY per EUR/JPY/KRW/USD for the foreign schemes; defaults to
        :class:`CurrencyRates` ``()``.
    distinctive
        Plug-ins for the provincial "distinctive" indicators, keyed by canonical
        province (``"Zhejiang"``); provinces without one get the neutral default.

    Returns
    -------
    SchemeEvaluation
        Per-scheme results; ``ev["cn_srdi_sme"].verdict`` etc.

    Raises
    ------
    ValueError
        For an unknown scheme id, columns of different lengths, a non-numeric
        numeric field, an unknown enum value, or a plug-in returning bad points.
    """
    if isinstance(columns, pd.DataFrame):
        columns = {str(name): columns[name].to_numpy() for name in columns.columns}
    tables = resolve_schemes(schemes)
    ctx = MeasureContext(columns, rates or CurrencyRates())
    with np.errstate(invalid="ignore", divide="ignore"):  # see logic.nan_unless
        results = {t.scheme_id: _evaluate_table(t, ctx, distinctive or {}) for t in tables}
    identity: dict[str, NDArray[Any]] = {f: ctx.text(f) for f in ("company_id",) if f in columns}
    if "fiscal_year" in columns:
        identity["fiscal_year"] = ctx.number("fiscal_year")
    return SchemeEvaluation(results, ctx.n_rows, identity)


def _evaluate_table(
    table: SchemeTable, ctx: MeasureContext, plugins: Mapping[str, DistinctivePlugin]
) -> SchemeResult:
    n = ctx.n_rows
    criteria: dict[str, CriterionResult] = {}
    required: list[Truth] = []
    routes: list[Truth] = []
    groups_lo: dict[str, FloatArray] = {}
    groups_hi: dict[str, FloatArray] = {}
    for crit in table.criteria:
        if crit.has_points:
            if crit.kind == "points":
                result, lo, hi = _evaluate_points(crit, ctx)
            else:
                result, lo, hi = _evaluate_plugin(crit, ctx, plugins)
            groups_lo[crit.group] = groups_lo.get(crit.group, 0.0) + lo
            groups_hi[crit.group] = groups_hi.get(crit.group, 0.0) + hi
        else:
            assert crit.rule is not None  # guaranteed by Criterion.__post_init__
            truth = crit.rule.evaluate(ctx)
            result = _rule_result(crit, truth, ctx)
            if crit.kind == "required":
                required.append(truth)
            elif crit.kind == "route":
                routes.append(truth)
        criteria[crit.id] = result

    points = points_upper = None
    gates = [all_of_truths(required, n)]
    if table.pass_mark is not None:
        points = np.sum(list(groups_lo.values()), axis=0)
        points_upper = np.sum(list(groups_hi.values()), axis=0)
        score_true = points >= table.pass_mark
        score_false = points_upper < table.pass_mark
        for group, minimum in table.group_minima:
            score_true &= groups_lo[group] >= minimum
            score_false |= groups_hi[group] < minimum
        gates.append(any_of_truths([Truth(score_true, score_false), *routes], n))
    elif routes:
        gates.append(any_of_truths(routes, n))
    verdict = all_of_truths(gates, n).codes()  # PASS/FAIL/UNKNOWN share Verdict's codes
    if table.certified_rank is not None:
        certified = (ctx.get("tier_rank") >= table.certified_rank).view(np.int8)
        verdict += (np.int8(Verdict.CERTIFIED) - verdict) * certified

    grade = _evaluate_grade(table.grade, ctx) if table.grade else None
    return SchemeResult(
        scheme_id=table.scheme_id,
        name=table.name,
        version=table.version,
        verdict=verdict,
        points=points,
        points_upper=points_upper,
        pass_mark=table.pass_mark,
        max_points=table.max_points,
        criteria=criteria,
        group_points=groups_lo,
        group_points_upper=groups_hi,
        grade_name=table.grade.name if table.grade else None,
        grade=grade,
    )


def display_test(crit: Criterion, conditions: Iterable[Test]) -> Test | None:
    """The first test on the criterion's own measure: it gives threshold and gap."""
    return next((t for t in conditions if t.measure == crit.measure), None)


def _threshold_array(test: Test, ctx: MeasureContext) -> FloatArray:
    if isinstance(test.threshold, str):
        threshold = ctx.get(test.threshold)
        # +inf marks "this route does not apply": nothing to show.
        out: FloatArray = threshold + nan_unless(np.isfinite(threshold))
        return out
    return np.full(ctx.n_rows, float(test.threshold))


def _gap(value: FloatArray, threshold: FloatArray, op: str) -> FloatArray:
    """Distance to the threshold in the direction that passes; ``NaN`` if none is due."""
    if op in (">=", ">"):
        gap = threshold - value
    elif op in ("<=", "<"):
        gap = value - threshold
    else:
        gap = np.abs(threshold - value)
    out: FloatArray = gap + nan_unless(gap >= 0)
    return out


def _rule_result(crit: Criterion, truth: Truth, ctx: MeasureContext) -> CriterionResult:
    assert crit.measure is not None and crit.rule is not None
    verdict = truth.codes()
    value = ctx.get(crit.measure)
    test = display_test(crit, crit.rule.tests())

    def detail() -> CriterionDetail:
        if test is None:
            return CriterionDetail(np.full(ctx.n_rows, np.nan), np.full(ctx.n_rows, np.nan))
        threshold = _threshold_array(test, ctx)
        gap = _gap(value, threshold, test.op) + nan_unless(verdict == CriterionVerdict.FAIL)
        return CriterionDetail(threshold, gap)

    return CriterionResult(
        id=crit.id,
        label=crit.label,
        group=crit.group,
        kind=crit.kind,
        unit=crit.unit,
        verdict=verdict,
        value=value,
        max_points=None,
        op=test.op if test else None,
        compute_detail=detail,
    )


def _ladder(truths: list[Truth], n: int) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """Index of the first band known met, and of the first band possibly met.

    Bands are best first, so the known points come from the first and the upper
    bound from the second; ``len(truths)`` stands for "no band" (the else value).
    """
    first_met = np.full(n, len(truths), dtype=np.int8)
    first_possible = first_met.copy()
    for k in range(len(truths) - 1, -1, -1):
        # x + (k - x) * mask sets k where the mask holds (faster than masked writes).
        first_met += (np.int8(k) - first_met) * truths[k].true.view(np.int8)
        first_possible += (np.int8(k) - first_possible) * (~truths[k].false).view(np.int8)
    return first_met, first_possible


def _points_verdict(lo: FloatArray, hi: FloatArray, max_points: float) -> NDArray[np.int8]:
    return Truth(lo >= max_points, hi < max_points).codes()


def _evaluate_points(
    crit: Criterion, ctx: MeasureContext
) -> tuple[CriterionResult, FloatArray, FloatArray]:
    assert crit.measure is not None and crit.max_points is not None
    truths = [band.when.evaluate(ctx) for band in crit.bands]
    first_met, first_possible = _ladder(truths, ctx.n_rows)
    band_points = np.array([b.points for b in crit.bands] + [crit.else_points])
    lo = band_points[first_met]
    hi = band_points[first_possible]
    verdict = _points_verdict(lo, hi, crit.max_points)
    value = ctx.get(crit.measure)

    # Threshold and gap: the edge of the band just above the firm's, when known.
    edges = np.full(len(crit.bands) + 1, np.nan)
    ops: list[str] = []
    for k, band in enumerate(crit.bands):
        test = display_test(crit, band.when.tests())
        if test is not None and not isinstance(test.threshold, str):
            edges[k] = test.threshold
            ops.append(test.op)
    op = ops[0] if ops else None

    def detail() -> CriterionDetail:
        settled = (verdict == CriterionVerdict.FAIL) & (first_met == first_possible)
        next_band = np.where(settled, first_met - 1, len(crit.bands))
        threshold = edges[next_band]
        gap = np.full(ctx.n_rows, np.nan) if op is None else _gap(value, threshold, op)
        return CriterionDetail(threshold, gap, band_points[first_met], band_points[first_possible])

    result = CriterionResult(
        id=crit.id,
        label=crit.label,
        group=crit.group,
        kind=crit.kind,
        unit=crit.unit,
        verdict=verdict,
        value=value,
        max_points=crit.max_points,
        op=op,
        compute_detail=detail,
    )
    return result, lo, hi


def _evaluate_plugin(
    crit: Criterion, ctx: MeasureContext, plugins: Mapping[str, DistinctivePlugin]
) -> tuple[CriterionResult, FloatArray, FloatArray]:
    assert crit.max_points is not None
    n = ctx.n_rows
    lo, hi = distinctive_points(ctx.columns, ctx.text("province"), plugins, crit.max_points)
    value = lo + nan_unless(lo == hi)

    def detail() -> CriterionDetail:
        return CriterionDetail(np.full(n, np.nan), np.full(n, np.nan), lo, hi)

    result = CriterionResult(
        id=crit.id,
        label=crit.label,
        group=crit.group,
        kind=crit.kind,
        unit=crit.unit,
        verdict=_points_verdict(lo, hi, crit.max_points),
        value=value,
        max_points=crit.max_points,
        op=None,
        compute_detail=detail,
    )
    return result, lo, hi


def _evaluate_grade(ladder: GradeLadder, ctx: MeasureContext) -> NDArray[np.object_]:
    truths = [g.when.evaluate(ctx) for g in ladder.grades]
    first_met, first_possible = _ladder(truths, ctx.n_rows)
    labels = np.array([g.label for g in ladder.grades] + [ladder.below, "unknown"], dtype=object)
    code = np.where(first_met == first_possible, first_met, len(ladder.grades) + 1)
    out: NDArray[np.object_] = labels[code]
    return out
