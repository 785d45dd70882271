"""Validating a DataFrame: headers resolved, each column parsed, every rule checked."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from features.fields import FIELD_BY_NAME
from features.headers import resolve_headers
from features.validate.cells import (
    RawColumn,
    parse_bool_columns,
    parse_number_columns,
    parse_text_columns,
    series_values,
)
from features.validate.checks import Parsed, check
from features.validate.errors import ValidatedFrame
from features.validate.field_rules import fraction_rows
from features.validate.groups import NUMBER_NAMES

__all__ = ["validate_frame"]


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
    raw: dict[str, RawColumn] = {}
    scales: dict[str, float] = {}
    whole: set[str] = set()  # integer-typed, unscaled: no fraction to look for
    for name, match in resolution.matches.items():
        series = df[match.header]
        if isinstance(series, pd.DataFrame):  # duplicated header: take the first
            series = series.iloc[:, 0]
        raw[name] = series_values(series, FIELD_BY_NAME.get(name))
        if match.scale != 1.0:
            scales[name] = match.scale
        elif pd.api.types.is_integer_dtype(series.dtype):
            whole.add(name)
    numbers, number_bad = parse_number_columns(raw, n, scales)
    bools, bool_bad = parse_bool_columns(raw, n)
    parsed = Parsed(
        raw=raw,
        n=n,
        numbers=numbers,
        texts=parse_text_columns(raw, n),
        bools=bools,
        number_bad=number_bad,
        bool_bad=bool_bad,
        fraction_rows=fraction_rows(np.array([name in whole for name in NUMBER_NAMES])),
        scales=scales,
    )
    rows = np.arange(row_offset, row_offset + n, dtype=np.int64)
    return check(parsed, rows, resolution.warnings)
