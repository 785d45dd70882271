"""A first look at an uploaded table, for the page's column mapper.

The browser cannot read XLSX, Parquet or a GBK-encoded CSV by itself, so the page
sends the file (or, for a large CSV, its head) here and gets back the headers, the
field each header matches automatically (contract names and the alias table of
:mod:`features.fields`, the same table ``POST /v1/screen`` applies), and the first
rows as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import IO, Any

import pandas as pd
from pydantic import BaseModel, Field

from features.formats import format_from_content, format_from_suffix
from features.io import XlsxLimits

__all__ = [
    "PREVIEW_HEAD_BYTES",
    "PreviewError",
    "PreviewField",
    "TablePreview",
    "contract_fields",
    "preview_table",
    "suggest_mapping",
]


# The head of a large CSV the page sends is far smaller; more is not read.
PREVIEW_HEAD_BYTES = 8 * 2**20
# Rows read at a time while counting: the head comes from the first slice.
_COUNT_ROWS = 20_000


class PreviewError(ValueError):
    """The upload cannot be read as a table."""


class PreviewField(BaseModel):
    """A contract field as the column mapper lists it."""

    name: str
    kind: str
    unit: str | None = None
    required: bool
    description: str = ""
    aliases: list[str] = Field(default_factory=list)


class TablePreview(BaseModel):
    """Headers, suggested mapping and first rows of an uploaded table."""

    filename: str
    format: str = Field(description="csv, xlsx or parquet")
    headers: list[str]
    suggested: dict[str, str | None] = Field(
        description="header -> contract field matched automatically, or null"
    )
    scales: dict[str, float] = Field(
        default_factory=dict,
        description="header -> factor to the contract unit named in the header (万元: 10000)",
    )
    rows: list[list[str | None]] = Field(description="first data rows as text, header order")
    fields: list[PreviewField]
    n_rows: int | None = Field(
        default=None, description="data rows in the file; null when only its head was sent"
    )
    head_rows: int = Field(
        default=0, description="data rows in what was sent (the whole file unless truncated)"
    )
    truncated: bool = False
    layout: str = Field(
        default="firm-year",
        description="wide when headers carry years (营业收入2023, 营业收入2024): the file is "
        "read as one row per firm and year",
    )
    year_columns: dict[str, str] = Field(
        default_factory=dict,
        description="header -> the field and year it is read as (wide layout), e.g. "
        '"revenue, 2023, × 10000"; matched by the server, not by the mapper',
    )


def contract_fields() -> list[PreviewField]:
    """Every contract field, required ones first, for the mapper's choices."""
    from features.fields import DERIVED_INPUTS, FIELDS

    fields = [
        PreviewField(
            name=spec.name,
            kind=str(spec.kind),
            unit=spec.unit or None,
            required=bool(spec.required),
            description=spec.description or "",
            aliases=list(spec.aliases),
        )
        for spec in (*FIELDS, *DERIVED_INPUTS.values())
    ]
    return sorted(fields, key=lambda f: not f.required)


def suggest_mapping(headers: Sequence[str]) -> tuple[dict[str, str | None], dict[str, float]]:
    """Return, for each header, the contract field it matches automatically.

    The match is the one :func:`features.headers.resolve_headers` makes when a file
    is screened (exact contract names win over aliases; a unit in brackets such as
    ``营业收入(万元)`` scales the values), so the mapper shows what the server would do
    anyway.

    Parameters
    ----------
    headers
        Column headers as they appear in the file.

    Returns
    -------
    suggested : dict
        header -> contract field name, or ``None`` when nothing matches.
    scales : dict
        header -> factor to the contract unit, for matched headers whose unit is
        not the contract's (e.g. 10,000 for 万元).
    """
    from features.headers import resolve_headers

    resolution = resolve_headers(headers)
    suggested: dict[str, str | None] = dict.fromkeys(headers)
    scales: dict[str, float] = {}
    for match in resolution.matches.values():
        suggested[match.header] = match.field
        if match.scale != 1.0:
            scales[match.header] = match.scale
    return suggested, scales


def preview_table(
    data: bytes | IO[bytes],
    filename: str,
    *,
    rows: int = 5,
    truncated: bool = False,
    xlsx_limits: XlsxLimits | None = None,
    max_rows: int | None = None,
) -> TablePreview:
    """Read the head of an uploaded table, and count its rows without holding them.

    Parameters
    ----------
    data
        The file, as bytes or a binary seekable file (CSV in UTF-8, UTF-8 with BOM,
        GBK or GB18030; XLSX; Parquet).
    filename
        The upload's name; its extension picks the reader (CSV when unknown), and
        messages name the file by it.
    rows
        How many data rows to return.
    truncated
        The upload is only the head of a larger CSV: its last, possibly cut, line is
        dropped and the row count is not reported. At most
        :data:`PREVIEW_HEAD_BYTES` of it are read.
    xlsx_limits
        Bounds on an XLSX upload (sizes, ratio, extent).
    max_rows
        Data rows counted at most; more raise :class:`features.io.TableLimitError`.

    Returns
    -------
    TablePreview

    Raises
    ------
    PreviewError
        When the bytes cannot be read as a table of the named format.
    features.io.TableLimitError
        When the table exceeds a reading limit.
    """
    from features.io import TableLimitError, iter_table_chunks

    source: bytes | IO[bytes] = data
    head_bytes = data[:8] if isinstance(data, bytes) else _peek(data, 8)
    fmt = format_from_suffix(filename) or format_from_content(head_bytes) or "csv"
    if truncated and fmt == "csv":
        head = (
            data[:PREVIEW_HEAD_BYTES] if isinstance(data, bytes) else data.read(PREVIEW_HEAD_BYTES)
        )
        # A newline byte never occurs inside a GBK or UTF-8 multi-byte character,
        # so cutting there keeps the text decodable.
        cut = head.rfind(b"\n")
        source = head[: cut + 1] if cut > 0 else head
    first = None
    n_rows = 0
    try:
        chunks = iter_table_chunks(
            source, _COUNT_ROWS, format=fmt, name=filename, xlsx_limits=xlsx_limits
        )
        for offset, frame in chunks:
            if first is None:
                first = frame
            n_rows = offset + len(frame)
            if max_rows is not None and n_rows > max_rows:
                raise TableLimitError(
                    f"{filename!r} has more than max_rows = {max_rows:,} data rows; split the file",
                    limit="max_rows",
                    value=max_rows,
                )
    except TableLimitError:
        raise
    except Exception as error:  # the reader's own message names the problem
        raise PreviewError(f"cannot read {filename!r} as {fmt.upper()}: {error}") from error
    headers = [str(c) for c in first.columns] if first is not None else []
    if first is None or not headers:
        raise PreviewError(f"{filename!r} has no header row")
    suggested, scales = suggest_mapping(headers)
    year_columns = _year_columns(headers)
    head_frame = first.head(rows)
    return TablePreview(
        filename=filename,
        format=fmt,
        headers=headers,
        suggested=suggested,
        scales=scales,
        rows=[[_cell(v) for v in record] for record in head_frame.itertuples(index=False)],
        fields=contract_fields(),
        n_rows=None if truncated else n_rows,
        head_rows=n_rows,
        truncated=truncated,
        layout="wide" if year_columns else "firm-year",
        year_columns=year_columns,
    )


def _peek(handle: IO[bytes], size: int) -> bytes:
    position = handle.tell()
    head = handle.read(size)
    handle.seek(position)
    return head


def _year_columns(headers: Sequence[str]) -> dict[str, str]:
    """The year columns of a wide table (header → ``field, year``), empty otherwise."""
    from features.firm_years import describe_columns
    from features.layout import plan_wide

    plan = plan_wide(headers)
    if plan is None:
        return {}
    mapping = describe_columns(headers, plan=plan).mapping
    return {header: mapping[header] for header in plan.year_columns if header in mapping}


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)
