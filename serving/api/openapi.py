"""The OpenAPI document, adjusted to the errors the app's edge really sends.

FastAPI documents every 422 with its own ``HTTPValidationError`` body, but
:mod:`serving.api.errors` answers every validation error with ``ErrorBody``
(``detail`` + ``errors`` naming field and rule). And two refusals happen before any
route runs, so no route declares them: 401 from the API key on every ``/v1`` route,
and 413 from the body-size limit on every route that takes a body. The API-key
security schemes are declared here too (the checks read the headers directly). This
module rewrites the generated document once so that clients and contract tests see
what is actually sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from features.record_model import CompanyRecord
from serving.api.schemas import BatchRequest, ErrorBody
from serving.api.security import API_KEY_HEADER
from serving.page.routes import ExportRequest

__all__ = ["install_openapi"]

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")
_EDGE_ERRORS = {
    "401": "API key missing or wrong (only when SRDI_API_KEY is set).",
    "413": "The body exceeds max_body_bytes (JSON) or max_upload_bytes (uploads).",
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


# Either header carries the key (serving.api.security).
_SECURITY_SCHEMES = {
    "APIKeyHeader": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
    "HTTPBearer": {"type": "http", "scheme": "bearer"},
}
_KEYED: list[dict[str, list[str]]] = [{"APIKeyHeader": []}, {"HTTPBearer": []}]


# ErrorBody: see above. The others are bodies the routes read themselves
# (serving.api.jsonbody, serving.api.uploads) and refer to from openapi_extra.
_COMPONENTS: tuple[type[BaseModel], ...] = (ErrorBody, CompanyRecord, BatchRequest, ExportRequest)


def _adjust(document: dict[str, Any], *, keyed: bool, max_batch_records: int) -> dict[str, Any]:
    components = document.setdefault("components", {})
    components["securitySchemes"] = dict(_SECURITY_SCHEMES)
    schemas = components.setdefault("schemas", {})
    for model in _COMPONENTS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas.setdefault(model.__name__, schema)
    # The batch limit is a setting; a longer list is refused (422) as the schema says.
    schemas["BatchRequest"]["properties"]["records"]["maxItems"] = max_batch_records
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error_response(
                    "Invalid input: each problem names the field path and the rule broken."
                )
            if path.startswith("/v1/"):
                if "401" not in responses:
                    responses["401"] = _error_response(_EDGE_ERRORS["401"])
                # Admin always needs the key; the rest only when one is configured.
                if keyed or path.startswith("/v1/admin/"):
                    operation["security"] = _KEYED
            if "requestBody" in operation and "413" not in responses:
                responses["413"] = _error_response(_EDGE_ERRORS["413"])
    if "#/components/schemas/HTTPValidationError" not in _refs(document.get("paths", {})):
        for name in _FASTAPI_422:
            schemas.pop(name, None)
    return document


def _refs(node: object) -> set[str]:
    """Every ``$ref`` value under ``node``."""
    if isinstance(node, dict):
        found = {str(node["$ref"])} if "$ref" in node else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the adjusted document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = _adjust(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                ),
                keyed=app.state.settings.api_key is not None,
                max_batch_records=app.state.settings.max_batch_records,
            )
        return app.openapi_schema

    custom: Callable[[], dict[str, Any]] = openapi
    app.openapi = custom  # type: ignore[method-assign]
