"""Per-firm scheme JSON for many firms at once, built column by column.

``SchemeEvaluation.firm(i)`` builds one firm's ``schemes`` list by indexing every
result array at ``i`` — fine for one firm, but a batch of 1,000 firms times eight
schemes times their criteria is ~55,000 small dicts, and per-element numpy indexing
dominated the batch time. Here each array is converted to a Python list once per
block, every criterion dict is a copy of the criterion's template
(``features.rules.report.criterion_template``) with the per-firm keys filled in, and
gap sentences (``features.rules.report.GapWriter``) are written only for entries
that fail: "not determined" is one sentence per criterion, and a quantity (a value
or a threshold) is formatted once per batch however many criteria show it. The
output equals ``firm(i)`` key for key (a test holds the two together).

:func:`firm_schemes` is the entry point of the scorer: a few records go through the
row evaluator (``features.rules.row``), larger blocks through the vectorized engine
and :func:`schemes_json`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from features.columns import Columns, column_length
from features.rules import (
    CriterionResult,
    CriterionVerdict,
    CurrencyRates,
    DistinctivePlugin,
    SchemeEvaluation,
    SchemeResult,
    evaluate_schemes,
)
from features.rules.report import GapWriter, result_template
from features.rules.row import evaluate_rows_json
from features.rules.verdicts import CRITERION_VERDICT_LABELS, VERDICT_LABELS

__all__ = ["ROW_PATH_MAX_ROWS", "firm_schemes", "schemes_json"]

# Up to this many firms the row evaluator is cheaper than the vectorized engine plus
# schemes_json (bench.rules_row: a fifth of the cost at 2 firms, about half at 16;
# the two cost the same between 20 and 40 firms).
ROW_PATH_MAX_ROWS = 16

_FAIL = int(CriterionVerdict.FAIL)
_UNKNOWN = int(CriterionVerdict.UNKNOWN)


def _json_numbers(values: np.ndarray) -> list[float | None]:
    """Floats as a list, ``None`` where not finite (as ``firm(i)`` renders them)."""
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    if finite.all():
        floats: list[float | None] = array.tolist()
        return floats
    if not finite.any():
        return [None] * len(array)
    mixed = array.astype(object)  # the same Python floats tolist() would give
    mixed[~finite] = None
    out: list[float | None] = mixed.tolist()
    return out


def _labels(labels: tuple[str, ...], codes: np.ndarray) -> list[str]:
    """The label of each verdict code, indexed in numpy (no Python loop)."""
    out: list[str] = np.array(labels, dtype=object)[codes].tolist()
    return out


def _floats(values: np.ndarray | None, n: int) -> list[float | None]:
    if values is None:
        return [None] * n
    floats: list[float | None] = np.asarray(values, dtype=np.float64).tolist()
    return floats


def _gap_texts(result: CriterionResult, shown: dict[str, dict[float, str]]) -> list[str | None]:
    """Gap sentences of the entries that do not pass (``None`` for those that do).

    ``shown`` holds the quantities already written in this batch, by unit.
    """
    unit_shown = shown.setdefault(result.unit, {})
    writer = GapWriter(result.label, result.unit, result.op, result.max_points, unit_shown)
    column = np.full(len(result.verdict), None, dtype=object)
    column[result.verdict == _UNKNOWN] = writer.unknown
    texts: list[str | None] = column.tolist()
    index = np.flatnonzero(result.verdict == _FAIL)
    if not len(index):
        return texts
    failing: list[int] = index.tolist()
    values = result.value[index].tolist()
    thresholds = result.threshold[index].tolist()
    gaps = result.gap[index].tolist()
    sentence = writer.sentence
    if result.points is None:
        for i, v, t, g in zip(failing, values, thresholds, gaps, strict=True):
            texts[i] = sentence(_FAIL, v, t, g)
    else:
        points = result.points[index].tolist()
        for i, v, t, g, p in zip(failing, values, thresholds, gaps, points, strict=True):
            texts[i] = sentence(_FAIL, v, t, g, p)
    return texts


def _criterion_dicts(
    result: CriterionResult, n: int, shown: dict[str, dict[float, str]]
) -> list[dict[str, Any]]:
    verdicts = _labels(CRITERION_VERDICT_LABELS, result.verdict)
    value = _json_numbers(result.value)
    threshold = _json_numbers(result.threshold)
    gap = _json_numbers(result.gap)
    texts = _gap_texts(result, shown)
    with_points = result.points is not None and result.points_upper is not None
    template = result_template(result)
    columns = zip(verdicts, value, threshold, gap, texts, strict=True)
    out = []
    if with_points:
        points = zip(_floats(result.points, n), _floats(result.points_upper, n), strict=True)
        for (v, x, t, g, text), (p, u) in zip(columns, points, strict=True):
            item = template.copy()
            item["verdict"] = v
            item["value"] = x
            item["threshold"] = t
            item["gap"] = g
            item["gap_text"] = text
            item["points"] = p
            item["points_upper"] = u
            out.append(item)
        return out
    for v, x, t, g, text in columns:
        item = template.copy()
        item["verdict"] = v
        item["value"] = x
        item["threshold"] = t
        item["gap"] = g
        item["gap_text"] = text
        out.append(item)
    return out


def _scheme_dicts(
    result: SchemeResult, n: int, shown: dict[str, dict[float, str]]
) -> list[dict[str, Any]]:
    criteria = [_criterion_dicts(c, n, shown) for c in result.criteria.values()]
    verdicts = _labels(VERDICT_LABELS, result.verdict)
    points = _floats(result.points, n)
    upper = _floats(result.points_upper, n)
    template: dict[str, Any] = {
        "scheme_id": result.scheme_id,
        "name": result.name,
        "version": result.version,
        "verdict": None,
        "points": None,
        "points_upper": None,
        "pass_mark": result.pass_mark,
        "max_points": result.max_points,
        "criteria": None,
    }
    out = []
    # zip(*criteria) turns the per-criterion columns into per-firm rows at C speed.
    rows = zip(verdicts, points, upper, zip(*criteria, strict=True), strict=True)
    for v, p, u, firm_criteria in rows:
        scheme = template.copy()
        scheme["verdict"] = v
        scheme["points"] = p
        scheme["points_upper"] = u
        scheme["criteria"] = list(firm_criteria)
        out.append(scheme)
    if result.grade is not None and result.grade_name is not None:
        for scheme, grade in zip(out, result.grade.tolist(), strict=True):
            scheme[result.grade_name] = str(grade)
    return out


def schemes_json(evaluation: SchemeEvaluation) -> list[list[dict[str, Any]]]:
    """Return every firm's ``schemes`` list (``docs/architecture.md``), in row order.

    Parameters
    ----------
    evaluation
        The result of ``features.rules.evaluate_schemes`` for ``n_rows`` firms.

    Returns
    -------
    list of list of dict
        ``out[i] == evaluation.firm(i)`` for every firm ``i``.
    """
    n = evaluation.n_rows
    # Quantities written once per batch: many criteria show the same measure.
    shown: dict[str, dict[float, str]] = {}
    per_scheme = [_scheme_dicts(evaluation[sid], n, shown) for sid in evaluation.scheme_ids]
    if not per_scheme:
        return [[] for _ in range(n)]
    return [list(firm) for firm in zip(*per_scheme, strict=True)]


def firm_schemes(
    columns: Columns,
    rates: CurrencyRates | None = None,
    distinctive: Mapping[str, DistinctivePlugin] | None = None,
) -> list[list[dict[str, Any]]]:
    """Every firm's ``schemes`` list, by the cheaper path for the number of firms.

    Parameters
    ----------
    columns
        Validated columns (length-1 arrays for one record).
    rates
        Exchange rates for the foreign schemes; :class:`CurrencyRates` ``()`` if omitted.
    distinctive
        Plug-ins for the provincial "distinctive" indicators, by canonical province.

    Returns
    -------
    list of list of dict
        ``schemes_json(evaluate_schemes(columns, rates=rates, distinctive=distinctive))``,
        computed firm by firm for up to :data:`ROW_PATH_MAX_ROWS` firms.
    """
    if column_length(columns) <= ROW_PATH_MAX_ROWS:
        return evaluate_rows_json(columns, rates=rates, distinctive=distinctive)
    return schemes_json(evaluate_schemes(columns, rates=rates, distinctive=distinctive))
