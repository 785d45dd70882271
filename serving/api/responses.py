"""JSON responses serialized with orjson straight from dicts and numpy values."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

__all__ = ["JSON_MEDIA_TYPE", "dumps", "json_response"]

JSON_MEDIA_TYPE = "application/json"
# NaN and inf become null (orjson's default), numpy scalars and arrays are accepted.
_OPTIONS = orjson.OPT_SERIALIZE_NUMPY


def dumps(content: Any) -> bytes:
    """Serialize ``content`` to JSON bytes."""
    return orjson.dumps(content, option=_OPTIONS)


def json_response(content: Any, status_code: int = 200) -> Response:
    """Return ``content`` as an ``application/json`` response."""
    return Response(dumps(content), status_code=status_code, media_type=JSON_MEDIA_TYPE)
