"""POST /v1/screen: rank an uploaded candidate file (CSV, XLSX or Parquet)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from features.formats import TABLE_SUFFIXES
from features.ladder import TargetId
from serving.api.deps import MetricsDep, ScorerDep, SettingsDep, screen_slot
from serving.api.query import StrictQueryRoute
from serving.api.responses import JSON_MEDIA_TYPE
from serving.api.schemas import ScreenResponse, error_responses
from serving.api.security import require_api_key
from serving.api.uploads import (
    TABLE_MEDIA_TYPES,
    form_file,
    multipart_openapi,
    read_form,
    table_format,
)
from serving.page.screening import (
    column_map_parameter,
    csv_stream,
    json_stream,
    parse_column_map,
    screen_upload,
)
from serving.scoring.ranking import RankedScores
from serving.scoring.scorer import Scorer
from srdi.core.settings import Settings

__all__ = ["TABLE_UPLOAD", "rank_upload", "router"]

router = APIRouter(
    prefix="/v1",
    tags=["screen"],
    dependencies=[Depends(require_api_key)],
    route_class=StrictQueryRoute,
)

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

# The body of every route that takes a table: one part, the file.
TABLE_UPLOAD = multipart_openapi(
    {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "The table: CSV (UTF-8, UTF-8 with BOM, GBK or GB18030), XLSX or "
            "Parquet, one row per firm-year with the CompanyRecord fields as headers (or "
            "their aliases, GET /v1/schema). The format is the file name's extension ("
            + ", ".join(TABLE_SUFFIXES)
            + "), else the part's Content-Type.",
        }
    },
    required=("file",),
    encoding={"file": ", ".join(TABLE_MEDIA_TYPES)},
)
ColumnMapQuery = Annotated[str | None, Query(include_in_schema=False)]


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
        **error_responses(400, 401, 413, 415, 422, 503),
    },
    openapi_extra={**TABLE_UPLOAD, "parameters": [column_map_parameter()]},
)
async def screen(
    request: Request,
    scorer: ScorerDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    # Documented with its JSON schema through openapi_extra (column_map_parameter).
    column_map: ColumnMapQuery = None,
    explain: Annotated[bool, Query(description="Include the top reasons.")] = True,
    top_reasons: Annotated[int, Query(ge=1, le=10, description="Reasons per firm.")] = 3,
    target: Annotated[
        TargetId,
        Query(
            description="The question the ranking asks: srdi_sme (next provincial SRDI), "
            "little_giant (next Little Giant), retention (re-review risk: the least likely "
            "to keep their status first). Every firm still carries every score."
        ),
    ] = "srdi_sme",
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Rank an uploaded file by one question's score, with reasons and each bad row's errors."""
    ranked = await rank_upload(
        request,
        scorer,
        settings,
        column_map,
        explain=explain,
        top_reasons=top_reasons,
        rank_by=target,
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


async def rank_upload(
    request: Request,
    scorer: Scorer,
    settings: Settings,
    column_map: str | None,
    *,
    explain: bool,
    top_reasons: int,
    rank_by: TargetId,
) -> RankedScores:
    """Read the request's ``file`` part and rank it in a worker thread, one screen slot held.

    Parameters
    ----------
    request
        The multipart request (its ``file`` part is the table).
    scorer, settings
        The scorer in service and the upload limits.
    column_map
        The ``column_map`` query value (JSON), parsed here.
    explain, top_reasons, rank_by
        As :func:`serving.page.screening.screen_upload`.

    Returns
    -------
    RankedScores
        The ranked screen (``POST /v1/screen`` and the page's screen answer from it).
    """
    mapping = parse_column_map(column_map)
    upload = form_file(await read_form(request, {"file": True}), "file")
    async with screen_slot(request):
        return await run_in_threadpool(
            screen_upload,
            scorer,
            upload.file,
            filename=upload.filename,
            fmt=table_format(upload),
            settings=settings,
            column_map=mapping,
            explain=explain,
            top_reasons=top_reasons,
            rank_by=rank_by,
        )
