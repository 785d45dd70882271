"""The one loop that walks a :class:`~features.rules.plan.RulePlan` over row blocks.

The same code serves one record and a million rows: rows are taken in blocks of
:data:`BLOCK_ROWS` (the intermediates of a block stay in the CPU cache), and each
block runs the plan's stages — measures, conditions, ladders, points, scheme gates
and, when asked, the display matrices — as a few dozen array operations whatever
the number of criteria. Three levels of output:

* :data:`SUMMARY`: scheme verdicts, points and grades, and the re-review of the
  held tier (what a large batch writes);
* :data:`CRITERIA`: plus every criterion's verdict and points, the group sums,
  where an assumption was made and where the verdict rests on it;
* :data:`DISPLAY`: plus every criterion's value, threshold and gap (the JSON).

A large batch therefore never pays for gaps it does not show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from features.rules.inputs import PlanInputs
from features.rules.logic import FloatArray
from features.rules.plan import RulePlan
from features.rules.plan_logic import FAIL, PASS, UNKNOWN
from features.rules.plan_measures import FormulaStep
from features.rules.plan_parts import OrOfAnd
from features.tiers import re_review_due_at, re_review_year_of

__all__ = ["BLOCK_ROWS", "CRITERIA", "DISPLAY", "SUMMARY", "PlanOutput", "run_plan"]

SUMMARY, CRITERIA, DISPLAY = 0, 1, 2

# Rows per block: a block's workspace (some 60 measure rows of float64) and code
# matrix (some 150 rows of uint8) stay in the CPU's cache. Measured on 1,000,000 rows
# (CPU s, all eight schemes): 2k rows 0.41, 4k 0.37, 8k 0.33, 16k 0.37, 64k 0.44.
BLOCK_ROWS = 8_192

# Plan codes (FAIL 0, UNKNOWN 1, PASS 2) to the public codes; +3 where certified.
_VERDICT_OF = np.array([0, 2, 1, 3, 3, 3], dtype=np.int8)  # Verdict
_CRITERION_OF = np.array([0, 2, 1], dtype=np.int8)  # CriterionVerdict
# Codes reaching PASS, then codes reaching UNKNOWN: "known met", "possibly met".
_MET_AND_POSSIBLE = np.array([PASS, UNKNOWN], dtype=np.uint8).reshape(2, 1, 1, 1)


@dataclass(frozen=True, eq=False)
class PlanOutput:
    """The plan's arrays for ``n_rows`` rows; along the first axes, the plan's items.

    Attributes
    ----------
    verdict
        ``(schemes, n)`` :class:`~features.rules.verdicts.Verdict` codes.
    totals
        ``(2, scored schemes, n)``: known points, and the most unknown inputs could add.
    grades
        ``(graded schemes, n)`` indices into the scheme's grade labels.
    review_scheme
        ``(n,)`` index of the scheme whose tier the firm holds and is re-reviewed on
        (``-1``: none held, or no such scheme evaluated).
    review_verdict
        ``(n,)`` that scheme's :class:`~features.rules.verdicts.Verdict` without the
        certified override (``-1`` where none).
    review_year
        ``(n,)`` year of the re-review: ``tier_since`` + the status's years (NaN
        where none or unknown).
    review_due
        ``(n,)`` 1 where the re-review falls within ``fiscal_year`` + the horizon, 0
        where later, ``-1`` where none or unknown.
    criterion_verdict
        ``(criteria, n)`` :class:`~features.rules.verdicts.CriterionVerdict` codes
        (:data:`CRITERIA` and up).
    scored
        ``(2, scored criteria, n)``: known and upper points (:data:`CRITERIA` and up).
    groups
        ``(2, groups, n)``: the same summed per group of each scored scheme.
    assumed
        ``(criteria with an assumption, n)``: where the assumption was used.
    stated
        ``(criteria with an assumption, n)``: where the scheme's verdict rests on it
        (without it the verdict would differ): the assumptions the JSON lists.
    display
        ``(3, criteria, n)``: value, threshold and gap (:data:`DISPLAY`).
    explained
        ``(criteria with an Explanation, n)``: the measure choosing each one's sentence.
    """

    n_rows: int
    level: int
    verdict: NDArray[np.int8]
    totals: FloatArray
    grades: NDArray[np.int8]
    review_scheme: NDArray[np.int8]
    review_verdict: NDArray[np.int8]
    review_year: FloatArray
    review_due: NDArray[np.int8]
    criterion_verdict: NDArray[np.int8] | None = None
    scored: FloatArray | None = None
    groups: FloatArray | None = None
    assumed: NDArray[np.bool_] | None = None
    stated: NDArray[np.bool_] | None = None
    display: FloatArray | None = None
    explained: FloatArray | None = None


_ARRAYS = (
    "verdict",
    "totals",
    "grades",
    "review_scheme",
    "review_verdict",
    "review_year",
    "review_due",
    "criterion_verdict",
    "scored",
    "groups",
    "assumed",
    "stated",
    "display",
    "explained",
)


def _joined(blocks: list[PlanOutput], level: int) -> PlanOutput:
    """The blocks' arrays side by side (one block is returned as it is)."""
    if len(blocks) == 1:
        return blocks[0]
    arrays = {
        name: np.concatenate([getattr(b, name) for b in blocks], axis=-1)
        for name in _ARRAYS
        if getattr(blocks[0], name) is not None
    }
    return PlanOutput(n_rows=sum(b.n_rows for b in blocks), level=level, **arrays)


def run_plan(
    plan: RulePlan,
    inputs: PlanInputs,
    level: int = SUMMARY,
    rows: slice | None = None,
    block_rows: int = BLOCK_ROWS,
) -> PlanOutput:
    """Evaluate ``plan`` on ``inputs`` (or the rows ``rows`` of them).

    Parameters
    ----------
    plan
        The compiled tables.
    inputs
        The evaluation's prepared columns (:func:`features.rules.inputs.prepare_inputs`).
    level
        :data:`SUMMARY`, :data:`CRITERIA` or :data:`DISPLAY`.
    rows
        A contiguous range of rows (default: all).
    block_rows
        Rows per block.
    """
    if block_rows < 1:
        raise ValueError(f"block_rows must be at least 1, got {block_rows}")
    start, stop, _ = (rows or slice(None)).indices(inputs.n_rows)
    stop = max(start, stop)
    with np.errstate(all="ignore"):  # NaN is the unknown value; no step may warn about it
        blocks = [
            _run_block(plan, inputs, begin, min(begin + block_rows, stop), level)
            for begin in range(start, stop, block_rows)
        ] or [_run_block(plan, inputs, start, start, level)]
    return _joined(blocks, level)


def _workspace(plan: RulePlan, inputs: PlanInputs, begin: int, end: int) -> FloatArray:
    """The block's measures: fields, lookups, then every computed measure."""
    layout = plan.measures
    width = end - begin
    W = np.empty((layout.n_slots, width))
    n_fields = len(layout.fields)
    if n_fields:
        missing = np.full(width, np.nan)
        whole = begin == 0 and end == inputs.n_rows  # one block: no slicing
        parts = [
            missing if values is None else values if whole else values[begin:end]
            for values in inputs.fields
        ]
        np.concatenate(parts, out=W[:n_fields].reshape(-1))
    n_lookups = len(layout.lookups)
    if n_lookups:
        inputs.lookup_values.take(
            inputs.lookup_codes[:, begin:end], out=W[n_fields : n_fields + n_lookups]
        )
    for step in layout.steps:
        if isinstance(step, FormulaStep):
            step.run(W, inputs.divisors)
        else:
            step.run(W, inputs.rates)
    return W


def _reduce(
    ufunc: np.ufunc,
    N: NDArray[np.uint8],
    index: NDArray[np.intp],
    out: NDArray[np.uint8] | None = None,
) -> NDArray[np.uint8]:
    """``ufunc`` over each row of ``index`` (rows of ``N``), for every firm at once."""
    n_out, width = index.shape
    gathered = N.take(index.reshape(-1), axis=0).reshape(n_out, width, N.shape[1])
    result: NDArray[np.uint8] = ufunc.reduce(gathered, axis=1, out=out)
    return result


def _or_of_and(N: NDArray[np.uint8], part: OrOfAnd) -> None:
    """Write ``max(min(all_of), max(any_of))`` of each row of ``part`` into ``N``."""
    if part.size:
        out = N[part.rows]
        _reduce(np.minimum, N, part.all_of, out=out)
        np.maximum(out, _reduce(np.maximum, N, part.any_of), out=out)


def _gate_codes(
    N: NDArray[np.uint8], required: NDArray[np.intp], alternatives: NDArray[np.intp]
) -> NDArray[np.uint8]:
    """``min(min(required), max(alternatives))`` per row of the two index matrices."""
    code = _reduce(np.minimum, N, required)
    np.minimum(code, _reduce(np.maximum, N, alternatives), out=code)
    return code


def _review(
    plan: RulePlan,
    inputs: PlanInputs,
    W: FloatArray,
    N: NDArray[np.uint8],
    code: NDArray[np.uint8],
) -> tuple[NDArray[np.int8], NDArray[np.int8], FloatArray, NDArray[np.int8]]:
    """The re-review of the held tier: scheme, verdict, year and whether it is due."""
    width = N.shape[1]
    review = plan.review
    scheme = np.full(width, -1, dtype=np.int8)
    verdict = np.full(width, -1, dtype=np.int8)
    year = np.full(width, np.nan)
    due = np.full(width, -1, dtype=np.int8)
    if not review.size or not width:
        return scheme, verdict, year, due
    held = N.take(review.held, axis=0) == PASS  # (re-reviewed schemes, rows)
    holds = held.any(axis=0)
    which = held.argmax(axis=0)  # a tier is held exactly in one scheme at most
    schemes = review.schemes.take(which)
    columns = np.arange(width)
    base = _VERDICT_OF.take(code[schemes, columns])
    scheme[holds] = schemes[holds]
    verdict[holds] = base[holds]
    year[holds] = re_review_year_of(W[review.since_slot], review.status_years.take(which))[holds]
    within = re_review_due_at(year, W[review.year_slot], inputs.horizon)
    known = holds & ~np.isnan(within)
    due[known] = within[known].astype(np.int8)
    return scheme, verdict, year, due


def _add_in_order(
    terms: FloatArray, index: NDArray[np.intp], out: FloatArray, start: float | None = None
) -> None:
    """``out[:, i] = (start +) terms[:, index[i, 0]] + terms[:, index[i, 1]] + ...``.

    One addition after the other, left to right, whatever the number of rows.
    """
    n_sums, n_terms = index.shape
    gathered = terms.take(index.reshape(-1), axis=1).reshape(
        terms.shape[0], n_sums, n_terms, terms.shape[2]
    )
    if start is None:
        out[:] = gathered[:, :, 0]
    else:
        np.add(gathered[:, :, 0], start, out=out)
    for k in range(1, n_terms):
        out += gathered[:, :, k]


def _run_block(plan: RulePlan, inputs: PlanInputs, begin: int, end: int, level: int) -> PlanOutput:
    width = end - begin
    W = _workspace(plan, inputs, begin, end)
    N = np.empty((plan.n_codes, width), dtype=np.uint8)
    plan.logic.run(W, N)

    # Where a rule with an assumption is unknown, the gates read the assumed value.
    assumed = plan.assumed
    used = np.empty((0, width), dtype=bool)
    if len(assumed.sources):
        raw = N.take(assumed.sources, axis=0)
        used = raw == UNKNOWN
        N[assumed.rows] = np.where(used, assumed.values, raw)

    # Ladders: the first band known met (code 2) and possibly met (code >= 1), stacked.
    ladders = plan.ladders
    n_points = ladders.n_points
    firsts = np.zeros((2, ladders.size, width), dtype=np.uint8)
    if ladders.size:
        bands = N.take(ladders.rows, axis=0).reshape(ladders.width, ladders.size, width)
        short = bands < _MET_AND_POSSIBLE  # (2, bands, ladders, rows)
        none_yet = short[:, 0].copy()
        firsts += none_yet
        # The last band is the always-met padding: no ladder goes past it.
        for band in range(1, ladders.width - 1):
            none_yet &= short[:, band]
            firsts += none_yet

    # Known and upper points of the scored criteria: ladders, then plug-ins.
    scoring = plan.scoring
    # Known and upper points; the last row is the zero the group sums are padded with.
    padded = np.empty((2, scoring.n_scored + 1, width))
    padded[:, -1] = 0.0
    scored = padded[:, :-1]
    if n_points:
        ladders.points.take(firsts[:, :n_points] + ladders.offsets, out=scored[:, :n_points])
    for j, (row, max_points) in enumerate(scoring.plugins):
        if inputs.plugin_points is None:  # the neutral default: 0 known, the maximum at most
            scored[0, row] = 0.0
            scored[1, row] = max_points
        else:
            known, upper = inputs.plugin_points[j]
            scored[0, row] = known[begin:end]
            scored[1, row] = upper[begin:end]
    if scoring.n_scored:
        reached = scored >= scoring.max_points
        np.add(reached[0], reached[1], out=N[scoring.verdict_rows], dtype=np.uint8)

    # Group sums, scheme totals, pass marks and group minima.
    n_groups = scoring.n_groups
    group_sums = np.empty((2, n_groups + 1, width))
    group_sums[:, -1] = 0.0  # the last row pads the totals
    groups = group_sums[:, :-1]
    totals = np.empty((2, plan.n_scored_schemes, width))
    if n_groups:
        _add_in_order(padded, scoring.group_members, groups, start=0.0)
        _add_in_order(group_sums, scoring.scheme_groups, totals)
        sums = np.concatenate([totals, groups], axis=1).take(scoring.score_sources, axis=1)
        cleared = sums >= scoring.score_marks
        np.add(cleared[0], cleared[1], out=N[scoring.score_test_rows], dtype=np.uint8)
        _reduce(np.minimum, N, scoring.score_tests, out=N[scoring.score_rows])

    # Required criteria that routes replace: all of a group, or one of its routes.
    _or_of_and(N, plan.replaced.groups)

    # The verdict: required AND (score OR routes), then the certified rank.
    verdict = np.empty((len(plan.schemes), width), dtype=np.int8)
    code = np.empty((len(plan.schemes), width), dtype=np.uint8)
    certified = np.zeros((len(plan.schemes), width), dtype=bool)
    if plan.schemes:
        gates = plan.gates
        code = _gate_codes(N, gates.required, gates.alternatives)
        certified = N.take(gates.certified, axis=0) == PASS
        _VERDICT_OF.take(code + np.uint8(3) * certified.view(np.uint8), out=verdict)

    grade_met, grade_possible = firsts[0, n_points:], firsts[1, n_points:]
    grades = np.where(grade_met == grade_possible, grade_met, ladders.grade_lengths + 1)
    review = _review(plan, inputs, W, N, code)
    summary = (width, level, verdict, totals, grades.astype(np.int8), *review)
    if level < CRITERIA:
        return PlanOutput(*summary)

    # An assumption is stated where the verdict without it (its criterion unknown)
    # differs: a route nobody needed or a condition a failing firm would not meet
    # anyway is not listed. A tier held above a scheme makes it "certified" whatever
    # its criteria: there only the held tier's re-review rests on assumptions.
    stated = plan.stated
    listed = np.zeros(used.shape, dtype=bool)
    if len(stated.scheme):
        _or_of_and(N, stated.groups)
        without = _gate_codes(N, stated.required, stated.alternatives)
        np.not_equal(without, code.take(stated.scheme, axis=0), out=listed)
        listed &= used
        held_elsewhere = certified.take(stated.scheme, axis=0)
        review_scheme = review[0]
        held_elsewhere &= review_scheme[None, :] != stated.scheme[:, None]
        listed &= ~held_elsewhere

    criterion_verdict = _CRITERION_OF.take(N.take(plan.code_rows, axis=0))
    criteria = (*summary, criterion_verdict, scored, groups, used, listed)
    if level < DISPLAY:
        return PlanOutput(*criteria)

    display = plan.display
    shown = np.empty((3, len(plan.criteria), width))
    value, threshold, gap = shown
    W.take(display.value_slots, axis=0, out=value)
    if len(display.no_value):
        value[display.no_value] = np.nan
    if len(display.plugin_criteria):
        plugin_lo, plugin_hi = scored[0, n_points:], scored[1, n_points:]
        value[display.plugin_criteria] = np.where(plugin_lo == plugin_hi, plugin_lo + 0.0, np.nan)
    threshold[:] = display.constant
    if len(display.slot_criteria):
        other = W.take(display.slot_sources, axis=0)
        # +inf marks "this route does not apply": nothing to show.
        threshold[display.slot_criteria] = np.where(np.isfinite(other), other + 0.0, np.nan)
    if n_points:
        # The edge of the band just above the firm's, when its band is settled.
        met, possible = firsts[0, :n_points], firsts[1, :n_points]
        settled = (N[scoring.verdict_rows][:n_points] == FAIL) & (met == possible)
        next_band = np.where(settled, met - 1, ladders.lengths)
        threshold[display.ladder_criteria] = ladders.edges.take(next_band + ladders.offsets)
    # The distance in the passing direction; a rule criterion shows it only on a fail.
    distance = threshold - value
    distance *= display.direction
    if len(display.equal_criteria):
        distance[display.equal_criteria] = np.abs(distance[display.equal_criteria])
    show_gap = distance >= 0
    show_gap &= display.not_rule_criteria | (criterion_verdict == 0)
    np.add(distance, 0.0, out=gap)  # -0.0 is shown as 0.0
    gap[~show_gap] = np.nan
    explained = W.take(display.explain_slots, axis=0)
    return PlanOutput(*criteria, shown, explained)
