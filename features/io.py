"""Reading tables: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Parquet and XLSX.

Values are read as text from CSV (validation parses them, so "1,234.5", "45%" and
"是" survive) and typed from Parquet and XLSX; :mod:`features.validate` copes
with both. :func:`iter_table_chunks` reads a large file a slice at a time.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator, Mapping
from typing import IO, Any, TypeAlias

import numpy as np
import pandas as pd

from features.fields import DERIVED_INPUTS, FIELD_BY_NAME
from features.formats import (
    TABLE_SUFFIXES,
    TableFormat,
    format_from_content,
    format_from_suffix,
    suffix_of,
)
from features.headers import resolve_headers
from features.parsing import parse_numbers

__all__ = [
    "TABLE_SUFFIXES",
    "TableFormat",
    "TableReadError",
    "TableSource",
    "detect_encoding",
    "iter_table_chunks",
    "read_table",
    "rename_columns",
]

TableSource: TypeAlias = str | os.PathLike[str] | bytes | IO[bytes]
_SNIFF_BYTES = 1 << 20


class TableReadError(Exception):
    """The file could not be read as a table; the message says why and how to fix it."""


def read_table(
    source: TableSource, *, sheet: str | int | None = None, format: TableFormat | None = None
) -> pd.DataFrame:
    """Read a whole table.

    Parameters
    ----------
    source : path, bytes or binary file
        A ``.csv``/``.txt``/``.tsv``, ``.parquet`` or ``.xlsx`` file, or its bytes.
    sheet : str or int, optional
        XLSX sheet name or 0-based index (default: the first sheet).
    format : {"csv", "parquet", "xlsx"}, optional
        Overrides detection by suffix and content.

    Returns
    -------
    pandas.DataFrame
        CSV columns as text (empty cells as ""), Parquet/XLSX columns typed.

    Raises
    ------
    TableReadError
        When the file is missing, of an unknown type, not decodable, or malformed.
    """
    frames = [frame for _, frame in iter_table_chunks(source, None, sheet=sheet, format=format)]
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def iter_table_chunks(
    source: TableSource,
    chunk_rows: int | None = 100_000,
    *,
    sheet: str | int | None = None,
    format: TableFormat | None = None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(row_offset, frame)`` slices of a table so it is never held whole.

    Parameters
    ----------
    source : path, bytes or binary file
        As for :func:`read_table`.
    chunk_rows : int or None
        Rows per slice; ``None`` reads everything as one slice.
    sheet, format
        As for :func:`read_table`.

    Yields
    ------
    (int, pandas.DataFrame)
        The 0-based row number of the slice's first row and the slice (its
        index starts at 0). An empty table yields one empty frame.

    Raises
    ------
    TableReadError
    """
    if chunk_rows is not None and chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    name = _display_name(source)
    fmt = _detect_format(source, format, name)
    try:
        if fmt == "csv":
            yield from _csv_chunks(source, chunk_rows, name)
        elif fmt == "parquet":
            yield from _parquet_chunks(source, chunk_rows)
        else:
            yield from _xlsx_chunks(source, chunk_rows, sheet, name)
    except TableReadError:
        raise
    except FileNotFoundError as exc:
        raise TableReadError(f"cannot read {name}: file not found") from exc
    except (OSError, ValueError, KeyError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TableReadError(f"cannot read {name} as {fmt.upper()}: {exc}") from exc
    except Exception as exc:  # pyarrow, openpyxl and zipfile raise their own types
        raise TableReadError(f"cannot read {name} as {fmt.upper()}: {exc}") from exc


def detect_encoding(head: bytes) -> str:
    """Return the text encoding of CSV bytes: UTF-8 (with or without BOM) or GB18030.

    GB18030 is a superset of GBK and GB2312, which Chinese spreadsheet tools export.

    Raises
    ------
    TableReadError
        When the bytes are neither.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            # final=False: the sample may end inside a multi-byte character.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableReadError(
        "the text is neither UTF-8 nor GBK/GB18030: save the CSV as UTF-8 "
        "(Excel: 'CSV UTF-8') and try again"
    )


def rename_columns(df: pd.DataFrame, mapping: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rename alias headers to contract names and apply header units.

    Parameters
    ----------
    df : pandas.DataFrame
    mapping : mapping of str to str, optional
        Explicit header → field choices that win over the alias table.

    Returns
    -------
    pandas.DataFrame
        Matched columns renamed (``营业收入(万元)`` → ``revenue`` in yuan; values
        that cannot be parsed are kept as given so validation reports them).
        Unmatched columns are kept unchanged, so validation can warn about them.
    """
    resolution = resolve_headers(df.columns, mapping)
    out = df.copy(deep=False)
    renames: dict[str, str] = {}
    for field_name, match in resolution.matches.items():
        if match.scale != 1.0:
            spec = FIELD_BY_NAME.get(field_name) or DERIVED_INPUTS[field_name]
            raw = out[match.header].to_numpy(dtype=object)
            parsed = parse_numbers(raw, percent=spec.unit == "share", money=spec.is_money)
            scaled = parsed.values * match.scale
            if parsed.explicit is not None:
                scaled = np.where(parsed.explicit, parsed.values, scaled)
            values = scaled.astype(object)
            if parsed.bad is not None:
                values[parsed.bad] = raw[parsed.bad]
            out[match.header] = values
        if match.header != field_name:
            renames[match.header] = field_name
    return out.rename(columns=renames)


# ---------------------------------------------------------------------------


def _display_name(source: TableSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    if isinstance(source, bytes):
        return "the uploaded bytes"
    return repr(getattr(source, "name", "the uploaded file"))


def _head(source: TableSource, size: int) -> bytes:
    if isinstance(source, bytes):
        return source[:size]
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            return handle.read(size)
    position = source.tell()
    head = source.read(size)
    source.seek(position)
    return head


def _detect_format(source: TableSource, format: str | None, name: str) -> TableFormat:
    if format is not None:
        if format not in ("csv", "parquet", "xlsx"):
            raise TableReadError(f"unknown table format {format!r}: use csv, parquet or xlsx")
        return format  # type: ignore[return-value]
    if isinstance(source, (str, os.PathLike)):
        if suffix_of(source) == ".xls":
            raise TableReadError(
                f"cannot read {name}: the old .xls format is not supported; save it as .xlsx or CSV"
            )
        by_suffix = format_from_suffix(source)
        if by_suffix is not None:
            return by_suffix
    try:
        head = _head(source, 8)
    except FileNotFoundError as exc:
        raise TableReadError(f"cannot read {name}: file not found") from exc
    except OSError as exc:
        raise TableReadError(f"cannot read {name}: {exc}") from exc
    return format_from_content(head) or "csv"


def _binary(source: TableSource) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb")
    return source


def _csv_chunks(
    source: TableSource, chunk_rows: int | None, name: str
) -> Iterator[tuple[int, pd.DataFrame]]:
    try:
        head = _head(source, _SNIFF_BYTES)
    except FileNotFoundError as exc:
        raise TableReadError(f"cannot read {name}: file not found") from exc
    try:
        encoding = detect_encoding(head)
    except TableReadError as exc:
        raise TableReadError(f"cannot read {name}: {exc}") from exc
    first_line = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head[:65536])
    first_line = first_line.splitlines()[0] if first_line.strip() else ""
    if not first_line:
        raise TableReadError(f"cannot read {name}: the file is empty (no header row)")
    sep = max([",", "\t", ";", "|"], key=first_line.count)
    handle = _binary(source)
    try:
        reader = pd.read_csv(
            handle,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
            sep=sep,
            chunksize=chunk_rows or None,
            skip_blank_lines=True,
        )
        chunks: Any = [reader] if chunk_rows is None else reader
        offset = 0
        for chunk in chunks:
            chunk = chunk.rename(columns=lambda c: str(c).strip()).reset_index(drop=True)
            yield offset, chunk
            offset += len(chunk)
    except UnicodeDecodeError as exc:
        raise TableReadError(
            f"cannot read {name}: text after the first {_SNIFF_BYTES} bytes is not "
            f"{encoding}; save the file in one encoding (UTF-8 preferred)"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise TableReadError(f"cannot read {name}: the file is empty (no header row)") from exc
    finally:
        if handle is not source:
            handle.close()


def _parquet_chunks(
    source: TableSource, chunk_rows: int | None
) -> Iterator[tuple[int, pd.DataFrame]]:
    import pyarrow.parquet as pq

    handle = _binary(source)
    try:
        parquet = pq.ParquetFile(handle)
        if chunk_rows is None or parquet.metadata.num_rows == 0:
            yield 0, parquet.read().to_pandas()
            return
        offset = 0
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            frame = batch.to_pandas()
            yield offset, frame
            offset += len(frame)
    finally:
        if handle is not source:
            handle.close()


def _xlsx_chunks(
    source: TableSource, chunk_rows: int | None, sheet: str | int | None, name: str
) -> Iterator[tuple[int, pd.DataFrame]]:
    from openpyxl import load_workbook

    handle = _binary(source)
    workbook = load_workbook(handle, read_only=True, data_only=True)
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif isinstance(sheet, int):
            worksheet = workbook.worksheets[sheet]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise TableReadError(
                f"cannot read {name}: no sheet {sheet!r}; sheets: {', '.join(workbook.sheetnames)}"
            )
        rows = worksheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise TableReadError(f"cannot read {name}: the sheet is empty (no header row)")
        columns = [
            str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)
        ]
        offset, batch = 0, []
        for row in rows:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue  # blank rows are skipped, as in CSV
            batch.append(row)
            if chunk_rows is not None and len(batch) == chunk_rows:
                yield offset, _xlsx_frame(batch, columns)
                offset, batch = offset + len(batch), []
        if batch or offset == 0:
            yield offset, _xlsx_frame(batch, columns)
    finally:
        workbook.close()
        if handle is not source:
            handle.close()


def _xlsx_frame(rows: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    width = len(columns)
    padded = [tuple(row[:width]) + (None,) * (width - len(row)) for row in rows]
    return pd.DataFrame(padded, columns=columns, dtype=object)
