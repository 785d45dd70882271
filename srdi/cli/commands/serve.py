"""``srdi serve``: run the scoring API and the screening page with uvicorn."""

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
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs throughput under load).")
    ] = True,
) -> None:
    """Serve the API (docs at /docs) and the screening page, one process."""
    import uvicorn

    from serving.app import create_app
    from srdi.core.settings import load_settings

    settings = load_settings()
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=log_level,
        access_log=access_log,
        workers=1,
    )


def register(app: typer.Typer) -> None:
    """Add the ``serve`` verb to the ``srdi`` command line."""
    app.command("serve")(serve)
