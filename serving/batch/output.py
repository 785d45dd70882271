"""The batch output folder: one Parquet part per unit, written so retries never duplicate.

Layout::

    OUT_DIR/scores/part-00000.parquet   scored rows of unit 0 (when it has any)
    OUT_DIR/errors/part-00000.parquet   rejected rows of unit 0 (only when there are some)

A part is written under a hidden temporary name and then moved onto its final name.
A task that runs twice — retried after an error, or re-run because its worker died
after writing but before reporting — therefore replaces its own part with the same
rows instead of adding a second copy, and a reader never sees a half-written part
(Parquet readers skip names that start with ``.``).
"""

from __future__ import annotations

import uuid

import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from srdi.core.panel_units import absolute_uri

__all__ = [
    "ERRORS_DIR",
    "SCORES_DIR",
    "BatchOutputError",
    "part_name",
    "prepare_output",
    "remove_temporaries",
    "write_part",
]

SCORES_DIR = "scores"
ERRORS_DIR = "errors"
_TMP_PREFIX = ".tmp-"
# Text columns whose values are (nearly) all distinct.
_DISTINCT_TEXT = frozenset({"company_id", "name", "value", "message"})


class BatchOutputError(ValueError):
    """The output folder cannot be used (it holds a previous run and overwrite is off)."""


def part_name(index: int) -> str:
    """File name of unit ``index``'s part."""
    return f"part-{index:05d}.parquet"


def prepare_output(out_dir: str, *, overwrite: bool) -> None:
    """Create ``scores/`` and ``errors/`` under ``out_dir``, empty.

    Parameters
    ----------
    out_dir
        Local path or ``pyarrow.fs`` URI, reachable from every worker.
    overwrite
        Remove the parts of a previous run; otherwise refuse a folder that has any.

    Raises
    ------
    BatchOutputError
        When a previous run's parts are there and ``overwrite`` is false.
    """
    fs, root = pafs.FileSystem.from_uri(absolute_uri(out_dir))
    for sub in (SCORES_DIR, ERRORS_DIR):
        path = f"{root}/{sub}"
        existing = fs.get_file_info(pafs.FileSelector(path, allow_not_found=True))
        if existing and not overwrite:
            raise BatchOutputError(
                f"{out_dir}/{sub} already holds {len(existing)} file(s) from an earlier run; "
                "choose another output folder or pass overwrite (--overwrite)"
            )
        if existing:
            fs.delete_dir_contents(path, missing_dir_ok=True)
        fs.create_dir(path, recursive=True)


def write_part(frame: pd.DataFrame | pa.Table, out_dir: str, sub: str, index: int) -> str:
    """Write one unit's part atomically and return its final path.

    Parameters
    ----------
    frame
        The rows (a frame is written without its index).
    out_dir
        Output root (path or URI).
    sub
        ``SCORES_DIR`` or ``ERRORS_DIR``.
    index
        The unit's index, which names the part.
    """
    fs, root = pafs.FileSystem.from_uri(absolute_uri(out_dir))
    final = f"{root}/{sub}/{part_name(index)}"
    temporary = f"{root}/{sub}/{_TMP_PREFIX}{uuid.uuid4().hex}-{part_name(index)}"
    if isinstance(frame, pd.DataFrame):
        frame = pa.Table.from_pandas(frame, preserve_index=False)
    table = _uniform_text(frame)
    pq.write_table(table, temporary, filesystem=fs, **_write_options(table))
    fs.move(temporary, final)
    return final


def remove_temporaries(out_dir: str) -> int:
    """Delete temporaries that tasks killed mid-write left behind; return how many."""
    fs, root = pafs.FileSystem.from_uri(absolute_uri(out_dir))
    removed = 0
    for sub in (SCORES_DIR, ERRORS_DIR):
        selector = pafs.FileSelector(f"{root}/{sub}", allow_not_found=True)
        for info in fs.get_file_info(selector):
            if info.base_name.startswith(_TMP_PREFIX):
                fs.delete_file(info.path)
                removed += 1
    return removed


def _write_options(table: pa.Table) -> dict[str, object]:
    """Parquet options for a part: dictionary pages and statistics where they pay.

    Ids and names are nearly all distinct, so a dictionary for them is built only to
    be thrown away; every other text column (verdicts, bands, provinces) repeats a
    few values. Min/max statistics are kept for numbers, which readers filter on
    (``score > 0.2``); on text they cost a comparison per value for little use.
    """
    text = [f.name for f in table.schema if f.type == pa.string()]
    return {
        "use_dictionary": [name for name in text if name not in _DISTINCT_TEXT],
        "write_statistics": [f.name for f in table.schema if f.name not in text],
    }


def _uniform_text(table: pa.Table) -> pa.Table:
    """Give every text column the type ``string``, whatever its values.

    A part whose optional text column is empty (no name, no reasons, a file-level
    error without a field) would otherwise carry the type ``null``, and pandas'
    ``str`` columns become ``large_string``; readers of the folder take the first
    part's schema and refuse the others. Numbers keep their types.
    """
    text = (pa.null(), pa.large_string())
    fields = [pa.field(f.name, pa.string()) if f.type in text else f for f in table.schema]
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return table if schema.equals(table.schema) else table.cast(schema)
