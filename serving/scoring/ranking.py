"""A scored file in rank order: compact arrays, per-firm JSON built on demand.

Screening a file (``POST /v1/screen``, the page, ``srdi score``) keeps every valid
row's columns and numbers as arrays (:class:`RankedScores`), ranks them once by
the question the user asks (``rank_by``: next provincial SRDI, next Little Giant,
re-review risk), and builds the full score results only block by block as they
are written out, so the dicts of a large file are never all held at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from features.columns import Columns
from features.ladder import DEFAULT_TARGET, TARGET_BY_ID
from features.validate import RowError
from serving.scoring.steps import StepArrays
from serving.scoring.target import ScoreArrays

if TYPE_CHECKING:
    from features.firm_years import FirmYearReader, InputReport
    from serving.scoring.scorer import Scorer

__all__ = [
    "BLOCK_ROWS",
    "RankedScores",
    "concat_columns",
    "rank_file",
    "rank_order",
]

# Rows per block when per-firm JSON is assembled from a ranked table: big enough to
# keep the vectorized steps efficient, small enough to keep the dicts' memory low.
BLOCK_ROWS = 2_000


class RankedScores:
    """A scored table in rank order, held as arrays; per-firm JSON built on demand.

    Candidates come first by descending score (ties keep file order), then firms
    already certified, in file order and without a rank.

    Attributes
    ----------
    n_rows
        Data rows read (valid and invalid).
    n_scored
        Rows that passed validation.
    errors
        ``features.validate.RowError`` per problem of a bad row (the first ones when
        the ranking capped them).
    n_errors, n_error_rows
        Problems and bad rows in all, listed in ``errors`` or not.
    rank_by
        The question ranked by.
    steps
        Every valid row's rung, next step and each question's numbers.
    numbers
        The ranking question's numbers of every valid row (``certified``: not
        scored by it).
    order
        Positions of the valid rows in rank order.
    input
        How the file was read (layout, columns matched and ignored), when it was read
        through :func:`rank_file`.
    """

    def __init__(
        self,
        scorer: Scorer,
        *,
        columns: Columns,
        rows: np.ndarray,
        steps: StepArrays,
        errors: list[RowError],
        n_rows: int,
        explain: bool,
        top_reasons: int,
        n_errors: int | None = None,
        n_error_rows: int | None = None,
        rank_by: str = DEFAULT_TARGET,
    ) -> None:
        self.scorer = scorer
        self.columns = columns
        self.rows = rows
        self.steps = steps
        self.errors = errors
        self.n_rows = n_rows
        self.explain = explain
        self.top_reasons = top_reasons
        self.n_errors = len(errors) if n_errors is None else n_errors
        self.n_error_rows = len({e.row for e in errors}) if n_error_rows is None else n_error_rows
        self.rank_by = rank_by
        ranking = steps.ranking(rank_by)
        unscored = ranking.certified | np.isnan(ranking.score)
        self.numbers = ScoreArrays(ranking.score, ranking.percentile, ranking.band, unscored)
        self.order = rank_order(self.numbers, ascending=TARGET_BY_ID[rank_by].rank_ascending)
        self.n_candidates = int((~unscored).sum())
        self.input: InputReport | None = None

    @property
    def n_scored(self) -> int:
        """Rows that passed validation (candidates and certified firms)."""
        return len(self.rows)

    @property
    def model_info(self) -> dict[str, str]:
        """Name and version of the model that scored the table."""
        return self.scorer.model_info

    def error_dicts(self) -> list[dict[str, Any]]:
        """The row errors as ``{"row", "field", "value", "message"}`` dicts."""
        return [
            {"row": int(e.row), "field": e.field, "value": e.value, "message": e.message}
            for e in self.errors
        ]

    def summary(self) -> dict[str, Any]:
        """What a screen answers after its rows: the bad rows, the counts, the model,
        how the columns were read and the question the rows are ranked by."""
        return {
            "errors": self.error_dicts(),
            "n_errors": self.n_errors,
            "n_error_rows": self.n_error_rows,
            "n_rows": self.n_rows,
            "n_scored": self.n_scored,
            "model": self.model_info,
            "columns": self.input.as_dict() if self.input is not None else None,
            "rank_by": self.rank_by,
        }

    def iter_blocks(self, block_rows: int = BLOCK_ROWS) -> Iterator[list[dict[str, Any]]]:
        """Yield the score results in rank order, ``block_rows`` at a time.

        Each result carries ``row`` (the original row number) and ``rank``.
        """
        for start in range(0, len(self.order), block_rows):
            positions = self.order[start : start + block_rows]
            block = {name: values[positions] for name, values in self.columns.items()}
            results = self.scorer.score_columns(
                block,
                rows=self.rows[positions],
                explain=self.explain,
                top_reasons=self.top_reasons,
            )
            for offset, result in enumerate(results):
                rank = start + offset + 1
                result["rank"] = rank if rank <= self.n_candidates else None
            yield results

    def iter_results(self, block_rows: int = BLOCK_ROWS) -> Iterator[dict[str, Any]]:
        """Yield the score results one by one, in rank order."""
        for block in self.iter_blocks(block_rows):
            yield from block

    def results(self) -> list[dict[str, Any]]:
        """All score results in rank order (holds them all: prefer iter_blocks for big files)."""
        return list(self.iter_results())


def rank_file(
    scorer: Scorer,
    reader: FirmYearReader,
    *,
    explain: bool,
    top_reasons: int,
    max_errors: int | None = None,
    rank_by: str = DEFAULT_TARGET,
) -> RankedScores:
    """Score and rank the firm-years a reader yields, with the file's own row numbers.

    Parameters
    ----------
    scorer
        The scorer in service.
    reader
        A :class:`features.firm_years.FirmYearReader` over the file (its column map
        already given to the reader).
    explain, top_reasons, max_errors, rank_by
        As for :meth:`serving.scoring.scorer.Scorer.rank_chunks`.

    Returns
    -------
    RankedScores
        Rows and errors numbered as the file's data rows; ``input`` says how the
        file was read; ``n_rows`` counts the file's data rows.
    """
    ranked = scorer.rank_chunks(
        reader, explain=explain, top_reasons=top_reasons, max_errors=max_errors, rank_by=rank_by
    )
    ranked.rows = reader.source_rows(ranked.rows)
    ranked.errors = reader.source_errors(ranked.errors)
    ranked.n_rows = reader.n_rows
    ranked.input = reader.report
    return ranked


def rank_order(numbers: ScoreArrays, *, ascending: bool = False) -> np.ndarray:
    """Scored firms by descending (or ascending) score, stable; then the rest in input order."""
    candidates = np.flatnonzero(~numbers.certified)
    certified = np.flatnonzero(numbers.certified)
    key = numbers.score[candidates] if ascending else -numbers.score[candidates]
    by_score = candidates[np.argsort(key, kind="stable")]
    return np.concatenate([by_score, certified]).astype(np.intp)


def concat_columns(parts: list[Columns]) -> dict[str, np.ndarray]:
    """The columns of several validated chunks as one set of arrays, in chunk order."""
    if not parts:
        return {}
    if len(parts) == 1:
        return dict(parts[0])
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
