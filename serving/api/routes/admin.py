"""POST /v1/admin/reload: swap in the current champion without a restart."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from serving.api.deps import HolderDep, MetricsDep
from serving.api.responses import json_response
from serving.api.schemas import ReloadBody, error_responses
from serving.api.security import require_admin_key

__all__ = ["router"]

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require_admin_key)])


@router.post(
    "/reload",
    response_class=Response,
    responses={
        200: {"model": ReloadBody, "description": "The champion is in service."},
        503: {"model": ReloadBody, "description": "Loading failed; the old model keeps serving."},
        **error_responses(401, 403),
    },
)
async def reload_model(holder: HolderDep, metrics: MetricsDep) -> Response:
    """Load the current champion and swap it in; requests in flight finish on the old one."""
    outcome = await run_in_threadpool(holder.reload)
    metrics.reloads.labels("swapped" if outcome.swapped else "failed").inc()
    if outcome.swapped and outcome.model is not None:
        metrics.set_model(outcome.model["name"], outcome.model["version"])
    body = {
        "swapped": outcome.swapped,
        "model": outcome.model,
        "previous": outcome.previous,
        "problem": outcome.problem,
    }
    return json_response(body, status_code=200 if outcome.swapped else 503)
