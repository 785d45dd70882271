"""The score result: one firm's JSON (docs/architecture.md, "Score result"), assembled.

Everything in a result is computed vectorized elsewhere — the numbers by a
:class:`~serving.scoring.target.TargetModel`, the reasons by its explainer, the
scheme lists by the rule engine —; this module only lays them out per firm, in the
documented key order, with non-finite numbers as ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from features.columns import Columns
from serving.scoring.target import ScoreArrays
from srdi.core.bundle import THIN_DATA_BELOW

__all__ = ["finite_or_none", "score_results"]


def score_results(
    columns: Columns,
    numbers: ScoreArrays,
    *,
    reasons: Sequence[list[dict[str, Any]]] | None,
    schemes: Sequence[list[dict[str, Any]]] | None,
    model_info: dict[str, str],
    rows: Sequence[int] | np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Lay out every row's score result, in row order.

    Parameters
    ----------
    columns
        Validated columns of the rows (identity fields).
    numbers
        Their score, percentile, band and certified flag.
    reasons
        Each row's reasons, or ``None`` for none (``[]`` in every result).
    schemes
        Each row's scheme list, or ``None`` for none (``[]`` in every result).
    model_info
        Name and version of the model, shared by every result.
    rows
        Original row numbers, added to each result as ``"row"`` when given.
    """
    n = len(numbers.score)
    ids = columns["company_id"].tolist()
    names = columns["name"].tolist() if "name" in columns else [None] * n
    years = columns["fiscal_year"].tolist()
    provinces = columns["province"].tolist()
    industries = columns["industry"].tolist()
    score = numbers.score.tolist()
    percentile = numbers.percentile.tolist()
    band = numbers.band.tolist()
    certified = numbers.certified.tolist()
    coverage = numbers.coverage.tolist() if numbers.coverage is not None else [math.nan] * n
    row_numbers = None if rows is None else [int(r) for r in rows]

    results: list[dict[str, Any]] = []
    for i in range(n):
        result: dict[str, Any] = {
            "company_id": ids[i],
            "name": names[i],
            "fiscal_year": int(years[i]),
            "province": provinces[i],
            "industry": industries[i],
            "status": "certified" if certified[i] else "candidate",
            "score": finite_or_none(score[i]),
            "percentile": finite_or_none(percentile[i]),
            "band": band[i],
            "coverage": finite_or_none(coverage[i]),
            "thin_data": _thin(coverage[i]),
            "reasons": reasons[i] if reasons is not None else [],
            "schemes": schemes[i] if schemes is not None else [],
            "model": model_info,
        }
        if row_numbers is not None:
            result["row"] = row_numbers[i]
        results.append(result)
    return results


def _thin(coverage: float) -> bool | None:
    return None if coverage != coverage else bool(coverage < THIN_DATA_BELOW)


def finite_or_none(value: float) -> float | None:
    """``value``, or ``None`` for NaN and ±inf (JSON has no such numbers)."""
    return value if value == value and abs(value) != float("inf") else None
