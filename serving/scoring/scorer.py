"""The scorer: the one code path from validated columns to score results.

A POSTed record, a batch, an uploaded file, ``srdi score``, the page and the Dask
partitions all go through :class:`Scorer`. Work is vectorized over columns —
feature matrix, booster, calibrator, percentiles, TreeSHAP contributions, scheme
rules — and only the final per-firm dicts are assembled row by row. A single record
is a set of length-1 arrays, so it runs the very same code without a DataFrame.

Firms that already hold the model's target tier get ``status = "certified"`` and
null score, percentile and band: the model is trained on candidates only, so a
probability for them would mean nothing. Their scheme verdicts are still reported,
and rankings list them after every candidate (with a null rank).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from features.catalog import FAMILIES, FEATURES
from features.columns import Columns
from features.rules import CurrencyRates
from features.tiers import CERTIFIED_TIERS, tiers_at_or_above
from features.validate import RowError, validate_frame, validate_record
from serving.scoring.reasons import ReasonBuilder
from serving.scoring.scheme_json import firm_schemes
from srdi.core.bundle import ModelBundle

if TYPE_CHECKING:
    from srdi.core.bundle import LoadedModel
    from srdi.core.settings import Settings

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "BatchScores",
    "RankedScores",
    "ScoreArrays",
    "Scorer",
]

DEFAULT_CHUNK_ROWS = 50_000
# Rows per block when per-firm JSON is assembled from a ranked table: big enough to
# keep the vectorized steps efficient, small enough to keep the dicts' memory low.
_BLOCK_ROWS = 2_000


@dataclass(frozen=True)
class ScoreArrays:
    """The numbers of a scored set of rows, vectorized.

    ``score``, ``percentile`` are NaN and ``band`` is ``None`` for certified firms.
    """

    score: np.ndarray
    percentile: np.ndarray
    band: np.ndarray
    certified: np.ndarray


@dataclass(frozen=True)
class BatchScores:
    """A scored batch: results in input order, and the refused records.

    Attributes
    ----------
    results
        Score results of the valid records, each with its ``index`` in the input.
    errors
        ``{"index", "field", "message", "value"}`` per problem (a record may have
        several).
    n_refused
        Number of records refused.
    """

    results: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    n_refused: int


class Scorer:
    """Scores validated columns with a model bundle.

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
        self.model_name = model_name
        self.model_version = str(model_version)
        self.run_id = run_id
        self.rates = rates if rates is not None else CurrencyRates()
        self.model_info: dict[str, str] = {"name": model_name, "version": self.model_version}
        catalog = {spec.name: spec for spec in FEATURES}
        self._reasons = ReasonBuilder(bundle.feature_names, catalog, FAMILIES)
        if bundle.target not in CERTIFIED_TIERS:
            raise ValueError(
                f"the model's target tier {bundle.target!r} is unknown; expected one of "
                f"{list(CERTIFIED_TIERS)}"
            )
        self._certified_tiers = tiers_at_or_above(bundle.target)
        self._medians = _MedianTable(bundle)

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
        rates = None
        if settings is not None:
            rates = CurrencyRates(
                eur=settings.fx_eur, jpy=settings.fx_jpy, krw=settings.fx_krw, usd=settings.fx_usd
            )
        return cls(
            loaded.bundle,
            model_name=loaded.name,
            model_version=loaded.version,
            run_id=loaded.run_id,
            rates=rates,
        )

    # -- description -----------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Describe the model in service (GET /v1/model)."""
        meta = self.bundle.metadata
        metrics = meta.get("metrics") or {}
        catalog = {spec.name: spec for spec in FEATURES}
        return {
            **self.model_info,
            "run_id": self.run_id or meta.get("run_id"),
            "target": self.bundle.target,
            "horizon": int(self.bundle.horizon),
            "trained_at": None if meta.get("trained_at") is None else str(meta["trained_at"]),
            "metrics": {str(k): _float_or_none(v) for k, v in metrics.items()},
            "features": [
                {
                    "name": name,
                    "family": catalog[name].family,
                    "family_label": FAMILIES.get(catalog[name].family, catalog[name].family),
                    "label": catalog[name].label,
                    "unit": catalog[name].unit,
                }
                for name in self.bundle.feature_names
            ],
            "ruleset_versions": dict(self.bundle.ruleset_versions),
        }

    # -- numbers -----------------------------------------------------------------------

    def certified_mask(self, columns: Columns) -> np.ndarray:
        """True where the firm already holds the model's target tier (or a higher one)."""
        tiers = columns.get("current_tier")
        if tiers is None:
            return np.zeros(_n_rows(columns), dtype=bool)
        # One vectorized comparison per tier (object arrays compare in C).
        values = np.asarray(tiers, dtype=object)
        mask = np.zeros(len(values), dtype=bool)
        for tier in self._certified_tiers:
            mask |= values == tier
        return mask

    def score_arrays(self, columns: Columns, X: np.ndarray | None = None) -> ScoreArrays:
        """Score, percentile, band and certified flag of every row (no explanations).

        Parameters
        ----------
        columns
            Validated columns (``features.validate``).
        X
            Their feature matrix, when already computed.
        """
        if X is None:
            X = self.bundle.transform(columns)
        certified = self.certified_mask(columns)
        score = self.bundle.predict(X, num_threads=1)
        score = np.where(certified, np.nan, score)
        percentile = self.bundle.percentile(score)
        band = self.bundle.band(percentile)
        return ScoreArrays(score=score, percentile=percentile, band=band, certified=certified)

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
        X = self.bundle.transform(columns)
        numbers = self.score_arrays(columns, X)
        n = len(numbers.score)
        reasons = self._explain(columns, X, numbers, top_reasons) if explain else None
        verdicts = firm_schemes(columns, rates=self.rates) if schemes else [[] for _ in range(n)]

        ids = columns["company_id"].tolist()
        names = columns["name"].tolist() if "name" in columns else [None] * n
        years = columns["fiscal_year"].tolist()
        provinces = columns["province"].tolist()
        industries = columns["industry"].tolist()
        score = numbers.score.tolist()
        percentile = numbers.percentile.tolist()
        band = numbers.band.tolist()
        certified = numbers.certified.tolist()
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
                "score": _finite(score[i]),
                "percentile": _finite(percentile[i]),
                "band": band[i],
                "reasons": reasons[i] if reasons is not None else [],
                "schemes": verdicts[i],
                "model": self.model_info,
            }
            if row_numbers is not None:
                result["row"] = row_numbers[i]
            results.append(result)
        return results

    def _explain(
        self, columns: Columns, X: np.ndarray, numbers: ScoreArrays, top: int
    ) -> list[list[dict[str, Any]]]:
        contributions = self.bundle.contributions(X, num_threads=1)
        medians = self._medians.for_industries(columns["industry"])
        reasons = self._reasons.build(contributions, X, medians, top=top)
        # Certified firms are not scored, so nothing is explained either.
        for i in np.flatnonzero(numbers.certified):
            reasons[i] = []
        return reasons

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
        if not records:
            return BatchScores([], [], 0)
        frame = pd.DataFrame.from_records(list(records))
        validated = validate_frame(frame)
        errors = [
            {"index": int(e.row), "field": e.field, "message": e.message, "value": e.value}
            for e in validated.errors
        ]
        refused = {int(e.row) for e in validated.errors}
        results: list[dict[str, Any]] = []
        if len(validated.rows):
            results = self.score_columns(
                validated.columns, explain=explain, top_reasons=top_reasons, schemes=schemes
            )
            for result, index in zip(results, validated.rows.tolist(), strict=True):
                result["index"] = int(index)
        return BatchScores(results, errors, len(refused))

    def rank_chunks(
        self,
        chunks: Iterable[tuple[int, pd.DataFrame]],
        *,
        column_map: Mapping[str, str] | None = None,
        explain: bool = False,
        top_reasons: int = 5,
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

        Returns
        -------
        RankedScores
            Scores of every valid row (compact arrays) and every row error; the
            per-firm dicts are built on demand, in rank order.
        """
        parts: list[Columns] = []
        row_parts: list[np.ndarray] = []
        score_parts: list[ScoreArrays] = []
        errors: list[RowError] = []
        n_rows = 0
        for offset, frame in chunks:
            n_rows = max(n_rows, offset + len(frame))
            validated = validate_frame(frame, row_offset=offset, mapping=column_map)
            errors.extend(validated.errors)
            if len(validated.rows):
                parts.append(validated.columns)
                row_parts.append(np.asarray(validated.rows, dtype=np.int64))
                score_parts.append(self.score_arrays(validated.columns))
        return RankedScores(
            self,
            columns=_concat_columns(parts),
            rows=np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64),
            numbers=_concat_numbers(score_parts),
            errors=errors,
            n_rows=n_rows,
            explain=explain,
            top_reasons=top_reasons,
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
        ``features.validate.RowError`` per problem of a bad row.
    order
        Positions of the valid rows in rank order.
    """

    def __init__(
        self,
        scorer: Scorer,
        *,
        columns: Columns,
        rows: np.ndarray,
        numbers: ScoreArrays,
        errors: list[RowError],
        n_rows: int,
        explain: bool,
        top_reasons: int,
    ) -> None:
        self.scorer = scorer
        self.columns = columns
        self.rows = rows
        self.numbers = numbers
        self.errors = errors
        self.n_rows = n_rows
        self.explain = explain
        self.top_reasons = top_reasons
        self.order = _rank_order(numbers)
        self.n_candidates = int((~numbers.certified).sum())

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

    def iter_blocks(self, block_rows: int = _BLOCK_ROWS) -> Iterator[list[dict[str, Any]]]:
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

    def iter_results(self, block_rows: int = _BLOCK_ROWS) -> Iterator[dict[str, Any]]:
        """Yield the score results one by one, in rank order."""
        for block in self.iter_blocks(block_rows):
            yield from block

    def results(self) -> list[dict[str, Any]]:
        """All score results in rank order (holds them all: prefer iter_blocks for big files)."""
        return list(self.iter_results())


def _rank_order(numbers: ScoreArrays) -> np.ndarray:
    """Candidates by descending score (stable), then certified firms in input order."""
    candidates = np.flatnonzero(~numbers.certified)
    certified = np.flatnonzero(numbers.certified)
    by_score = candidates[np.argsort(-numbers.score[candidates], kind="stable")]
    return np.concatenate([by_score, certified]).astype(np.intp)


def _n_rows(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def _concat_columns(parts: list[Columns]) -> dict[str, np.ndarray]:
    if not parts:
        return {}
    if len(parts) == 1:
        return dict(parts[0])
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _concat_numbers(parts: list[ScoreArrays]) -> ScoreArrays:
    if not parts:
        empty = np.zeros(0, dtype=np.float64)
        return ScoreArrays(empty, empty, np.zeros(0, dtype=object), np.zeros(0, dtype=bool))
    return ScoreArrays(
        score=np.concatenate([p.score for p in parts]),
        percentile=np.concatenate([p.percentile for p in parts]),
        band=np.concatenate([p.band for p in parts]),
        certified=np.concatenate([p.certified for p in parts]),
    )


def _finite(value: float) -> float | None:
    return value if value == value and abs(value) != float("inf") else None


def _float_or_none(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return _finite(number)


class _MedianTable:
    """Industry medians of the model's features, for the reasons' "beside the median".

    Industry-relative features (a difference to the median) get none: their reason
    is told through the source feature, which has one.
    """

    def __init__(self, bundle: ModelBundle) -> None:
        baseline = bundle.pipeline.baseline
        fitted = set(baseline.feature_names)
        relative = {spec.name for spec in FEATURES if spec.baseline_of}
        self._baseline = baseline
        self._n_features = len(bundle.feature_names)
        self._columns = np.array(
            [
                j
                for j, name in enumerate(bundle.feature_names)
                if name in fitted and name not in relative
            ],
            dtype=np.intp,
        )
        self._names = [bundle.feature_names[j] for j in self._columns]

    def for_industries(self, industries: np.ndarray) -> np.ndarray:
        """Return the ``(n, n_features)`` medians for each row's industry code."""
        out = np.full((len(industries), self._n_features), np.nan, dtype=np.float64)
        if len(industries) and len(self._names):
            out[:, self._columns] = self._baseline.medians_matrix(self._names, industries)
        return out
