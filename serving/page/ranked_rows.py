"""Ranked firms with reasons and one verdict per scheme, without the criteria JSON.

A ranking table (the page, the flat export of ``srdi score``) shows each firm's
verdict per scheme but not the criteria behind it. Building every criterion's dict
and gap sentence for every firm is about half the cost of a screen, so the blocks
here take the score results without schemes (``Scorer.score_columns(...,
schemes=False)``) and the verdicts as whole arrays from one vectorized
``evaluate_schemes`` call per block. A firm's full criteria are built when asked
for (``serving.page.session.firm_detail``, ``srdi explain``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from features.rules import Verdict, evaluate_schemes
from serving.scoring.scorer import RankedScores

__all__ = ["BLOCK_ROWS", "RankedBlock", "iter_ranked_blocks"]

# Rows per block: large enough for the vectorized steps, small enough to keep the
# per-firm dicts of one block cheap in memory.
BLOCK_ROWS = 2_000
_VERDICT_LABELS = np.array([verdict.label for verdict in Verdict], dtype=object)


@dataclass(frozen=True)
class RankedBlock:
    """Consecutive ranked firms.

    Attributes
    ----------
    results
        Score results in rank order with ``row`` and ``rank`` and their reasons;
        ``schemes`` is empty (see ``verdicts``); ``re_review`` (the held tier's
        re-review, or ``None``) and ``assumptions`` (``[{"scheme_id", "text"}]``, what
        the verdicts rest on) stand in for what the schemes' JSON would say.
    verdicts
        Scheme id → verdict label per firm (``"eligible"``, ``"not_eligible"``,
        ``"undetermined"``, ``"certified"``), aligned with ``results``.
    scheme_names
        Scheme id → display name, in the rule engine's order.
    """

    results: list[dict[str, Any]]
    verdicts: dict[str, np.ndarray]
    scheme_names: dict[str, str]


def iter_ranked_blocks(
    ranked: RankedScores, *, top_reasons: int = 3, block_rows: int = BLOCK_ROWS
) -> Iterator[RankedBlock]:
    """Yield a screen's firms in rank order, ``block_rows`` at a time.

    Parameters
    ----------
    ranked
        A screen (``Scorer.rank_chunks`` / ``score_frame``).
    top_reasons
        Reasons per firm.
    block_rows
        Firms per block.
    """
    if block_rows < 1:
        raise ValueError(f"block_rows must be at least 1, got {block_rows}")
    scorer = ranked.scorer
    for start in range(0, len(ranked.order), block_rows):
        positions = ranked.order[start : start + block_rows]
        block = {name: values[positions] for name, values in ranked.columns.items()}
        results = scorer.score_columns(
            block,
            rows=ranked.rows[positions],
            explain=True,
            top_reasons=top_reasons,
            schemes=False,
        )
        for offset, result in enumerate(results):
            rank = start + offset + 1
            result["rank"] = rank if rank <= ranked.n_candidates else None
        evaluation = evaluate_schemes(block, rates=scorer.rates)
        reviews = evaluation.reviews()
        assumed = evaluation.assumptions()
        for result, review, pairs in zip(results, reviews, assumed, strict=True):
            result["re_review"] = review
            result["assumptions"] = [{"scheme_id": sid, "text": text} for sid, text in pairs]
        yield RankedBlock(
            results=results,
            verdicts={
                sid: _VERDICT_LABELS[np.asarray(evaluation[sid].verdict, dtype=np.intp)]
                for sid in evaluation.scheme_ids
            },
            scheme_names={sid: evaluation[sid].name for sid in evaluation.scheme_ids},
        )
