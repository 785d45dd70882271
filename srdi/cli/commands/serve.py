"""``srdi serve``: run the scoring API and the screening page with uvicorn workers."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default: SRDI_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: SRDI_PORT, 8000).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: SRDI_WORKERS, else one per core)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[
        bool | None,
        typer.Option(help="One JSON line per request on stdout (default: SRDI_ACCESS_LOG, on)."),
    ] = None,
) -> None:
    """Serve the API (docs at /docs) and the screening page.

    Worker processes share no memory: page screens live under SRDI_SCREENS_DIR, a
    reload reaches every worker, /metrics adds up all of them. SIGTERM drains for
    SRDI_DRAIN_SECONDS (/readyz at 503), then finishes the requests in flight.
    """
    from serving.server import default_workers
    from serving.server import serve as run_server
    from srdi.core.settings import load_settings

    settings = load_settings()
    if access_log is not None:
        settings = settings.model_copy(update={"access_log": access_log})
    run_server(
        settings,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers or default_workers(),
        log_level=log_level,
    )


def register(app: typer.Typer) -> None:
    """Add the ``serve`` verb to the ``srdi`` command line."""
    app.command("serve")(serve)
