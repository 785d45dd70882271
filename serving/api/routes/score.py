"""POST /v1/score and /v1/score/batch: one firm, or a list of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from features.record_model import CompanyRecord, example_record
from features.validate import validate_record
from serving.api.deps import MetricsDep, ScorerDep, ScoringDep, SettingsDep
from serving.api.jsonbody import json_body_openapi, validated_body, validated_large_body
from serving.api.limits import check_batch_length
from serving.api.query import StrictQueryRoute
from serving.api.records import split_records
from serving.api.responses import json_response
from serving.api.schemas import BatchRequest, BatchResponse, ScoreResult, error_responses
from serving.api.security import require_api_key

__all__ = ["router"]

router = APIRouter(
    prefix="/v1",
    tags=["score"],
    dependencies=[Depends(require_api_key)],
    route_class=StrictQueryRoute,
)

ExplainQuery = Annotated[
    bool, Query(description="Include the top reasons (TreeSHAP by feature family).")
]
TopReasonsQuery = Annotated[int, Query(ge=1, le=10, description="How many reasons to return.")]
# The contract's example firm already holds the SRDI tier (it would come back as
# "certified", without a score); the docs' "Try it out" should show a candidate.
_CANDIDATE = {**example_record(), "current_tier": "innovative_sme"}
_RECORD_EXAMPLES = {
    "candidate": {
        "summary": "A candidate (innovative SME) with every field",
        "value": _CANDIDATE,
    },
    "minimal": {
        "summary": "Only the required fields (everything else unknown)",
        "value": {
            k: _CANDIDATE[k]
            for k in ("company_id", "fiscal_year", "province", "industry", "revenue")
        },
    },
}
_BATCH_EXAMPLES = {
    "two firms, one invalid": {
        "summary": "The second record breaks a rule and comes back in 'errors'",
        "value": {
            "records": [
                _CANDIDATE,
                {**_CANDIDATE, "company_id": "BAD", "export_share": 1.4},
            ]
        },
    }
}

SchemesQuery = Annotated[
    bool,
    Query(description="Include every certification scheme's verdict; false = the number only."),
]


@router.post(
    "/score",
    response_class=Response,
    responses={
        200: {"model": ScoreResult, "description": "The firm's score result."},
        **error_responses(401, 413, 415, 422, 503),
    },
    openapi_extra=json_body_openapi(CompanyRecord, _RECORD_EXAMPLES),
)
async def score_one(
    request: Request,
    scoring: ScoringDep,
    explain: ExplainQuery = True,
    top_reasons: TopReasonsQuery = 5,
    schemes: SchemesQuery = True,
) -> Response:
    """Score one firm: calibrated score, percentile, band, reasons and scheme verdicts."""
    # The body is validated from its bytes (serving.api.jsonbody): the hot path skips
    # FastAPI's generic body handling; the OpenAPI body comes from openapi_extra.
    record = await validated_body(request, CompanyRecord)
    columns = validate_record(record.model_dump())
    # Scored on the event loop together with the other records waiting now: a few
    # milliseconds per call, where a worker-thread hop per request would cost more.
    result = await scoring.coalescer.score(
        scoring.scorer, columns, explain=explain, top_reasons=top_reasons, schemes=schemes
    )
    scoring.metrics.observe_scores("score", [result["score"]])
    return json_response(result)


@router.post(
    "/score/batch",
    response_class=Response,
    responses={
        200: {"model": BatchResponse, "description": "Results in input order, and refusals."},
        **error_responses(401, 413, 415, 422, 503),
    },
    openapi_extra=json_body_openapi(BatchRequest, _BATCH_EXAMPLES),
)
async def score_batch(
    request: Request,
    scorer: ScorerDep,
    metrics: MetricsDep,
    settings: SettingsDep,
    explain: ExplainQuery = False,
    top_reasons: TopReasonsQuery = 5,
    schemes: SchemesQuery = True,
) -> Response:
    """Score a list of firms; invalid records come back as errors, the rest are scored.

    Reasons are off by default here (``explain=true`` adds them): TreeSHAP costs about a
    millisecond per firm, which batch callers should ask for, not pay by default.
    """
    body = await validated_large_body(request, BatchRequest)
    check_batch_length(len(body.records), settings)
    split = split_records(body.records)
    batch = await run_in_threadpool(
        scorer.score_records,
        split.records,
        explain=explain,
        top_reasons=top_reasons,
        schemes=schemes,
    )
    # The scorer numbers the records it was given; report positions in the request.
    for result in batch.results:
        result["index"] = split.indices[result["index"]]
    errors = split.errors + [{**e, "index": split.indices[e["index"]]} for e in batch.errors]
    errors.sort(key=lambda e: e["index"])  # stable: a record's problems stay in order
    metrics.observe_scores("batch", [r["score"] for r in batch.results])
    n_refused = len(body.records) - len(batch.results)
    metrics.row_errors.labels("batch").inc(n_refused)
    return json_response(
        {
            "results": batch.results,
            "errors": errors,
            "n_scored": len(batch.results),
            "n_errors": n_refused,
            "model": scorer.model_info,
        }
    )
