"""The score result: one firm's JSON (docs/architecture.md, "Score result"), assembled.

Everything in a result is computed vectorized elsewhere — each target's numbers by
its :class:`~serving.scoring.target.TargetModel` (composed by
:mod:`serving.scoring.steps`), the reasons by the explainers, the scheme lists by
the rule engine —; this module only lays them out per firm, in the documented key
order, with non-finite numbers as ``null``.

A result carries the firm's ``next_step`` (its rung and the question after it) and
``scores``: one entry per offered question that asks about the firm. The top-level
``score``, ``percentile``, ``band``, ``reasons`` and ``model`` are the next step's,
so callers written for one model keep working.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from features.columns import Columns
from features.ladder import TARGET_BY_ID
from serving.scoring.steps import CANDIDATE, NOT_TRAINED, ModelSet, StepArrays
from srdi.core.bundle import THIN_DATA_BELOW

__all__ = ["finite_or_none", "score_results"]

NOT_TRAINED_STATUS = 503
"""The HTTP status a whole request would have had without the target's model."""


def _assumption(target: str, due: float, horizon: int) -> str | None:
    if target == "retention" and due != due:
        return (
            "the re-review year is not reported (tier_since): a re-review within "
            f"{horizon} years was assumed"
        )
    return None


def _identity(models: ModelSet, target: str) -> tuple[dict[str, str | None], dict[str, Any] | None]:
    """The ``model`` of a target's entry, and its ``error`` when it has no model."""
    served = models.served.get(target)
    if served is not None:
        return dict(served.info), None
    missing = models.missing[target]
    return (
        {"name": missing.name, "version": None},
        {"status": NOT_TRAINED_STATUS, "detail": missing.problem},
    )


def score_results(
    columns: Columns,
    steps: StepArrays,
    *,
    models: ModelSet,
    reasons: Mapping[str, Sequence[list[dict[str, Any]]]] | None,
    schemes: Sequence[list[dict[str, Any]]] | None,
    rows: Sequence[int] | np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Lay out every row's score result, in row order.

    Parameters
    ----------
    columns
        Validated columns of the rows (identity fields).
    steps
        Their rung, next step and every offered target's numbers.
    models
        The service's models (names, versions, and why a missing one is missing).
    reasons
        Per served target, each row's reasons (``[]`` where it does not ask), or
        ``None`` for none (``[]`` in every result).
    schemes
        Each row's scheme list, or ``None`` for none (``[]`` in every result).
    rows
        Original row numbers, added to each result as ``"row"`` when given.
    """
    n = len(steps)
    ids = columns["company_id"].tolist()
    names = columns["name"].tolist() if "name" in columns else [None] * n
    years = columns["fiscal_year"].tolist()
    provinces = columns["province"].tolist()
    industries = columns["industry"].tolist()
    status = steps.status().tolist()
    rung = steps.rung.tolist()
    nexts = steps.next_target.tolist()
    review_year = steps.re_review_year.tolist()
    review_due = steps.re_review_due.tolist()
    row_numbers = None if rows is None else [int(r) for r in rows]
    horizon = models.primary.model.horizon

    # Each offered target's numbers as lists, and its model's identity.
    per_target = []
    for target, numbers in steps.scores.items():
        info, error = _identity(models, target)
        per_target.append(
            (
                target,
                TARGET_BY_ID[target],
                steps.asked[target].tolist(),
                numbers.score.tolist(),
                numbers.percentile.tolist(),
                numbers.band.tolist(),
                (numbers.coverage.tolist() if numbers.coverage is not None else [math.nan] * n),
                None if reasons is None else reasons.get(target),
                info,
                error,
            )
        )
    primary = models.primary.info

    results: list[dict[str, Any]] = []
    for i in range(n):
        entries: dict[str, dict[str, Any]] = {}
        for target, spec, asked, score, pct, band, cover, why, info, error in per_target:
            if not asked[i]:
                continue
            entries[target] = {
                "target": target,
                "question": spec.question,
                "population": spec.population,
                "status": "scored" if error is None else NOT_TRAINED,
                "score": finite_or_none(score[i]),
                "percentile": finite_or_none(pct[i]),
                "band": band[i],
                "coverage": finite_or_none(cover[i]),
                "thin_data": _thin(cover[i]),
                "reasons": why[i] if why is not None else [],
                "model": info,
                "assumption": _assumption(target, review_due[i], horizon),
                "error": error,
            }
        step = nexts[i]
        top = entries.get(step) if step is not None else None
        result: dict[str, Any] = {
            "company_id": ids[i],
            "name": names[i],
            "fiscal_year": int(years[i]),
            "province": provinces[i],
            "industry": industries[i],
            "status": status[i],
            "score": top["score"] if top is not None else None,
            "percentile": top["percentile"] if top is not None else None,
            "band": top["band"] if top is not None else None,
            "coverage": top["coverage"] if top is not None else None,
            "thin_data": top["thin_data"] if top is not None else None,
            "reasons": top["reasons"] if top is not None and status[i] == CANDIDATE else [],
            "schemes": schemes[i] if schemes is not None else [],
            "model": top["model"] if top is not None else primary,
            "next_step": {
                "rung": rung[i],
                "target": step,
                "question": TARGET_BY_ID[step].question if step is not None else None,
                "re_review_year": None if review_year[i] != review_year[i] else int(review_year[i]),
                "re_review_due": None if review_due[i] != review_due[i] else bool(review_due[i]),
            },
            "scores": entries,
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
