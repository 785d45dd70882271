"""Request limits: body size, batch length, upload size and rows.

Each limit is a field of :class:`srdi.core.settings.Settings` and each refusal names it,
so an operator knows which environment variable to raise.

Body size is enforced by :class:`BodySizeLimit`, a pure ASGI middleware that counts
bytes as they arrive (and refuses early on a ``Content-Length`` over the limit),
so an oversized body is never held whole. Multipart uploads get
``max_upload_bytes``; everything else ``max_body_bytes``.
"""

from __future__ import annotations

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from features.io import TableLimitError, XlsxLimits
from serving.api.errors import BadInputError, LimitExceededError
from srdi.core.settings import Settings

__all__ = [
    "BodySizeLimit",
    "BodyTooLargeError",
    "check_batch_length",
    "check_upload_rows",
    "table_limit_error",
    "xlsx_limits",
]

# XlsxLimits field -> the setting that holds it (the others are fixed: their messages
# say how to get under them).
_XLSX_SETTINGS = {
    "max_xlsx_unpacked_bytes": "max_xlsx_unpacked_bytes",
    "max_xlsx_ratio": "max_xlsx_ratio",
    "max_rows": "max_upload_rows",
    "max_columns": "max_upload_columns",
}


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when the body grows past its limit.

    It is an ``HTTPException`` on purpose: FastAPI re-raises those unchanged while it
    parses a body (any other exception there becomes a generic 400).
    """

    def __init__(self, setting: str, limit: int) -> None:
        detail = LimitExceededError(setting, limit, what="request body", unit="bytes").message
        super().__init__(status_code=413, detail=detail)
        self.setting = setting
        self.limit = limit


class BodySizeLimit:
    """ASGI middleware refusing request bodies above the configured sizes.

    Parameters
    ----------
    app
        The wrapped ASGI application.
    max_body_bytes
        Limit for ordinary bodies (JSON).
    max_upload_bytes
        Limit for ``multipart/form-data`` bodies (file uploads).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    def _limit_for(self, scope: Scope) -> tuple[str, int]:
        for name, value in scope.get("headers", ()):
            if name == b"content-type" and value.startswith(b"multipart/form-data"):
                return "max_upload_bytes", self.max_upload_bytes
        return "max_body_bytes", self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        setting, limit = self._limit_for(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _send_413(send, BodyTooLargeError(setting, limit))
                return

        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(setting, limit)
            return message

        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLargeError as exc:
            # Reached only when a handler read the body outside FastAPI's parsing.
            if started:
                raise
            await _send_413(send, exc)


async def _send_413(send: Send, exc: BodyTooLargeError) -> None:
    body = orjson.dumps({"detail": exc.detail})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def check_batch_length(n_records: int, settings: Settings) -> None:
    """Refuse a batch longer than ``settings.max_batch_records`` (422 naming the limit)."""
    if n_records > settings.max_batch_records:
        raise LimitExceededError(
            "max_batch_records",
            settings.max_batch_records,
            what=f"batch of {n_records:,} records",
            unit="records",
            status_code=422,
        )


def check_upload_rows(n_rows: int, settings: Settings) -> None:
    """Refuse an upload with more than ``settings.max_upload_rows`` data rows (413)."""
    if n_rows > settings.max_upload_rows:
        raise LimitExceededError(
            "max_upload_rows",
            settings.max_upload_rows,
            what=f"upload of more than {settings.max_upload_rows:,} rows",
            unit="rows",
            status_code=413,
        )


def xlsx_limits(settings: Settings) -> XlsxLimits:
    """The bounds on reading an uploaded XLSX file, from the settings."""
    return XlsxLimits(
        max_xlsx_unpacked_bytes=settings.max_xlsx_unpacked_bytes,
        max_xlsx_ratio=settings.max_xlsx_ratio,
        max_rows=settings.max_upload_rows,
        max_columns=settings.max_upload_columns,
    )


def table_limit_error(exc: TableLimitError) -> BadInputError:
    """A 413 naming the reader's limit and, when it is a setting, its variable."""
    setting = _XLSX_SETTINGS.get(exc.limit)
    hint = f" (the service's limit {setting}: set SRDI_{setting.upper()})" if setting else ""
    return BadInputError(f"{exc}{hint}", field="file", status_code=413)
