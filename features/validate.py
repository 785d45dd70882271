"""Validation of frames and single records against the input contract.

A frame and a record run the same vectorized checks: the raw values are parsed
into a (fields × rows) float block for numbers, one for booleans, and object
arrays for text; bounds, whole-number and cross-field rules are then evaluated on
whole blocks at once. Each broken rule yields a :class:`RowError` naming the row,
the field, the value as given and the rule ("main_business_revenue (1.2e8)
exceeds revenue (1e8)"); bad rows are dropped, good rows go on, nothing is
clipped or filled — except a missing ``total_liabilities`` computed from the
derived input ``debt_ratio`` × ``total_assets`` (documented in the data contract).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features._arrays import as_object_array, map_objects
from features.columns import Columns, FloatArray
from features.fields import DEBT_RATIO, DERIVED_INPUTS, FIELD_BY_NAME, FIELDS, FieldSpec
from features.headers import resolve_headers
from features.industries import normalize_industry_value
from features.parsing import (
    BAD,
    MISSING_TOKENS,
    bad_mask,
    choice_parser,
    format_number,
    parse_bools,
    parse_numbers,
    text_value,
)
from features.provinces import normalize_province_value

__all__ = [
    "FieldError",
    "RecordValidationError",
    "RowError",
    "ValidatedFrame",
    "validate_frame",
    "validate_record",
]


@dataclass(frozen=True, slots=True)
class RowError:
    """One broken rule in one row of a frame.

    Attributes
    ----------
    row : int
        0-based row number in the source (plus the chunk's ``row_offset``).
    field : str
        Contract field (or ``debt_ratio``) the rule is about.
    value : str
        The value as given ("" when missing).
    message : str
        What is wrong and what was expected.
    """

    row: int
    field: str
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule in a single record (see :class:`RowError`)."""

    field: str
    value: str
    message: str


class RecordValidationError(ValueError):
    """A single record broke one or more rules; ``errors`` lists each of them."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors))


@dataclass(slots=True)
class ValidatedFrame:
    """Result of :func:`validate_frame`.

    Attributes
    ----------
    columns : Columns
        Validated columns of the good rows only.
    rows : numpy.ndarray
        Source row numbers (0-based, plus ``row_offset``) of the good rows.
    errors : list of RowError
        Every broken rule, ordered by row then field.
    warnings : list of str
        Ignored columns and similar notes that do not reject rows.
    n_input : int
        Rows read.
    """

    columns: Columns
    rows: npt.NDArray[np.int64]
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_input: int = 0

    @property
    def n_valid(self) -> int:
        """Number of good rows."""
        return len(self.rows)

    @property
    def rejected_rows(self) -> npt.NDArray[np.int64]:
        """Source row numbers of the rejected rows, ascending."""
        return np.unique(np.fromiter((e.row for e in self.errors), dtype=np.int64))


# ---------------------------------------------------------------------------
# Field groups and rule tables, computed once from FIELDS.

_NUMBER_SPECS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.is_numeric)
_BOOL_SPECS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.kind == "bool")
_TEXT_SPECS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.kind in ("text", "enum"))
_NUMBER_NAMES: tuple[str, ...] = tuple(f.name for f in _NUMBER_SPECS)
_BOOL_NAMES: tuple[str, ...] = tuple(f.name for f in _BOOL_SPECS)
_NUMBER_INDEX: Mapping[str, int] = {name: j for j, name in enumerate(_NUMBER_NAMES)}
_FIELD_ORDER: Mapping[str, int] = {f.name: i for i, f in enumerate(FIELDS)} | {
    DEBT_RATIO.name: len(FIELDS)
}
_KNOWN: frozenset[str] = frozenset(FIELD_BY_NAME) | frozenset(DERIVED_INPUTS)

# A raw column as read: numpy values, or the Arrow strings of a text field (kept in
# Arrow so a million ids are not turned into Python objects only to be inspected).
_Raw: TypeAlias = npt.NDArray[Any] | pa.Array
# Frames up to this many rows take the element-wise paths (a POSTed batch of a few
# records): Arrow kernels cost more to set up than they save there.
_SMALL_FRAME = 32
# text_value() leaves a string as it is unless it has surrounding whitespace or is
# a missing token; lower() never shortens a string, so a token match needs at most
# as many characters as the longest token.
_LONGEST_TOKEN = max(len(token) for token in MISSING_TOKENS)

_LO = np.array([[-np.inf if f.minimum is None else f.minimum] for f in _NUMBER_SPECS])
_HI = np.array([[np.inf if f.maximum is None else f.maximum] for f in _NUMBER_SPECS])
_IS_INT = np.array([f.kind == "int" for f in _NUMBER_SPECS])
# Up to this many rows the number bounds are checked as one matrix (_wrong_numbers).
_SMALL_BLOCK_ROWS = 64


@dataclass(frozen=True, slots=True)
class _PairRule:
    """``left`` must not exceed ``right`` (a relative 1e-9 absorbs unit rounding)."""

    left: str
    right: str
    verb: str


_PAIR_RULES: tuple[_PairRule, ...] = (
    _PairRule("main_business_revenue", "revenue", "exceeds"),
    _PairRule("main_business_revenue_prev", "revenue_prev", "exceeds"),
    _PairRule("main_business_revenue_prev2", "revenue_prev2", "exceeds"),
    _PairRule("rd_staff", "employees", "exceeds"),
    _PairRule("gross_profit", "revenue", "exceeds"),
    _PairRule("founded_year", "fiscal_year", "is after"),
)
_PAIR_LEFT = np.array([_NUMBER_INDEX[r.left] for r in _PAIR_RULES])
_PAIR_RIGHT = np.array([_NUMBER_INDEX[r.right] for r in _PAIR_RULES])
_ASSETS = _NUMBER_INDEX["total_assets"]
_LIABILITIES = _NUMBER_INDEX["total_liabilities"]

_PROVINCE_HINT = (
    "is not one of the 31 mainland province-level divisions (use pinyin such as "
    "'Zhejiang', Chinese such as '浙江' or '浙江省', or a GB/T 2260 code such as '33')"
)
_INDUSTRY_HINT = (
    "is not a GB/T 4754-2017 division code: use the section letter and two digits "
    "such as 'C39' (the 97 codes A01–T97 are listed in docs/data-contract.md and "
    "features.industries.DIVISIONS)"
)
_BOOL_HINT = "is not a yes/no value (use true/false, 1/0, yes/no, Y/N or 是/否)"


# ---------------------------------------------------------------------------
# Public entry points.


def validate_frame(
    df: pd.DataFrame, *, row_offset: int = 0, mapping: Mapping[str, str] | None = None
) -> ValidatedFrame:
    """Validate a DataFrame of firm-year records.

    Parameters
    ----------
    df : pandas.DataFrame
        Typed (Parquet) or text (CSV) columns. Headers may be contract names,
        aliases (``营业收入``) or aliases with a unit (``营业收入(万元)``).
    row_offset : int
        Added to row numbers (for chunks of a larger file).
    mapping : mapping of str to str, optional
        Explicit header → field choices that win over the alias table.

    Returns
    -------
    ValidatedFrame
        The good rows' columns, their source row numbers, every error and the
        warnings (ignored columns).
    """
    n = len(df)
    resolution = resolve_headers(df.columns, mapping)
    raw: dict[str, _Raw] = {}
    scales: dict[str, float] = {}
    whole: set[str] = set()  # integer-typed, unscaled: no fraction to look for
    for name, match in resolution.matches.items():
        series = df[match.header]
        if isinstance(series, pd.DataFrame):  # duplicated header: take the first
            series = series.iloc[:, 0]
        raw[name] = _series_values(series, FIELD_BY_NAME.get(name))
        if match.scale != 1.0:
            scales[name] = match.scale
        elif pd.api.types.is_integer_dtype(series.dtype):
            whole.add(name)
    rows = np.arange(row_offset, row_offset + n, dtype=np.int64)
    numbers, number_bad, bools, bool_bad = _parse_blocks(raw, n, scales)
    texts, text_bad = _text_block(raw, n)
    return _check(
        raw,
        n,
        numbers,
        number_bad,
        bools,
        bool_bad,
        texts,
        rows,
        resolution.warnings,
        scales,
        text_bad=text_bad,
        whole_rows=np.array([name in whole for name in _NUMBER_NAMES]),
    )


def validate_record(record: Mapping[str, Any]) -> Columns:
    """Validate one record and return it as :data:`Columns` of length-1 arrays.

    Parameters
    ----------
    record : mapping
        Field → value (Python scalars as decoded from JSON, or text as in a CSV
        cell). Aliases are accepted as keys; unknown keys are ignored.

    Returns
    -------
    Columns

    Raises
    ------
    RecordValidationError
        With one :class:`FieldError` per broken rule.
    """
    scales: dict[str, float] = {}
    if not _KNOWN.issuperset(record):
        resolution = resolve_headers(record.keys())
        record = {name: record[m.header] for name, m in resolution.matches.items()}
        scales = {name: m.scale for name, m in resolution.matches.items() if m.scale != 1.0}
    numbers: FloatArray | None = None
    bools: FloatArray | None = None
    number_bad = bool_bad = None
    if not scales:
        # Fast path for JSON-decoded numbers: one conversion for the whole block.
        try:
            numbers = np.array([[record.get(n)] for n in _NUMBER_NAMES], dtype=np.float64)
            bools = np.array([[record.get(n)] for n in _BOOL_NAMES], dtype=np.float64)
        except (TypeError, ValueError):
            numbers = bools = None
    raw = _RecordRaw(record)
    if numbers is None or bools is None:
        numbers, number_bad, bools, bool_bad = _parse_blocks(raw, 1, scales)
    else:
        bool_bad = _bool_range_bad(bools)
    texts = np.empty((len(_TEXT_PARSERS), 1), dtype=object)
    texts[:, 0] = [parse(_none_if_nan(record.get(s.name))) for s, parse, _ in _TEXT_PARSERS]
    text_bad = bad_mask(texts)
    result = _check(
        raw,
        1,
        numbers,
        number_bad,
        bools,
        bool_bad,
        texts,
        _ROW0,
        [],
        scales,
        text_bad=text_bad if text_bad.any() else None,
    )
    if result.errors:
        raise RecordValidationError(
            [FieldError(e.field, e.value, e.message) for e in result.errors]
        )
    return result.columns


def _none_if_nan(value: object) -> object:
    return None if isinstance(value, float) and value != value else value


_ROW0 = np.zeros(1, dtype=np.int64)


# ---------------------------------------------------------------------------
# Parsing raw values into blocks.


def _series_values(series: pd.Series, spec: FieldSpec | None) -> _Raw:
    """One column's raw values in the cheapest form its parser accepts unchanged."""
    dtype = series.dtype
    if spec is not None and spec.kind in ("text", "enum") and len(series) > _SMALL_FRAME:
        strings = _arrow_strings(series)
        if strings is not None:
            return strings
    if spec is not None and spec.kind == "bool":
        flags = _bool_floats(series)
        if flags is not None:
            return flags
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return as_object_array(series)


def _arrow_strings(series: pd.Series) -> pa.Array | None:
    """The Arrow array behind an Arrow-backed string column (pandas' ``str``), else None."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        arrow_backed = dtype.storage == "pyarrow"
    elif isinstance(dtype, pd.ArrowDtype):
        arrow_backed = pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(
            dtype.pyarrow_dtype
        )
    else:
        arrow_backed = False
    if not arrow_backed:
        return None
    strings = pa.array(series.array)
    return strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings


def _bool_floats(series: pd.Series) -> FloatArray | None:
    """Booleans (with missing values) as 1.0 / 0.0 / NaN, or None for anything else.

    Parquet booleans with nulls arrive as objects (True, False, None); converting
    them here gives what ``parse_bools`` would, without a call per distinct value.
    Anything else (words, numbers) is left to ``parse_bools``.
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if not pd.api.types.is_object_dtype(dtype) or len(series) <= _SMALL_FRAME:
        return None
    try:  # Arrow's conversion takes booleans and missing values only, like parse_bools
        flags = pa.array(series.to_numpy(dtype=object), type=pa.bool_(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return np.asarray(pc.cast(flags, pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def _as_array(values: _Raw) -> npt.NDArray[Any]:
    """Numpy values of a raw column (Arrow strings become objects, None for nulls)."""
    if isinstance(values, np.ndarray):
        return values
    out: npt.NDArray[Any] = values.to_numpy(zero_copy_only=False, writable=True)
    return out


def _parse_blocks(
    raw: Mapping[str, _Raw], n: int, scales: Mapping[str, float]
) -> tuple[FloatArray, npt.NDArray[np.bool_] | None, FloatArray, npt.NDArray[np.bool_] | None]:
    numbers = np.empty((len(_NUMBER_SPECS), n))  # every row is written below
    number_bad: npt.NDArray[np.bool_] | None = None
    for j, spec in enumerate(_NUMBER_SPECS):
        values = raw.get(spec.name)
        if values is None:
            numbers[j] = np.nan
            continue
        parsed = parse_numbers(_as_array(values), percent=spec.unit == "share", money=spec.is_money)
        numbers[j] = _apply_scale(parsed.values, parsed.explicit, scales.get(spec.name))
        if parsed.bad is not None:
            if number_bad is None:
                number_bad = np.zeros(numbers.shape, dtype=bool)
            number_bad[j] = parsed.bad
    bools = np.full((len(_BOOL_SPECS), n), np.nan)
    bool_bad: npt.NDArray[np.bool_] | None = None
    for j, spec in enumerate(_BOOL_SPECS):
        values = raw.get(spec.name)
        if values is None:
            continue
        bools[j], bad = parse_bools(_as_array(values))
        if bad is not None:
            if bool_bad is None:
                bool_bad = np.zeros(bools.shape, dtype=bool)
            bool_bad[j] = bad
    return numbers, number_bad, bools, bool_bad


def _text_block(
    raw: Mapping[str, _Raw], n: int
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_] | None]:
    """Parsed text fields (fields × rows) and where a value was present but unrecognized."""
    texts = np.full((len(_TEXT_PARSERS), n), None, dtype=object)
    text_bad: npt.NDArray[np.bool_] | None = None
    for j, (spec, parse, _) in enumerate(_TEXT_PARSERS):
        values = raw.get(spec.name)
        if values is None:
            continue
        if isinstance(values, np.ndarray):
            texts[j] = map_objects(values, parse)
            bad = bad_mask(texts[j])
            bad_any = bool(bad.any())
        elif spec.kind == "text" and spec.vocabulary is None:
            texts[j] = _free_text(values, parse)
            bad_any = False  # free text is never unrecognized, at most missing
        else:
            texts[j], bad_any, bad = _coded_text(values, parse)
        if bad_any:
            if text_bad is None:
                text_bad = np.zeros(texts.shape, dtype=bool)
            text_bad[j] = bad
    return texts, text_bad


def _free_text(strings: pa.Array, parse: Callable[[Any], Any]) -> npt.NDArray[np.object_]:
    """Identifiers and names: only values that strip or may be a missing token are parsed.

    Every other string is already what ``parse`` (``text_value``) would return, so a
    million distinct ids cost one conversion to Python strings, not a million calls.
    """
    out: npt.NDArray[np.object_] = strings.to_numpy(zero_copy_only=False, writable=True)
    stripped = pc.utf8_trim_whitespace(strings)  # the same characters as str.strip()
    changed = pc.not_equal(pc.binary_length(stripped), pc.binary_length(strings))
    short = pc.less_equal(pc.utf8_length(strings), _LONGEST_TOKEN)
    suspect = pc.or_(changed, short).fill_null(False)
    where = np.flatnonzero(suspect.to_numpy(zero_copy_only=False))
    if where.size:
        out[where] = map_objects(out[where], parse)
    return out


def _coded_text(
    strings: pa.Array, parse: Callable[[Any], Any]
) -> tuple[npt.NDArray[np.object_], bool, npt.NDArray[np.bool_]]:
    """Enums, provinces, industries: ``parse`` once per distinct value, then broadcast.

    Returns the parsed values, whether any was unrecognized and where (``BAD``
    replaced by ``None`` happens later, in the checks).
    """
    encoded = pc.dictionary_encode(strings)
    distinct = encoded.dictionary.to_pylist()
    mapped = np.empty(len(distinct) + 1, dtype=object)
    mapped[:-1] = [parse(value) for value in distinct]
    mapped[-1] = parse(None)  # the code of missing values
    codes = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    bad_distinct = bad_mask(mapped)
    out: npt.NDArray[np.object_] = mapped[codes]
    return out, bool(bad_distinct.any()), bad_distinct[codes]


def _apply_scale(
    values: FloatArray, explicit: npt.NDArray[np.bool_] | None, scale: float | None
) -> FloatArray:
    if scale is None:
        return values
    if explicit is None:
        return values * scale
    return np.where(explicit, values, values * scale)


def _bool_range_bad(bools: FloatArray) -> npt.NDArray[np.bool_] | None:
    bad = (bools != 0.0) & (bools != 1.0) & ~np.isnan(bools)
    return bad if bad.any() else None


# ---------------------------------------------------------------------------
# The checks shared by frames and records.


class _Errors:
    """Collects (row index, field, message) and renders RowErrors at the end."""

    def __init__(self, raw: Mapping[str, _Raw], rows: npt.NDArray[np.int64]) -> None:
        self._raw = raw
        self._rows = rows
        self.items: list[tuple[int, str, str]] = []

    def add(self, i: int, name: str, message: str) -> None:
        self.items.append((i, name, message))

    def add_each(
        self, where: npt.NDArray[np.intp], name: str, message: Callable[[int], str]
    ) -> None:
        self.items.extend((int(i), name, message(int(i))) for i in where)

    def value(self, name: str, i: int) -> str:
        values = self._raw.get(name)
        if values is None:
            return ""
        v = values[i].as_py() if isinstance(values, pa.Array) else values[i]
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, (float, np.floating)):
            return format_number(float(v))
        return str(v)

    def quote(self, name: str, i: int) -> str:
        return f"{name} ({self.value(name, i)!r}) "

    def render(self) -> list[RowError]:
        ordered = sorted(self.items, key=lambda t: (t[0], _FIELD_ORDER.get(t[1], 999)))
        return [RowError(int(self._rows[i]), f, self.value(f, i), m) for i, f, m in ordered]

    def bad_rows(self, n: int) -> npt.NDArray[np.bool_]:
        bad = np.zeros(n, dtype=bool)
        if self.items:
            bad[np.fromiter((t[0] for t in self.items), dtype=np.intp)] = True
        return bad


class _RecordRaw(Mapping[str, npt.NDArray[Any]]):
    """A record's values seen as length-1 columns, built only when looked at."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self._record = record

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        out = np.empty(1, dtype=object)
        out[0] = self._record[name]
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._record)

    def __len__(self) -> int:
        return len(self._record)


def _text_parser(spec: FieldSpec) -> Callable[[Any], Any]:
    """One element parser per text field: canonical value, None (missing) or BAD."""
    if spec.kind == "enum":
        return choice_parser(spec.choices, spec.choice_aliases)
    if spec.vocabulary is None:
        return text_value
    normalize = (
        normalize_province_value if spec.vocabulary == "province" else normalize_industry_value
    )

    def parse(value: object) -> object:
        text = text_value(value)
        if text is None:
            return None
        canonical = normalize(text)
        return BAD if canonical is None else canonical

    return parse


def _text_hint(spec: FieldSpec) -> str:
    if spec.kind == "enum":
        return "is not one of: " + ", ".join(spec.choices)
    return _PROVINCE_HINT if spec.vocabulary == "province" else _INDUSTRY_HINT


_TEXT_PARSERS: tuple[tuple[FieldSpec, Callable[[Any], Any], str], ...] = tuple(
    (spec, _text_parser(spec), _text_hint(spec)) for spec in _TEXT_SPECS
)
_TEXT_NAMES: tuple[str, ...] = tuple(spec.name for spec in _TEXT_SPECS)
_REQUIRED_TEXT_ROWS = np.array([j for j, spec in enumerate(_TEXT_SPECS) if spec.required])
_REQUIRED_NUMBER_ROWS = np.array([_NUMBER_INDEX[f.name] for f in _NUMBER_SPECS if f.required])


def _check(
    raw: Mapping[str, _Raw],
    n: int,
    numbers: FloatArray,
    number_bad: npt.NDArray[np.bool_] | None,
    bools: FloatArray,
    bool_bad: npt.NDArray[np.bool_] | None,
    texts: npt.NDArray[np.object_],
    rows: npt.NDArray[np.int64],
    warnings: list[str],
    scales: Mapping[str, float],
    *,
    text_bad: npt.NDArray[np.bool_] | None,
    whole_rows: npt.NDArray[np.bool_] | None = None,
) -> ValidatedFrame:
    errors = _Errors(raw, rows)
    _check_texts(texts, text_bad, errors)
    failed = _check_numbers(numbers, number_bad, errors, whole_rows)
    if bool_bad is not None:
        for j, i in zip(*np.nonzero(bool_bad), strict=True):
            name = _BOOL_NAMES[j]
            errors.add(int(i), name, errors.quote(name, int(i)) + _BOOL_HINT)
    debt_ratio = raw.get(DEBT_RATIO.name)
    if debt_ratio is not None:
        _fill_liabilities(
            numbers, _as_array(debt_ratio), scales.get(DEBT_RATIO.name), errors, warnings
        )
    _check_pairs(numbers, failed, errors)

    if errors.items:
        good = ~errors.bad_rows(n)
        numbers, bools, texts, rows = numbers[:, good], bools[:, good], texts[:, good], rows[good]
    columns: dict[str, npt.NDArray[Any]] = dict(zip(_NUMBER_NAMES, numbers, strict=True))
    columns.update(zip(_BOOL_NAMES, bools, strict=True))
    columns.update(zip(_TEXT_NAMES, texts, strict=True))
    return ValidatedFrame(columns, rows, errors.render(), warnings, n)


def _check_texts(
    texts: npt.NDArray[np.object_], bad: npt.NDArray[np.bool_] | None, errors: _Errors
) -> None:
    """Report unrecognized and missing required text values (bad ones become None).

    ``bad`` marks the ``BAD`` values of ``texts`` (``None`` when there are none).
    """
    if bad is not None:
        for j, i in zip(*np.nonzero(bad), strict=True):
            spec, _, hint = _TEXT_PARSERS[j]
            errors.add(int(i), spec.name, errors.quote(spec.name, int(i)) + hint)
    for j in _REQUIRED_TEXT_ROWS:
        missing = texts[j] == None  # noqa: E711 - elementwise on objects
        if missing.any():
            name = _TEXT_NAMES[j]
            for i in np.flatnonzero(missing):
                errors.add(int(i), name, f"{name} is required but missing")
    if bad is not None:
        texts[bad] = None


def _check_numbers(
    numbers: FloatArray,
    number_bad: npt.NDArray[np.bool_] | None,
    errors: _Errors,
    whole_rows: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.bool_] | None:
    """Report unparseable, out-of-range, fractional-count and missing required values.

    ``whole_rows`` marks number fields known to hold whole numbers (integer-typed
    columns): their fraction check is skipped. Returns the (fields × rows) mask of
    values that failed, or ``None``.
    """
    if number_bad is not None:
        for j, i in zip(*np.nonzero(number_bad), strict=True):
            spec = _NUMBER_SPECS[j]
            errors.add(int(i), spec.name, _not_a_number(errors, spec, int(i)))
    wrong = _wrong_numbers(numbers, whole_rows)
    failed = number_bad
    if wrong is not None:
        for j, i in zip(*np.nonzero(wrong), strict=True):
            spec = _NUMBER_SPECS[j]
            errors.add(int(i), spec.name, _range_message(spec, float(numbers[j, i])))
        failed = wrong if failed is None else failed | wrong
    missing = np.isnan(numbers[_REQUIRED_NUMBER_ROWS])
    if number_bad is not None:
        missing &= ~number_bad[_REQUIRED_NUMBER_ROWS]
    if missing.any():
        for k, i in zip(*np.nonzero(missing), strict=True):
            name = _NUMBER_NAMES[_REQUIRED_NUMBER_ROWS[k]]
            errors.add(int(i), name, f"{name} is required but missing")
    return failed


def _wrong_numbers(
    numbers: FloatArray, whole_rows: npt.NDArray[np.bool_] | None
) -> npt.NDArray[np.bool_] | None:
    """Out-of-range values and fractional counts (fields × rows), ``None`` when none.

    One field at a time, and only fields whose extremes break a bound get a mask:
    in a clean partition that is one min and one max per field. A few rows (one
    POSTed record) are checked as one matrix instead: there the per-field calls
    would cost more than the comparisons. NaN is never wrong.
    """
    if numbers.shape[1] <= _SMALL_BLOCK_ROWS:
        whole = (numbers < _LO) | (numbers > _HI)
        counts = _IS_INT if whole_rows is None else _IS_INT & ~whole_rows
        whole[counts] |= np.floor(numbers[counts]) < numbers[counts]
        return whole if whole.any() else None
    wrong: npt.NDArray[np.bool_] | None = None
    for j in range(len(_NUMBER_SPECS)):
        row = numbers[j]
        lo, hi = _LO[j, 0], _HI[j, 0]
        mask: npt.NDArray[np.bool_] | None = None
        if row.size and (np.fmin.reduce(row) < lo or np.fmax.reduce(row) > hi):
            mask = (row < lo) | (row > hi)
        if _IS_INT[j] and (whole_rows is None or not whole_rows[j]):
            # floor(x) < x is (x - floor(x)) > 0 for finite x and false for NaN and ±inf.
            fraction = np.floor(row) < row
            if fraction.any():
                mask = fraction if mask is None else mask | fraction
        if mask is not None and mask.any():
            if wrong is None:
                wrong = np.zeros(numbers.shape, dtype=bool)
            wrong[j] = mask
    return wrong


def _not_a_number(errors: _Errors, spec: FieldSpec, i: int) -> str:
    units = ""
    if spec.unit == "share":
        units = " (a share may be written 0.45 or 45%)"
    elif spec.is_money:
        units = " (an amount may carry 元, 万 or 亿)"
    return errors.quote(spec.name, i) + "is not a number" + units


def _range_message(spec: FieldSpec, value: float) -> str:
    shown = format_number(value)
    lo, hi = spec.minimum, spec.maximum
    inside = (lo is None or value >= lo) and (hi is None or value <= hi)
    if np.isinf(value):
        return f"{spec.name} ({shown}) is not a finite number"
    if spec.kind == "int" and inside:
        return f"{spec.name} ({shown}) must be a whole number"
    if spec.unit == "share":
        if value > 1.0:
            return (
                f"{spec.name} ({shown}) must be a fraction between 0 and 1 "
                f"(write {format_number(value / 100)} or {shown}%)"
            )
        return f"{spec.name} ({shown}) must be a fraction between 0 and 1"
    if lo == 0.0 and value < 0.0:
        return f"{spec.name} ({shown}) is negative; it must be ≥ 0"
    if lo is not None and hi is not None and hi < 1e5:
        return f"{spec.name} ({shown}) must be between {format_number(lo)} and {format_number(hi)}"
    if lo is not None and value < lo:
        return f"{spec.name} ({shown}) is below the minimum {format_number(lo)}"
    return f"{spec.name} ({shown}) is above the plausible maximum {format_number(hi or 0.0)}"


def _fill_liabilities(
    numbers: FloatArray,
    raw: npt.NDArray[Any],
    scale: float | None,
    errors: _Errors,
    warnings: list[str],
) -> None:
    parsed = parse_numbers(raw, percent=True)
    ratio = _apply_scale(parsed.values, parsed.explicit, scale)
    if parsed.bad is not None:
        for i in np.flatnonzero(parsed.bad):
            errors.add(int(i), DEBT_RATIO.name, _not_a_number(errors, DEBT_RATIO, int(i)))
    hi = DEBT_RATIO.maximum or 10.0
    outside = (ratio < 0.0) | (ratio > hi)
    for i in np.flatnonzero(outside):
        errors.add(
            int(i),
            DEBT_RATIO.name,
            f"debt_ratio ({format_number(float(ratio[i]))}) must be a fraction between "
            f"0 and {format_number(hi)} (write 0.45 or 45%)",
        )
    usable = ~np.isnan(ratio) & ~outside & np.isnan(numbers[_LIABILITIES])
    assets = numbers[_ASSETS]
    fill = usable & ~np.isnan(assets)
    numbers[_LIABILITIES] = np.where(fill, ratio * assets, numbers[_LIABILITIES])
    unused = int((usable & np.isnan(assets)).sum())
    if unused:
        warnings.append(
            f"debt_ratio not used on {unused} row(s): total_assets is missing, so "
            "total_liabilities stays unknown"
        )


def _check_pairs(
    numbers: FloatArray, failed: npt.NDArray[np.bool_] | None, errors: _Errors
) -> None:
    left, right = numbers[_PAIR_LEFT], numbers[_PAIR_RIGHT]
    broken = left > right + 1e-9 * np.abs(right)
    if not broken.any():
        return
    if failed is not None:  # a value already reported is not compared again
        broken &= ~(failed[_PAIR_LEFT] | failed[_PAIR_RIGHT])
    for k, i in zip(*np.nonzero(broken), strict=True):
        rule = _PAIR_RULES[k]
        a, b = format_number(float(left[k, i])), format_number(float(right[k, i]))
        errors.add(int(i), rule.left, f"{rule.left} ({a}) {rule.verb} {rule.right} ({b})")
