"""GET /v1/model, /v1/schemes, /v1/schema: what is served and what it expects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from features.fields import FIELDS, REQUIRED_FIELDS, csv_template
from features.record_model import input_json_schema
from features.rules import rule_tables
from serving.api.deps import ScorerDep
from serving.api.query import StrictQueryRoute
from serving.api.responses import json_response
from serving.api.schemas import ModelDescription, SchemaBody, SchemesBody, error_responses
from serving.api.security import require_api_key

__all__ = ["router"]

router = APIRouter(
    prefix="/v1",
    tags=["meta"],
    dependencies=[Depends(require_api_key)],
    route_class=StrictQueryRoute,
)


@router.get(
    "/model",
    response_class=Response,
    responses={
        200: {"model": ModelDescription, "description": "The model in service."},
        **error_responses(401, 503),
    },
)
async def model(scorer: ScorerDep) -> Response:
    """The model in service: name, version, trained-at, metrics, features, rule-table versions."""
    return json_response(scorer.describe())


@router.get(
    "/schemes",
    response_class=Response,
    responses={
        200: {"model": SchemesBody, "description": "Every scheme's versioned rule table."},
        **error_responses(401),
    },
)
async def schemes() -> Response:
    """The certification schemes' rule tables as data (criteria, bands, points, versions)."""
    return json_response({"schemes": rule_tables()})


def _field_entry(spec: Any) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "unit": spec.unit,
        "required": spec.required,
        "minimum": spec.minimum,
        "maximum": spec.maximum,
        "choices": list(spec.choices) if spec.choices else None,
        "description": spec.description,
        "example": spec.example,
        "aliases": list(spec.aliases),
    }


@router.get(
    "/schema",
    response_model=SchemaBody,
    responses=error_responses(401),
)
async def schema() -> dict[str, Any]:
    """The input contract: a record's JSON schema, every field, and the CSV template."""
    return {
        "json_schema": input_json_schema(),
        "fields": [_field_entry(spec) for spec in FIELDS],
        "required": list(REQUIRED_FIELDS),
        "csv_template": csv_template(),
    }
