"""The records of a batch, held to the record model of ``POST /v1/score`` one by one.

A batch is not refused for one bad record: each record is validated as a
:class:`features.record_model.CompanyRecord` (so unknown keys, text where a number is
expected or a million-character ``company_id`` are refused exactly as the single
route refuses them), the failures become per-index errors, and the rest go on to the
input contract's own checks and the scorer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from features.record_model import CompanyRecord
from serving.api.errors import problems_from_pydantic

__all__ = ["RecordSplit", "split_records"]

# One pydantic-core call for the whole list: when every record is good (the usual
# case) nothing runs per record in Python.
_RECORDS: TypeAdapter[list[Any]] = TypeAdapter(list[CompanyRecord])

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


@dataclass(slots=True)
class RecordSplit:
    """The records that passed the record model, and the problems of the others.

    Attributes
    ----------
    records
        The records that passed, as sent.
    indices
        Each passed record's position in the batch.
    errors
        ``{"index", "field", "message", "value"}`` per problem.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def split_records(records: Sequence[Any]) -> RecordSplit:
    """Validate each record with the record model; keep the good ones in order.

    Parameters
    ----------
    records
        The ``records`` of a batch body, as decoded from JSON.

    Returns
    -------
    RecordSplit
    """
    split = RecordSplit()
    refused: set[int] = set()
    try:
        _RECORDS.validate_python(records)
    except ValidationError as exc:
        for err in exc.errors():
            index, *path = err["loc"]
            assert isinstance(index, int)
            refused.add(index)
            record = records[index]
            if not path:  # the record itself is not an object
                split.errors.append(
                    {
                        "index": index,
                        "field": "record",
                        "message": f"record {index} is {_json_type(record)}, not a JSON object "
                        "of the CompanyRecord fields",
                        "value": None,
                    }
                )
                continue
            (problem,) = problems_from_pydantic([{**err, "loc": tuple(path)}])
            split.errors.append(
                {
                    "index": index,
                    "field": problem["field"],
                    "message": problem["message"],
                    "value": problem["value"],
                }
            )
    for index, record in enumerate(records):
        if index not in refused:
            split.records.append(record)
            split.indices.append(index)
    return split
