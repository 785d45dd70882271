"""Vendor layouts → firm-year records: wide years melted, ``_prev`` filled from earlier years.

The contract is one row per firm and fiscal year, with the firm's t-1 and t-2 figures
on the same row (``revenue_prev``, ``revenue_prev2``). Vendor exports come in two
other shapes, both recognized here before the headers are matched:

- **wide**: one row per firm and one column per field and year —
  ``营业收入2023``, ``营业收入(万元)2024``, ``2023营业收入``, ``营业收入_2023``,
  ``营业收入2023年(万元)``. A header is a year column when it holds one year
  (1950–2099) and what is left is a field's header (with its unit). The table is
  melted to one row per firm and year (``fiscal_year`` from the header); the other
  columns (企业名称, 省份, …) repeat on each of the firm's rows, and a year in
  which the firm has no figure at all gives no row.
- **long**: one row per firm and year (报告期/年度) without the ``_prev`` columns,
  as Wind and CSMAR export panels.

In both, :func:`fill_previous` then fills ``X_prev`` / ``X_prev2`` from the same
firm's ``X`` in year t-1 / t-2 when the file has no such column (or leaves it
wholly empty); a ``_prev`` column the file gives is its word, and its empty cells
stay unknown. :func:`latest_rows` keeps each firm's latest year for the surfaces that
score firms rather than firm-years. A 报告期 such as ``2023-12-31``, ``2023年报`` or ``2023年度``
reads as fiscal year 2023; an interim date (``2023-06-30``) is left as given, so
validation rejects it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.fields import FIELD_BY_NAME, FIELDS
from features.headers import suggest_field
from features.parsing import MISSING_TOKENS, parse_numbers

__all__ = [
    "PREVIOUS_FIELDS",
    "WidePlan",
    "annual_year",
    "fill_previous",
    "is_missing",
    "latest_rows",
    "melt_wide",
    "plan_wide",
]

PREVIOUS_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        spec.name: tuple(
            f"{spec.name}{suffix}"
            for suffix in ("_prev", "_prev2")
            if f"{spec.name}{suffix}" in FIELD_BY_NAME
        )
        for spec in FIELDS
        if f"{spec.name}_prev" in FIELD_BY_NAME
    }
)
"""Field → its t-1 and t-2 fields (``revenue`` → ``revenue_prev``, ``revenue_prev2``)."""

_YEAR_TAG = re.compile(r"(?<!\d)((?:19[5-9]|20\d)\d)(?:年度|年)?(?!\d)")
_ANNUAL = re.compile(
    r"^\s*((?:19[5-9]|20\d)\d)\s*(?:年度?报?|年度|fy|a)?\s*"
    r"(?:[-/.]\s*12\s*[-/.]\s*31(?:\s+00:00:00)?)?\s*$",
    re.IGNORECASE,
)
_TRIM = " _-."
# Fields that name the firm or the year: a year-tagged copy of them is not a figure.
_NOT_YEARLY = frozenset({"company_id", "name", "fiscal_year"})


def is_missing(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """True where a raw cell is empty: None, NaN or a missing token (``""``, ``-``, ``NA``…)."""
    cells = np.asarray(values, dtype=object)
    out = np.asarray(pd.isna(cells), dtype=bool)
    text = np.fromiter((isinstance(v, str) for v in cells), dtype=bool, count=len(cells))
    if text.any():
        out[text] = [v.strip().lower() in MISSING_TOKENS for v in cells[text]]
    return out


def annual_year(value: object) -> object:
    """A 报告期 or year cell as its fiscal year (int), or the value unchanged.

    ``2023``, ``2023.0``, ``"2023"``, ``"2023年"``, ``"2023年报"``, ``"2023-12-31"`` and a
    year-end timestamp all give 2023; anything else (an interim date, text) is returned
    as given for validation to judge.
    """
    if isinstance(value, pd.Timestamp):
        return value.year if (value.month, value.day) == (12, 31) else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    if isinstance(value, str):
        found = _ANNUAL.match(unicodedata.normalize("NFKC", value))
        if found is not None:
            return int(found.group(1))
    return value


@dataclass(frozen=True)
class WidePlan:
    """How a wide table's headers split into static columns and year columns.

    Attributes
    ----------
    years : tuple of int
        The years found, ascending.
    by_year : dict
        Year → {header without the year → source header}.
    static : tuple of str
        Headers without a year (identity and other columns), in file order.
    notes : list of str
        Year columns left out (a second column for the same header and year, a
        static column that a year column replaces).
    """

    years: tuple[int, ...]
    by_year: dict[int, dict[str, str]]
    static: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def year_columns(self) -> dict[str, tuple[str, int]]:
        """Source header → (header without the year, year)."""
        return {
            source: (base, year)
            for year, columns in self.by_year.items()
            for base, source in columns.items()
        }


def _split_year(header: str) -> tuple[str, int] | None:
    text = unicodedata.normalize("NFKC", header).strip()
    tags = list(_YEAR_TAG.finditer(text))
    if len(tags) != 1:
        return None
    tag = tags[0]
    base = (text[: tag.start()].rstrip(_TRIM) + text[tag.end() :].lstrip(_TRIM)).strip(_TRIM)
    if not base:
        return None
    name = suggest_field(base)
    if name is None or name in _NOT_YEARLY:
        return None
    return base, int(tag.group(1))


def plan_wide(
    headers: Iterable[object], mapping: Mapping[str, str] | None = None
) -> WidePlan | None:
    """Return how to melt a wide table, or ``None`` when the headers are not wide.

    A table is wide when at least two headers are year columns of contract fields
    and no header is the fiscal year itself. Headers in ``mapping`` (the user's
    explicit matches) are never read as year columns.
    """
    explicit = mapping or {}
    texts = [str(h) for h in headers]
    if any(suggest_field(t) == "fiscal_year" or explicit.get(t) == "fiscal_year" for t in texts):
        return None
    by_year: dict[int, dict[str, str]] = {}
    static: list[str] = []
    notes: list[str] = []
    found = 0
    for text in texts:
        split = None if text in explicit else _split_year(text)
        if split is None:
            static.append(text)
            continue
        base, year = split
        columns = by_year.setdefault(year, {})
        if base in columns:
            notes.append(f"column {text!r} ignored: {columns[base]!r} already gives {base} {year}")
            continue
        columns[base] = text
        found += 1
    if found < 2:
        return None
    bases = {base for columns in by_year.values() for base in columns}
    replaced = [s for s in static if s in bases]
    notes += [f"column {s!r} ignored: the year columns of {s!r} replace it" for s in replaced]
    return WidePlan(
        years=tuple(sorted(by_year)),
        by_year=by_year,
        static=tuple(s for s in static if s not in bases),
        notes=notes,
    )


def melt_wide(
    frame: pd.DataFrame, plan: WidePlan, *, row_offset: int = 0
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Melt a wide table to one row per firm and year.

    Returns
    -------
    (pandas.DataFrame, numpy.ndarray, numpy.ndarray)
        The firm-year rows (static columns, one column per header without its year,
        and ``fiscal_year``), ordered by source row then year; the source row
        (``row_offset`` + position) and the year of each. A year in which a firm
        has no figure gives no row.
    """
    n = len(frame)
    bases = list(dict.fromkeys(base for year in plan.years for base in plan.by_year[year]))
    parts: list[pd.DataFrame] = []
    sources: list[npt.NDArray[np.int64]] = []
    years: list[npt.NDArray[np.int64]] = []
    static = frame.loc[:, list(plan.static)]
    for year in plan.years:
        columns = plan.by_year[year]
        values = {
            base: frame[columns[base]].to_numpy(dtype=object)
            if base in columns
            else np.full(n, None, dtype=object)
            for base in bases
        }
        present = np.zeros(n, dtype=bool)
        for base in columns:
            present |= ~is_missing(values[base])
        part = static.iloc[np.flatnonzero(present)].reset_index(drop=True)
        for base in bases:
            part[base] = values[base][present]
        part["fiscal_year"] = year
        parts.append(part)
        sources.append(np.flatnonzero(present).astype(np.int64) + row_offset)
        years.append(np.full(int(present.sum()), year, dtype=np.int64))
    source = np.concatenate(sources) if sources else np.zeros(0, dtype=np.int64)
    year_of = np.concatenate(years) if years else np.zeros(0, dtype=np.int64)
    order = np.lexsort((year_of, source))
    melted = pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)
    return melted, source[order], year_of[order]


def _keys(frame: pd.DataFrame) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]]:
    """Firm key and fiscal year (NaN when unreadable) of each row of a contract frame."""
    ids = frame["company_id"].to_numpy(dtype=object)
    missing = is_missing(ids)
    firm = np.array(
        [None if m else str(v).strip() for v, m in zip(ids, missing, strict=True)], dtype=object
    )
    year = np.array(
        [
            float(y) if isinstance(y, int) else np.nan
            for y in (annual_year(v) for v in frame["fiscal_year"].to_numpy(dtype=object))
        ],
        dtype=np.float64,
    )
    return firm, year


def fill_previous(
    frame: pd.DataFrame, lookup: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fill missing ``_prev``/``_prev2`` values from the same firm's earlier rows.

    Parameters
    ----------
    frame
        Contract column names (after :func:`features.io.rename_columns`), raw
        values; needs ``company_id`` and ``fiscal_year``.
    lookup
        Where the earlier rows are (``company_id``, ``fiscal_year`` and the figures
        that fill ``_prev``); default ``frame`` itself. A chunk of a large file looks
        its earlier years up in the whole file's few columns.

    Returns
    -------
    (pandas.DataFrame, dict)
        The frame with ``fiscal_year`` read as years where it is one (a 报告期 such as
        ``2023-12-31``) and the ``_prev`` values filled, and the number of values
        filled per field. A firm-year given twice lends the first row's values.
    """
    if "company_id" not in frame.columns or "fiscal_year" not in frame.columns:
        return frame, {}
    out = frame.copy(deep=False)
    if not pd.api.types.is_numeric_dtype(out["fiscal_year"].dtype):
        # A typed year column stays typed (validation reads integers faster).
        years = out["fiscal_year"].to_numpy(dtype=object)
        out["fiscal_year"] = np.array([annual_year(v) for v in years], dtype=object)
    source_frame = out if lookup is None else lookup
    # A _prev column the file gives is its word (empty cells stay unknown): only a
    # column it lacks, or leaves wholly empty, is filled.
    wanted = [
        (base, lag, target)
        for base, previous in PREVIOUS_FIELDS.items()
        if base in source_frame.columns
        for lag, target in enumerate(previous, start=1)
        if target not in out.columns or is_missing(out[target].to_numpy(dtype=object)).all()
    ]
    if not wanted:
        return out, {}
    firm, year = _keys(out)
    source_firm, source_year = (firm, year) if lookup is None else _keys(lookup)
    known = np.array([f is not None for f in source_firm], dtype=bool) & ~np.isnan(source_year)
    index = pd.Series(np.flatnonzero(known), dtype=np.int64)
    index.index = pd.MultiIndex.from_arrays([source_firm[known], source_year[known]])
    index = index[~index.index.duplicated(keep="first")]
    filled: dict[str, int] = {}
    for base, lag, target in wanted:
        base_values = source_frame[base].to_numpy(dtype=object)
        # Only a readable figure lends itself: a bad cell is reported once, on its own row.
        base_missing = np.isnan(parse_numbers(base_values, money=True).values)
        wanted_keys = pd.MultiIndex.from_arrays([firm, year - lag])
        source = index.reindex(wanted_keys).to_numpy(dtype=np.float64)
        rows = np.flatnonzero(~np.isnan(source))
        src = source[rows].astype(np.int64)
        usable = ~base_missing[src]
        rows, src = rows[usable], src[usable]
        if rows.size == 0:
            continue
        values = np.full(len(out), None, dtype=object)
        values[rows] = base_values[src]
        out[target] = values
        filled[target] = int(rows.size)
    return out, filled


def latest_rows(frame: pd.DataFrame) -> npt.NDArray[np.intp]:
    """Positions of each firm's latest fiscal year (rows without an id or year kept).

    Returns
    -------
    numpy.ndarray
        Ascending positions; a firm-year given twice keeps its first row.
    """
    if "company_id" not in frame.columns or "fiscal_year" not in frame.columns:
        return np.arange(len(frame))
    firm, year = _keys(frame)
    known = np.array([f is not None for f in firm]) & ~np.isnan(year)
    table = pd.DataFrame({"firm": firm[known], "year": year[known], "pos": np.flatnonzero(known)})
    latest = table.sort_values(
        ["firm", "year", "pos"], ascending=[True, False, True]
    ).drop_duplicates("firm", keep="first")
    keep = np.concatenate([latest["pos"].to_numpy(dtype=np.intp), np.flatnonzero(~known)])
    return np.sort(keep)
