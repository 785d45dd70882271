"""The pydantic model of one input record, generated from :data:`features.fields.FIELDS`.

FastAPI uses :class:`CompanyRecord` for ``POST /v1/score``: types, bounds,
descriptions and examples come from the field declarations, so the published
JSON schema cannot drift from the validator. Cross-field rules (main-business
revenue ≤ revenue, …) and province/industry normalization are
:func:`features.validate.validate_record`'s, which the API calls next.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from features.fields import FIELDS, FieldSpec

__all__ = ["CompanyRecord", "example_record", "input_json_schema"]


def _annotation(spec: FieldSpec) -> Any:
    if spec.kind == "text":
        return str
    if spec.kind == "int":
        return int
    if spec.kind in ("float", "share"):
        return float
    if spec.kind == "bool":
        return bool
    return Literal[spec.choices]


def _field(spec: FieldSpec) -> tuple[Any, Any]:
    annotation = _annotation(spec)
    limits: dict[str, Any] = {}
    if spec.is_numeric:
        limits = {"ge": spec.minimum, "le": spec.maximum}
        if spec.kind != "int":
            limits["allow_inf_nan"] = False
    if spec.kind == "text":
        limits = {"min_length": 1 if spec.required else 0, "max_length": 200}
    info = Field(
        ... if spec.required else None,
        description=spec.description + (f" Unit: {spec.unit}." if spec.unit else ""),
        examples=[spec.example] if spec.example is not None else None,
        **limits,
    )
    return (annotation if spec.required else annotation | None), info


def example_record() -> dict[str, Any]:
    """Return a complete, valid example record (the template's example row)."""
    return {spec.name: spec.example for spec in FIELDS}


CompanyRecord: type[BaseModel] = create_model(
    "CompanyRecord",
    __config__=ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [example_record()]},
    ),
    __doc__="One firm in one fiscal year (money in CNY yuan, shares as 0–1 fractions).",
    **{spec.name: _field(spec) for spec in FIELDS},  # type: ignore[call-overload]
)


def input_json_schema() -> dict[str, Any]:
    """Return the JSON schema of one input record (published by the API)."""
    return CompanyRecord.model_json_schema()
