"""One JSON line per request, with a request id that follows the request.

The id comes from the caller's ``X-Request-ID`` when it is a sane token (1-128
letters, digits and ``._:-``), otherwise one is made; either way it is echoed in the
response's ``X-Request-ID`` header, so a caller, a proxy and our log speak of the same
request. The line (logger ``srdi.access``, level INFO) carries the method, the path
(without the query string, which may hold a column map), the status, the latency in
milliseconds, the model name and version that answered (``null`` for requests that use
no model) and the worker's pid::

    {"ts": "2026-01-01T12:00:00.123Z", "request_id": "...", "method": "POST",
     "path": "/v1/score", "status": 200, "ms": 3.1, "model": "srdi-potential@4", "pid": 812}
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MODEL_SCOPE_KEY", "REQUEST_ID_HEADER", "AccessLogMiddleware"]

REQUEST_ID_HEADER = "X-Request-ID"
# Routes that use a model put its name/version under this scope key (serving.api.deps).
MODEL_SCOPE_KEY = "srdi.model"
_VALID_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_HEADER = REQUEST_ID_HEADER.lower().encode()


class AccessLogMiddleware:
    """Pure ASGI middleware: request id in and out, one JSON log line per request.

    Parameters
    ----------
    app
        The wrapped ASGI application.
    logger
        Where the lines go (``srdi.access`` by default).
    enabled
        ``False`` keeps the request id but writes no line.
    """

    def __init__(
        self, app: ASGIApp, *, logger: logging.Logger | None = None, enabled: bool = True
    ) -> None:
        self.app = app
        self.logger = logger or logging.getLogger("srdi.access")
        self.enabled = enabled
        self.pid = os.getpid()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _request_id(scope)
        status = 500

        async def tagged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", ()))
                headers.append((_HEADER, request_id))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, tagged_send)
        finally:
            if self.enabled and self.logger.isEnabledFor(logging.INFO):
                self._log(scope, request_id, status, time.perf_counter() - start)

    def _log(self, scope: Scope, request_id: bytes, status: int, seconds: float) -> None:
        model = scope.get(MODEL_SCOPE_KEY)
        line = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": request_id.decode(),
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "ms": round(seconds * 1e3, 2),
            "model": f"{model['name']}@{model['version']}" if model else None,
            "pid": self.pid,
        }
        self.logger.info(orjson.dumps(line).decode())


def _request_id(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == _HEADER:
            if _VALID_ID.fullmatch(value):
                return bytes(value)
            break  # not a token we repeat into our log and headers: make our own
    return uuid.uuid4().hex.encode()
