"""POST /v1/admin/reload: swap in the current champion without a restart, in every worker."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from serving.api.deps import HolderDep, MetricsDep, SettingsDep
from serving.api.query import StrictQueryRoute
from serving.api.responses import json_response
from serving.api.schemas import ReloadBody, error_responses
from serving.api.security import require_admin_key
from serving.scoring.generation import GenerationFollower, ReloadGeneration, WorkerState

__all__ = ["router"]

router = APIRouter(
    prefix="/v1/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin_key)],
    route_class=StrictQueryRoute,
)


@router.post(
    "/reload",
    response_class=Response,
    responses={
        200: {"model": ReloadBody, "description": "Every worker serves the champion."},
        503: {
            "model": ReloadBody,
            "description": "Loading failed somewhere (or a worker did not answer in time); "
            "the old model keeps serving there. 'workers' says where.",
        },
        **error_responses(401, 403),
    },
)
async def reload_model(
    request: Request, holder: HolderDep, metrics: MetricsDep, settings: SettingsDep
) -> Response:
    """Load the current champion and swap it in, here and in every other worker process.

    Requests in flight finish on the old model. With several workers (``srdi serve
    --workers N``) the others reload too, and the answer comes once each has (or after
    ``SRDI_RELOAD_WAIT_S``), listing every worker's model.
    """
    outcome = await run_in_threadpool(holder.reload)
    metrics.record_reload(outcome.swapped, outcome.model)
    generation: ReloadGeneration | None = request.app.state.generation
    follower: GenerationFollower | None = request.app.state.follower
    problem = outcome.problem
    if generation is None or follower is None:
        workers = [WorkerState(os.getpid(), 0, outcome.model, outcome.problem)]
        everywhere = outcome.swapped
    else:
        new = await run_in_threadpool(generation.bump)
        await run_in_threadpool(follower.acted_on, new)
        workers = await generation.wait_for(new, settings.reload_wait_s)
        behind = [w.pid for w in workers if w.generation < new]
        failed = [w.pid for w in workers if w.problem]
        everywhere = outcome.swapped and not behind and not failed
        if behind:
            problem = f"workers {behind} did not reload within {settings.reload_wait_s:.0f} s"
        elif failed and not problem:
            problem = f"workers {failed} could not load the champion (see 'workers')"
    body = {
        "swapped": outcome.swapped,
        "model": outcome.model,
        "previous": outcome.previous,
        "problem": problem,
        "workers": [
            {"pid": w.pid, "generation": w.generation, "model": w.model, "problem": w.problem}
            for w in workers
        ],
    }
    return json_response(body, status_code=200 if everywhere else 503)
