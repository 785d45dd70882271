"""API-key checks for the /v1 routes.

When ``SRDI_API_KEY`` is set every /v1 route needs it, sent either as
``X-API-Key: <key>`` or ``Authorization: Bearer <key>``; without it they are open.
Admin routes always need a key, so with none configured they are refused (403) with
a message saying how to configure one.

The checks read the two headers themselves rather than through FastAPI's security
classes: each dependency costs a measurable share of a scoring request, and the
OpenAPI document gets its security schemes from :mod:`serving.api.openapi` instead.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.exceptions import HTTPException

from srdi.core.settings import Settings

__all__ = [
    "API_KEY_HEADER",
    "require_admin_key",
    "require_api_key",
    "require_api_key_on_v1",
]

API_KEY_HEADER = "X-API-Key"
_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="srdi"'}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _presented_key(request: Request) -> str:
    header_key = request.headers.get(API_KEY_HEADER)
    if header_key:
        return header_key
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def _check(request: Request, expected: str) -> None:
    presented = _presented_key(request)
    if not presented:
        raise HTTPException(
            401,
            "this service requires an API key: send X-API-Key or Authorization: Bearer",
            headers=_UNAUTHORIZED_HEADERS,
        )
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(401, "invalid API key", headers=_UNAUTHORIZED_HEADERS)


async def require_api_key(request: Request) -> None:
    """Refuse the request (401) when a key is configured and not presented correctly."""
    expected = _settings(request).api_key
    if expected is not None:
        _check(request, expected)


async def require_admin_key(request: Request) -> None:
    """Admin routes: refuse (403) when no key is configured, 401 on a wrong or missing key."""
    expected = _settings(request).api_key
    if expected is None:
        raise HTTPException(
            403,
            "admin routes are disabled because no API key is configured: "
            "set SRDI_API_KEY (12+ characters) and restart the service",
        )
    _check(request, expected)


async def require_api_key_on_v1(request: Request) -> None:
    """:func:`require_api_key` for /v1 paths only (routers mixing the page and /v1)."""
    if request.url.path.startswith("/v1/"):
        await require_api_key(request)
