"""Cut a firm-year panel on disk into units that keep every row's identity.

A unit is a slice of one file — some row groups of a Parquet file, or a whole CSV —
and knows the file's name (relative to the input root) and the file-level number of
its first row. Planning runs on the client and reads Parquet footers only; reading a
unit runs on a Dask worker. Batch scoring maps one task per unit (each unit is one
output part, which is what makes retried tasks write their rows once) and Dask
training validates and labels the panel unit by unit.

Paths are local paths or URIs that ``pyarrow.fs`` understands (``s3://``, ``gs://``,
``hdfs://``); on a cluster they must be readable from every worker.
"""

from __future__ import annotations

import fnmatch
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from features.formats import TABLE_SUFFIXES

__all__ = [
    "PanelInputError",
    "PanelUnit",
    "absolute_uri",
    "plan_units",
    "read_unit",
    "unit_headers",
    "unit_source_rows",
]

FileFormat = Literal["parquet", "csv"]

# A panel's files: Parquet and CSV (features.formats); spreadsheets are not panels.
_PARQUET_SUFFIXES = tuple(s for s, f in TABLE_SUFFIXES.items() if f == "parquet")
_CSV_SUFFIXES = tuple(s for s, f in TABLE_SUFFIXES.items() if f == "csv")
_GLOB_CHARS = re.compile(r"[*?\[]")
# The panel `srdi synth` writes keeps firm-years in this file (or folder) beside the
# certification and oracle tables, which are not records to score.
_PANEL_FILE = "financials"


class PanelInputError(ValueError):
    """The panel cannot be planned: nothing to read, or a file is not readable."""


@dataclass(frozen=True)
class PanelUnit:
    """One partition of a panel: a slice of one input file.

    Attributes
    ----------
    index
        Position in the plan; names the unit's output part (``part-00007.parquet``).
    source_file
        The file's path relative to the input root, as written into the output.
    uri
        Where a worker opens the file.
    fmt
        ``"parquet"`` or ``"csv"``.
    row_groups
        Parquet row groups to read (empty for CSV: the whole file).
    offset, length
        Slice of the rows read that belongs to this unit (``length=None``: to the end);
        used when one row group is much larger than a partition.
    first_row
        Row number in the file (0-based, header excluded) of the unit's first row.
    partition_keys
        Hive partition values taken from the path (``fiscal_year=2024/``), added as
        columns because the file itself does not hold them.
    """

    index: int
    source_file: str
    uri: str
    fmt: FileFormat
    row_groups: tuple[int, ...] = ()
    offset: int = 0
    length: int | None = None
    first_row: int = 0
    partition_keys: tuple[tuple[str, Any], ...] = ()


def plan_units(in_path: str | Path, *, partition_rows: int) -> list[PanelUnit]:
    """Plan the units of a Parquet panel, a CSV folder or a glob.

    Parameters
    ----------
    in_path
        A folder (searched recursively; names starting with ``.`` or ``_`` are
        skipped; Parquet files are used when there are any, else CSV files), a folder
        holding ``financials.parquet`` as ``srdi synth`` writes it, one file, or a
        glob such as ``panel/*.csv``.
    partition_rows
        Target rows per unit. Consecutive Parquet row groups are grouped up to about
        this many rows; a row group much larger is sliced. A CSV file is one unit.

    Returns
    -------
    list of PanelUnit
        In a deterministic order (files sorted by path), indexed from 0.

    Raises
    ------
    PanelInputError
        When nothing matches, or a Parquet footer cannot be read.
    """
    if partition_rows < 1:
        raise PanelInputError(f"partition_rows must be at least 1 (got {partition_rows})")
    fs, root, files = _list_input_files(str(in_path))
    units: list[PanelUnit] = []
    for path in files:
        relative = _relative(root, path)
        keys = _hive_keys(relative)
        uri = _uri(str(in_path), path)
        if path.lower().endswith(_CSV_SUFFIXES):
            units.append(
                PanelUnit(len(units), relative, uri, "csv", partition_keys=keys),
            )
            continue
        try:
            metadata = pq.ParquetFile(path, filesystem=fs).metadata
        except Exception as exc:
            raise PanelInputError(f"cannot read the Parquet footer of {relative!r}: {exc}") from exc
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        for row_groups, offset, length, first_row in _slices(sizes, partition_rows):
            units.append(
                PanelUnit(
                    index=len(units),
                    source_file=relative,
                    uri=uri,
                    fmt="parquet",
                    row_groups=row_groups,
                    offset=offset,
                    length=length,
                    first_row=first_row,
                    partition_keys=keys,
                )
            )
    return units


def read_unit(unit: PanelUnit, *, contract_columns_only: bool = True) -> pd.DataFrame:
    """Read one unit's rows into a frame with a 0..n-1 index.

    Parameters
    ----------
    unit
        The unit to read.
    contract_columns_only
        Read only the Parquet columns whose headers match a contract field (names or
        aliases, ``features.headers``); other columns are never scored, so skipping
        them saves I/O. CSV files are read whole, decoded by ``features.io``.

    Returns
    -------
    pandas.DataFrame
        The unit's rows in file order, hive partition values added as columns.
    """
    fs, path = pafs.FileSystem.from_uri(unit.uri)
    if unit.fmt == "csv":
        from features.io import read_table

        with fs.open_input_stream(path) as stream:
            data = io.BytesIO(stream.read())  # an I/O error here is worth a retry
        data.name = unit.source_file  # named in features.io's error messages
        frame = read_table(data, format="csv")
    else:
        parquet = pq.ParquetFile(path, filesystem=fs)
        wanted = None
        if contract_columns_only:
            from features.headers import resolve_headers

            names = parquet.schema_arrow.names
            matched = {match.header for match in resolve_headers(names).matches.values()}
            wanted = [name for name in names if name in matched]  # file order decides ties
        table = parquet.read_row_groups(list(unit.row_groups), columns=wanted)
        if unit.offset or unit.length is not None:
            table = table.slice(unit.offset, unit.length)
        # Nullable booleans, not object arrays of True/False/None: validation checks
        # them in one vectorized pass (the validated columns are the same).
        frame = table.to_pandas(types_mapper=_nullable_boolean)
    for key, value in unit.partition_keys:
        if key not in frame.columns:
            frame[key] = value
    return frame.reset_index(drop=True)


def unit_headers(unit: PanelUnit) -> list[str]:
    """The column headers of a unit's file (Parquet schema, or a CSV's first line).

    Cheap: no row is read. Hive partition keys taken from the path are added.
    """
    fs, path = pafs.FileSystem.from_uri(unit.uri)
    if unit.fmt == "csv":
        from features.io import read_table

        with fs.open_input_stream(path) as stream:
            head = stream.read(1 << 16)
        cut = head.rfind(b"\n")
        frame = read_table(head[: cut + 1] if cut > 0 else head, format="csv")
        names = [str(c) for c in frame.columns]
    else:
        names = list(pq.ParquetFile(path, filesystem=fs).schema_arrow.names)
    return [*names, *(key for key, _ in unit.partition_keys if key not in names)]


def _nullable_boolean(arrow_type: pa.DataType) -> pd.BooleanDtype | None:
    """``to_pandas`` types mapper: Arrow booleans become pandas' nullable booleans."""
    return pd.BooleanDtype() if pa.types.is_boolean(arrow_type) else None


def unit_source_rows(unit: PanelUnit, n_rows: int) -> np.ndarray:
    """Return the file-level row numbers of a unit's ``n_rows`` rows (int64)."""
    return unit.first_row + np.arange(n_rows, dtype=np.int64)


def _slices(
    sizes: Sequence[int], partition_rows: int
) -> list[tuple[tuple[int, ...], int, int | None, int]]:
    """Group row groups into ``(row_groups, offset, length, first_row)`` slices."""
    slices: list[tuple[tuple[int, ...], int, int | None, int]] = []
    group: list[int] = []
    group_rows = 0
    group_first = 0
    first_row = 0
    for index, size in enumerate(sizes):
        if size > 2 * partition_rows:
            # Too big to keep whole: flush what is pending, then slice this group.
            if group:
                slices.append((tuple(group), 0, None, group_first))
                group, group_rows = [], 0
            for offset in range(0, size, partition_rows):
                length = min(partition_rows, size - offset)
                slices.append(((index,), offset, length, first_row + offset))
        else:
            if not group:
                group_first = first_row
            group.append(index)
            group_rows += size
            if group_rows >= partition_rows:
                slices.append((tuple(group), 0, None, group_first))
                group, group_rows = [], 0
        first_row += size
    if group:
        slices.append((tuple(group), 0, None, group_first))
    return slices


def _list_input_files(in_path: str) -> tuple[pafs.FileSystem, str, list[str]]:
    """Return the filesystem, the root the relative names start from, and the files."""
    if _GLOB_CHARS.search(in_path):
        fs, pattern = pafs.FileSystem.from_uri(absolute_uri(in_path))
        base = _GLOB_CHARS.split(pattern, maxsplit=1)[0].rsplit("/", 1)[0]
        files = [
            p
            for p in _walk(fs, base)
            if fnmatch.fnmatchcase(p, pattern)
            and p.lower().endswith(_PARQUET_SUFFIXES + _CSV_SUFFIXES)
        ]
        if not files:
            raise PanelInputError(f"no Parquet or CSV file matches {in_path!r}")
        return fs, base, sorted(files)

    fs, path = pafs.FileSystem.from_uri(absolute_uri(in_path))
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        raise PanelInputError(f"input {in_path!r} does not exist")
    if info.type == pafs.FileType.File:
        return fs, path.rsplit("/", 1)[0], [path]
    for suffix in ("", *_PARQUET_SUFFIXES, ".csv"):
        panel = fs.get_file_info(f"{path}/{_PANEL_FILE}{suffix}")
        if panel.type == pafs.FileType.File:
            return fs, path, [panel.path]
        if panel.type == pafs.FileType.Directory:
            return fs, panel.path, sorted(_walk(fs, panel.path, root=panel.path))
    candidates = _walk(fs, path, root=path)
    parquet = sorted(p for p in candidates if p.lower().endswith(_PARQUET_SUFFIXES))
    if parquet:
        return fs, path, parquet
    csv = sorted(p for p in candidates if p.lower().endswith(_CSV_SUFFIXES))
    if csv:
        return fs, path, csv
    raise PanelInputError(f"no Parquet or CSV file under {in_path!r}")


def _walk(fs: pafs.FileSystem, base: str, root: str | None = None) -> list[str]:
    """Files under ``base``, skipping hidden and ``_``-prefixed names below ``root``."""
    selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
    start = root or base
    files = []
    for info in fs.get_file_info(selector):
        if info.type != pafs.FileType.File:
            continue
        parts = _relative(start, info.path).split("/")
        if any(part.startswith((".", "_")) for part in parts):
            continue
        files.append(info.path)
    return files


def _relative(root: str, path: str) -> str:
    root = root.rstrip("/")
    return path[len(root) + 1 :] if path.startswith(root + "/") else path.rsplit("/", 1)[-1]


def _hive_keys(relative: str) -> tuple[tuple[str, Any], ...]:
    keys: list[tuple[str, Any]] = []
    for part in relative.split("/")[:-1]:
        name, sep, raw = part.partition("=")
        if sep and name:
            keys.append((unquote(name), _parse_key(unquote(raw))))
    return tuple(keys)


def _parse_key(raw: str) -> Any:
    """Hive values are text in the path; numbers go back to numbers."""
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def absolute_uri(path: str) -> str:
    """A URI as given, a local path made absolute (what ``pyarrow.fs`` resolves)."""
    return path if "://" in path else str(Path(path).expanduser().resolve())


def _uri(in_path: str, fs_path: str) -> str:
    """A URI a worker can open: the scheme of the input, the filesystem path."""
    if "://" in in_path:
        scheme = in_path.split("://", 1)[0]
        return f"{scheme}://{fs_path}"
    return fs_path
