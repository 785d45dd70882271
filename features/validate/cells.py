"""Per-kind cell parsing: raw columns as read → one parsed array per field.

A raw column is what a frame or a record holds for one field: numpy values, or the
Arrow strings of a text field (kept in Arrow so a million ids are not turned into
Python objects only to be inspected). Numbers become float64 (a float64 column is
used as it is, not copied), booleans 1.0 / 0.0 / NaN, text fields their canonical
``str`` or ``None``; each parser also says which present values it could not read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features._arrays import as_object_array, map_objects
from features.columns import FloatArray, ObjectArray
from features.fields import FieldSpec
from features.industries import normalize_industry_value
from features.parsing import (
    BAD,
    MISSING_TOKENS,
    bad_mask,
    choice_parser,
    parse_bools,
    parse_numbers,
    text_value,
)
from features.provinces import normalize_province_value
from features.validate.groups import BOOL_SPECS, NUMBER_SPECS, TEXT_SPECS

__all__ = [
    "TEXT_FIELDS",
    "BoolMask",
    "ParsedTexts",
    "RawColumn",
    "TextField",
    "apply_scale",
    "as_array",
    "missing_floats",
    "parse_bool_columns",
    "parse_number_columns",
    "parse_text_columns",
    "series_values",
]

RawColumn: TypeAlias = npt.NDArray[Any] | pa.Array
BoolMask: TypeAlias = npt.NDArray[np.bool_]

# Frames up to this many rows take the element-wise paths (a POSTed batch of a few
# records): Arrow kernels cost more to set up than they save there.
_SMALL_FRAME = 32
# text_value() leaves a string as it is unless it has surrounding whitespace or is
# a missing token; lower() never shortens a string, so a token match needs at most
# as many characters as the longest token.
_LONGEST_TOKEN = max(len(token) for token in MISSING_TOKENS)

_PROVINCE_HINT = (
    "is not one of the 31 mainland province-level divisions (use pinyin such as "
    "'Zhejiang', Chinese such as '浙江' or '浙江省', or a GB/T 2260 code such as '33')"
)
_INDUSTRY_HINT = (
    "is not a GB/T 4754-2017 division code: use the section letter and two digits "
    "such as 'C39' (the 97 codes A01–T97 are listed in docs/data-contract.md and "
    "features.industries.DIVISIONS)"
)


# ---------------------------------------------------------------------------
# Raw columns.


def series_values(series: pd.Series, spec: FieldSpec | None) -> RawColumn:
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


def as_array(values: RawColumn) -> npt.NDArray[Any]:
    """Numpy values of a raw column (Arrow strings become objects, None for nulls)."""
    if isinstance(values, np.ndarray):
        return values
    out: npt.NDArray[Any] = values.to_numpy(zero_copy_only=False, writable=True)
    return out


def missing_floats(n: int) -> FloatArray:
    """An all-NaN column for an absent field (read-only: absent fields may share it)."""
    out = np.full(n, np.nan)
    out.flags.writeable = False
    return out


# ---------------------------------------------------------------------------
# Numbers and booleans.


def apply_scale(values: FloatArray, explicit: BoolMask | None, scale: float | None) -> FloatArray:
    """Multiply by a header's unit (``营业收入(万元)``) unless the cell carried its own."""
    if scale is None:
        return values
    if explicit is None:
        return values * scale
    return np.where(explicit, values, values * scale)


def parse_number_columns(
    raw: Mapping[str, RawColumn], n: int, scales: Mapping[str, float]
) -> tuple[list[FloatArray], dict[int, BoolMask]]:
    """Every number field as float64 (NaN when absent), and the unparseable cells.

    Returns
    -------
    (list of numpy.ndarray, dict of int to numpy.ndarray)
        One array per :data:`~features.validate.groups.NUMBER_SPECS` field, and
        field position → mask of present values that are not numbers.
    """
    absent: FloatArray | None = None
    columns: list[FloatArray] = []
    bad: dict[int, BoolMask] = {}
    for j, spec in enumerate(NUMBER_SPECS):
        values = raw.get(spec.name)
        if values is None:
            absent = missing_floats(n) if absent is None else absent
            columns.append(absent)
            continue
        parsed = parse_numbers(as_array(values), percent=spec.unit == "share", money=spec.is_money)
        columns.append(apply_scale(parsed.values, parsed.explicit, scales.get(spec.name)))
        if parsed.bad is not None:
            bad[j] = parsed.bad
    return columns, bad


def parse_bool_columns(
    raw: Mapping[str, RawColumn], n: int
) -> tuple[list[FloatArray], dict[int, BoolMask]]:
    """Every boolean field as 1.0 / 0.0 / NaN, and field position → unreadable cells."""
    absent: FloatArray | None = None
    columns: list[FloatArray] = []
    bad: dict[int, BoolMask] = {}
    for j, spec in enumerate(BOOL_SPECS):
        values = raw.get(spec.name)
        if values is None:
            absent = missing_floats(n) if absent is None else absent
            columns.append(absent)
            continue
        flags, wrong = parse_bools(as_array(values))
        columns.append(flags)
        if wrong is not None:
            bad[j] = wrong
    return columns, bad


# ---------------------------------------------------------------------------
# Text and enum fields.


@dataclass(frozen=True, slots=True)
class TextField:
    """A text or enum field: its element parser and what an unrecognized value lacks.

    ``parse`` returns the canonical value, ``None`` (missing) or ``BAD``.
    """

    spec: FieldSpec
    parse: Callable[[Any], Any]
    hint: str


def _text_parser(spec: FieldSpec) -> Callable[[Any], Any]:
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


TEXT_FIELDS: tuple[TextField, ...] = tuple(
    TextField(spec, _text_parser(spec), _text_hint(spec)) for spec in TEXT_SPECS
)


@dataclass(slots=True)
class ParsedTexts:
    """Parsed text fields, one object array per field of :data:`TEXT_FIELDS`.

    Attributes
    ----------
    values : list of numpy.ndarray
        Canonical ``str``, ``None`` when missing, ``BAD`` when unrecognized.
    bad : dict of int to numpy.ndarray
        Field position → where the value is ``BAD`` (fields with some only).
    missing : dict of int to numpy.ndarray
        Required field position → where the value is missing.
    """

    values: list[ObjectArray]
    bad: dict[int, BoolMask]
    missing: dict[int, BoolMask]


def parse_text_columns(raw: Mapping[str, RawColumn], n: int) -> ParsedTexts:
    """Parse every text field of ``raw`` (absent fields are all missing)."""
    absent: ObjectArray | None = None
    out = ParsedTexts([], {}, {})
    for j, field in enumerate(TEXT_FIELDS):
        values = raw.get(field.spec.name)
        missing: BoolMask | None
        if values is None:
            if absent is None:
                absent = np.full(n, None, dtype=object)
                absent.flags.writeable = False
            out.values.append(absent)
            missing, bad = (np.ones(n, dtype=bool) if n else None), None
        elif isinstance(values, np.ndarray):
            parsed = map_objects(values, field.parse)
            out.values.append(parsed)
            bad = bad_mask(parsed)
            missing = np.asarray(parsed == None, dtype=bool) if field.spec.required else None  # noqa: E711
        elif field.spec.kind == "text" and field.spec.vocabulary is None:
            parsed, missing = _free_text(values, field.parse)
            out.values.append(parsed)
            bad = None  # free text is never unrecognized, at most missing
        else:
            parsed, bad, missing = _coded_text(values, field.parse)
            out.values.append(parsed)
        if bad is not None and bad.any():
            out.bad[j] = bad
        if field.spec.required and missing is not None and missing.any():
            out.missing[j] = missing
    return out


def _free_text(strings: pa.Array, parse: Callable[[Any], Any]) -> tuple[ObjectArray, BoolMask]:
    """Identifiers and names: only values that strip or may be a missing token are parsed.

    Every other string is already what ``parse`` (``text_value``) would return, so a
    million distinct ids cost one conversion to Python strings, not a million calls.
    Returns the values and where they are missing.
    """
    out: ObjectArray = strings.to_numpy(zero_copy_only=False, writable=True)
    stripped = pc.utf8_trim_whitespace(strings)  # the same characters as str.strip()
    changed = pc.not_equal(pc.binary_length(stripped), pc.binary_length(strings))
    short = pc.less_equal(pc.utf8_length(strings), _LONGEST_TOKEN)
    suspect = pc.or_(changed, short).fill_null(False)
    missing = np.asarray(strings.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    where = np.flatnonzero(suspect.to_numpy(zero_copy_only=False))
    if where.size:
        parsed = map_objects(out[where], parse)
        out[where] = parsed
        missing[where] = parsed == None  # noqa: E711 - elementwise on objects
    return out, missing


def _coded_text(
    strings: pa.Array, parse: Callable[[Any], Any]
) -> tuple[ObjectArray, BoolMask, BoolMask]:
    """Enums, provinces, industries: ``parse`` once per distinct value, then broadcast.

    Returns the parsed values, where they are unrecognized and where missing, each
    looked up from the distinct values by their codes.
    """
    encoded = pc.dictionary_encode(strings)
    distinct = encoded.dictionary.to_pylist()
    mapped = np.empty(len(distinct) + 1, dtype=object)
    mapped[:-1] = [parse(value) for value in distinct]
    mapped[-1] = parse(None)  # the code of missing values
    codes = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    out: ObjectArray = mapped[codes]
    missing_distinct = np.asarray(mapped == None, dtype=bool)  # noqa: E711
    return out, bad_mask(mapped)[codes], missing_distinct[codes]
