"""The pydantic model of one input record, generated from :data:`features.fields.FIELDS`.

The API validates every JSON record (``POST /v1/score`` and each record of
``POST /v1/score/batch``) with :class:`CompanyRecord`, and publishes its JSON schema:
types, bounds, spellings, descriptions and examples come from the field
declarations, so the document cannot drift from the validator. The model is the
strict JSON contract:

- numbers are JSON numbers (``"0.5"`` is refused, as the schema's ``type`` says), an
  integer field takes an integral number (``2024`` or ``2024.0``, the JSON Schema
  meaning of ``integer``), yes/no fields are ``true``/``false`` (or ``1``/``0``);
- text is bounded (``maxLength``), ``company_id`` must hold an identifier, and
  ``province`` and ``industry`` take the spellings of :mod:`features.spellings`
  (its regular expressions are the schema's ``pattern``, matched as JSON Schema
  matches them, with Python's ``re``);
- unknown keys are refused.

Cross-field rules (main-business revenue ≤ revenue, …) and the normalization of
province and industry are :func:`features.validate.validate_record`'s, which the API
calls next.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from features.fields import FIELDS, FieldSpec
from features.industries import normalize_industry_value
from features.provinces import normalize_province_value
from features.spellings import (
    IDENTIFIER_PATTERN,
    IDENTIFIER_RE,
    INDUSTRY_RE,
    PROVINCE_RE,
    industry_pattern,
    province_pattern,
)

__all__ = ["MAX_TEXT_CHARS", "CompanyRecord", "example_record", "input_json_schema"]

# Identifiers and names longer than this are garbage, not firms; the bound is in
# the published schema (maxLength) so callers see it before they send.
MAX_TEXT_CHARS = 200


def _integral(value: Any) -> Any:
    """Let ``2024.0`` through as ``2024``: JSON Schema counts it as an integer."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _flag(value: Any) -> Any:
    """Let ``0`` and ``1`` through as ``false`` and ``true`` (the schema lists them)."""
    if type(value) in (int, float) and value in (0, 1):
        return bool(value)
    return value


# A yes/no field: true/false, or 0/1 as data exports often write flags.
_FLAG_SCHEMA = {"anyOf": [{"type": "boolean"}, {"enum": [0, 1]}]}


def _vocabulary_check(
    name: str, pattern: re.Pattern[str], normalize: Any, what: str
) -> AfterValidator:
    def check(value: str) -> str:
        if pattern.search(value) is not None:
            return value
        canonical = normalize(value)
        hint = f"; write {canonical!r}" if canonical is not None else f" ({what})"
        raise PydanticCustomError(
            f"{name}_spelling",
            "{value} is not an accepted {name} spelling{hint}; "
            "the pattern in GET /v1/schema lists them",
            {"value": repr(value[:40]), "name": name, "hint": hint},
        )

    return AfterValidator(check)


def _identifier_check(value: str) -> str:
    if IDENTIFIER_RE.search(value) is not None:
        return value
    raise PydanticCustomError(
        "identifier_blank",
        "{value} is not an identifier: it is blank or a word for an empty cell (NA, null, -)",
        {"value": repr(value[:40])},
    )


_PROVINCE = _vocabulary_check(
    "province",
    PROVINCE_RE,
    normalize_province_value,
    "one of the 31 province-level divisions: pinyin such as 'Zhejiang', Chinese such as "
    "'浙江' or a GB/T 2260 code such as '33'",
)
_INDUSTRY = _vocabulary_check(
    "industry",
    INDUSTRY_RE,
    normalize_industry_value,
    "a GB/T 4754-2017 division code such as 'C39', or its Chinese or English name",
)


def _annotation(spec: FieldSpec) -> Any:
    if spec.is_numeric:
        # Bounds inside the annotation, so that an optional field's schema carries them
        # on its number branch (anyOf number | null) as minimum and maximum.
        bounds = Field(ge=spec.minimum, le=spec.maximum)
        if spec.kind == "int":
            return Annotated[int, bounds, BeforeValidator(_integral)]
        return Annotated[float, bounds, Field(allow_inf_nan=False)]
    if spec.kind == "bool":
        return Annotated[bool, BeforeValidator(_flag), WithJsonSchema(_FLAG_SCHEMA)]
    if spec.kind == "enum":
        return Literal[spec.choices]
    if spec.vocabulary == "province":
        return Annotated[str, _PROVINCE]
    if spec.vocabulary == "industry":
        return Annotated[str, _INDUSTRY]
    if spec.required:
        return Annotated[str, AfterValidator(_identifier_check)]
    return str


def _pattern(spec: FieldSpec) -> str | None:
    if spec.vocabulary == "province":
        return province_pattern()
    if spec.vocabulary == "industry":
        return industry_pattern()
    if spec.kind == "text" and spec.required:
        return IDENTIFIER_PATTERN
    return None


def _field(spec: FieldSpec) -> tuple[Any, Any]:
    annotation = _annotation(spec)
    limits: dict[str, Any] = {}
    if spec.kind == "text":
        limits = {"min_length": 1 if spec.required else 0, "max_length": MAX_TEXT_CHARS}
    pattern = _pattern(spec)
    info = Field(
        ... if spec.required else None,
        description=spec.description + (f" Unit: {spec.unit}." if spec.unit else ""),
        examples=[spec.example] if spec.example is not None else None,
        # The check itself is the field's validator (with a message that names the
        # canonical spelling); the schema states the same pattern.
        json_schema_extra={"pattern": pattern} if pattern else None,
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
        # No coercion from text: "0.5" is not a number, "true" not a boolean.
        strict=True,
        json_schema_extra={"examples": [example_record()]},
    ),
    __doc__="One firm in one fiscal year (money in CNY yuan, shares as 0–1 fractions).",
    **{spec.name: _field(spec) for spec in FIELDS},  # type: ignore[call-overload]
)


def input_json_schema() -> dict[str, Any]:
    """Return the JSON schema of one input record (published by the API)."""
    return CompanyRecord.model_json_schema()
