"""Schemathesis hooks: valid data where the OpenAPI document cannot say what valid is.

``schemathesis.toml`` (at the repository root) loads this file, so ``st run`` from the
checkout and ``tests/api/test_api_schemathesis.py`` generate the same cases. The
document describes every type, bound, spelling, part and media type the server
enforces; two kinds of rule are beyond what a JSON Schema can state, and only for
cases schemathesis generates as *valid* (positive) does this file make the data
obey them:

- the cross-field rules of one record (main-business revenue ≤ revenue, R&D staff ≤
  employees, founded ≤ fiscal year, …): a field that contradicts another is left out
  (unknown), as :func:`features.validate.validate_record` names it;
- the content of an uploaded table: the file part becomes a small table of such
  records in the format its part's media type names (CSV, XLSX or Parquet), instead
  of random bytes or a PNG.

Negative cases, and everything else about positive ones, stay as generated: every
check still judges every response.
"""

from __future__ import annotations

import io
import random
import zlib
from typing import Any

import pandas as pd
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import Binary

from features.fields import FIELDS, FieldSpec
from features.industries import DIVISIONS
from features.spellings import province_spellings
from features.validate import RecordValidationError, validate_record

_UPLOADS = frozenset({"/v1/screen", "/v1/screen/page", "/v1/screen/preview"})
_FORMATS = {
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.apache.parquet": "parquet",
}


# Required fields at the top of their ranges: beside them, a field breaks a rule only
# if it breaks it on its own (every cross-field rule bounds a field by a larger one).
_ROOMY = {
    spec.name: spec.maximum if spec.is_numeric else spec.example for spec in FIELDS if spec.required
}


def _valid(record: dict[str, Any]) -> bool:
    try:
        validate_record(record)
    except RecordValidationError:
        return False
    return True


def consistent(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without the fields that break a cross-field rule of the contract.

    A field is left out only when it is valid on its own (beside required fields at
    the top of their ranges) and refused beside the others: a value refused on its own
    is a disagreement between the document and the server, and stays for the checks to
    report.
    """
    out = dict(record)
    for _ in range(len(out)):
        try:
            validate_record(out)
        except RecordValidationError as error:
            crossed = {
                p.field
                for p in error.errors
                if p.field in out
                and p.field not in _ROOMY
                and _valid({**_ROOMY, p.field: out[p.field]})
            }
            if not crossed:
                return out
            for name in crossed:
                out[name] = None
            continue
        return out
    return out


def _value(spec: FieldSpec, rng: random.Random) -> Any:
    if spec.kind == "bool":
        return rng.random() < 0.5
    if spec.kind == "enum":
        return rng.choice(spec.choices)
    lo = spec.minimum if spec.minimum is not None else 0.0
    hi = spec.maximum if spec.maximum is not None else 1e9
    if spec.kind == "int":
        return rng.randint(int(lo), int(min(hi, lo + 1000)))
    if spec.is_money:
        return round(10 ** rng.uniform(5, 9), 2) * (1 if lo >= 0 or rng.random() < 0.8 else -1)
    return rng.uniform(lo, min(hi, lo + 100))


def random_record(rng: random.Random) -> dict[str, Any]:
    """A record that obeys every rule of the contract, with some fields unknown."""
    record: dict[str, Any] = {
        "company_id": f"ST{rng.randrange(10**9):09d}",
        "fiscal_year": rng.randint(2015, 2025),
        "province": rng.choice(province_spellings()),
        "industry": rng.choice(DIVISIONS).code,
    }
    for spec in FIELDS:
        if spec.name in record:
            continue
        if spec.required or rng.random() < 0.6:
            record[spec.name] = (
                f"企业{rng.randrange(1000)}" if spec.kind == "text" else _value(spec, rng)
            )
    return consistent(record)


def table_bytes(fmt: str, rng: random.Random) -> bytes:
    """A table of one to four valid records in ``fmt`` (csv, xlsx or parquet)."""
    frame = pd.DataFrame([random_record(rng) for _ in range(rng.randint(1, 4))])
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buffer = io.BytesIO()
    if fmt == "xlsx":
        frame.to_excel(buffer, index=False)
    else:
        frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _seed(value: object) -> int:
    data = getattr(value, "data", value)
    return zlib.crc32(data if isinstance(data, bytes) else repr(data).encode())


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Positive cases: consistent records, and readable tables in upload parts."""
    meta = case.meta
    body = meta.components.get(ParameterLocation.BODY) if meta is not None else None
    # The body's own mode: a case negative elsewhere (a bad query value) keeps a valid body.
    if body is None or not body.mode.is_positive or not isinstance(case.body, dict):
        return case
    path = case.operation.path
    if path == "/v1/score":
        case.body = consistent(case.body)
    elif path in _UPLOADS and "file" in case.body:
        chosen = (case.multipart_content_types or {}).get("file", "text/csv")
        fmt = _FORMATS.get(chosen.partition(";")[0].strip(), "csv")
        table = table_bytes(fmt, random.Random(_seed(case.body["file"])))
        # Changed in place, as schemathesis' Binary: a body re-assigned is re-validated,
        # and schemathesis cannot validate file parts, so it would count as invalid.
        case.body["file"] = Binary(table)
    return case
