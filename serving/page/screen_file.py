"""Screen a candidate file on disk into the flat ranked table (``srdi score``).

The same steps as ``POST /v1/screen`` — read in chunks, map headers, validate, score,
rank (:meth:`serving.scoring.scorer.Scorer.rank_chunks`) — then the ranked firms are
explained block by block (:mod:`serving.page.ranked_rows`: reasons and one verdict per
scheme, no criteria JSON) and flattened into the export columns of
:mod:`serving.page.export`, so no per-firm JSON is held for the whole file.
The command line, the notebook and the benchmark call :func:`screen_file`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features.firm_years import FirmYearReader, InputReport
from features.formats import input_format
from features.ladder import DEFAULT_TARGET
from serving.page.export import errors_frame, export_columns, export_frame
from serving.page.ranked_rows import iter_ranked_blocks
from serving.scoring.ranking import rank_file
from serving.scoring.scorer import DEFAULT_CHUNK_ROWS, Scorer

__all__ = [
    "ScreenedFile",
    "count_data_rows",
    "screen_file",
]

# Called with a phase ("scored" rows read and scored, "explained" rows flattened)
# and how many rows that step just finished.
ProgressCallback = Callable[[str, int], None]


@dataclass(frozen=True)
class ScreenedFile:
    """A screened file.

    Attributes
    ----------
    ranking
        The export table (:func:`serving.page.export.export_columns`), best first.
    errors
        One row per problem of a bad row: ``row`` (0-based data row), ``field``,
        ``value``, ``message``.
    n_rows
        Data rows read.
    n_scored
        Rows that passed validation.
    model
        Name and version of the (primary) model that scored the file.
    input
        How the file was read: layout, columns matched and ignored.
    rank_by
        The question the ranking asks.
    versions
        Each offered question's model version (``None``: not in service).
    """

    ranking: pd.DataFrame
    errors: pd.DataFrame
    n_rows: int
    n_scored: int
    model: dict[str, str] = field(default_factory=dict)
    input: InputReport = field(default_factory=InputReport)
    rank_by: str = DEFAULT_TARGET
    versions: dict[str, str | None] = field(default_factory=dict)

    @property
    def n_bad_rows(self) -> int:
        """Rows refused by validation (a row may have several errors)."""
        return int(self.errors["row"].nunique()) if len(self.errors) else 0


def count_data_rows(path: Path | str) -> int | None:
    """Data rows in a candidate file, cheaply, for a progress bar (``None`` if unknown).

    CSV lines are counted without parsing (a quoted field spanning lines makes the
    count an overestimate, which only affects the bar).
    """
    source = Path(path)
    try:
        fmt = input_format(source)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(source).metadata.num_rows)
        if fmt == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(source, read_only=True)
            try:
                rows = book.worksheets[0].max_row
            finally:
                book.close()
            return None if rows is None else max(int(rows) - 1, 0)
        lines = 0
        last = b"\n"
        with source.open("rb") as handle:
            while block := handle.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
        lines += last != b"\n"
        return max(lines - 1, 0)
    except (OSError, ValueError):
        return None


def screen_file(
    scorer: Scorer,
    path: Path | str,
    *,
    column_map: Mapping[str, str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    top_reasons: int = 3,
    progress: ProgressCallback | None = None,
    strict: bool = False,
    rank_by: str = DEFAULT_TARGET,
) -> ScreenedFile:
    """Read, validate, score, rank and flatten a candidate file.

    Parameters
    ----------
    scorer
        The scorer (``Scorer.from_loaded(load_registered_bundle(settings))``).
    path
        A .csv (UTF-8, BOM, GBK, GB18030), .xlsx or .parquet file of input records;
        vendor headers (营业收入, …) are matched by the alias table.
    column_map
        Header → field choices that win over the alias table (``""`` ignores a header).
    chunk_rows
        Rows read and scored at a time.
    top_reasons
        Reason texts in the ``top_reasons`` column.
    progress
        Optional callback, see :data:`ProgressCallback`.
    strict
        Refuse a file with a column that matches no field
        (:class:`features.firm_years.UnmatchedColumnsError`).
    rank_by
        The question the ranking asks (``features.ladder``).

    Returns
    -------
    ScreenedFile

    Raises
    ------
    ValueError
        When the file's extension is not a candidate format.
    features.io.TableReadError
        When the content cannot be read as a table (the message says why).
    """
    fmt = input_format(path)
    read = [0]

    def advance(rows: int) -> None:
        # A long file in several chunks is read twice: the bar follows the first pass.
        if progress is not None and rows > read[0]:
            progress("scored", rows - read[0])
            read[0] = rows

    reader = FirmYearReader(
        Path(path),
        chunk_rows,
        format=fmt,
        mapping=column_map,
        latest_only=True,
        strict=strict,
        on_chunk=advance,
    )
    ranked = rank_file(scorer, reader, explain=True, top_reasons=top_reasons, rank_by=rank_by)
    parts: list[pd.DataFrame] = []
    for block in iter_ranked_blocks(ranked, top_reasons=top_reasons):
        parts.append(export_frame(block.results, top_reasons=top_reasons, verdicts=block.verdicts))
        if progress is not None:
            progress("explained", len(block.results))
    ranking = _concat(parts)
    return ScreenedFile(
        ranking=ranking,
        errors=errors_frame(ranked.error_dicts()),
        n_rows=ranked.n_rows,
        n_scored=ranked.n_scored,
        model=dict(ranked.model_info),
        input=reader.report,
        rank_by=ranked.rank_by,
        versions=scorer.versions,
    )


def _concat(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [p for p in parts if len(p)]
    if not frames:
        return export_frame([])
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)[export_columns()]
