"""One partition's scored rows and rejected rows as flat tables.

The scores table holds, per firm-year, the API's per-firm content flattened
(docs/architecture.md, "Score result"): where the row came from (``source_file``,
``source_row``), the identity fields, ``status``, ``score``, ``percentile``,
``band``, every scheme's verdict and points (``features.rules``' summary columns:
``{scheme_id}_verdict``, ``{scheme_id}_points``, ...), the model name and version,
and — when asked — the top reasons (``top_reasons``, the text the export writes,
plus ``reason_{k}_family`` and ``reason_{k}_contribution``).

The numbers come from the scorer's vectorized path (``Scorer.score_arrays`` with the
scorer's own currency rates for the rule engine); per-firm dicts are built only for
the reasons, through ``Scorer.score_columns``, because that is where they exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from features.headers import resolve_headers
from features.rules import evaluate_schemes
from serving.export import reasons_text

if TYPE_CHECKING:
    from features.columns import Columns
    from features.validate import RowError
    from serving.scorer import Scorer

__all__ = [
    "ERROR_TABLE_COLUMNS",
    "IDENTITY_TABLE_COLUMNS",
    "errors_table",
    "file_error_table",
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
# summary_frame repeats the identity; the table already has it first.
_SUMMARY_IDENTITY = ("company_id", "fiscal_year")


def scores_table(
    scorer: Scorer,
    columns: Columns,
    rows: np.ndarray,
    *,
    source_file: str,
    explain: bool = False,
    top_reasons: int = 3,
) -> pd.DataFrame:
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
    pandas.DataFrame
        Rows in input order.
    """
    n = len(rows)
    numbers = scorer.score_arrays(columns)
    data: dict[str, Any] = {
        "source_file": np.full(n, source_file, dtype=object),
        "source_row": np.asarray(rows, dtype=np.int64),
        "company_id": columns["company_id"],
        "name": columns["name"] if "name" in columns else np.full(n, None, dtype=object),
        "fiscal_year": np.asarray(columns["fiscal_year"], dtype=np.float64).astype(np.int64),
        "province": columns["province"],
        "industry": columns["industry"],
        "status": np.where(numbers.certified, "certified", "candidate").astype(object),
        "score": numbers.score,
        "percentile": numbers.percentile,
        "band": numbers.band,
    }
    table = pd.DataFrame(data)
    schemes = evaluate_schemes(columns, rates=scorer.rates).summary_frame()
    schemes = schemes.drop(columns=[c for c in _SUMMARY_IDENTITY if c in schemes.columns])
    table = pd.concat([table, schemes.set_index(table.index)], axis=1)
    if explain:
        table = pd.concat([table, _reasons(scorer, columns, top_reasons, table.index)], axis=1)
    table["model_name"] = scorer.model_name
    table["model_version"] = scorer.model_version
    return table


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
        company_ids = [_text(values[row - first_row]) for row in source_rows.tolist()]
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


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return str(value)
