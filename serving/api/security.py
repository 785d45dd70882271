"""API-key checks for the /v1 routes, and the security headers of every response.

When ``SRDI_API_KEY`` is set every /v1 route needs it, sent either as
``X-API-Key: <key>`` or ``Authorization: Bearer <key>``; without it they are open.
Admin routes always need a key, so with none configured they are refused (403) with
a message saying how to configure one.

The checks read the two headers themselves rather than through FastAPI's security
classes: each dependency costs a measurable share of a scoring request, and the
OpenAPI document gets its security schemes from :mod:`serving.api.openapi` instead.

:class:`SecurityHeaders` adds to every response (errors and 413s included) a
Content-Security-Policy suited to what the path serves, ``X-Content-Type-Options:
nosniff``, ``X-Frame-Options: DENY`` and ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from srdi.core.settings import Settings

__all__ = [
    "API_KEY_HEADER",
    "CSP_API",
    "CSP_DOCS",
    "CSP_PAGE",
    "SecurityHeaders",
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


# JSON, CSV and files: nothing in them may run, load or be framed.
CSP_API = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The screening page: its own modules, styles, icons and API calls; nothing inline.
CSP_PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Swagger UI and ReDoc: scripts from this origin only; both set style attributes from
# script (React, styled-components), ReDoc searches in a blob: worker.
CSP_DOCS = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_COMMON: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_HEADERS = {
    kind: [*_COMMON, (b"content-security-policy", policy.encode())]
    for kind, policy in (("api", CSP_API), ("page", CSP_PAGE), ("docs", CSP_DOCS))
}


def _kind(path: str) -> str:
    if path == "/" or path.startswith("/static/"):
        return "page"
    if path in ("/docs", "/redoc") or path.startswith("/docs/"):
        return "docs"
    return "api"


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response.

    Parameters
    ----------
    app
        The wrapped ASGI application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _HEADERS[_kind(scope["path"])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
