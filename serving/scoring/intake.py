"""Input records to validated columns, with every refused record's problems named.

The scorer takes one record, a list of records (``POST /v1/score/batch``) or a table
in chunks; this module turns a list of records into the columns of the valid ones
and the API's error entries for the others (``index`` = the record's position), so
good records are scored even when others are refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.columns import Columns
from features.validate import RowError, validate_frame

__all__ = ["BatchScores", "ValidatedRecords", "record_errors", "validate_records"]


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


@dataclass(frozen=True)
class ValidatedRecords:
    """A list of records after validation.

    Attributes
    ----------
    columns
        Columns of the valid records, in input order.
    indices
        Position in the input of each valid record.
    errors
        ``{"index", "field", "message", "value"}`` per problem of a refused record.
    n_refused
        Number of records refused.
    """

    columns: Columns
    indices: np.ndarray
    errors: list[dict[str, Any]]
    n_refused: int


def validate_records(records: Sequence[Mapping[str, Any]]) -> ValidatedRecords:
    """Validate a list of input records (contract field names), vectorized.

    Parameters
    ----------
    records
        Input records; may be empty.
    """
    if not records:
        return ValidatedRecords({}, np.zeros(0, dtype=np.int64), [], 0)
    validated = validate_frame(pd.DataFrame.from_records(list(records)))
    return ValidatedRecords(
        columns=validated.columns,
        indices=np.asarray(validated.rows, dtype=np.int64),
        errors=record_errors(validated.errors),
        n_refused=len({int(e.row) for e in validated.errors}),
    )


def record_errors(errors: Iterable[RowError]) -> list[dict[str, Any]]:
    """Row errors as the API's entries: ``{"index", "field", "message", "value"}``."""
    return [
        {"index": int(e.row), "field": e.field, "message": e.message, "value": e.value}
        for e in errors
    ]
