"""Response bodies of the API, as pydantic models for the OpenAPI document.

The scoring routes build their JSON with orjson from plain dicts (no model
validation on the hot path); these models describe that JSON exactly so the
published schema, the docs at ``/docs`` and the contract tests agree. The score
result is the one of docs/architecture.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from features.industries import DIVISION_CODES
from features.ladder import TargetId
from features.provinces import PROVINCE_NAMES
from srdi.core.bundle.attribution import THIN_DATA_BELOW

__all__ = [
    "INDUSTRY_CODE",
    "PROVINCE_NAME",
    "BatchError",
    "BatchRequest",
    "BatchResponse",
    "CriterionResult",
    "ErrorBody",
    "FieldProblemBody",
    "HealthBody",
    "InputColumns",
    "ModelDescription",
    "ModelRef",
    "NextStep",
    "NotTrained",
    "ReReview",
    "ReadyBody",
    "Reason",
    "ReasonFeature",
    "ReloadBody",
    "SchemaBody",
    "SchemeResult",
    "SchemesBody",
    "ScoreResult",
    "ScreenError",
    "ScreenResponse",
    "ScreenRow",
    "ScreenSummary",
    "TargetModelRef",
    "TargetScore",
    "error_responses",
]

Number = float | None

# What a result says, once the input's spelling is normalized: one of the 31 canonical
# province names, one of the 97 GB/T 4754-2017 division codes.
PROVINCE_NAME: dict[str, Any] = {"enum": list(PROVINCE_NAMES), "examples": ["Zhejiang"]}
INDUSTRY_CODE: dict[str, Any] = {"enum": list(DIVISION_CODES), "examples": ["C39"]}


class ModelRef(BaseModel):
    """The model version that produced a score."""

    name: str = Field(examples=["srdi-potential"])
    version: str = Field(examples=["3"])


class TargetModelRef(BaseModel):
    """The model of one question; ``version`` is null when none is in service."""

    name: str = Field(examples=["srdi-little-giant"])
    version: str | None = Field(examples=["2"])


class NotTrained(BaseModel):
    """Why a question has no score: its model is not in service (what 503 would say)."""

    status: Literal[503]
    detail: str


class ReasonFeature(BaseModel):
    """One feature inside a reason: the firm's value beside its industry median."""

    name: str
    label: str
    unit: str | None = None
    value: Number = Field(description="The firm's value; null when not reported.")
    industry_median: Number = Field(description="Median of the firm's industry (training data).")
    contribution: float = Field(description="Contribution to the log-odds of certification.")


class Reason(BaseModel):
    """A feature family's signed contribution to the score, in plain language."""

    family: str = Field(examples=["rd_intensity"])
    family_label: str = Field(examples=["R&D intensity"])
    contribution: float = Field(description="Sum of the family's contributions (log-odds).")
    direction: Literal["raises", "lowers"]
    text: str
    features: list[ReasonFeature]


class CriterionResult(BaseModel):
    """One criterion of a scheme: verdict and the gap to pass."""

    model_config = ConfigDict(extra="allow")

    id: str
    label: str
    group: str | None = None
    verdict: Literal["pass", "fail", "unknown"]
    value: Any = None
    threshold: Any = None
    unit: str | None = None
    gap: Number = None
    gap_text: str | None = None
    points: Number = None
    max_points: Number = None


class ReReview(BaseModel):
    """The re-review (复核) of the tier the firm holds: its table without the override."""

    year: int | None = Field(
        description="tier_since + 3 (the status lasts 3 years); null when tier_since is "
        "not reported."
    )
    due: bool | None = Field(
        description="The re-review falls within fiscal_year + the horizon (2 years)."
    )
    verdict: Literal["pass", "fail", "undetermined"] = Field(
        description="The held tier's criteria as they stand: 'fail' lists its gaps."
    )
    text: str = Field(examples=["re-review 2026: at risk"])


class SchemeResult(BaseModel):
    """A certification scheme's verdict for the firm, criterion by criterion."""

    model_config = ConfigDict(extra="allow")

    scheme_id: str = Field(examples=["cn_srdi_sme"])
    name: str
    version: str = Field(examples=["cn-2022"])
    verdict: Literal["eligible", "not_eligible", "undetermined", "certified"]
    points: Number = None
    pass_mark: Number = None
    criteria: list[CriterionResult]
    assumptions: list[str] | None = Field(
        default=None,
        description="Chinese tiers: what the verdict assumed where a route or condition "
        "was not reported (only those it rests on), e.g. 'no national S&T award in the "
        "last 3 years was assumed'.",
    )
    re_review: ReReview | None = Field(
        default=None,
        description="Chinese tiers: for the tier the firm holds, its re-review; else null.",
    )


class NextStep(BaseModel):
    """The firm's rung of the tier ladder and the question after it."""

    rung: Literal["none", "innovative_sme", "srdi_sme", "little_giant"] = Field(
        description="current_tier (none when not reported)."
    )
    target: TargetId | None = Field(
        description="srdi_sme below the provincial tier, little_giant for a provincial SRDI "
        "SME, retention (keeping the status) for a Little Giant."
    )
    question: str | None = Field(examples=["next Little Giant"])
    re_review_year: int | None = Field(
        description="tier_since + 3 for a certified firm; null when not reported."
    )
    re_review_due: bool | None = Field(
        description="The re-review falls within the horizon (null: unknown)."
    )


class TargetScore(BaseModel):
    """One question's answer for the firm."""

    target: TargetId
    question: str = Field(examples=["next Little Giant"])
    population: str = Field(
        description="Whom the question asks; the percentile is taken among this population's "
        "test-year firm-years."
    )
    status: Literal["scored", "not_trained"]
    score: Number = Field(
        description="srdi_sme: P(certified provincial SRDI or higher within H years); "
        "little_giant: P(certified Little Giant within H years); retention: P(the status is "
        "kept at its re-review)."
    )
    percentile: Number
    band: Literal["A", "B", "C", "D"] | None
    reasons: list[Reason]
    model: TargetModelRef
    assumption: str | None = Field(description="What was assumed for an unreported input.")
    error: NotTrained | None


class ScoreResult(BaseModel):
    """Score, percentile, band, reasons and scheme verdicts of one firm."""

    company_id: str
    name: str | None = None
    fiscal_year: int
    province: str = Field(description="Canonical name.", json_schema_extra=PROVINCE_NAME)
    industry: str = Field(description="Division code.", json_schema_extra=INDUSTRY_CODE)
    status: Literal["candidate", "certified", "not_trained"] = Field(
        description="'candidate': the next step is scored. 'certified': no question of the "
        "service asks about the firm (a Little Giant with no re-review due), so score, "
        "percentile and band are null. 'not_trained': the next step's model is not in service."
    )
    score: Number = Field(description="The next step's calibrated probability (see scores).")
    percentile: Number = Field(description="The next step's percentile in its population.")
    band: Literal["A", "B", "C", "D"] | None = Field(
        description="A ≥ 95th percentile, B ≥ 80th, C ≥ 50th, D below."
    )
    coverage: Number = Field(
        default=None,
        description="Share (0–1) of the model's attribution mass on the figures the firm "
        "reported, measured over the reference population; null for certified firms.",
    )
    thin_data: bool | None = Field(
        default=None,
        description=f"True when coverage is below {THIN_DATA_BELOW}: the score rests on too "
        "few reported figures to say much about this firm.",
    )
    reasons: list[Reason] = Field(
        description="Top reasons, told from reported figures only, then one line of family "
        "'unreported' summing the effect of the figures not reported; empty when "
        "explain=false."
    )
    schemes: list[SchemeResult]
    model: TargetModelRef
    next_step: NextStep
    scores: dict[str, TargetScore] = Field(
        description="Every question of the service that asks about the firm, by target."
    )


class FieldProblemBody(BaseModel):
    """One broken rule: the field path, the rule, a message and the offending value."""

    field: str
    rule: str
    message: str
    value: Any = None


class ErrorBody(BaseModel):
    """Every error response: one sentence, plus per-field problems on 422."""

    detail: str
    errors: list[FieldProblemBody] | None = None


class BatchRequest(BaseModel):
    """Up to ``max_batch_records`` input records, each checked on its own."""

    model_config = ConfigDict(extra="forbid", strict=True)

    records: list[Any] = Field(
        description="Input records. Each is validated as a CompanyRecord (the body of "
        "POST /v1/score); a record that is not one, or breaks a rule of the input "
        "contract, becomes entries of 'errors' with its index, and the others are scored.",
        json_schema_extra={
            "items": {"description": "A CompanyRecord; anything else is refused by index."}
        },
    )


class BatchError(BaseModel):
    """A problem of one record of the batch (a record may have several)."""

    index: int = Field(description="0-based position of the record in 'records'.")
    field: str = Field(description="The field, or 'record' when the record is not an object.")
    message: str
    value: Any = None


class BatchResult(ScoreResult):
    """A score result with its position in the request."""

    index: int


class BatchResponse(BaseModel):
    """Per-record results in input order, and the records refused."""

    results: list[BatchResult]
    errors: list[BatchError]
    n_scored: int
    n_errors: int
    model: ModelRef


class ScreenRow(ScoreResult):
    """A ranked firm of an uploaded file."""

    row: int = Field(description="0-based data row of the file (the header is not a row).")
    rank: int | None = Field(description="1 = most likely to be certified; null if certified.")


class ScreenError(BaseModel):
    """A file row that failed validation."""

    row: int
    field: str
    value: Any = None
    message: str


class InputColumns(BaseModel):
    """How an uploaded file was read: its layout, each header's field, what was ignored."""

    layout: Literal["firm-year", "long", "wide"] = Field(
        description="firm-year: one row per firm and year; long: several years per firm, "
        "_prev filled from earlier rows; wide: one column per field and year"
    )
    mapping: dict[str, str] = Field(
        description="File header → the field it was read as (with its year and unit scale)"
    )
    ignored: list[str] = Field(description="One sentence per ignored column, with the reason")
    notes: list[str] = Field(description="What the layout did: values filled, years set aside")


class ScreenSummary(BaseModel):
    """What every screen answers after its rows (``RankedScores.summary``)."""

    errors: list[ScreenError] = Field(
        description="Problems of bad rows, the first max_listed_errors of them (n_errors in all)."
    )
    n_errors: int = Field(description="Problems found in all, listed in 'errors' or not.")
    n_error_rows: int = Field(description="Rows refused (a row may have several problems).")
    n_rows: int
    n_scored: int
    model: ModelRef
    columns: InputColumns | None = None
    rank_by: TargetId = Field(description="The question the rows are ranked by.")


class ScreenResponse(ScreenSummary):
    """The ranked list of an uploaded file and its bad rows."""

    rows: list[ScreenRow]


class ModelDescription(BaseModel):
    """The models in service: the primary one's fields, and each question's under models."""

    model_config = ConfigDict(extra="allow")

    name: str
    version: str
    run_id: str | None
    target: str
    horizon: int
    trained_at: str | None
    metrics: dict[str, float | None]
    features: list[dict[str, Any]]
    ruleset_versions: dict[str, str]
    models: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="By target: the model in service (status in_service) or why none is "
        "(status not_trained).",
    )


class SchemesBody(BaseModel):
    """Every certification scheme's versioned rule table, as data."""

    schemes: list[dict[str, Any]]


class SchemaBody(BaseModel):
    """The input contract: JSON schema of a record, the field list and a CSV template."""

    json_schema: dict[str, Any]
    fields: list[dict[str, Any]]
    required: list[str]
    csv_template: str


class HealthBody(BaseModel):
    """Liveness."""

    status: Literal["ok"]


class ReadyBody(BaseModel):
    """Readiness: a model is loaded and the worker is not shutting down (or why not)."""

    ready: bool
    draining: bool = Field(default=False, description="Shutting down: send no new requests.")
    model: ModelRef | None
    problem: str | None


class WorkerReload(BaseModel):
    """One worker process after a reload."""

    pid: int
    generation: int = Field(description="Reloads this worker has acted on.")
    model: ModelRef | None
    problem: str | None


class ReloadBody(BaseModel):
    """Result of an admin reload."""

    swapped: bool
    model: ModelRef | None
    previous: ModelRef | None
    problem: str | None
    workers: list[WorkerReload] = Field(
        default_factory=list,
        description="Every worker process of this server after the reload (all of them "
        "serve 'model' when the status is 200).",
    )


_ERROR_TEXT = {
    400: "The multipart body cannot be parsed.",
    401: "API key missing or wrong (only when SRDI_API_KEY is set).",
    403: "Admin routes are disabled: no API key is configured.",
    413: "The body or upload exceeds a configured limit (named in 'detail').",
    404: "Not kept on the server (named in 'detail').",
    415: "The body is not of the media type the route takes (application/json, or "
    "multipart/form-data), or the uploaded file is not CSV, XLSX or Parquet.",
    422: "Invalid input: each problem names the field path and the rule broken.",
    503: "No model is loaded (none registered as champion, or it was refused).",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error status codes."""
    return {code: {"model": ErrorBody, "description": _ERROR_TEXT[code]} for code in codes}
