"""API-key checks for the /v1 routes.

When ``SRDI_API_KEY`` is set every /v1 route needs it, sent either as
``X-API-Key: <key>`` or ``Authorization: Bearer <key>``; without it they are open.
Admin routes always need a key, so with none configured they are refused (403) with
a message saying how to configure one.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from srdi.settings import Settings

__all__ = ["require_admin_key", "require_api_key", "require_api_key_on_v1"]

_api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="The service's key (SRDI_API_KEY); needed only when one is configured.",
)
_bearer = HTTPBearer(
    auto_error=False, description="Alternative to X-API-Key: `Authorization: Bearer <key>`."
)

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="srdi"'}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _presented_key(header_key: str | None, bearer: HTTPAuthorizationCredentials | None) -> str:
    if header_key:
        return header_key
    if bearer is not None and bearer.scheme.lower() == "bearer":
        return bearer.credentials
    return ""


def _matches(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())


async def require_api_key(
    request: Request,
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the request (401) when a key is configured and not presented correctly."""
    expected = _settings(request).api_key
    if expected is None:
        return
    presented = _presented_key(header_key, bearer)
    if not presented:
        raise HTTPException(
            401,
            "this service requires an API key: send X-API-Key or Authorization: Bearer",
            headers=_UNAUTHORIZED_HEADERS,
        )
    if not _matches(presented, expected):
        raise HTTPException(401, "invalid API key", headers=_UNAUTHORIZED_HEADERS)


async def require_admin_key(
    request: Request,
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Admin routes: refuse (403) when no key is configured, 401 on a wrong or missing key."""
    if _settings(request).api_key is None:
        raise HTTPException(
            403,
            "admin routes are disabled because no API key is configured: "
            "set SRDI_API_KEY (12+ characters) and restart the service",
        )
    await require_api_key(request, header_key, bearer)


async def require_api_key_on_v1(
    request: Request,
    header_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """:func:`require_api_key` for /v1 paths only (routers mixing the page and /v1)."""
    if request.url.path.startswith("/v1/") or request.url.path == "/v1":
        await require_api_key(request, header_key, bearer)
