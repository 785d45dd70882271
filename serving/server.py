"""Running the service: uvicorn with one process or N worker processes sharing only files.

``srdi serve --workers N`` runs uvicorn's own process manager (a parent that starts N
worker processes on one listening socket, restarts any that dies, and on SIGTERM stops
them gracefully). Each worker builds the app from the environment (:func:`worker_app`)
and loads the model itself. What the workers share lives in files:

- a runtime directory made for this run (``SRDI_RUNTIME_DIR``, removed at exit): the
  reload generation and the workers' states (:mod:`serving.scoring.generation`), and
  Prometheus' multiprocess values (``PROMETHEUS_MULTIPROC_DIR`` = its ``metrics``
  folder, set before any worker imports prometheus_client);
- the page's screens under the data directory (``SRDI_SCREENS_DIR``,
  :mod:`serving.page.store`).

Logs: uvicorn's own lines on stderr, one JSON line per request on stdout
(:mod:`serving.api.access_log`).
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from srdi.core.settings import Settings

__all__ = ["default_workers", "log_config", "serve", "worker_app"]


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration plus the JSON access lines and the service's logs."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["srdi_access"] = {
        "class": "logging.StreamHandler",
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["srdi.access"] = {
        "handlers": ["srdi_access"],
        "level": "INFO",
        "propagate": False,
    }
    config["loggers"]["serving"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn factory): settings from the environment."""
    from serving.app import create_app
    from srdi.core.settings import load_settings

    return create_app(load_settings())


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
) -> None:
    """Serve the API and the page until stopped (SIGTERM or Ctrl-C).

    Parameters
    ----------
    settings
        The service's settings; with several workers, each worker reads them again
        from the environment (the same variables), plus the runtime directory.
    host, port
        Where to listen.
    workers
        Worker processes; 1 serves in this process.
    log_level
        uvicorn's log level.
    """
    import uvicorn

    from serving.app import create_app

    parent = settings.runtime_dir
    if parent is not None:
        Path(parent).mkdir(parents=True, exist_ok=True)
    runtime = Path(tempfile.mkdtemp(prefix="srdi-serve-", dir=parent))
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": log_config(log_level),
        "access_log": False,  # ours, in JSON, replaces uvicorn's
        "timeout_graceful_shutdown": settings.graceful_timeout_s,
    }
    try:
        if workers == 1:
            app = create_app(settings.model_copy(update={"runtime_dir": runtime}))
            uvicorn.run(app, **options)
            return
        metrics = runtime / "metrics"
        metrics.mkdir()
        # The workers are new interpreters started by uvicorn: they inherit these.
        os.environ["SRDI_RUNTIME_DIR"] = str(runtime)
        os.environ["SRDI_ACCESS_LOG"] = "true" if settings.access_log else "false"
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        uvicorn.run("serving.server:worker_app", factory=True, workers=workers, **options)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
