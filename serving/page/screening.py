"""Screening an uploaded file: read in chunks, score, rank, stream the result out.

The upload is read ``chunk_rows`` rows at a time (``features.io.iter_table_chunks``),
each chunk validated and scored vectorized and kept as compact arrays; the ranked
output is then streamed block by block as JSON or as the flat CSV of
:mod:`serving.page.export` (the table ``srdi score`` writes), so neither the file nor
the full list of per-firm dicts is ever held in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from features.column_map import ColumnMapError, column_map_from_json, is_map_target
from features.fields import DERIVED_INPUTS, FIELD_NAMES
from features.firm_years import FirmYearReader
from features.formats import READABLE, TableFormat, format_from_suffix
from features.io import TableLimitError, TableReadError
from features.ladder import DEFAULT_TARGET
from features.spreadsheet import csv_bytes
from serving.api.errors import BadInputError
from serving.api.limits import check_upload_rows, table_limit_error, xlsx_limits
from serving.api.responses import dumps
from serving.page.export import export_frame
from serving.page.ranked_rows import iter_ranked_blocks
from serving.scoring.ranking import rank_file
from serving.scoring.scorer import DEFAULT_CHUNK_ROWS, RankedScores, Scorer
from srdi.core.settings import Settings

__all__ = [
    "COLUMN_MAP_TARGETS",
    "column_map_parameter",
    "csv_stream",
    "json_stream",
    "parse_column_map",
    "screen_upload",
]


# What a header may be mapped to: a contract field, a derived input, or "" (ignore it).
COLUMN_MAP_TARGETS: frozenset[str] = frozenset(
    name for name in (*FIELD_NAMES, *DERIVED_INPUTS, "") if is_map_target(name)
)


def parse_column_map(raw: str | None) -> dict[str, str] | None:
    """Parse the ``column_map`` query parameter: a JSON object of header → field.

    ``""`` ignores a header (``features.column_map.column_map_from_json``).

    Raises
    ------
    BadInputError
        When it is not a JSON object of strings, or names an unknown field.
    """
    try:
        return column_map_from_json(raw)
    except ColumnMapError as error:
        raise BadInputError(str(error), field="column_map") from None


def column_map_parameter() -> dict[str, Any]:
    """The OpenAPI description of the ``column_map`` query parameter, as it is parsed.

    The value is JSON in the query string (OpenAPI's ``content`` form of a
    parameter): an object of file header → field, each field one of
    :data:`COLUMN_MAP_TARGETS`.
    """
    return {
        "name": "column_map",
        "in": "query",
        "required": False,
        "description": "JSON object of file header → field that wins over the automatic "
        'matching, e.g. {"营业收入": "revenue"}; "" ignores a header. Headers that are not '
        "in the file are not used.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "string",
                        "enum": sorted(COLUMN_MAP_TARGETS),
                    },
                },
                "example": {"营业收入": "revenue", "备注": ""},
            }
        },
    }


def _format_of(filename: str | None) -> TableFormat:
    fmt = format_from_suffix(filename or "")
    if fmt is None:
        raise BadInputError(
            f"cannot screen {filename or 'the upload'!r}: send a {READABLE} file",
            field="file",
            status_code=415,
        )
    return fmt


def screen_upload(
    scorer: Scorer,
    source: IO[bytes],
    *,
    filename: str | None,
    settings: Settings,
    fmt: TableFormat | None = None,
    column_map: dict[str, str] | None = None,
    explain: bool = True,
    top_reasons: int = 5,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    rank_by: str = DEFAULT_TARGET,
) -> RankedScores:
    """Read, validate, score and rank an uploaded table, chunk by chunk.

    Parameters
    ----------
    scorer
        The scorer in service.
    source
        The uploaded file (binary, seekable).
    filename
        Its name: messages name the file by it, and its extension says the format
        unless ``fmt`` does.
    settings
        Supplies the upload limits (rows, columns, XLSX sizes) and how many row
        problems are kept (``max_listed_errors``).
    fmt
        The table format when the caller knows it (an upload's part media type,
        :func:`serving.api.uploads.table_format`).
    column_map
        Header → contract field, applied before the alias table.
    explain, top_reasons
        Whether results carry reasons, and how many.
    chunk_rows
        Rows read and scored at a time.
    rank_by
        The question the ranking asks (``srdi_sme``, ``little_giant``, ``retention``).

    Raises
    ------
    BadInputError
        The file is not a table this service reads (415), cannot be parsed (422) or
        exceeds a reading limit (413, naming the setting), or the service does not
        offer ``rank_by`` (422).
    LimitExceededError
        The file has more than ``max_upload_rows`` data rows.
    """
    fmt = fmt or _format_of(filename)
    try:
        scorer.check_rank_by(rank_by)
    except ValueError as exc:
        raise BadInputError(str(exc), field="target") from None
    reader = FirmYearReader(
        source,
        chunk_rows,
        format=fmt,
        mapping=column_map,
        latest_only=True,
        on_chunk=lambda rows: check_upload_rows(rows, settings),
        name=filename or "the upload",
        xlsx_limits=xlsx_limits(settings),
    )
    try:
        return rank_file(
            scorer,
            reader,
            explain=explain,
            top_reasons=top_reasons,
            max_errors=settings.max_listed_errors,
            rank_by=rank_by,
        )
    except TableLimitError as exc:
        raise table_limit_error(exc) from None
    except TableReadError as exc:
        raise BadInputError(str(exc), field="file") from None


def json_stream(ranked: RankedScores) -> Iterator[bytes]:
    """The screen's JSON body, produced block by block in rank order."""
    yield b'{"rows":['
    first = True
    for block in ranked.iter_blocks():
        if not block:
            continue
        if not first:
            yield b","
        first = False
        yield b",".join(dumps(result) for result in block)
    yield b"]," + dumps(ranked.summary())[1:]


def csv_stream(ranked: RankedScores, *, top_reasons: int = 3) -> Iterator[bytes]:
    """The flat ranked table of ``srdi score`` and the page export, as UTF-8 CSV with BOM.

    Built from :func:`serving.page.ranked_rows.iter_ranked_blocks` (verdicts as arrays, no
    criteria JSON) and :func:`serving.page.export.export_frame`, the same code as the
    command line, so the two files agree row for row.
    """
    header = True
    for block in iter_ranked_blocks(ranked, top_reasons=top_reasons):
        frame = export_frame(block.results, top_reasons=top_reasons, verdicts=block.verdicts)
        yield csv_bytes(frame, header=header, bom=header)
        header = False
    if header:  # no valid row: still send the header line
        yield csv_bytes(export_frame([], top_reasons=top_reasons))
