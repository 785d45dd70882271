"""Vectorized parsing of raw column values (typed Parquet or CSV text) into arrays.

Each parser takes one raw column (any dtype: float, int, bool, object, str) and
returns the parsed array plus a mask of values that could not be parsed, so the
validator can name the row, field and value. Missing stays missing (NaN or
``None``); nothing is filled.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features._arrays import as_object_array, map_objects

__all__ = [
    "BAD",
    "BOOL_SPELLINGS",
    "MISSING_TOKENS",
    "ParsedNumbers",
    "bad_mask",
    "choice_parser",
    "format_number",
    "parse_bools",
    "parse_choices",
    "parse_numbers",
    "parse_text",
    "split_bad",
    "text_value",
]

# Cell texts that mean "unknown" (compared after strip and lower case). "none" is
# not among them: it is a value of rd_institution and current_tier.
MISSING_TOKENS: frozenset[str] = frozenset(
    {"", "na", "n/a", "nan", "null", "-", "--", "—", "——", "#n/a", "n.a.", "<na>", "nat"}
)

BOOL_SPELLINGS: Mapping[str, float] = {
    "true": 1.0,
    "t": 1.0,
    "yes": 1.0,
    "y": 1.0,
    "1": 1.0,
    "1.0": 1.0,
    "是": 1.0,
    "有": 1.0,
    "√": 1.0,
    "false": 0.0,
    "f": 0.0,
    "no": 0.0,
    "n": 0.0,
    "0": 0.0,
    "0.0": 0.0,
    "否": 0.0,
    "无": 0.0,
    "×": 0.0,
}

_SUFFIX_SCALE: Mapping[str, float] = {
    "%": 0.01,
    "元": 1.0,
    "万": 1e4,
    "万元": 1e4,
    "亿": 1e8,
    "亿元": 1e8,
}
_PERCENT = frozenset({"%"})
_MONEY = frozenset({"元", "万", "万元", "亿", "亿元"})
_NUMBER_TEXT = re.compile(
    r"^(?P<num>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?P<suffix>%|万元|万|亿元|亿|元)?$"
)
BAD: Any = object()  # returned by element parsers for a present but unparseable value
_BAD = BAD


@dataclass(frozen=True, slots=True)
class ParsedNumbers:
    """Result of :func:`parse_numbers`.

    Attributes
    ----------
    values : numpy.ndarray
        float64, NaN where missing or unparseable.
    bad : numpy.ndarray or None
        True where a non-missing value could not be parsed; ``None`` when none.
    explicit : numpy.ndarray or None
        True where the text carried its own unit (``45%``, ``1.2亿``), so a unit
        in the column header must not be applied again; ``None`` when none.
    """

    values: npt.NDArray[np.float64]
    bad: npt.NDArray[np.bool_] | None = None
    explicit: npt.NDArray[np.bool_] | None = None


def parse_numbers(
    values: npt.NDArray[Any], *, percent: bool = False, money: bool = False
) -> ParsedNumbers:
    """Parse a raw column into float64.

    Parameters
    ----------
    values : numpy.ndarray
        Numbers of any dtype, or objects/strings such as ``"1,234.5"``,
        ``" 12 "``, ``"45%"`` (when ``percent``), ``"1.2亿"`` (when ``money``);
        ``None``, NaN and the :data:`MISSING_TOKENS` are missing.
    percent : bool
        Accept a ``%`` suffix (value divided by 100).
    money : bool
        Accept 元/万/万元/亿/亿元 suffixes.

    Returns
    -------
    ParsedNumbers
    """
    kind = values.dtype.kind
    if kind == "f":
        return ParsedNumbers(values.astype(np.float64, copy=False))
    if kind in "iub":
        return ParsedNumbers(values.astype(np.float64))
    try:
        return ParsedNumbers(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        return _parse_number_text(as_object_array(values), percent=percent, money=money)


def _parse_number_text(
    raw: npt.NDArray[np.object_], *, percent: bool, money: bool
) -> ParsedNumbers:
    series = pd.Series(raw, dtype=object)
    present = series.notna().to_numpy()
    try:
        parsed = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):  # containers or odd objects: treat all as text
        parsed = np.full(len(raw), np.nan)
    out = parsed.copy()
    bad = np.zeros(len(raw), dtype=bool)
    explicit = np.zeros(len(raw), dtype=bool)
    todo = np.flatnonzero(present & np.isnan(parsed))
    if todo.size:
        text = (
            series.iloc[todo]
            .astype(str)
            .str.normalize("NFKC")
            .str.strip()
            .str.replace(r"[,\s]", "", regex=True)
        )
        missing = text.str.lower().isin(MISSING_TOKENS).to_numpy()
        found = text.str.extract(_NUMBER_TEXT)
        number = pd.to_numeric(found["num"], errors="coerce").to_numpy(dtype=np.float64)
        suffix = found["suffix"]
        allowed = (_PERCENT if percent else frozenset()) | (_MONEY if money else frozenset())
        suffix_ok = (suffix.isna() | suffix.isin(allowed)).to_numpy()
        scale = suffix.map(_SUFFIX_SCALE).fillna(1.0).to_numpy(dtype=np.float64)
        good = ~missing & ~np.isnan(number) & suffix_ok
        out[todo] = np.where(good, number * scale, np.nan)
        bad[todo] = ~missing & ~good
        explicit[todo] = good & suffix.notna().to_numpy()
    return ParsedNumbers(out, bad if bad.any() else None, explicit if explicit.any() else None)


def _bool_one(value: object) -> object:
    if value is None:
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isnan(number):
            return math.nan
        return number if number in (0.0, 1.0) else _BAD
    if isinstance(value, str):
        key = unicodedata.normalize("NFKC", value).strip().lower()
        if key in MISSING_TOKENS:
            return math.nan
        return BOOL_SPELLINGS.get(key, _BAD)
    return _BAD


def parse_bools(
    values: npt.NDArray[Any],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None]:
    """Parse a raw column of yes/no values into 1.0 / 0.0 / NaN.

    Accepted: booleans, 1/0, and (any case) true/false, t/f, yes/no, y/n,
    是/否, 有/无, √/×. Anything else is bad.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray or None)
        The float64 values (NaN where missing or bad) and the bad mask (``None``
        when every value parsed).
    """
    try:
        # Typed columns and 1/0/None objects take this path; words go below.
        out = np.asarray(values, dtype=np.float64)
        bad = ~np.isnan(out) & (out != 0.0) & (out != 1.0)
    except (TypeError, ValueError):
        mapped = map_objects(values, _bool_one)
        bad = bad_mask(mapped)
        if bad.any():
            mapped[bad] = math.nan
        out = mapped.astype(np.float64)
    if bad.any():
        # A new array: ``out`` may be the caller's own (read-only) float column.
        return np.where(bad, np.nan, out), bad
    return out, None


def choice_parser(choices: tuple[str, ...], aliases: Mapping[str, str]) -> Callable[[Any], Any]:
    table = {c: c for c in choices} | {k.lower(): v for k, v in aliases.items()}

    def parse(value: object) -> object:
        if value is None:
            return None
        text = unicodedata.normalize("NFKC", str(value)).strip()
        key = re.sub(r"[\s\-]+", "_", text.lower())
        if key in table:
            return table[key]
        if text.lower() in table:
            return table[text.lower()]
        return None if key in MISSING_TOKENS else _BAD

    return parse


def parse_choices(
    values: npt.NDArray[Any], choices: tuple[str, ...], aliases: Mapping[str, str]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_] | None]:
    """Map raw enum values to canonical choices (case-insensitive, aliases allowed).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray or None)
        Object array of canonical choices or ``None``, and the bad mask.
    """
    mapped = map_objects(values, choice_parser(choices, aliases))
    return split_bad(mapped)


def text_value(value: object) -> object:
    """Return one value as stripped text, ``None`` when missing."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if value.is_integer():  # an id read as a float from a typed file
            return str(int(value))
    text = str(value).strip()
    return None if text.lower() in MISSING_TOKENS else text


def parse_text(values: npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    """Return stripped strings, ``None`` for missing (numbers become their text)."""
    return map_objects(values, text_value)


def split_bad(
    mapped: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.bool_] | None]:
    bad = bad_mask(mapped)
    if not bad.any():
        return mapped, None
    mapped[bad] = None
    return mapped, bad


def bad_mask(mapped: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    # Elementwise identity test in C; the sentinel equals nothing else.
    return np.asarray(mapped == _BAD, dtype=bool)


def format_number(value: float) -> str:
    """Format a number for messages: ``1.2e8`` for large values, plain otherwise."""
    value = float(value)
    if math.isnan(value):
        return "missing"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) >= 1e6:
        mantissa, exponent = f"{value:.12e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}"
