"""One partition's scored rows and rejected rows as flat tables.

The scores table holds, per firm-year, the API's per-firm content flattened
(docs/architecture.md, "Score result"): where the row came from (``source_file``,
``source_row``), the identity fields, ``status``, ``score``, ``percentile``,
``band`` (the next step's), ``rung`` and ``next_step``, every question's
``{target}_score``, ``{target}_percentile``, ``{target}_band`` and
``{target}_model_version`` (as the flat export), every scheme's verdict and points
(``features.rules``' summary columns: ``{scheme_id}_verdict``,
``{scheme_id}_points``, ...), the (primary) model name and version, and — when
asked — the top reasons of the next step (``top_reasons``, the text the export
writes, plus ``reason_{k}_family`` and ``reason_{k}_contribution``).

The numbers come from the scorer's vectorized path (``Scorer.steps`` with the
scorer's own currency rates for the rule engine); per-firm dicts are built only for
the reasons, through ``Scorer.score_columns``, because that is where they exist.

The scores table is built as an Arrow table straight from the arrays, because that
is what the Parquet writer takes: a pandas frame in between would convert every
text column to Arrow strings twice (pandas' ``str`` dtype, then the writer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.headers import resolve_headers
from features.ladder import TARGET_IDS
from features.rules import SchemeEvaluation, evaluate_schemes
from serving.page.export import reasons_text

if TYPE_CHECKING:
    from features.columns import Columns
    from features.validate import RowError
    from serving.scoring.scorer import Scorer

__all__ = [
    "ERROR_TABLE_COLUMNS",
    "IDENTITY_TABLE_COLUMNS",
    "errors_table",
    "file_error_table",
    "scheme_columns",
    "scores_table",
]

IDENTITY_TABLE_COLUMNS: tuple[str, ...] = (
    "source_file",
    "source_row",
    "company_id",
    "name",
    "fiscal_year",
    "province",
    "industry",
)
ERROR_TABLE_COLUMNS: tuple[str, ...] = (
    "source_file",
    "source_row",
    "company_id",
    "field",
    "value",
    "message",
)


def scores_table(
    scorer: Scorer,
    columns: Columns,
    rows: np.ndarray,
    *,
    source_file: str,
    explain: bool = False,
    top_reasons: int = 3,
) -> pa.Table:
    """Score validated columns and flatten the results, one row per firm-year.

    Parameters
    ----------
    scorer
        The scorer of the model in use.
    columns
        Validated columns of the good rows (``features.validate``).
    rows
        Their row numbers in ``source_file``.
    source_file
        The input file, relative to the input root.
    explain
        Add the top reasons (TreeSHAP by family); costs far more than scoring.
    top_reasons
        Reasons per firm when ``explain``.

    Returns
    -------
    pyarrow.Table
        Rows in input order; text columns typed ``string``.
    """
    n = len(rows)
    steps = scorer.steps(columns)
    numbers = steps.top()
    data: dict[str, pa.Array] = {
        "source_file": _constant(source_file, n),
        "source_row": pa.array(np.asarray(rows, dtype=np.int64)),
        "company_id": _text(columns["company_id"]),
        "name": _text(columns["name"]) if "name" in columns else pa.nulls(n, pa.string()),
        "fiscal_year": pa.array(
            np.asarray(columns["fiscal_year"], dtype=np.float64).astype(np.int64)
        ),
        "province": _text(columns["province"]),
        "industry": _text(columns["industry"]),
        "status": _text(steps.status()),
        "score": _numbers(numbers.score),
        "percentile": _numbers(numbers.percentile),
        "band": _text(numbers.band),
        "rung": _text(steps.rung),
        "next_step": _text(steps.next_target),
    }
    versions = scorer.versions
    for target in TARGET_IDS:
        per = steps.scores.get(target)
        data[f"{target}_score"] = _numbers(per.score) if per else pa.nulls(n, pa.float64())
        data[f"{target}_percentile"] = (
            _numbers(per.percentile) if per else pa.nulls(n, pa.float64())
        )
        data[f"{target}_band"] = _text(per.band) if per else pa.nulls(n, pa.string())
        version = versions.get(target)
        asked = steps.asked.get(target)
        data[f"{target}_model_version"] = (
            pa.nulls(n, pa.string())
            if version is None or asked is None
            else pc.if_else(pa.array(asked), version, pa.scalar(None, pa.string()))
        )
    data.update(scheme_columns(evaluate_schemes(columns, rates=scorer.rates)))
    if explain:
        reasons = _reasons(scorer, columns, top_reasons, pd.RangeIndex(n))
        for name in reasons.columns:
            data[str(name)] = _arrow(reasons[name].to_numpy())
    data["model_name"] = _constant(scorer.model_name, n)
    data["model_version"] = _constant(scorer.model_version, n)
    return pa.table(data)


def scheme_columns(evaluation: SchemeEvaluation) -> dict[str, pa.Array]:
    """``evaluation.summary_columns()`` as Arrow columns (``summary_frame()``'s values).

    A coded column (verdicts, grades) is a lookup of its few labels, not a
    conversion of one Python string per firm.
    """
    data: dict[str, pa.Array] = {}
    for name, column in evaluation.summary_columns().items():
        if column.whole:
            missing = np.isnan(column.values)
            whole = np.where(missing, 0, column.values).astype(np.int64)
            data[name] = pa.array(whole, type=pa.int64(), mask=missing)
        elif column.labels is None:
            data[name] = _numbers(column.values)
        else:
            labels = pa.array(column.labels, type=pa.string())
            data[name] = labels.take(pa.array(column.values))
    return data


def _constant(text: str, n: int) -> pa.Array:
    """A text column holding one value n times."""
    return pa.repeat(pa.scalar(text, pa.string()), n)


def _numbers(values: np.ndarray) -> pa.Array:
    """float64 values, NaN written as null (as pandas' writer does)."""
    return pa.array(values, type=pa.float64(), from_pandas=True)


def _text(values: np.ndarray) -> pa.Array:
    """An object array of ``str`` / ``None`` as an Arrow ``string`` column."""
    return pa.array(values, type=pa.string(), from_pandas=True)


def _arrow(values: np.ndarray) -> pa.Array:
    """Numbers as they are; objects as text (``string`` even when every value is missing)."""
    if values.dtype == object:
        return _text(values)
    return pa.array(values, from_pandas=True)


def _reasons(scorer: Scorer, columns: Columns, top: int, index: pd.Index) -> pd.DataFrame:
    """Top reasons of each row: the export's text cell and each reason's family and size."""
    results = scorer.score_columns(columns, explain=True, top_reasons=top)
    reasons = [result.get("reasons") or [] for result in results]
    data: dict[str, list[Any]] = {"top_reasons": [reasons_text(r, top) for r in reasons]}
    for k in range(top):
        data[f"reason_{k + 1}_family"] = [r[k]["family"] if len(r) > k else None for r in reasons]
        data[f"reason_{k + 1}_contribution"] = [
            float(r[k]["contribution"]) if len(r) > k else np.nan for r in reasons
        ]
    return pd.DataFrame(data, index=index)


def errors_table(
    errors: Sequence[RowError], frame: pd.DataFrame, *, source_file: str, first_row: int
) -> pd.DataFrame:
    """Rejected rows, one line per broken rule, with the row's file and number.

    Parameters
    ----------
    errors
        ``features.validate.RowError`` of the partition; ``row`` is the file's row
        number (validation ran with the partition's row offset).
    frame
        The partition as read, 0-based; gives each bad row's ``company_id``.
    source_file
        The input file, relative to the input root.
    first_row
        Row number in the file of the partition's first row.
    """
    source_rows = np.fromiter((e.row for e in errors), dtype=np.int64, count=len(errors))
    company_ids: list[Any] = [None] * len(errors)
    header = resolve_headers(frame.columns).matches.get("company_id")
    if header is not None and len(errors):
        values = frame[header.header].to_numpy(dtype=object)
        company_ids = [_text_or_none(values[row - first_row]) for row in source_rows.tolist()]
    return pd.DataFrame(
        {
            "source_file": [source_file] * len(errors),
            "source_row": pd.array(source_rows, dtype="Int64"),
            "company_id": company_ids,
            "field": [e.field for e in errors],
            "value": [e.value for e in errors],
            "message": [e.message for e in errors],
        },
        columns=list(ERROR_TABLE_COLUMNS),
    )


def file_error_table(source_file: str, message: str) -> pd.DataFrame:
    """One line for a partition that could not be read at all (no row number)."""
    return pd.DataFrame(
        {
            "source_file": [source_file],
            "source_row": pd.array([None], dtype="Int64"),
            "company_id": [None],
            "field": [None],
            "value": [None],
            "message": [message],
        },
        columns=list(ERROR_TABLE_COLUMNS),
    )


def _text_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)
