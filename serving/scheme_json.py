"""Per-firm scheme JSON for many firms at once, built column by column.

``SchemeEvaluation.firm(i)`` builds one firm's ``schemes`` list by indexing every
result array at ``i`` — fine for one firm, but a batch of 1,000 firms times eight
schemes times their criteria is ~50,000 small dicts, and per-element numpy indexing
dominated the batch time. Here each array is converted to a Python list once per
block and the dicts are filled from the lists; the gap sentences still come from
the rule engine (``features.rules.report.gap_text``), and only for criteria that do
not pass (it returns ``None`` for the others). The output equals ``firm(i)`` key for
key (a test holds the two together).
"""

from __future__ import annotations

from math import isfinite
from typing import Any

import numpy as np

from features.rules import CriterionResult, CriterionVerdict, SchemeEvaluation, SchemeResult
from features.rules.report import gap_text
from features.rules.verdicts import CRITERION_VERDICT_LABELS, VERDICT_LABELS

__all__ = ["schemes_json"]

_PASS = int(CriterionVerdict.PASS)


def _json_numbers(values: np.ndarray) -> list[float | None]:
    """Floats as a list, ``None`` where not finite (as ``firm(i)`` renders them)."""
    # A comprehension beats numpy masking here: blocks are small and many.
    return [x if isfinite(x) else None for x in np.asarray(values, dtype=np.float64).tolist()]


def _floats(values: np.ndarray | None, n: int) -> list[float | None]:
    if values is None:
        return [None] * n
    floats: list[float | None] = np.asarray(values, dtype=np.float64).tolist()
    return floats


def _criterion_dicts(result: CriterionResult, n: int) -> list[dict[str, Any]]:
    codes: list[int] = result.verdict.tolist()
    verdicts = [CRITERION_VERDICT_LABELS[code] for code in codes]
    value = _json_numbers(result.value)
    threshold = _json_numbers(result.threshold)
    gap = _json_numbers(result.gap)
    texts = [None if code == _PASS else gap_text(result, i) for i, code in enumerate(codes)]
    with_points = result.points is not None and result.points_upper is not None
    points = _floats(result.points, n)
    upper = _floats(result.points_upper, n)
    out = []
    for i in range(n):
        item: dict[str, Any] = {
            "id": result.id,
            "label": result.label,
            "group": result.group,
            "kind": result.kind,
            "verdict": verdicts[i],
            "value": value[i],
            "threshold": threshold[i],
            "unit": result.unit,
            "gap": gap[i],
            "gap_text": texts[i],
            "points": None,
            "max_points": result.max_points,
        }
        if with_points:
            item["points"] = points[i]
            item["points_upper"] = upper[i]
        out.append(item)
    return out


def _scheme_dicts(result: SchemeResult, n: int) -> list[dict[str, Any]]:
    criteria = [_criterion_dicts(c, n) for c in result.criteria.values()]
    verdicts = [VERDICT_LABELS[code] for code in result.verdict.tolist()]
    points = _floats(result.points, n)
    upper = _floats(result.points_upper, n)
    graded = result.grade is not None and result.grade_name is not None
    grades = [str(g) for g in result.grade.tolist()] if result.grade is not None else []
    out = []
    for i in range(n):
        scheme: dict[str, Any] = {
            "scheme_id": result.scheme_id,
            "name": result.name,
            "version": result.version,
            "verdict": verdicts[i],
            "points": points[i],
            "points_upper": upper[i],
            "pass_mark": result.pass_mark,
            "max_points": result.max_points,
            "criteria": [column[i] for column in criteria],
        }
        if graded:
            scheme[str(result.grade_name)] = grades[i]
        out.append(scheme)
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
    per_scheme = [_scheme_dicts(evaluation[sid], n) for sid in evaluation.scheme_ids]
    return [[column[i] for column in per_scheme] for i in range(n)]
