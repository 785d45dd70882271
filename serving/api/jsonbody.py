"""JSON request bodies: required as ``application/json``, validated straight from the bytes.

:func:`validated_body` validates the raw bytes with the route's pydantic model in
one pydantic-core call. FastAPI's generic body handling (content-type parsing, a
decoded ``dict``, then model validation) cost about as much as scoring a record
without its schemes; the routes document their bodies through ``openapi_extra``
(:func:`json_body_openapi`) instead.

Only ``Content-Type: application/json`` is read (415 otherwise). A browser may send a
``text/plain`` POST to any origin without asking first (a CORS "simple" request);
requiring the JSON media type makes every cross-origin JSON call go through the CORS
preflight, which this service does not grant.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from serving.api.errors import BadInputError

__all__ = ["json_body_openapi", "require_json", "validated_body", "validated_large_body"]

ModelT = TypeVar("ModelT", bound=BaseModel)

_JSON = "application/json"


def require_json(request: Request) -> None:
    """Refuse (415) a body that is not declared ``application/json``.

    Raises
    ------
    serving.api.errors.BadInputError
        With status 415, naming the media type that was sent.
    """
    sent = request.headers.get("content-type", "")
    if sent.partition(";")[0].strip().lower() != _JSON:
        raise BadInputError(
            f"send the body as JSON with Content-Type: {_JSON} "
            f"(got {sent[:60] or 'no Content-Type'})",
            field="content-type",
            status_code=415,
        )


async def validated_body(request: Request, model: type[ModelT]) -> ModelT:
    """Validate the request body's JSON bytes as ``model``.

    Raises
    ------
    serving.api.errors.BadInputError
        415 when the body is not ``application/json``.
    fastapi.exceptions.RequestValidationError
        As FastAPI raises it for a body parameter: every location starts with
        ``"body"``, so the service's 422 answers are the same.
    """
    require_json(request)
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]
        raise RequestValidationError(errors) from None


async def validated_large_body(request: Request, model: type[ModelT]) -> ModelT:
    """:func:`validated_body` for large bodies of loosely typed parts (a batch).

    orjson decodes a thousand records about three times faster than pydantic's JSON
    parser builds them as ``Any``; the model then checks the decoded value. A body
    orjson refuses (an integer beyond 64 bits, which JSON allows) goes to pydantic's
    parser, so the answer is the same as :func:`validated_body`'s.
    """
    require_json(request)
    raw = await request.body()
    try:
        decoded = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return await validated_body(request, model)
    try:
        return model.model_validate(decoded)
    except ValidationError as exc:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]
        raise RequestValidationError(errors) from None


def json_body_openapi(
    schema: dict[str, Any] | type[BaseModel], examples: dict[str, Any]
) -> dict[str, Any]:
    """The ``openapi_extra`` documenting a required JSON body with examples.

    Parameters
    ----------
    schema
        A model (referred to as ``#/components/schemas/<name>``; :mod:`serving.api.openapi`
        adds it to the components) or a schema written out.
    examples
        OpenAPI ``examples`` (name → ``{"summary", "value"}``).
    """
    if isinstance(schema, type):
        schema = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {
        "requestBody": {
            "required": True,
            "content": {_JSON: {"schema": schema, "examples": examples}},
        }
    }
