"""The scorer: the one code path from input records to score results.

A POSTed record, a batch, an uploaded file, ``srdi score``, the page and the Dask
partitions all go through :class:`Scorer`. It composes three parts, each vectorized
over columns and each in its own module:

- the model's numbers — feature matrix, booster, calibrator, percentiles, bands —
  and its reasons (TreeSHAP by family), by a :class:`~serving.scoring.target.TargetModel`;
- the scheme verdicts, by the rule engine;
- the per-firm JSON, laid out by :func:`~serving.scoring.results.score_results`;

and takes its input as one record, a list of records
(:mod:`serving.scoring.intake`) or a table in chunks, ranked into
:class:`~serving.scoring.ranking.RankedScores`. A single record is a set of
length-1 arrays, so it runs the very same code without a DataFrame.

Firms that already hold the model's target tier get ``status = "certified"`` and
null score, percentile and band: the model is trained on candidates only, so a
probability for them would mean nothing. Their scheme verdicts are still reported,
and rankings list them after every candidate (with a null rank).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from features.columns import Columns
from features.rules import CurrencyRates, schemes_json
from features.validate import RowError, validate_frame, validate_record
from serving.scoring.intake import BatchScores, validate_records
from serving.scoring.ranking import RankedScores, concat_columns, concat_numbers
from serving.scoring.results import score_results
from serving.scoring.target import ScoreArrays, TargetModel
from srdi.core.bundle import ModelBundle

if TYPE_CHECKING:
    from srdi.core.bundle import LoadedModel
    from srdi.core.settings import Settings

# The result types of the scorer's methods are part of its surface, importable from
# here as well as from their own modules.
__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "BatchScores",
    "RankedScores",
    "ScoreArrays",
    "Scorer",
]

DEFAULT_CHUNK_ROWS = 50_000


class Scorer:
    """Scores input records with a model bundle: numbers, reasons and scheme verdicts.

    Parameters
    ----------
    bundle
        The model bundle (booster, calibrator, fitted features, reference quantiles).
    model_name, model_version
        Registry identity, reported in every result.
    run_id
        MLflow run that produced the model, when known.
    rates
        Currency rates for the foreign schemes' thresholds; defaults to the rule
        engine's.

    Attributes
    ----------
    model
        The :class:`~serving.scoring.target.TargetModel` of the bundle: its numbers
        and reasons.
    """

    def __init__(
        self,
        bundle: ModelBundle,
        *,
        model_name: str,
        model_version: str,
        run_id: str | None = None,
        rates: CurrencyRates | None = None,
    ) -> None:
        self.bundle = bundle
        self.model = TargetModel(bundle)
        self.model_name = model_name
        self.model_version = str(model_version)
        self.run_id = run_id
        self.rates = rates if rates is not None else CurrencyRates()
        self.model_info: dict[str, str] = {"name": model_name, "version": self.model_version}
        # Told the feature matrix and certified flags of every scored call (the service's
        # input-drift monitor, serving.scoring.drift); None everywhere else.
        self.feature_observer: Callable[[np.ndarray, np.ndarray], None] | None = None

    @classmethod
    def from_loaded(cls, loaded: LoadedModel, *, settings: Settings | None = None) -> Scorer:
        """Build a scorer from a registry download (``srdi.core.bundle.load_registered_bundle``).

        Parameters
        ----------
        loaded
            The bundle with its registered name, version and run id.
        settings
            Supplies the currency rates (``fx_*``); rule-engine defaults without it.
        """
        return cls(
            loaded.bundle,
            model_name=loaded.name,
            model_version=loaded.version,
            run_id=loaded.run_id,
            rates=None if settings is None else settings.currency_rates(),
        )

    def describe(self) -> dict[str, Any]:
        """Describe the model in service (GET /v1/model)."""
        return {
            **self.model_info,
            "run_id": self.run_id or self.bundle.metadata.get("run_id"),
            **self.model.describe(),
        }

    # -- numbers -----------------------------------------------------------------------

    def certified_mask(self, columns: Columns) -> np.ndarray:
        """True where the firm already holds the model's target tier (or a higher one)."""
        return self.model.certified_mask(columns)

    def score_arrays(self, columns: Columns, X: np.ndarray | None = None) -> ScoreArrays:
        """Score, percentile, band and certified flag of every row (no explanations)."""
        return self.model.score_arrays(columns, X)

    # -- score results ---------------------------------------------------------------

    def score_record(
        self,
        record: Mapping[str, Any],
        *,
        explain: bool = True,
        top_reasons: int = 5,
        schemes: bool = True,
    ) -> dict[str, Any]:
        """Validate one input record and return its score result.

        Raises
        ------
        features.validate.RecordValidationError
            When the record breaks the input contract (names field, value, rule).
        """
        columns = validate_record(record)
        return self.score_columns(
            columns, explain=explain, top_reasons=top_reasons, schemes=schemes
        )[0]

    def score_columns(
        self,
        columns: Columns,
        rows: Sequence[int] | np.ndarray | None = None,
        explain: bool = True,
        top_reasons: int = 5,
        *,
        schemes: bool = True,
    ) -> list[dict[str, Any]]:
        """Return the score result (docs/architecture.md) of every row, in row order.

        Parameters
        ----------
        columns
            Validated columns; length-1 arrays for a single record.
        rows
            Original row numbers, added to each result as ``"row"`` when given.
        explain
            Add the top reasons (TreeSHAP by family); ``False`` skips that cost.
        top_reasons
            Reasons per firm when ``explain``.
        schemes
            Evaluate the certification schemes; ``False`` leaves ``schemes`` empty
            for callers who want the number only.

        Returns
        -------
        list of dict
        """
        X = self.model.features(columns)
        numbers = self.model.score_arrays(columns, X)
        if self.feature_observer is not None:
            self.feature_observer(X, numbers.certified)
        return score_results(
            columns,
            numbers,
            reasons=self.model.reasons(columns, X, numbers, top=top_reasons) if explain else None,
            schemes=schemes_json(columns, rates=self.rates) if schemes else None,
            model_info=self.model_info,
            rows=rows,
        )

    # -- batches and files -------------------------------------------------------------

    def score_records(
        self,
        records: Sequence[Mapping[str, Any]],
        *,
        explain: bool = True,
        top_reasons: int = 5,
        schemes: bool = True,
    ) -> BatchScores:
        """Validate and score a list of input records, keeping the input order.

        An invalid record becomes entries of ``errors`` (``index`` = its position);
        the valid ones are scored together, vectorized.
        """
        validated = validate_records(records)
        results: list[dict[str, Any]] = []
        if len(validated.indices):
            results = self.score_columns(
                validated.columns, explain=explain, top_reasons=top_reasons, schemes=schemes
            )
            for result, index in zip(results, validated.indices.tolist(), strict=True):
                result["index"] = int(index)
        return BatchScores(results, validated.errors, validated.n_refused)

    def rank_chunks(
        self,
        chunks: Iterable[tuple[int, pd.DataFrame]],
        *,
        column_map: Mapping[str, str] | None = None,
        explain: bool = False,
        top_reasons: int = 5,
        max_errors: int | None = None,
    ) -> RankedScores:
        """Validate and score a table chunk by chunk, then rank it.

        Parameters
        ----------
        chunks
            ``(row_offset, frame)`` pairs, e.g. ``features.io.iter_table_chunks``;
            row numbers in errors and results are ``row_offset`` + position.
            Headers may be contract names or aliases (``营业收入``).
        column_map
            Explicit header → field choices that win over the alias table.
        explain, top_reasons
            Whether results built later carry reasons, and how many.
        max_errors
            Row problems kept (the first ones); the rest are only counted
            (``n_errors``, ``n_error_rows``), so an all-bad file costs no more memory
            than a good one. ``None`` keeps them all.

        Returns
        -------
        RankedScores
            Scores of every valid row (compact arrays) and the row errors; the
            per-firm dicts are built on demand, in rank order.
        """
        parts: list[Columns] = []
        row_parts: list[np.ndarray] = []
        score_parts: list[ScoreArrays] = []
        errors: list[RowError] = []
        n_rows = n_errors = n_error_rows = 0
        for offset, frame in chunks:
            n_rows = max(n_rows, offset + len(frame))
            validated = validate_frame(frame, row_offset=offset, mapping=column_map)
            n_errors += len(validated.errors)
            # Chunks do not overlap, so bad rows add up chunk by chunk.
            n_error_rows += len({e.row for e in validated.errors})
            room = len(validated.errors) if max_errors is None else max_errors - len(errors)
            errors.extend(validated.errors[: max(room, 0)])
            if len(validated.rows):
                parts.append(validated.columns)
                row_parts.append(np.asarray(validated.rows, dtype=np.int64))
                score_parts.append(self.model.score_arrays(validated.columns))
        return RankedScores(
            self,
            columns=concat_columns(parts),
            rows=np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64),
            numbers=concat_numbers(score_parts),
            errors=errors,
            n_rows=n_rows,
            explain=explain,
            top_reasons=top_reasons,
            n_errors=n_errors,
            n_error_rows=n_error_rows,
        )

    def score_frame(
        self,
        df: pd.DataFrame,
        *,
        explain: bool = False,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        top_reasons: int = 5,
        column_map: Mapping[str, str] | None = None,
    ) -> RankedScores:
        """Validate, score and rank a DataFrame of input records.

        Parameters
        ----------
        df
            Input records; headers may be contract names or aliases (``营业收入``).
        explain
            Whether the results carry reasons.
        chunk_rows
            Rows validated and scored at a time (bounds peak memory).
        top_reasons
            Reasons per firm when ``explain``.
        column_map
            Explicit header → field choices that win over the alias table.

        Returns
        -------
        RankedScores
            ``.results()`` in rank order (each with ``row`` and ``rank``),
            ``.errors`` for the bad rows.
        """
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
        chunks = (
            (start, df.iloc[start : start + chunk_rows]) for start in range(0, len(df), chunk_rows)
        )
        return self.rank_chunks(
            chunks, column_map=column_map, explain=explain, top_reasons=top_reasons
        )
