"""The scorer: the one code path from input records to score results.

A POSTed record, a batch, an uploaded file, ``srdi score``, the page and the Dask
partitions all go through :class:`Scorer`. It composes four parts, each vectorized
over columns and each in its own module:

- each question's model — feature matrix, booster, calibrator, percentiles, bands,
  and its reasons (TreeSHAP by family) — by a
  :class:`~serving.scoring.target.TargetModel`, up to three (next provincial
  SRDI, next Little Giant, kept at re-review);
- every firm's rung and next step, and each target's numbers on the firms it asks
  about, by :mod:`serving.scoring.steps`;
- the scheme verdicts, by the rule engine;
- the per-firm JSON, laid out by :func:`~serving.scoring.results.score_results`;

and takes its input as one record, a list of records
(:mod:`serving.scoring.intake`) or a table in chunks, ranked by one target into
:class:`~serving.scoring.ranking.RankedScores`. A single record is a set of
length-1 arrays, so it runs the very same code without a DataFrame.

A firm is scored by every offered model whose question applies to it; its
top-level ``score`` is its next step's. Firms no offered question asks about (a
Little Giant with no re-review due, or a tier the service has no model for) get
``status = "certified"`` and a null score; firms whose next step's model is not in
service get ``status = "not_trained"``. Their scheme verdicts are still reported,
and rankings list them after every firm the ranking's question scores (with a
null rank).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from features.columns import Columns, column_length
from features.ladder import DEFAULT_TARGET, TARGET_BY_ID
from features.rules import CurrencyRates, schemes_json
from features.validate import RowError, validate_frame, validate_record
from serving.scoring.intake import BatchScores, validate_records
from serving.scoring.ranking import RankedScores, concat_columns
from serving.scoring.results import score_results
from serving.scoring.steps import ModelSet, ServedModel, StepArrays, step_arrays
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
    """Scores input records with up to three models: numbers, reasons and verdicts.

    ``Scorer(bundle, model_name=..., model_version=...)`` serves one model;
    :meth:`from_models` a :class:`~serving.scoring.steps.ModelSet` (the ladder's
    models, and the ones missing).

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
    models
        The models in service and the missing ones.
    model
        The primary model's :class:`~serving.scoring.target.TargetModel` (the first
        in ladder order, ``srdi_sme`` when served).
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
        served = ServedModel(TargetModel(bundle), model_name, str(model_version), run_id)
        self._setup(ModelSet.of([served]), rates)

    def _setup(self, models: ModelSet, rates: CurrencyRates | None) -> None:
        self.models = models
        primary = models.primary
        self.model = primary.model
        self.bundle = primary.model.bundle
        self.model_name = primary.name
        self.model_version = primary.version
        self.run_id = primary.run_id
        self.rates = rates if rates is not None else CurrencyRates()
        self.model_info: dict[str, str] = primary.info
        # Told the feature matrix and not-asked flags of the primary model's question
        # on every scored call (the service's input-drift monitor,
        # serving.scoring.drift); None everywhere else.
        self.feature_observer: Callable[[np.ndarray, np.ndarray], None] | None = None

    @classmethod
    def from_models(cls, models: ModelSet, *, rates: CurrencyRates | None = None) -> Scorer:
        """A scorer of several targets' models (and the targets offered without one)."""
        scorer = cls.__new__(cls)
        scorer._setup(models, rates)
        return scorer

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

    @property
    def versions(self) -> dict[str, str | None]:
        """Each offered target's model version (``None``: not in service)."""
        return {
            t: self.models.served[t].version if t in self.models.served else None
            for t in self.models.offered
        }

    @property
    def versions_key(self) -> str:
        """The versions in service as one comparable text, e.g. ``srdi_sme=3,retention=-``."""
        return ",".join(f"{t}={v or '-'}" for t, v in self.versions.items())

    def describe(self) -> dict[str, Any]:
        """Describe the models in service (GET /v1/model): the primary one, then each."""
        models: dict[str, Any] = {}
        for target in self.models.offered:
            served = self.models.served.get(target)
            if served is None:
                missing = self.models.missing[target]
                spec = TARGET_BY_ID[target]
                models[target] = {
                    "name": missing.name,
                    "version": None,
                    "status": "not_trained",
                    "detail": missing.problem,
                    "target": target,
                    "question": spec.question,
                    "population": spec.population,
                }
            else:
                models[target] = {
                    **served.info,
                    "status": "in_service",
                    "run_id": served.run_id or served.model.bundle.metadata.get("run_id"),
                    **served.model.describe(),
                }
        return {
            **self.model_info,
            "run_id": self.run_id or self.bundle.metadata.get("run_id"),
            **self.model.describe(),
            "models": models,
        }

    # -- numbers -----------------------------------------------------------------------

    def certified_mask(self, columns: Columns) -> np.ndarray:
        """True where no model in service asks about the firm (it gets no score at all)."""
        asked = np.zeros(column_length(columns), dtype=bool)
        for served in self.models.served.values():
            asked |= served.model.applies(columns)
        return ~asked

    def steps(self, columns: Columns) -> StepArrays:
        """Every row's rung, next step and each offered target's numbers (no reasons)."""
        return step_arrays(self.models, columns)[0]

    def score_arrays(self, columns: Columns, X: np.ndarray | None = None) -> ScoreArrays:
        """The next step's score, percentile, band, and where it has none (no reasons)."""
        return self.steps(columns).top()

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
        steps, matrices = step_arrays(self.models, columns)
        self._observe(steps, matrices)
        reasons = None
        if explain:
            reasons = {
                target: served.model.reasons(
                    columns, matrices[target], steps.scores[target], top=top_reasons
                )
                for target, served in self.models.served.items()
                if target in matrices
            }
        return score_results(
            columns,
            steps,
            models=self.models,
            reasons=reasons,
            schemes=schemes_json(columns, rates=self.rates) if schemes else None,
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
        rank_by: str = DEFAULT_TARGET,
    ) -> RankedScores:
        """Validate and score a table chunk by chunk, then rank it by one question.

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
        rank_by
            The question the ranking asks (``features.ladder``): its scored firms
            first, by descending probability (ascending for ``retention``: the
            re-review risk first).

        Returns
        -------
        RankedScores
            Scores of every valid row (compact arrays) and the row errors; the
            per-firm dicts are built on demand, in rank order.

        Raises
        ------
        ValueError
            When the service does not offer ``rank_by`` (checked before reading).
        """
        self.check_rank_by(rank_by)
        parts: list[Columns] = []
        row_parts: list[np.ndarray] = []
        step_parts: list[StepArrays] = []
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
                step_parts.append(self.steps(validated.columns))
        return RankedScores(
            self,
            columns=concat_columns(parts),
            rows=np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64),
            steps=StepArrays.concat(step_parts) if step_parts else StepArrays.empty(self.models),
            errors=errors,
            n_rows=n_rows,
            explain=explain,
            top_reasons=top_reasons,
            n_errors=n_errors,
            n_error_rows=n_error_rows,
            rank_by=rank_by,
        )

    def _observe(self, steps: StepArrays, matrices: Mapping[str, np.ndarray]) -> None:
        """Hand the primary model's feature rows to the drift monitor, when there is one."""
        if self.feature_observer is None:
            return
        # The drift reference is the primary bundle's training features: the firms its
        # question asks are the ones to compare with it.
        target = self.models.primary.target
        X = matrices.get(target)
        if X is not None:
            self.feature_observer(X, steps.scores[target].certified)

    def check_rank_by(self, rank_by: str) -> None:
        """Refuse a ranking question the service does not offer.

        Raises
        ------
        ValueError
            Naming the questions offered.
        """
        if rank_by not in self.models.offered:
            offered = ", ".join(self.models.offered)
            raise ValueError(f"cannot rank by {rank_by!r}: this service offers {offered}")

    def score_frame(
        self,
        df: pd.DataFrame,
        *,
        explain: bool = False,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        top_reasons: int = 5,
        column_map: Mapping[str, str] | None = None,
        rank_by: str = DEFAULT_TARGET,
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
        rank_by
            The question the ranking asks (see :meth:`rank_chunks`).

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
            chunks,
            column_map=column_map,
            explain=explain,
            top_reasons=top_reasons,
            rank_by=rank_by,
        )
