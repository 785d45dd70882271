"""Reading a firm-year table in any layout, and saying how it was read.

Every surface that reads a user's file (``srdi features``, ``schemes``, ``score``,
``explain``, ``train``, the page and ``POST /v1/screen``) reads it through
:class:`FirmYearReader`: chunks of the file (:func:`features.io.iter_table_chunks`)
come out as firm-year rows with contract column names, a wide or long vendor layout
turned into the contract's (:mod:`features.layout`), and :class:`InputReport` says
what was done: the layout, which header became which field (with its unit and
year), the columns ignored and why, and the values filled from earlier years.

Row numbers stay the file's: :meth:`FirmYearReader.source_rows` maps the rows of
the frames read back to the 0-based data rows of the file (a wide file's firm-year
rows all point at their firm's row).

A table in more than one chunk is read twice when it is not wide: once for the
firm ids, years and the figures that fill ``_prev`` (a few columns), then chunk by
chunk, so a large file is never held whole.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.fields import FIELD_NAMES
from features.formats import TableFormat
from features.headers import HeaderResolution, resolve_headers
from features.io import TableSource, XlsxLimits, iter_table_chunks, rename_columns
from features.layout import (
    PREVIOUS_FIELDS,
    WidePlan,
    fill_previous,
    latest_rows,
    melt_wide,
    plan_wide,
)
from features.validate import RowError

__all__ = ["FirmYearReader", "InputReport", "UnmatchedColumnsError", "describe_columns"]

_CONTEXT = ("company_id", "fiscal_year", *PREVIOUS_FIELDS)


class UnmatchedColumnsError(ValueError):
    """``strict`` reading met columns that match no field; the message names them."""


@dataclass
class InputReport:
    """How a file was read.

    Attributes
    ----------
    layout : {"firm-year", "long", "wide"}
        ``firm-year``: one row per firm and year as the contract has it; ``long``:
        several years per firm, ``_prev`` filled from earlier rows; ``wide``: one
        row per firm, one column per field and year.
    mapping : dict
        Source header → what it was read as (``revenue``, ``revenue, 2023, × 10,000``).
    ignored : dict
        Ignored column header → the sentence that says so and why.
    unmatched : list of str
        Headers that match no field (what ``strict`` refuses); columns ignored on
        purpose (``--map HEADER=``) are not in it.
    notes : list of str
        What the layout did (years found, values filled, earlier years set aside).
    """

    layout: str = "firm-year"
    mapping: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as sentences for a terminal or a log (mapping on one line)."""
        matched = ", ".join(f"{header} → {what}" for header, what in self.mapping.items())
        return [
            f"layout: {self.layout}",
            f"columns read: {matched}",
            *self.notes,
            *self.ignored.values(),
        ]

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (the ``columns`` object of an API response)."""
        return {
            "layout": self.layout,
            "mapping": dict(self.mapping),
            "ignored": list(self.ignored.values()),
            "notes": list(self.notes),
        }


def _scale_text(scale: float) -> str:
    return "" if scale == 1.0 else f", × {scale:g}"


def _mapping_text(
    resolution: HeaderResolution, plan: WidePlan | None, headers: list[str]
) -> dict[str, str]:
    """Source header → what it was read as, in the file's column order."""
    order = {header: k for k, header in enumerate(headers)}
    out: dict[str, str] = {}
    years = plan.year_columns if plan is not None else {}
    by_base: dict[str, list[tuple[str, int]]] = {}
    for source, (base, year) in years.items():
        by_base.setdefault(base, []).append((source, year))
    for name, match in resolution.matches.items():
        if match.header in by_base:
            for source, year in by_base[match.header]:
                out[source] = f"{name}, {year}{_scale_text(match.scale)}"
        else:
            out[match.header] = name + _scale_text(match.scale)
    return dict(sorted(out.items(), key=lambda item: order.get(item[0], len(order))))


def _rereadable(source: TableSource | pd.DataFrame) -> bool:
    if isinstance(source, (str, os.PathLike, bytes, pd.DataFrame)):
        return True
    return bool(getattr(source, "seekable", lambda: False)())


class FirmYearReader:
    """Iterate over a table's firm-year rows, whatever its layout.

    Parameters
    ----------
    source
        A path, bytes or a binary file (seekable for a multi-chunk table), or a
        DataFrame already read (a training panel).
    chunk_rows
        Rows read at a time (``None``: all at once).
    sheet, format
        As for :func:`features.io.iter_table_chunks`.
    mapping
        Header → field choices that win over the alias table (``""`` ignores).
    latest_only
        Keep only each firm's latest year (the scoring surfaces: a firm is ranked
        once; its earlier years still fill ``_prev``). Only a long or wide table has
        earlier years to set aside.
    strict
        Raise :class:`UnmatchedColumnsError` before any row when a column matches no
        field.
    on_chunk
        Called with the file's data rows read so far after each chunk is read (a
        progress bar, an upload limit).
    name, xlsx_limits
        As for :func:`features.io.iter_table_chunks` (the file's name in messages,
        the bounds of an uploaded XLSX).

    Notes
    -----
    Iterate once; :attr:`report` is complete when the first chunk has been yielded
    (its row counts when the last has).
    """

    def __init__(
        self,
        source: TableSource | pd.DataFrame,
        chunk_rows: int | None = 100_000,
        *,
        sheet: str | int | None = None,
        format: TableFormat | None = None,
        mapping: Mapping[str, str] | None = None,
        latest_only: bool = False,
        strict: bool = False,
        on_chunk: Callable[[int], None] | None = None,
        name: str | None = None,
        xlsx_limits: XlsxLimits | None = None,
    ) -> None:
        self.source = source
        self.chunk_rows = chunk_rows
        self.sheet = sheet
        self.format = format
        self.mapping = dict(mapping or {})
        self.latest_only = latest_only
        self.strict = strict
        self.report = InputReport()
        self._sources: list[npt.NDArray[np.int64]] = []
        self._years: list[npt.NDArray[np.int64]] = []
        self._filled: dict[str, int] = {}
        self._on_chunk = on_chunk
        self._name = name
        self._xlsx_limits = xlsx_limits
        self.n_rows = 0
        """Data rows read from the file (complete once iterated)."""
        tell = getattr(source, "tell", None)
        self._start = tell() if tell is not None else 0

    # -- iteration -------------------------------------------------------------------

    def _chunks(self) -> Iterator[tuple[int, pd.DataFrame]]:
        if isinstance(self.source, pd.DataFrame):
            chunks: Iterable[tuple[int, pd.DataFrame]] = [(0, self.source)]
        else:
            seek = getattr(self.source, "seek", None)
            if seek is not None:
                seek(self._start)
            chunks = iter_table_chunks(
                self.source,
                self.chunk_rows,
                sheet=self.sheet,
                format=self.format,
                name=self._name,
                xlsx_limits=self._xlsx_limits,
            )
        for offset, frame in chunks:
            self.n_rows = max(self.n_rows, offset + len(frame))
            if self._on_chunk is not None:
                self._on_chunk(offset + len(frame))
            yield offset, frame

    def __iter__(self) -> Iterator[tuple[int, pd.DataFrame]]:
        chunks = self._chunks()
        first = next(chunks)
        plan = plan_wide(first[1].columns, self.mapping)
        self._describe(first[1].columns, plan)
        if self.strict and self.report.unmatched:
            shown = ", ".join(repr(h) for h in self.report.unmatched)
            raise UnmatchedColumnsError(
                f"columns that match no field: {shown}; match them with --map HEADER=FIELD, "
                "ignore them with --map HEADER=, or leave out --strict"
            )
        second = next(chunks, None)
        if plan is not None:
            read = itertools.chain([first], [second] if second else [], chunks)
            yield from self._wide(read, plan)
        elif second is None:
            yield from self._single(*first)
        elif not _rereadable(self.source):
            # A stream that cannot be read twice is held whole instead.
            frames = [first[1], second[1], *(frame for _, frame in chunks)]
            yield from self._single(0, pd.concat(frames, ignore_index=True))
        else:
            yield from self._two_pass()

    def _describe(self, headers: pd.Index, plan: WidePlan | None) -> None:
        self.report = describe_columns(headers, self.mapping, plan)

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Contract names and header units; columns ignored on purpose dropped."""
        drop = [h for h, f in self.mapping.items() if not f and h in frame.columns]
        return rename_columns(frame.drop(columns=drop), self.mapping)

    def _emit(
        self,
        frame: pd.DataFrame,
        sources: npt.NDArray[np.int64],
        years: npt.NDArray[np.int64] | None = None,
    ) -> tuple[int, pd.DataFrame]:
        offset = sum(len(s) for s in self._sources)
        self._sources.append(sources)
        if years is not None:
            self._years.append(years)
        return offset, frame.reset_index(drop=True)

    def _fill(self, frame: pd.DataFrame, lookup: pd.DataFrame | None = None) -> pd.DataFrame:
        filled_frame, filled = fill_previous(frame, lookup)
        for name, count in filled.items():
            self._filled[name] = self._filled.get(name, 0) + count
        return filled_frame

    def _finish(self, set_aside: int) -> None:
        if self._filled:
            self.report.notes.append(
                "filled from the same firm's earlier years: "
                + ", ".join(
                    f"{name} {self._filled[name]:,}" for name in FIELD_NAMES if name in self._filled
                )
            )
        if set_aside:
            self.report.notes.append(
                f"{set_aside:,} earlier firm-year(s) set aside: each firm is scored on its latest "
                "year (the earlier ones fill its _prev figures)"
            )

    def _single(self, offset: int, raw: pd.DataFrame) -> Iterator[tuple[int, pd.DataFrame]]:
        frame = self._prepare(raw)
        sources = np.arange(offset, offset + len(frame), dtype=np.int64)
        set_aside = 0
        if _is_long(frame):
            self.report.layout = "long"
            frame = self._fill(frame)
            if self.latest_only:
                keep = latest_rows(frame)
                set_aside = len(frame) - len(keep)
                frame, sources = frame.iloc[keep], sources[keep]
        self._finish(set_aside)
        yield self._emit(frame, sources)

    def _wide(
        self, chunks: Iterator[tuple[int, pd.DataFrame]], plan: WidePlan
    ) -> Iterator[tuple[int, pd.DataFrame]]:
        set_aside = 0
        for offset, raw in chunks:
            melted, sources, years = melt_wide(raw, plan, row_offset=offset)
            frame = self._fill(self._prepare(melted))  # a firm's years are all on its row
            if self.latest_only:
                keep = latest_rows(frame)
                set_aside += len(frame) - len(keep)
                frame, sources, years = frame.iloc[keep], sources[keep], years[keep]
            yield self._emit(frame, sources, years)
        self._finish(set_aside)

    def _two_pass(self) -> Iterator[tuple[int, pd.DataFrame]]:
        parts = []
        for _, raw in self._chunks():
            frame = self._prepare(raw)
            parts.append(frame.loc[:, [c for c in _CONTEXT if c in frame.columns]])
        context = pd.concat(parts, ignore_index=True)
        long = _is_long(context)
        keep_mask: npt.NDArray[np.bool_] | None = None
        if long:
            self.report.layout = "long"
            if self.latest_only:
                keep_mask = np.zeros(len(context), dtype=bool)
                keep_mask[latest_rows(context)] = True
        for offset, raw in self._chunks():
            frame = self._prepare(raw)
            sources = np.arange(offset, offset + len(frame), dtype=np.int64)
            if long:
                frame = self._fill(frame, context)
            if keep_mask is not None:
                keep = keep_mask[offset : offset + len(frame)]
                frame, sources = frame.loc[keep], sources[keep]
            yield self._emit(frame, sources)
        self._finish(0 if keep_mask is None else int((~keep_mask).sum()))

    # -- rows back to the file -------------------------------------------------------

    def source_rows(self, rows: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Map row numbers of the frames read (offset + position) to the file's data rows."""
        mapped = np.concatenate(self._sources) if self._sources else np.zeros(0, dtype=np.int64)
        return mapped[np.asarray(rows, dtype=np.int64)]

    def source_errors(self, errors: list[RowError]) -> list[RowError]:
        """Row errors with the file's row numbers (and, for a wide file, the year)."""
        if not errors:
            return errors
        rows = self.source_rows([e.row for e in errors])
        if not self._years:
            return [replace(e, row=int(r)) for e, r in zip(errors, rows, strict=True)]
        years = np.concatenate(self._years)[[e.row for e in errors]]
        return [
            replace(e, row=int(r), message=f"{e.message} (in the {int(y)} columns)")
            for e, r, y in zip(errors, rows, years, strict=True)
        ]


def describe_columns(
    headers: Iterable[object],
    mapping: Mapping[str, str] | None = None,
    plan: WidePlan | None = None,
) -> InputReport:
    """The :class:`InputReport` of a table's headers (layout, mapping, ignored columns).

    Parameters
    ----------
    headers
        The file's headers, in order.
    mapping
        Header → field choices that win over the alias table (``""`` ignores).
    plan
        The wide layout's plan (:func:`features.layout.plan_wide`), if any.
    """
    mapping = dict(mapping or {})
    given = [str(h) for h in headers]
    if plan is None:
        seen = given
    else:
        bases = (base for year in plan.years for base in plan.by_year[year])
        seen = list(dict.fromkeys([*plan.static, *bases]))
    resolution = resolve_headers(seen, mapping)
    chosen = {m.header for m in resolution.matches.values()}
    deliberate = {h for h, f in mapping.items() if not f}
    sentences = [*resolution.warnings, *(plan.notes if plan else [])]
    ignored = {
        header: sentence
        for header in given
        for sentence in sentences
        if sentence.startswith(f"column {header!r} ignored: ")
    }
    report = InputReport(
        mapping=_mapping_text(resolution, plan, given),
        ignored=ignored,
        unmatched=[
            h
            for h in seen
            if h not in chosen and h not in deliberate and not _repeated(h, resolution)
        ],
    )
    for header in sorted(deliberate & set(given)):
        report.ignored[header] = f"column {header!r} ignored: your map says so"
    if plan is not None:
        report.layout = "wide"
        report.notes.append(
            f"wide layout: {len(plan.years)} years ({plan.years[0]}–{plan.years[-1]}) from "
            f"{len(plan.year_columns)} year columns, one row per firm and year"
        )
    return report


def _repeated(header: str, resolution: HeaderResolution) -> bool:
    """True when the header matched a field another column already gives."""
    prefix = f"column {header!r} ignored: "
    return any(w.startswith(prefix) and "already read from" in w for w in resolution.warnings)


def _is_long(frame: pd.DataFrame) -> bool:
    """True when some firm has rows for two different years."""
    if "company_id" not in frame.columns or "fiscal_year" not in frame.columns:
        return False
    keys = pd.DataFrame(
        {
            "firm": frame["company_id"].astype("string").str.strip(),
            "year": frame["fiscal_year"].astype("string"),
        }
    ).dropna()
    return bool(keys.drop_duplicates()["firm"].duplicated().any())
