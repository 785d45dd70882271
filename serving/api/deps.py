"""Request dependencies as ``Annotated`` aliases, so routes stay one-liners and
tests can swap any of them through ``app.dependency_overrides``.

They are ``async`` on purpose: FastAPI runs plain-``def`` dependencies in a worker
thread, which would cost more than the scoring itself on the hot path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from serving.api.access_log import MODEL_SCOPE_KEY
from serving.api.metrics import Metrics
from serving.scoring.coalesce import RecordCoalescer
from serving.scoring.model_holder import ModelHolder
from serving.scoring.scorer import Scorer
from srdi.core.settings import Settings

if TYPE_CHECKING:
    from serving.page.store import ScreenStore

__all__ = [
    "CoalescerDep",
    "HolderDep",
    "MetricsDep",
    "ScorerDep",
    "ScoringContext",
    "ScoringDep",
    "SettingsDep",
    "get_coalescer",
    "get_holder",
    "get_metrics",
    "get_scorer",
    "get_scoring",
    "get_settings",
    "screen_slot",
    "screen_store",
]


async def get_settings(request: Request) -> Settings:
    """The settings object the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_holder(request: Request) -> ModelHolder:
    """The app's model holder."""
    holder: ModelHolder = request.app.state.holder
    return holder


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics collectors."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_coalescer(request: Request) -> RecordCoalescer:
    """The app's coalescer of concurrent single-record requests."""
    coalescer: RecordCoalescer = request.app.state.coalescer
    return coalescer


async def get_scorer(
    request: Request, holder: Annotated[ModelHolder, Depends(get_holder)]
) -> Scorer:
    """The scorer in service for this request (503 when none is loaded).

    Taken once per request: a reload during the request does not change it. Its name
    and version go into the request's access log line.
    """
    scorer = holder.current()
    request.scope[MODEL_SCOPE_KEY] = scorer.model_info
    return scorer


@dataclass(frozen=True)
class ScoringContext:
    """What a scoring route needs, resolved as one dependency (each one has a cost)."""

    scorer: Scorer
    coalescer: RecordCoalescer
    metrics: Metrics


async def get_scoring(
    request: Request, holder: Annotated[ModelHolder, Depends(get_holder)]
) -> ScoringContext:
    """The scorer in service (503 when none), the coalescer and the metrics."""
    state = request.app.state
    scorer = holder.current()
    request.scope[MODEL_SCOPE_KEY] = scorer.model_info
    return ScoringContext(scorer, state.coalescer, state.metrics)


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[ModelHolder, Depends(get_holder)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ScorerDep = Annotated[Scorer, Depends(get_scorer)]
CoalescerDep = Annotated[RecordCoalescer, Depends(get_coalescer)]
ScoringDep = Annotated[ScoringContext, Depends(get_scoring)]


def screen_store(request: Request) -> ScreenStore:
    """Where page screens are kept for their firm details (shared by every worker)."""
    store: ScreenStore = request.app.state.screens
    return store


@asynccontextmanager
async def screen_slot(request: Request) -> AsyncIterator[None]:
    """Hold one of the worker's ``max_concurrent_screens`` slots while an upload is ranked.

    Ranking holds a file's validated columns in memory; uploads beyond the slots wait
    their turn (their bytes are already spooled to disk), so parallel uploads cannot
    add up to more memory than that many screens.
    """
    slots: asyncio.Semaphore = request.app.state.screen_slots
    async with slots:
        yield
