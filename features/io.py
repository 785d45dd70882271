"""Reading tables: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Parquet and XLSX.

Values are read as text from CSV (validation parses them, so "1,234.5", "45%" and
"是" survive) and typed from Parquet and XLSX; :mod:`features.validate` copes
with both. :func:`iter_table_chunks` reads a large file a slice at a time.

An XLSX file is a zip archive of XML, so a small upload can unpack to gigabytes
(a decompression bomb) or declare a sheet far larger than its cells (a row gap that
costs CPU per empty row). :class:`XlsxLimits` bounds both before and while reading:
the zip directory's entry count, uncompressed sizes and compression ratios are
checked before anything is parsed (Python's zipfile never inflates an entry past its
declared size, so the directory can be trusted), then the sheet's declared dimension,
then every row actually read, blank rows included. A refusal is a
:class:`TableLimitError` naming the limit and how to get under it.
"""

from __future__ import annotations

import codecs
import io
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
    "TableLimitError",
    "TableReadError",
    "TableSource",
    "XlsxLimits",
    "detect_encoding",
    "iter_table_chunks",
    "read_table",
    "rename_columns",
]

TableSource: TypeAlias = str | os.PathLike[str] | bytes | IO[bytes]
_SNIFF_BYTES = 1 << 20


class TableReadError(Exception):
    """The file could not be read as a table; the message says why and how to fix it."""


class TableLimitError(TableReadError):
    """The file is larger than a reading limit allows.

    Attributes
    ----------
    limit
        Name of the :class:`XlsxLimits` field that was exceeded (the service's
        settings use the same names).
    value
        The limit in force.
    """

    def __init__(self, message: str, *, limit: str, value: int | float) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value


@dataclass(frozen=True)
class XlsxLimits:
    """Bounds on what reading one XLSX file may cost.

    Attributes
    ----------
    max_xlsx_unpacked_bytes
        Sum of the uncompressed sizes of every zip entry.
    max_xlsx_ratio
        Largest uncompressed / compressed size of one entry above
        ``ratio_grace_bytes`` (ordinary sheets compress 5-30 times; bombs 1000 times).
    ratio_grace_bytes
        Entries smaller than this are not held to the ratio (tiny XML parts
        legitimately compress very well).
    max_xlsx_entries
        Zip entries in the archive (a workbook has a few dozen).
    max_shared_strings_bytes
        Uncompressed size of the shared-string table, which is held in memory whole.
    max_rows
        Data rows under the header; the sheet's last row (blank rows count, as they
        cost reading time too) may be at most ``max_rows + 1``. ``None``: no bound.
    max_columns
        Columns of the sheet.
    """

    max_xlsx_unpacked_bytes: int = 256 * 2**20
    max_xlsx_ratio: float = 100.0
    ratio_grace_bytes: int = 2**20
    max_xlsx_entries: int = 1_000
    max_shared_strings_bytes: int = 64 * 2**20
    max_rows: int | None = None
    max_columns: int = 1_024


def read_table(
    source: TableSource,
    *,
    sheet: str | int | None = None,
    format: TableFormat | None = None,
    name: str | None = None,
    xlsx_limits: XlsxLimits | None = None,
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
    name : str, optional
        What messages call the source (an upload's file name); default: its path.
    xlsx_limits : XlsxLimits, optional
        Bounds on an XLSX file (default: :class:`XlsxLimits`).

    Returns
    -------
    pandas.DataFrame
        CSV columns as text (empty cells as ""), Parquet/XLSX columns typed.

    Raises
    ------
    TableReadError
        When the file is missing, of an unknown type, not decodable, or malformed
        (:class:`TableLimitError` when it exceeds a limit).
    """
    chunks = iter_table_chunks(
        source, None, sheet=sheet, format=format, name=name, xlsx_limits=xlsx_limits
    )
    frames = [frame for _, frame in chunks]
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def iter_table_chunks(
    source: TableSource,
    chunk_rows: int | None = 100_000,
    *,
    sheet: str | int | None = None,
    format: TableFormat | None = None,
    name: str | None = None,
    xlsx_limits: XlsxLimits | None = None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield ``(row_offset, frame)`` slices of a table so it is never held whole.

    Parameters
    ----------
    source : path, bytes or binary file
        As for :func:`read_table`.
    chunk_rows : int or None
        Rows per slice; ``None`` reads everything as one slice.
    sheet, format, name, xlsx_limits
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
    name = repr(name) if name is not None else _display_name(source)
    fmt = _detect_format(source, format, name)
    try:
        if fmt == "csv":
            yield from _csv_chunks(source, chunk_rows, name)
        elif fmt == "parquet":
            yield from _parquet_chunks(source, chunk_rows)
        else:
            limits = xlsx_limits if xlsx_limits is not None else XlsxLimits()
            yield from _xlsx_chunks(source, chunk_rows, sheet, name, limits)
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
    # A spooled temporary file's "name" is its file descriptor (an int), which tells
    # the user nothing; callers pass ``name=`` for uploads.
    name = getattr(source, "name", None)
    return repr(name) if isinstance(name, str) and name else "the uploaded file"


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
    source: TableSource,
    chunk_rows: int | None,
    sheet: str | int | None,
    name: str,
    limits: XlsxLimits,
) -> Iterator[tuple[int, pd.DataFrame]]:
    from openpyxl import load_workbook

    handle = _binary(source)
    try:
        _check_xlsx_archive(handle, name, limits)
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except BaseException:
        if handle is not source:
            handle.close()
        raise
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
        yield from _xlsx_sheet_chunks(worksheet, chunk_rows, name, limits)
    finally:
        workbook.close()
        if handle is not source:
            handle.close()


def _check_xlsx_archive(handle: IO[bytes], name: str, limits: XlsxLimits) -> None:
    """Refuse an archive whose directory promises more than the limits allow."""
    start = handle.tell()
    try:
        archive = zipfile.ZipFile(handle)
    except zipfile.BadZipFile as exc:
        raise TableReadError(
            f"cannot read {name} as XLSX: it is not a zip archive ({exc}); "
            "save it from Excel as .xlsx, or as CSV"
        ) from exc
    with archive:
        entries = archive.infolist()
    handle.seek(start)
    if len(entries) > limits.max_xlsx_entries:
        raise TableLimitError(
            f"cannot read {name}: the XLSX archive holds {len(entries):,} entries, more than "
            f"max_xlsx_entries = {limits.max_xlsx_entries:,}; a workbook has a few dozen, "
            "so save the sheet as a new .xlsx or as CSV",
            limit="max_xlsx_entries",
            value=limits.max_xlsx_entries,
        )
    total = 0
    for entry in entries:
        total += entry.file_size
        packed = max(entry.compress_size, 1)
        if entry.file_size > limits.ratio_grace_bytes and (
            entry.file_size > limits.max_xlsx_ratio * packed
        ):
            raise TableLimitError(
                f"cannot read {name}: XLSX part {entry.filename!r} unpacks from "
                f"{_size(entry.compress_size)} to {_size(entry.file_size)} "
                f"({entry.file_size / packed:,.0f} times), more than max_xlsx_ratio = "
                f"{limits.max_xlsx_ratio:,.0f}; this looks like a decompression bomb. "
                "Save the sheet as CSV if the file is genuine",
                limit="max_xlsx_ratio",
                value=limits.max_xlsx_ratio,
            )
        if entry.filename.endswith("sharedStrings.xml") and (
            entry.file_size > limits.max_shared_strings_bytes
        ):
            raise TableLimitError(
                f"cannot read {name}: its shared-string table unpacks to "
                f"{_size(entry.file_size)}, more than max_shared_strings_bytes = "
                f"{_size(limits.max_shared_strings_bytes)}; save the sheet as CSV",
                limit="max_shared_strings_bytes",
                value=limits.max_shared_strings_bytes,
            )
    if total > limits.max_xlsx_unpacked_bytes:
        raise TableLimitError(
            f"cannot read {name}: the XLSX unpacks to {_size(total)}, more than "
            f"max_xlsx_unpacked_bytes = {_size(limits.max_xlsx_unpacked_bytes)}; "
            "save the sheet as CSV or Parquet (read in chunks, no such limit), "
            "or split it",
            limit="max_xlsx_unpacked_bytes",
            value=limits.max_xlsx_unpacked_bytes,
        )


def _xlsx_sheet_chunks(
    worksheet: Any, chunk_rows: int | None, name: str, limits: XlsxLimits
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Read a read-only worksheet within the limits, rows in sheet order."""
    from openpyxl.utils import get_column_letter

    last_row = None if limits.max_rows is None else limits.max_rows + 1
    declared_rows, declared_columns = worksheet.max_row, worksheet.max_column
    if declared_columns is not None and declared_columns > limits.max_columns:
        raise _too_many_columns(name, limits, f"declares {declared_columns:,} columns")
    if last_row is not None and declared_rows is not None and declared_rows > last_row:
        raise _too_many_rows(name, limits, f"declares {declared_rows:,} rows")
    # Read the cells actually present, not the declared rectangle: openpyxl would
    # otherwise pad every row to the declared width and every gap with empty rows.
    worksheet.reset_dimensions()
    # Without declared dimensions openpyxl yields one empty tuple per missing row (a
    # gap costs a step per row, bounded by the row limit below) and each present row
    # up to its last cell.
    rows = worksheet.iter_rows(min_row=1, values_only=True)
    header: tuple[Any, ...] | None = None
    offset, batch = 0, []
    for sheet_row, row in enumerate(rows, start=1):
        if last_row is not None and sheet_row > last_row:
            raise _too_many_rows(name, limits, f"has rows below row {last_row:,}")
        if len(row) > limits.max_columns:
            where = f"{get_column_letter(len(row))}{sheet_row}"
            raise _too_many_columns(name, limits, f"has a cell in column {where}")
        if _blank(row):
            continue  # blank rows are skipped, as in CSV (above the header too)
        if header is None:
            header = row
            continue
        batch.append(row)
        if chunk_rows is not None and len(batch) == chunk_rows:
            yield offset, _xlsx_frame(batch, _xlsx_columns(header))
            offset, batch = offset + len(batch), []
    if header is None:
        raise TableReadError(f"cannot read {name}: the sheet is empty (no header row)")
    if batch or offset == 0:
        yield offset, _xlsx_frame(batch, _xlsx_columns(header))


def _blank(row: tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _xlsx_columns(header: tuple[Any, ...]) -> list[str]:
    return [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header)]


def _too_many_rows(name: str, limits: XlsxLimits, what: str) -> TableLimitError:
    return TableLimitError(
        f"cannot read {name}: the sheet {what}, more than max_rows = {limits.max_rows:,} "
        "data rows under the header (blank rows count: delete them, or split the file)",
        limit="max_rows",
        value=limits.max_rows or 0,
    )


def _too_many_columns(name: str, limits: XlsxLimits, what: str) -> TableLimitError:
    return TableLimitError(
        f"cannot read {name}: the sheet {what}, more than max_columns = "
        f"{limits.max_columns:,} columns; delete the unused columns to the right, or save "
        "the sheet as CSV",
        limit="max_columns",
        value=limits.max_columns,
    )


def _size(n_bytes: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes:,} bytes"


def _xlsx_frame(rows: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    width = len(columns)
    padded = [tuple(row[:width]) + (None,) * (width - len(row)) for row in rows]
    return pd.DataFrame(padded, columns=columns, dtype=object)
