"""GET /healthz, /readyz and /metrics: for load balancers and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from serving.api.deps import HolderDep, MetricsDep
from serving.api.metrics import CONTENT_TYPE_LATEST
from serving.api.responses import json_response
from serving.api.schemas import HealthBody, ReadyBody

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthBody)
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_class=Response,
    responses={
        200: {"model": ReadyBody, "description": "A model is loaded."},
        503: {"model": ReadyBody, "description": "No model loaded; 'problem' says why."},
    },
)
async def readyz(holder: HolderDep) -> Response:
    """Readiness: 200 once a model is loaded, 503 (with the reason) until then."""
    model = holder.current().model_info if holder.ready else None
    body = {"ready": holder.ready, "model": model, "problem": holder.problem}
    return json_response(body, status_code=200 if holder.ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
async def metrics(collectors: MetricsDep) -> Response:
    """Prometheus metrics: request counts and latencies by route, scores handed out."""
    return Response(collectors.render(), media_type=CONTENT_TYPE_LATEST)
