"""Errors of the scoring service, and the one place they become HTTP responses.

Exception tree (plain exceptions; only :func:`install_error_handlers` knows HTTP)::

    ServingError
    ├── ModelUnavailableError   no model loaded (no champion, refused bundle)  → 503
    ├── LimitExceededError      a configured limit was hit                     → 413 / 422
    └── BadInputError           an upload or parameter the service cannot use  → 422 / 415

Domain errors raised by other packages are mapped here too:
``features.validate.RecordValidationError`` (cross-field rules of one record) → 422.

Every error body is JSON ``{"detail": "<one sentence>"}``; 422 bodies add
``"errors": [{"field", "rule", "message", "value"}]`` naming the field path and
the rule broken. Bodies never carry a stack trace or the input schema.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from features.validate import RecordValidationError

__all__ = [
    "BadInputError",
    "FieldProblem",
    "LimitExceededError",
    "ModelUnavailableError",
    "ServingError",
    "error_response",
    "install_error_handlers",
    "problems_from_pydantic",
    "problems_from_record_error",
]

_log = logging.getLogger("serving")

# Offending values are echoed so a caller can find them, but never at length.
_MAX_VALUE_CHARS = 120

FieldProblem = dict[str, Any]


class ServingError(Exception):
    """Base class of the errors the scoring service raises itself."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelUnavailableError(ServingError):
    """No model can answer: none registered as champion, or the bundle was refused."""

    status_code = 503


class LimitExceededError(ServingError):
    """A request exceeded a configured limit (body size, batch length, upload rows).

    Parameters
    ----------
    setting
        Name of the :class:`srdi.core.settings.Settings` field that holds the limit.
    limit
        The limit in force.
    what
        What was measured, e.g. ``"request body"`` or ``"batch"``.
    unit
        Unit of ``limit`` in the message (``"bytes"``, ``"records"``, ``"rows"``).
    status_code
        413 for sizes, 422 for counts inside a well-formed body.
    """

    def __init__(
        self, setting: str, limit: int, *, what: str, unit: str, status_code: int = 413
    ) -> None:
        env = f"SRDI_{setting.upper()}"
        super().__init__(f"{what} exceeds the limit {setting} = {limit:,} {unit} (set {env})")
        self.setting = setting
        self.limit = limit
        self.status_code = status_code


class BadInputError(ServingError):
    """Input the service cannot use: an unreadable upload, a malformed parameter."""

    def __init__(self, message: str, *, field: str | None = None, status_code: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status_code = status_code


def _short(value: object) -> object:
    """Return ``value`` safe to echo: scalars as they are, long text cut short."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value  # larger integers are echoed as text (JSON encoders refuse them)
    text = str(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


def _field_path(loc: Sequence[object]) -> str:
    """Dotted path of a pydantic location without the leading ``body``/``query``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] or parts
    return ".".join(parts) if parts else "body"


def problems_from_pydantic(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """Translate pydantic/FastAPI error dicts into ``{field, rule, message, value}``.

    Parameters
    ----------
    errors
        ``exc.errors()`` of a pydantic ``ValidationError`` or FastAPI
        ``RequestValidationError``.

    Returns
    -------
    list of dict
        One problem per error; ``rule`` is pydantic's error type (e.g.
        ``greater_than_equal``, ``missing``, ``json_invalid``).
    """
    problems = []
    for err in errors:
        problems.append(
            {
                "field": _field_path(err.get("loc", ())),
                "rule": str(err.get("type", "invalid")),
                "message": str(err.get("msg", "invalid value")),
                "value": None if err.get("type") == "missing" else _short(err.get("input")),
            }
        )
    return problems


def problems_from_record_error(exc: RecordValidationError) -> list[FieldProblem]:
    """Translate the feature contract's record errors into problem dicts."""
    problems = []
    for err in exc.errors:
        problems.append(
            {
                "field": str(err.field),
                "rule": "input_contract",
                "message": str(err.message),
                "value": _short(err.value) if err.value != "" else None,
            }
        )
    return problems


def _summary(problems: Sequence[FieldProblem]) -> str:
    head = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{len(problems)} input {noun}: {head}{more}"


def error_response(
    status_code: int,
    detail: str,
    *,
    errors: Sequence[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build the service's JSON error body."""
    body: dict[str, object] = {"detail": detail}
    if errors is not None:
        body["errors"] = list(errors)
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json",
        headers=dict(headers) if headers else None,
    )


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = problems_from_pydantic(exc.errors())
    return error_response(422, _summary(problems), errors=problems)


async def _on_record_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RecordValidationError)
    problems = problems_from_record_error(exc)
    return error_response(422, _summary(problems), errors=problems)


async def _on_serving_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServingError)
    if isinstance(exc, ModelUnavailableError):
        return error_response(503, exc.message, headers={"Retry-After": "30"})
    if isinstance(exc, BadInputError) and exc.status_code == 422:
        field = exc.field or "body"
        problem: FieldProblem = {"field": field, "rule": "input", "message": exc.message}
        return error_response(422, exc.message, errors=[{**problem, "value": None}])
    if isinstance(exc, LimitExceededError) and exc.status_code == 422:
        limit: FieldProblem = {"field": "body", "rule": exc.setting, "message": exc.message}
        return error_response(422, exc.message, errors=[{**limit, "value": None}])
    return error_response(exc.status_code, exc.message)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    return error_response(exc.status_code, detail, headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # The trace goes to the log only; the caller learns that it was our fault.
    _log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error while handling the request; see the server log")


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping from exceptions to JSON error responses on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(RecordValidationError, _on_record_validation)
    app.add_exception_handler(ServingError, _on_serving_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
