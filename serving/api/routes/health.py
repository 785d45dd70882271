"""GET /healthz, /readyz and /metrics: for load balancers and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from serving.api.deps import HolderDep, MetricsDep
from serving.api.metrics import CONTENT_TYPE_LATEST
from serving.api.query import StrictQueryRoute
from serving.api.responses import json_response
from serving.api.schemas import HealthBody, ReadyBody

__all__ = ["router"]

router = APIRouter(tags=["operations"], route_class=StrictQueryRoute)


@router.get("/healthz", response_model=HealthBody)
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_class=Response,
    responses={
        200: {"model": ReadyBody, "description": "A model is loaded."},
        503: {
            "model": ReadyBody,
            "description": "No model loaded, or draining before shutdown; 'problem' says why.",
        },
    },
)
async def readyz(request: Request, holder: HolderDep) -> Response:
    """Readiness: 200 once a model is loaded, 503 (with the reason) until then or while
    the worker drains before it stops."""
    model = holder.current().model_info if holder.ready else None
    draining = bool(request.app.state.lifecycle.draining)
    problem = holder.problem
    if draining:
        problem = "shutting down: finishing the requests in flight; send new ones elsewhere"
    ready = holder.ready and not draining
    body = {"ready": ready, "draining": draining, "model": model, "problem": problem}
    return json_response(body, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
async def metrics(collectors: MetricsDep) -> Response:
    """Prometheus metrics: request counts and latencies by route, scores handed out."""
    return Response(collectors.render(), media_type=CONTENT_TYPE_LATEST)
