"""The FastAPI application factory.

``create_app(settings)`` builds the app; nothing happens at import time. The
lifespan loads ``models:/<registered_model>@<champion_alias>`` into a
:class:`~serving.scoring.model_holder.ModelHolder`; with no champion the app still starts,
``/readyz`` answers 503 and scoring routes answer 503 with how to train one. With
``reload_interval_s > 0`` a background task follows the champion alias.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from serving.api import docs
from serving.api.access_log import AccessLogMiddleware
from serving.api.errors import install_error_handlers
from serving.api.lifecycle import Lifecycle, drain_on_sigterm
from serving.api.limits import BodySizeLimit
from serving.api.metrics import (
    DriftCollector,
    Metrics,
    MetricsMiddleware,
    forget_dead_processes,
    multiprocess_dir,
)
from serving.api.openapi import install_openapi
from serving.api.routes import admin, health, meta, score, screen
from serving.api.security import SecurityHeaders, require_api_key_on_v1
from serving.page import routes as page_routes
from serving.page.store import ScreenStore
from serving.scoring.coalesce import RecordCoalescer
from serving.scoring.drift import DriftTracker, ObservedProvider
from serving.scoring.generation import GenerationFollower, ReloadGeneration
from serving.scoring.model_holder import (
    ModelHolder,
    ModelProvider,
    RegistryModelProvider,
    ReloadOutcome,
    watch_champion,
)
from srdi.core.settings import Settings

__all__ = ["create_app"]

_log = logging.getLogger("serving")


_DESCRIPTION = """\
Scores Chinese SMEs on their potential to be certified "specialized, refined,
distinctive, innovative" (专精特新): a calibrated probability, its percentile and band,
the reasons by feature family, and every certification scheme's verdict criterion
by criterion (China's three tiers and the peer schemes abroad).

When the service has an API key (`SRDI_API_KEY`), send it as `X-API-Key` or
`Authorization: Bearer` on every `/v1` route.
"""


def create_app(settings: Settings, model_provider: ModelProvider | None = None) -> FastAPI:
    """Build the scoring service.

    Parameters
    ----------
    settings
        The service's settings (limits, API key, tracking URI, reload interval).
    model_provider
        Where models come from; defaults to the MLflow registry champion. Tests
        pass a provider of a local bundle.

    Returns
    -------
    fastapi.FastAPI
    """
    drift = DriftTracker(
        window=settings.drift_window,
        directory=settings.runtime_dir / "drift" if settings.runtime_dir else None,
    )
    provider = model_provider or RegistryModelProvider(settings)
    holder = ModelHolder(ObservedProvider(provider, drift))
    metrics = Metrics(multiprocess=multiprocess_dir())
    metrics.add_computed(DriftCollector(drift.view))
    lifecycle = Lifecycle()
    generation = ReloadGeneration(settings.runtime_dir) if settings.runtime_dir else None

    def record(outcome: ReloadOutcome) -> None:
        metrics.record_reload(outcome.swapped, outcome.model)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if metrics.multiprocess is not None:
            forget_dead_processes(metrics.multiprocess)
        outcome = await asyncio.to_thread(holder.reload)
        record(outcome)
        if outcome.model is None:
            _log.warning("no model in service: %s", outcome.problem)
        # Everything alive now (libraries, the model) lives as long as the process:
        # moved out of the collector's generations, a full collection no longer walks
        # those millions of objects in the middle of a request (the p99 spikes).
        gc.freeze()
        tasks = []
        if settings.reload_interval_s > 0:
            tasks.append(asyncio.create_task(watch_champion(holder, settings.reload_interval_s)))
        if generation is not None:
            follower = GenerationFollower(holder, generation, on_reload=record)
            await asyncio.to_thread(follower.report)
            app.state.follower = follower
            tasks.append(asyncio.create_task(follower.run()))
        if drift.directory is not None:
            tasks.append(asyncio.create_task(drift.run()))
        restore = drain_on_sigterm(lifecycle, settings.drain_seconds, asyncio.get_running_loop())
        try:
            yield
        finally:
            restore()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if generation is not None:
                generation.forget(os.getpid())
            drift.forget()
            metrics.close()

    app = FastAPI(
        title="SRDI scoring service",
        version="1",
        description=_DESCRIPTION,
        lifespan=lifespan,
        # /docs and /redoc come from serving.api.docs (assets from the package, no CDN);
        # operation ids are the route functions' names (what generated clients call).
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
        openapi_tags=[
            {"name": "score", "description": "Score one firm or a batch."},
            {"name": "screen", "description": "Rank an uploaded candidate file."},
            {"name": "meta", "description": "The model, the rule tables, the input contract."},
            {"name": "admin", "description": "Operations that need the API key."},
            {"name": "operations", "description": "Health, readiness and metrics."},
        ],
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.metrics = metrics
    app.state.lifecycle = lifecycle
    app.state.generation = generation
    app.state.follower = None
    app.state.coalescer = RecordCoalescer(on_call=metrics.coalesced.observe)
    app.state.screens = ScreenStore(
        settings.resolve(settings.screens_dir),
        ttl_s=settings.screen_ttl_s,
        max_session_bytes=settings.max_screen_bytes_per_session,
        max_total_bytes=settings.max_screen_bytes_total,
    )
    app.state.screen_slots = asyncio.Semaphore(settings.max_concurrent_screens)
    install_error_handlers(app)
    for module in (score, screen, meta, admin, health, docs):
        app.include_router(module.router)
    _add_page(app)
    install_openapi(app)
    # Added last = outermost: metrics see every response, including 413s.
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(AccessLogMiddleware, enabled=settings.access_log)
    app.add_middleware(SecurityHeaders)
    return app


def _add_page(app: FastAPI) -> None:
    """Serve the screening page; its /v1 helpers follow the API-key rule, the page stays public."""
    app.include_router(page_routes.router, dependencies=[Depends(require_api_key_on_v1)])
