"""POST /v1/screen: rank an uploaded candidate file (CSV, XLSX or Parquet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from serving.api.deps import MetricsDep, ScorerDep, SettingsDep, screen_slot
from serving.api.responses import JSON_MEDIA_TYPE
from serving.api.schemas import ScreenResponse, error_responses
from serving.api.security import require_api_key
from serving.page.screening import csv_stream, json_stream, parse_column_map, screen_upload

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["screen"], dependencies=[Depends(require_api_key)])

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def _wants_csv(accept: str | None) -> bool:
    """True when the client prefers CSV (``Accept: text/csv`` before any JSON type)."""
    if not accept:
        return False
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    csv_at = kinds.index("text/csv") if "text/csv" in kinds else None
    json_at = kinds.index(JSON_MEDIA_TYPE) if JSON_MEDIA_TYPE in kinds else None
    return csv_at is not None and (json_at is None or csv_at < json_at)


@router.post(
    "/screen",
    response_class=StreamingResponse,
    responses={
        200: {
            "model": ScreenResponse,
            "description": "Ranked firms (JSON), or the flat ranked table with Accept: text/csv.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **error_responses(401, 413, 415, 422, 503),
    },
)
async def screen(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV (UTF-8/BOM/GBK/GB18030), XLSX or Parquet")],
    scorer: ScorerDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    column_map: Annotated[
        str | None,
        Query(description='JSON object of file header → field, e.g. {"营业收入": "revenue"}'),
    ] = None,
    explain: Annotated[bool, Query(description="Include the top reasons.")] = True,
    top_reasons: Annotated[int, Query(ge=1, le=10, description="Reasons per firm.")] = 3,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Rank an uploaded file of candidates by score, with reasons and each bad row's errors."""
    mapping = parse_column_map(column_map)
    async with screen_slot(request):
        ranked = await run_in_threadpool(
            screen_upload,
            scorer,
            file.file,
            filename=file.filename,
            settings=settings,
            column_map=mapping,
            explain=explain,
            top_reasons=top_reasons,
        )
    metrics.observe_scores("screen", ranked.numbers.score[~ranked.numbers.certified].tolist())
    metrics.row_errors.labels("screen").inc(ranked.n_error_rows)
    headers = {
        "X-SRDI-Rows": str(ranked.n_rows),
        "X-SRDI-Scored": str(ranked.n_scored),
        "X-SRDI-Row-Errors": str(ranked.n_errors),
        "X-SRDI-Model-Version": scorer.model_version,
    }
    if _wants_csv(accept):
        headers["Content-Disposition"] = 'attachment; filename="srdi-screen.csv"'
        return StreamingResponse(
            csv_stream(ranked, top_reasons=top_reasons), media_type=CSV_MEDIA_TYPE, headers=headers
        )
    return StreamingResponse(json_stream(ranked), media_type=JSON_MEDIA_TYPE, headers=headers)
