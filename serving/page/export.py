"""The flat export of a ranked screen: one table for the page, ``srdi score`` and the API.

A score result (docs/architecture.md) is nested: scores per question, reasons,
schemes, criteria. A fund manager's spreadsheet wants one row per firm, so this
module fixes the flat columns — ``rank, company_id, name, province, industry, score,
percentile, band`` (the next step's), ``rung, next_step``, every question's
``{target}_score, {target}_percentile, {target}_band``, one verdict column per
scheme id, the held tier's re-review (``re_review_year``, ``re_review_due``,
``re_review_verdict``), the ``assumptions`` the verdicts rest on, and
``top_reasons`` — and writes them as CSV, XLSX or Parquet.
The page's export button and the command line both go through here, so the two files
are identical for the same rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from features.formats import TableFormat, output_format
from features.ladder import TARGET_IDS
from features.rules import SCHEME_IDS
from features.spreadsheet import csv_bytes, xlsx_bytes
from serving.scoring.reasons import UNREPORTED

__all__ = [
    "ASSUMPTIONS_COLUMN",
    "ERROR_COLUMNS",
    "IDENTITY_COLUMNS",
    "LADDER_COLUMNS",
    "MEDIA_TYPES",
    "REVIEW_COLUMNS",
    "ExportFormat",
    "assumptions_text",
    "errors_frame",
    "export_bytes",
    "export_columns",
    "export_frame",
    "format_for_path",
    "reasons_text",
    "write_export",
]

ExportFormat: TypeAlias = TableFormat

IDENTITY_COLUMNS: tuple[str, ...] = (
    "rank",
    "company_id",
    "name",
    "province",
    "industry",
    "score",
    "percentile",
    "band",
    "coverage",
    "thin_data",
)
REVIEW_COLUMNS: tuple[str, ...] = ("re_review_year", "re_review_due", "re_review_verdict")
ASSUMPTIONS_COLUMN = "assumptions"
# The firm's rung and next step, then every question's numbers (empty where it does
# not ask about the firm, or has no model in service).
SCORE_PARTS: tuple[str, ...] = ("score", "percentile", "band")
LADDER_COLUMNS: tuple[str, ...] = (
    "rung",
    "next_step",
    *(f"{target}_{part}" for target in TARGET_IDS for part in SCORE_PARTS),
)
REASONS_COLUMN = "top_reasons"
ERROR_COLUMNS: tuple[str, ...] = ("row", "field", "value", "message")

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
# Separates reason texts inside one cell; a semicolon would clash with European CSV
# dialects, and the texts themselves use commas.
REASON_SEPARATOR = " | "


def export_columns(scheme_ids: Sequence[str] = SCHEME_IDS) -> list[str]:
    """Return the flat export's column names in order.

    Parameters
    ----------
    scheme_ids
        Scheme ids that get a verdict column each; defaults to every scheme.

    Returns
    -------
    list of str
        Identity columns, the ladder's columns, one column per scheme id, the
        re-review columns, ``assumptions``, then ``top_reasons``.
    """
    return [
        *IDENTITY_COLUMNS,
        *LADDER_COLUMNS,
        *scheme_ids,
        *REVIEW_COLUMNS,
        ASSUMPTIONS_COLUMN,
        REASONS_COLUMN,
    ]


def assumptions_text(assumptions: Iterable[Mapping[str, Any]]) -> str:
    """One cell: each sentence once, with the schemes whose verdict rests on it.

    ``"no national S&T award ... was assumed (cn_innovative_sme) | registration ...
    were assumed (cn_innovative_sme, cn_srdi_sme)"``.
    """
    schemes: dict[str, list[str]] = {}
    for item in assumptions:
        schemes.setdefault(str(item.get("text")), []).append(str(item.get("scheme_id")))
    return REASON_SEPARATOR.join(f"{text} ({', '.join(ids)})" for text, ids in schemes.items())


def _review_and_assumptions(result: Mapping[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """The re-review and assumptions of a result: its own keys, or its schemes' JSON."""
    if "re_review" in result or "assumptions" in result:
        review = result.get("re_review")
        return review, list(result.get("assumptions") or ())
    review = None
    assumed: list[dict[str, Any]] = []
    for scheme in result.get("schemes") or ():
        if scheme.get("re_review"):
            review = scheme["re_review"]
        for text in scheme.get("assumptions") or ():
            assumed.append({"scheme_id": scheme.get("scheme_id"), "text": text})
    return review, assumed


def reasons_text(reasons: Iterable[Mapping[str, Any]], top: int = 3) -> str:
    """Join the first ``top`` reason texts of one firm into one cell.

    The line that sums the unreported figures (family ``unreported``) is always
    added last: a reader of the export must see what the score does not rest on.

    Parameters
    ----------
    reasons
        The ``reasons`` list of a score result, already ordered by the scorer.
    top
        How many reasons (besides the unreported line) to keep.

    Returns
    -------
    str
        The texts joined by ``" | "``; empty when the result has no reasons.
    """
    texts: list[str] = []
    gap = ""
    for reason in reasons:
        text = reason.get("text") or reason.get("family_label") or reason.get("family")
        if not text:
            continue
        if reason.get("family") == UNREPORTED:
            gap = str(text)  # always told, after the reasons: what the score misses
        elif len(texts) < top:
            texts.append(str(text))
    return REASON_SEPARATOR.join([*texts, gap] if gap else texts)


def export_frame(
    results: Sequence[Mapping[str, Any]],
    *,
    scheme_ids: Sequence[str] = SCHEME_IDS,
    top_reasons: int = 3,
    verdicts: Mapping[str, Sequence[str | None] | np.ndarray] | None = None,
) -> pd.DataFrame:
    """Flatten ranked score results into the export table.

    Parameters
    ----------
    results
        Score results (docs/architecture.md) in rank order. A result may carry its
        own ``rank`` (null for a firm already certified); otherwise its position
        (1-based) is its rank. Only the keys the
        export needs are read, so slimmed results (as the page posts them) work too.
    scheme_ids
        Scheme ids that get a verdict column each; a scheme absent from a result
        gives an empty cell.
    top_reasons
        How many reason texts go into ``top_reasons``.
    verdicts
        Scheme id → one verdict per result, when the verdicts come as arrays
        (``serving.page.ranked_rows``) rather than inside each result's ``schemes``.

    Returns
    -------
    pandas.DataFrame
        One row per result with :func:`export_columns` as columns.
    """
    n = len(results)
    data: dict[str, list[Any]] = {
        "rank": [_rank(r, i) for i, r in enumerate(results)],
        "company_id": [r.get("company_id") for r in results],
        "name": [r.get("name") for r in results],
        "province": [r.get("province") for r in results],
        "industry": [r.get("industry") for r in results],
        "score": [_float_or_none(r.get("score")) for r in results],
        "percentile": [_float_or_none(r.get("percentile")) for r in results],
        "band": [r.get("band") for r in results],
        "coverage": [_float_or_none(r.get("coverage")) for r in results],
        "thin_data": [r.get("thin_data") for r in results],
        "rung": [(r.get("next_step") or {}).get("rung") for r in results],
        "next_step": [(r.get("next_step") or {}).get("target") for r in results],
    }
    for target in TARGET_IDS:
        entries = [(r.get("scores") or {}).get(target) or {} for r in results]
        data[f"{target}_score"] = [_float_or_none(e.get("score")) for e in entries]
        data[f"{target}_percentile"] = [_float_or_none(e.get("percentile")) for e in entries]
        data[f"{target}_band"] = [e.get("band") for e in entries]
    columns: dict[str, list[str | None]] = {sid: [None] * n for sid in scheme_ids}
    if verdicts is not None:
        for sid, values in verdicts.items():
            if sid in columns:
                columns[sid] = list(values)
    else:
        for i, result in enumerate(results):
            for scheme in result.get("schemes") or ():
                column = columns.get(str(scheme.get("scheme_id")))
                if column is not None:
                    column[i] = scheme.get("verdict")
    data.update(columns)
    extras = [_review_and_assumptions(r) for r in results]
    reviews = [review or {} for review, _ in extras]
    data["re_review_year"] = [review.get("year") for review in reviews]
    data["re_review_due"] = [_yes_no(review.get("due")) for review in reviews]
    data["re_review_verdict"] = [review.get("verdict") for review in reviews]
    data[ASSUMPTIONS_COLUMN] = [assumptions_text(assumed) for _, assumed in extras]
    data[REASONS_COLUMN] = [reasons_text(r.get("reasons") or (), top_reasons) for r in results]
    frame = pd.DataFrame(data, columns=export_columns(scheme_ids))
    frame["re_review_year"] = frame["re_review_year"].astype("Int64")
    frame["rank"] = frame["rank"].astype("Int64")
    numbers = [
        "score",
        "percentile",
        "coverage",
        *(f"{t}_{p}" for t in TARGET_IDS for p in SCORE_PARTS[:2]),
    ]
    frame[numbers] = frame[numbers].astype("float64")
    frame["thin_data"] = frame["thin_data"].astype("boolean")
    return frame


def errors_frame(errors: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Return row errors as a table with columns ``row, field, value, message``.

    Parameters
    ----------
    errors
        Row errors as mappings (the API's JSON) or objects with the same attributes
        (``features.validate.RowError``).

    Returns
    -------
    pandas.DataFrame
        One row per error, values as given (``value`` rendered as text).
    """
    rows = []
    for error in errors:
        get = error.get if isinstance(error, Mapping) else _attr_getter(error)
        value = get("value")
        rows.append(
            {
                "row": get("row"),
                "field": get("field"),
                "value": None if value is None else str(value),
                "message": get("message"),
            }
        )
    return pd.DataFrame(rows, columns=list(ERROR_COLUMNS))


def format_for_path(path: Path | str) -> ExportFormat:
    """Return the export format named by a file's extension.

    Raises
    ------
    features.formats.TableFormatError
        A ``ValueError``: the extension is not ``.csv``, ``.xlsx`` or ``.parquet``.
    """
    return output_format(path)


def export_bytes(frame: pd.DataFrame, fmt: ExportFormat) -> bytes:
    """Serialize an export (or errors) table to bytes in ``fmt``.

    CSV is UTF-8 with a byte-order mark so Excel shows Chinese names correctly; every
    reader in this project (and pandas) skips the mark. CSV and XLSX text cells that a
    spreadsheet would evaluate as a formula are neutralised
    (:mod:`features.spreadsheet`); XLSX text is written as string cells.
    """
    if fmt == "csv":
        return csv_bytes(frame)
    if fmt == "xlsx":
        return xlsx_bytes(frame, sheet_name="ranking")
    buffer = io.BytesIO()
    if fmt == "parquet":
        frame.to_parquet(buffer, index=False)
    else:  # pragma: no cover - Literal guards the callers
        raise ValueError(f"unknown export format {fmt!r}; use csv, xlsx or parquet")
    return buffer.getvalue()


def write_export(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write an export table to ``path`` in the format its extension names.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    target = Path(path)
    data = export_bytes(frame, format_for_path(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def _rank(result: Mapping[str, Any], position: int) -> int | None:
    # A firm the ranking's question does not score is listed but not ranked (rank
    # null); a result without the key is ranked by its position.
    if "rank" in result:
        rank = result["rank"]
        return None if rank is None else int(rank)
    return None if result.get("status") in ("certified", "not_trained") else position + 1


def _yes_no(value: Any) -> str | None:
    return None if value is None else "yes" if value else "no"


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _attr_getter(obj: object) -> Any:
    def get(name: str) -> Any:
        return getattr(obj, name, None)

    return get
