"""The screening page, and the endpoints it needs beyond the scoring API.

- ``GET /`` the page and ``GET /static/...`` its assets (all local: works offline);
- ``GET /v1/sample`` the bundled candidate list, ``GET /v1/template.csv`` the template;
- ``POST /v1/screen/preview`` headers, suggested mapping and first rows of an upload
  (read server-side, so XLSX, Parquet and GBK CSV work in any browser);
- ``POST /v1/screen/page`` the same screening as ``POST /v1/screen``
  (:func:`serving.page.screening.screen_upload`) answered with compact rows, and
  ``GET /v1/screen/page/{token}/rows/{row}`` one firm's full result on demand
  (see :mod:`serving.page.session` for why);
- ``POST /v1/export`` the page's filtered ranked rows as a CSV or XLSX file with the
  columns of ``srdi score`` (:mod:`serving.page.export`).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from features.formats import format_from_suffix
from features.io import TableLimitError
from features.ladder import TargetId
from serving.api.deps import ScorerDep, SettingsDep, screen_store
from serving.api.errors import BadInputError
from serving.api.limits import table_limit_error, xlsx_limits
from serving.api.query import StrictQueryRoute
from serving.api.responses import JSON_MEDIA_TYPE, json_response
from serving.api.routes.screen import TABLE_UPLOAD, rank_upload
from serving.api.schemas import (
    INDUSTRY_CODE,
    PROVINCE_NAME,
    ErrorBody,
    ReReview,
    ScreenRow,
    ScreenSummary,
    error_responses,
)
from serving.api.security import require_api_key
from serving.api.uploads import form_file, form_text, multipart_openapi, read_form, table_format
from serving.page.export import MEDIA_TYPES, export_bytes, export_frame
from serving.page.preview import PreviewError, TablePreview, preview_table
from serving.page.screening import column_map_parameter
from serving.page.session import compact_stream, firm_detail
from serving.page.store import ScreenTooLargeError

__all__ = [
    "SAMPLE_FILE",
    "SESSION_COOKIE",
    "SESSION_HEADER",
    "STATIC_DIR",
    "ExportRequest",
    "ExportRow",
    "router",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
SAMPLE_FILE = Path(__file__).resolve().parent / "sample_data" / "candidates.csv"
SESSION_COOKIE = "srdi_session"
# The same session for clients that do not keep cookies (generated clients, scripts,
# the stateful contract test): sent back on every page screen, accepted instead of the
# cookie. Like the cookie it never appears in a URL, so a token in an access log opens
# nothing on its own.
SESSION_HEADER = "X-SRDI-Session"
_SESSION_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
_SESSION_SCHEMA = {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"}
_ASSET_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

router = APIRouter(route_class=StrictQueryRoute)
_v1 = APIRouter(
    route_class=StrictQueryRoute,
    prefix="/v1",
    tags=["screening page"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401),
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Not kept on the server (named in 'detail')."}
}
_CSV_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A CSV file (UTF-8).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class PageReason(BaseModel):
    """A reason as the ranked table shows it (without its features)."""

    family: str
    family_label: str
    contribution: float
    text: str


class PageAssumption(BaseModel):
    """One assumption a scheme's verdict rests on."""

    scheme_id: str = Field(max_length=64)
    text: str = Field(max_length=1000)


class PageScore(BaseModel):
    """One question's answer in compact form."""

    status: Literal["scored", "not_trained"]
    score: float | None
    percentile: float | None
    band: Literal["A", "B", "C", "D"] | None
    reasons: list[PageReason]


class PageRow(BaseModel):
    """One ranked firm in compact form."""

    row: int = Field(description="0-based data row of the file.")
    rank: int | None = Field(
        description="1 = first for the question ranked by; null when it does not score the firm."
    )
    company_id: str
    name: str | None = None
    fiscal_year: int
    province: str = Field(json_schema_extra=PROVINCE_NAME)
    industry: str = Field(json_schema_extra=INDUSTRY_CODE)
    status: Literal["candidate", "certified", "not_trained"]
    score: float | None = Field(description="The next step's score.")
    percentile: float | None
    band: Literal["A", "B", "C", "D"] | None
    coverage: float | None = Field(
        default=None, description="Share of the model's signal on reported figures."
    )
    thin_data: bool | None = Field(default=None, description="Coverage below the thin-data level.")
    rung: str = Field(description="current_tier (none when not reported).")
    next_step: str | None = Field(description="The target of the firm's next step.")
    scores: dict[str, PageScore] = Field(description="Every question asking about the firm.")
    verdicts: list[str | None] = Field(description="One verdict per entry of 'schemes'.")
    re_review: ReReview | None = Field(description="The held tier's re-review, or null.")
    assumptions: list[PageAssumption] = Field(
        description="What the verdicts rest on where a route or condition was not reported."
    )
    reasons: list[PageReason]


class PageQuestion(BaseModel):
    """A question of the page's selector."""

    target: str
    question: str
    population: str
    rank_ascending: bool
    in_service: bool
    version: str | None


class PageScheme(BaseModel):
    """A scheme column of the ranked table."""

    scheme_id: str
    name: str


class PageScreenBody(ScreenSummary):
    """The page's ranked list: compact rows, bad rows, and a token for firm details."""

    token: str | None = Field(
        description="Ask GET /v1/screen/page/{token}/rows/{row} for a firm, with the "
        f"{SESSION_COOKIE} cookie this response set; null when details are not kept "
        "('notice' says why)."
    )
    notice: str | None = Field(default=None, description="Why firm details are not kept.")
    schemes: list[PageScheme]
    rows: list[PageRow]
    questions: list[PageQuestion]


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    """The screening page."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")


@router.get("/static/{path:path}", include_in_schema=False)
def static_file(path: str) -> FileResponse:
    """A page asset; only files inside serving/page/static are served."""
    target = (STATIC_DIR / path).resolve()
    if not target.is_file() or STATIC_DIR not in target.parents:
        raise HTTPException(status_code=404, detail=f"no page asset named {path!r}")
    media = _ASSET_TYPES.get(target.suffix, "application/octet-stream")
    return FileResponse(target, media_type=media, headers={"Cache-Control": "no-cache"})


@_v1.get("/sample", response_class=FileResponse, responses={**_CSV_FILE, **_NOT_FOUND})
def sample_candidates() -> FileResponse:
    """The bundled sample candidate list (CSV with the contract's headers)."""
    if not SAMPLE_FILE.is_file():
        raise HTTPException(status_code=404, detail="the sample candidate file is not installed")
    return FileResponse(
        SAMPLE_FILE, media_type="text/csv; charset=utf-8", filename="srdi-sample-candidates.csv"
    )


@_v1.get("/template.csv", response_class=Response, responses=_CSV_FILE)
def csv_template_file() -> Response:
    """The CSV template: every contract field as a header, with one example row."""
    from features.fields import csv_template

    return Response(
        content=csv_template().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="srdi-template.csv"'},
    )


@_v1.post(
    "/screen/preview",
    response_model=TablePreview,
    responses=error_responses(400, 413, 415, 422),
    openapi_extra=TABLE_UPLOAD,
)
async def screen_preview(
    request: Request,
    settings: SettingsDep,
    truncated: Annotated[
        bool, Query(description="The upload is the head of a larger CSV; its last line may be cut.")
    ] = False,
    rows: Annotated[int, Query(ge=1, le=50, description="Data rows to return.")] = 5,
) -> Response:
    """Headers, suggested column mapping and first rows of an uploaded table."""
    upload = form_file(await read_form(request, {"file": True}), "file")
    name = upload.filename or ""
    if format_from_suffix(name) is None:  # the preview reads the format from the name
        name = f"{name or 'upload'}.{table_format(upload)}"
    try:
        preview = await run_in_threadpool(
            preview_table,
            upload.file,
            name,
            rows=rows,
            truncated=truncated,
            xlsx_limits=xlsx_limits(settings),
            max_rows=settings.max_upload_rows,
        )
    except PreviewError as error:
        raise BadInputError(str(error), field="file") from None
    except TableLimitError as error:
        raise table_limit_error(error) from None
    return json_response(preview.model_dump())


_SESSION_PARAMETER = {
    "name": SESSION_HEADER,
    "in": "header",
    "required": False,
    "description": f"The session, for a client that does not keep the {SESSION_COOKIE} "
    "cookie (the header of an earlier page screen's answer).",
    "schema": _SESSION_SCHEMA,
}


def _session_of(request: Request) -> str | None:
    """The request's session: its header, else its cookie; ``None`` when it has none.

    Raises
    ------
    serving.api.errors.BadInputError
        A header that is not a session (422): a client sent it, and it would otherwise
        be dropped in silence. (A cookie the browser keeps is simply replaced.)
    """
    header = request.headers.get(SESSION_HEADER)
    if header is not None:
        if not _SESSION_VALUE.fullmatch(header):
            raise BadInputError(
                f"{SESSION_HEADER} is not a session: send back the value of an earlier "
                "page screen's answer",
                field=SESSION_HEADER,
            )
        return header
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie if cookie is not None and _SESSION_VALUE.fullmatch(cookie) else None


# The stateful contract: the token and row numbers of a page screen's answer are what
# GET /v1/screen/page/{token}/rows/{row} takes (OpenAPI links, followed by generated
# clients and by schemathesis' stateful phase), in the same browser session.
_ROW_LINKS = {
    "firm_detail": {
        "operationId": "screen_page_row",
        "parameters": {
            "token": "$response.body#/token",
            "row": "$response.body#/rows/0/row",
            f"header.{SESSION_HEADER}": f"$response.header.{SESSION_HEADER}",
        },
        "description": "The full result of the first ranked firm (any 'row' of 'rows' works), "
        f"in the same session (the {SESSION_COOKIE} cookie or the {SESSION_HEADER} header).",
    }
}


@_v1.post(
    "/screen/page",
    response_class=StreamingResponse,
    responses={
        200: {
            "model": PageScreenBody,
            "description": "The ranked list in compact rows.",
            "links": _ROW_LINKS,
            "headers": {
                SESSION_HEADER: {
                    "description": f"The session the screen is kept for (also set as the "
                    f"{SESSION_COOKIE} cookie); send it back to open firm details.",
                    "required": True,
                    "schema": _SESSION_SCHEMA,
                }
            },
        },
        **error_responses(400, 413, 415, 422, 503),
    },
    openapi_extra={**TABLE_UPLOAD, "parameters": [column_map_parameter(), _SESSION_PARAMETER]},
)
async def screen_for_page(
    request: Request,
    scorer: ScorerDep,
    settings: SettingsDep,
    # Documented with its JSON schema through openapi_extra (column_map_parameter).
    column_map: Annotated[str | None, Query(include_in_schema=False)] = None,
    top_reasons: Annotated[int, Query(ge=1, le=10, description="Reasons per row.")] = 3,
    target: Annotated[
        TargetId,
        Query(description="The question to rank by (the page re-ranks by the others itself)."),
    ] = "srdi_sme",
) -> StreamingResponse:
    """Rank an upload like POST /v1/screen, answered with compact rows and a detail token.

    The screen is kept on the server for firm details, bound to this browser session
    (the ``srdi_session`` cookie, set here when the request has none).
    """
    ranked = await rank_upload(
        request,
        scorer,
        settings,
        column_map,
        explain=True,
        top_reasons=top_reasons,
        rank_by=target,
    )
    session = _session_of(request)
    if session is None:
        session = secrets.token_urlsafe(32)
    token: str | None = None
    notice: str | None = None
    try:
        token = await run_in_threadpool(screen_store(request).put, session, ranked)
    except ScreenTooLargeError as error:
        notice = str(error)
    response = StreamingResponse(
        compact_stream(ranked, token, top_reasons=top_reasons, notice=notice),
        media_type=JSON_MEDIA_TYPE,
        headers={SESSION_HEADER: session},
    )
    response.set_cookie(
        SESSION_COOKIE,
        session,
        path="/v1/screen/page",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@_v1.get(
    "/screen/page/{token}/rows/{row}",
    response_model=ScreenRow,
    operation_id="screen_page_row",
    responses={
        **_NOT_FOUND,
        409: {"model": ErrorBody, "description": "The model changed."},
        **error_responses(422, 503),
    },
    openapi_extra={"parameters": [_SESSION_PARAMETER]},
)
async def screen_page_row(
    request: Request,
    scorer: ScorerDep,
    token: Annotated[str, PathParam(max_length=100, description="The 'token' of a page screen.")],
    row: Annotated[int, PathParam(ge=0, description="A 'row' of that screen's 'rows'.")],
) -> Response:
    """One firm of a page screen: the full score result, all reason families.

    Only the browser session that made the screen (its ``srdi_session`` cookie) can
    open it.
    """
    session = _session_of(request) or ""
    try:
        firm = await run_in_threadpool(screen_store(request).get, session, token, row)
    except KeyError:
        raise HTTPException(
            status_code=404,
            detail="this screen is no longer kept on the server for this browser session "
            "(it expired, made room for newer screens, or was made in another session); "
            "upload the file again",
        ) from None
    if firm is None:
        raise HTTPException(status_code=404, detail=f"row {row} was not scored in this screen")
    if firm.model != scorer.model_info:
        raise HTTPException(
            status_code=409,
            detail=f"this screen was ranked by model version {firm.model.get('version')}; the "
            f"service now serves version {scorer.model_version}: upload the file again",
        )
    result = await run_in_threadpool(firm_detail, scorer, firm)
    return json_response(result)


# Strict, closed models: the export writes these values into a file, so a string where
# a number belongs, an unknown key or an integer numpy cannot hold is refused (422
# naming the field), never carried into the file or into a 500.
_EXPORT_MODEL = ConfigDict(extra="forbid", strict=True)
# Ranks are at most the number of rows of an upload; the bound keeps them int64-safe.
_MAX_RANK = 1_000_000_000


class ExportScheme(BaseModel):
    """One scheme's verdict, as the export needs it."""

    model_config = _EXPORT_MODEL

    scheme_id: str = Field(max_length=64)
    verdict: str | None = Field(default=None, max_length=32)


class ExportReason(BaseModel):
    """One reason's text, as the export needs it."""

    model_config = _EXPORT_MODEL

    text: str | None = Field(default=None, max_length=1000)
    contribution: float | None = Field(default=None, ge=-1e6, le=1e6, allow_inf_nan=False)


class ExportReReview(ReReview):
    """The held tier's re-review, as the export reads it back (strict types)."""

    model_config = _EXPORT_MODEL

    year: int | None = Field(ge=1949, le=2200)
    text: str = Field(max_length=200)


class ExportAssumption(PageAssumption):
    """One assumption, as the export reads it back (strict types)."""

    model_config = _EXPORT_MODEL


class ExportScore(BaseModel):
    """One question's numbers, as the export needs them."""

    model_config = _EXPORT_MODEL

    score: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    percentile: float | None = Field(default=None, ge=0.0, le=100.0, allow_inf_nan=False)
    band: str | None = Field(default=None, max_length=2)


class ExportStep(BaseModel):
    """The firm's rung and next step, as the export needs them."""

    model_config = _EXPORT_MODEL

    rung: str | None = Field(default=None, max_length=32)
    target: str | None = Field(default=None, max_length=32)


class ExportRow(BaseModel):
    """A ranked row slimmed to the export's columns."""

    model_config = _EXPORT_MODEL

    rank: int | None = Field(default=None, ge=1, le=_MAX_RANK)
    company_id: str = Field(max_length=200)
    name: str | None = Field(default=None, max_length=500)
    province: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=20)
    score: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    percentile: float | None = Field(default=None, ge=0.0, le=100.0, allow_inf_nan=False)
    band: str | None = Field(default=None, max_length=2)
    schemes: list[ExportScheme] = Field(default_factory=list, max_length=32)
    reasons: list[ExportReason] = Field(default_factory=list, max_length=20)
    re_review: ExportReReview | None = None
    assumptions: list[ExportAssumption] = Field(default_factory=list, max_length=64)
    next_step: ExportStep | None = None
    scores: dict[TargetId, ExportScore] = Field(default_factory=dict)


class ExportRequest(BaseModel):
    """The filtered, ranked rows shown on the page, in display order."""

    model_config = _EXPORT_MODEL

    rows: list[ExportRow]


_EXPORT_REQUEST = TypeAdapter(ExportRequest)
_EXPORT_UPLOAD = multipart_openapi(
    {
        "rows": {
            "$ref": "#/components/schemas/ExportRequest",
            "description": "The filtered ranked list, in display order, as a JSON part "
            "(a file or a plain field): the rows are an upload, limited like one "
            "(max_upload_bytes, max_upload_rows).",
        }
    },
    required=("rows",),
    encoding={"rows": JSON_MEDIA_TYPE},
)


@_v1.post(
    "/export",
    response_class=Response,
    responses={
        200: {
            "description": "The export file.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(400, 413, 415, 422),
    },
    openapi_extra=_EXPORT_UPLOAD,
)
async def export_rows(
    request: Request,
    settings: SettingsDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="File format")] = "csv",
) -> Response:
    """The page's filtered ranked list as a CSV or XLSX file (the `srdi score` columns)."""
    data = await form_text(await read_form(request, {"rows": True}), "rows")
    try:
        body = _EXPORT_REQUEST.validate_json(data or b"")
    except ValidationError as error:
        raise RequestValidationError(
            [{**err, "loc": ("body", *err["loc"])} for err in error.errors()]
        ) from None
    if len(body.rows) > settings.max_upload_rows:
        raise BadInputError(
            f"{len(body.rows):,} rows exceed max_upload_rows ({settings.max_upload_rows:,}; "
            "raise SRDI_MAX_UPLOAD_ROWS)",
            field="rows",
            status_code=413,
        )
    frame = export_frame([row.model_dump() for row in body.rows])
    content = await run_in_threadpool(export_bytes, frame, format)
    return Response(
        content=content,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="srdi-screen.{format}"'},
    )


router.include_router(_v1)
