"""The one writer of the ``schemes`` JSON, for one record and for a batch alike.

It works on the plan's display matrices: each matrix is turned into Python lists
once (``tolist``), every criterion dict is a copy of the criterion's template
(``features.rules.report.criterion_template``) with the per-firm keys filled in, and
gap sentences (``features.rules.report.GapWriter``) are written only for entries
that do not pass: "not determined" is one sentence per criterion, a threshold is
written when the plan is compiled, and a value once per call however many criteria
show it. The dicts are built firm by firm for a few firms and criterion by
criterion for many (the same dicts either way; the tests hold one firm alone equal
to itself inside a batch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from features.rules.engine import DISPLAY, PlanOutput
from features.rules.logic import FloatArray
from features.rules.plan import RulePlan
from features.rules.report import GapWriter, review_text
from features.rules.verdicts import (
    CRITERION_VERDICT_LABELS,
    REVIEW_LABELS,
    VERDICT_LABELS,
    CriterionVerdict,
)

__all__ = ["review_dicts", "write_schemes"]

_FAIL = int(CriterionVerdict.FAIL)
_PASS = int(CriterionVerdict.PASS)
_UNKNOWN = int(CriterionVerdict.UNKNOWN)
_VERDICTS = np.array(VERDICT_LABELS, dtype=object)
_CRITERION_VERDICTS = np.array(CRITERION_VERDICT_LABELS, dtype=object)
_NO_TEXT = np.array(None, dtype=object)


def _json_numbers(values: FloatArray) -> list[Any]:
    """Floats as nested lists, ``None`` where not finite (``-0.0`` stays ``-0.0``)."""
    out = values.astype(object)
    bad = ~np.isfinite(values)
    if bad.any():
        out[bad] = None
    rows: list[Any] = out.tolist()
    return rows


def _explained(
    plan: RulePlan, out: PlanOutput, texts: list[list[str | None]], by_firm: bool
) -> None:
    """Put the sentences of criteria with an Explanation in ``texts``, where they apply."""
    if out.explained is None or not len(plan.explanations):
        return
    assert out.criterion_verdict is not None
    for row, c in enumerate(plan.display.explained.tolist()):
        fail, unknown = plan.explanations[row]
        index = out.explained[row]
        codes = out.criterion_verdict[c]
        for i in np.flatnonzero((codes != _PASS) & (index == index)).tolist():
            sentence = (fail if codes[i] == _FAIL else unknown)[int(index[i])]
            if by_firm:
                texts[i][c] = sentence
            else:
                texts[c][i] = sentence


def _gap_texts(plan: RulePlan, out: PlanOutput, by_firm: bool) -> list[list[str | None]]:
    """The gap sentence of each entry that does not pass (else ``None``).

    Nested ``[firm][criterion]`` when ``by_firm``, else ``[criterion][firm]``.
    """
    texts = _rule_gap_texts(plan, out, by_firm)
    _explained(plan, out, texts, by_firm)
    return texts


def _rule_gap_texts(plan: RulePlan, out: PlanOutput, by_firm: bool) -> list[list[str | None]]:
    """The gap sentences written from each criterion's value, threshold and gap."""
    assert out.display is not None and out.criterion_verdict is not None
    assert out.scored is not None
    codes = out.criterion_verdict
    unknown = codes == _UNKNOWN
    texts: list[list[str | None]] = (
        np.where(unknown.T, plan.unknown_texts.T, _NO_TEXT)
        if by_firm
        else np.where(unknown, plan.unknown_texts, _NO_TEXT)
    ).tolist()
    which, firms = np.nonzero(codes == _FAIL)  # criterion by criterion
    if not len(which):
        return texts
    values, thresholds, gaps = out.display[:, which, firms].tolist()
    # Quantities written once per call: many criteria show the same measure.
    shown: dict[str, dict[float, str]] = {}
    current = -1
    sentence = None
    points: list[float] | None = None
    for c, i, v, t, g in zip(which.tolist(), firms.tolist(), values, thresholds, gaps, strict=True):
        if c != current:  # the next failing criterion: its writer and its points
            current = c
            spec = plan.criteria[c]
            sentence = GapWriter(
                spec.criterion.label,
                spec.unit,
                spec.op,
                spec.max_points,
                shown.setdefault(spec.unit, {}),
                plan.threshold_texts.get(spec.unit),
            ).sentence
            points = None if spec.scored < 0 else out.scored[0, spec.scored].tolist()
        assert sentence is not None
        text = sentence(_FAIL, v, t, g, None if points is None else points[i])
        if by_firm:
            texts[i][c] = text
        else:
            texts[c][i] = text
    return texts


def _criteria_by_firm(plan: RulePlan, out: PlanOutput) -> list[list[dict[str, Any]]]:
    """Every firm's criterion dicts, firm by firm (cheapest for a few firms)."""
    assert out.display is not None and out.criterion_verdict is not None
    assert out.scored is not None
    # Every matrix becomes lists once, transposed: [firm][criterion].
    verdicts = _CRITERION_VERDICTS.take(out.criterion_verdict.T).tolist()
    values, thresholds, gaps = _json_numbers(out.display.transpose(0, 2, 1))
    texts = _gap_texts(plan, out, by_firm=True)
    known, upper = out.scored.transpose(0, 2, 1).tolist()  # [firm][scored row]
    firms: list[list[dict[str, Any]]] = []
    for i in range(out.n_rows):
        items: list[dict[str, Any]] = []
        append = items.append
        known_i, upper_i = known[i], upper[i]
        for (template, scored), v, x, t, g, text in zip(
            plan.json_entries, verdicts[i], values[i], thresholds[i], gaps[i], texts[i], strict=True
        ):
            item = template.copy()
            item["verdict"] = v
            item["value"] = x
            item["threshold"] = t
            item["gap"] = g
            item["gap_text"] = text
            if scored >= 0:
                item["points"] = known_i[scored]
                item["points_upper"] = upper_i[scored]
            append(item)
        firms.append(items)
    return firms


def _criteria_by_criterion(plan: RulePlan, out: PlanOutput) -> list[list[dict[str, Any]]]:
    """Every criterion's dict of each firm, criterion by criterion (cheapest for many)."""
    assert out.display is not None and out.criterion_verdict is not None
    assert out.scored is not None
    verdicts = _CRITERION_VERDICTS.take(out.criterion_verdict).tolist()
    values, thresholds, gaps = _json_numbers(out.display)
    texts = _gap_texts(plan, out, by_firm=False)
    known, upper = out.scored.tolist()  # [scored row][firm]
    columns: list[list[dict[str, Any]]] = []
    for c, (template, scored) in enumerate(plan.json_entries):
        column: list[dict[str, Any]] = []
        append = column.append
        rows = zip(verdicts[c], values[c], thresholds[c], gaps[c], texts[c], strict=True)
        if scored >= 0:
            for (v, x, t, g, text), p, u in zip(rows, known[scored], upper[scored], strict=True):
                item = template.copy()
                item["verdict"] = v
                item["value"] = x
                item["threshold"] = t
                item["gap"] = g
                item["gap_text"] = text
                item["points"] = p
                item["points_upper"] = u
                append(item)
        else:
            for v, x, t, g, text in rows:
                item = template.copy()
                item["verdict"] = v
                item["value"] = x
                item["threshold"] = t
                item["gap"] = g
                item["gap_text"] = text
                append(item)
        columns.append(column)
    return columns


# From this many firms on the criterion dicts are built criterion by criterion (the
# same dicts; bench.rules_row: firm by firm costs a third at one firm, 1.4 times as
# much at 1,000).
BY_CRITERION_FROM = 32


def write_schemes(plan: RulePlan, out: PlanOutput) -> list[list[dict[str, Any]]]:
    """Every firm's ``schemes`` list (``docs/architecture.md``), in row order.

    Parameters
    ----------
    plan
        The compiled tables.
    out
        The plan's output at :data:`~features.rules.engine.DISPLAY` level.

    Returns
    -------
    list of list of dict
        One list per firm, one dict per scheme in the plan's order.
    """
    if out.level < DISPLAY:
        raise ValueError("the schemes JSON needs the plan's display output (level DISPLAY)")
    n = out.n_rows
    if not plan.schemes or not n:
        return [[] for _ in range(n)]
    # Per scheme, per firm: the scheme's criterion dicts.
    if n < BY_CRITERION_FROM:
        firms = _criteria_by_firm(plan, out)
        criteria = [
            [items[s.criteria.start : s.criteria.stop] for items in firms] for s in plan.schemes
        ]
    else:
        columns = _criteria_by_criterion(plan, out)
        # zip(*columns) turns per-criterion columns into per-firm rows at C speed.
        criteria = [
            [list(row) for row in zip(*columns[s.criteria.start : s.criteria.stop], strict=True)]
            for s in plan.schemes
        ]
    verdicts = _VERDICTS.take(out.verdict.T).tolist()
    known, upper = out.totals.transpose(0, 2, 1).tolist()
    grades = [
        np.array(s.grade_labels, dtype=object).take(out.grades[s.grade]).tolist()
        if s.grade >= 0
        else []
        for s in plan.schemes
    ]
    stated = [] if out.stated is None else out.stated.T.tolist()
    reviews = _reviews(out)
    result: list[list[dict[str, Any]]] = []
    for i in range(n):
        firm: list[dict[str, Any]] = []
        review = reviews[i]
        for template, k, scored, grade_key, assumptions, reviewed in plan.json_schemes:
            entry = template.copy()
            entry["verdict"] = verdicts[i][k]
            if scored >= 0:
                entry["points"] = known[i][scored]
                entry["points_upper"] = upper[i][scored]
            entry["criteria"] = criteria[k][i]
            if grade_key is not None:
                entry[grade_key] = grades[k][i]
            if reviewed and review is not None and review[0] == k:
                entry["re_review"] = review[1].copy()
            if assumptions:
                entry["assumptions"] = [text for row, text in assumptions if stated[i][row]]
            firm.append(entry)
        result.append(firm)
    return result


_DUE = (False, True, None)


def review_dicts(out: PlanOutput) -> list[dict[str, Any] | None]:
    """Per firm, the ``re_review`` dict of its held tier (``None`` when none is held)."""
    return [None if review is None else review[1] for review in _reviews(out)]


def _reviews(out: PlanOutput) -> list[tuple[int, dict[str, Any]] | None]:
    """Per firm, ``(scheme index, re_review dict)`` of its held tier, or ``None``."""
    schemes = out.review_scheme.tolist()
    years = _json_numbers(out.review_year)
    verdicts = out.review_verdict.tolist()
    dues = out.review_due.tolist()
    return [
        None
        if k < 0
        else (
            k,
            {
                "year": None if year is None else int(year),
                "due": _DUE[due],
                "verdict": REVIEW_LABELS[verdict],
                "text": review_text(
                    None if year is None else int(year), str(REVIEW_LABELS[verdict])
                ),
            },
        )
        for k, year, verdict, due in zip(schemes, years, verdicts, dues, strict=True)
    ]
