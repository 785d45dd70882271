"""validate_frame gives one answer whatever the column types it is handed.

Large frames take vectorized shortcuts: Arrow-backed text (pandas' ``str``) is parsed
once per distinct value or checked with Arrow kernels, booleans with missing values
are converted in one call, integer-typed counts skip the fraction check. The element
paths (object columns, text cells) are the reference: every error (row, field,
value, message), every validated column and every warning must match them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.fields import FIELDS
from features.record_model import example_record
from features.validate import ValidatedFrame, validate_frame

ROWS = st.integers(min_value=33, max_value=90)  # above the small-frame cut-off

# Cells chosen to hit every branch of the text parsers: surrounding whitespace of
# several kinds, missing tokens in any case, short and long ids, aliases, bad values.
TEXT_CELLS = [
    "",
    " ",
    "  A1 ",
    "na",
    "N/A",
    "-",
    "—",
    "——",
    "NULL",
    "<NA>",
    "abcd",
    "x",
    "\u3000id\u3000",
    "\x1cq",
    "\tab\t",
    "ＮＡ",
    "İ",
    "91330100MA27XXXX",
    "Zhejiang",
    "浙江",
    "浙江省",
    "33",
    "Atlantis",
    "C39",
    " c39 ",
    "3911",
    "XX",
    "none",
    "None",
    " national ",
    "Little Giant",
    "little-giant",
    "srdi_sme",
    "bogus",
]
TEXT_FIELDS = [f.name for f in FIELDS if f.kind in ("text", "enum")]
BOOL_FIELDS = [f.name for f in FIELDS if f.kind == "bool"]
COUNT_FIELDS = ["employees", "rd_staff", "class1_ip", "digital_level", "world_market_rank"]


def base_frame(n: int) -> pd.DataFrame:
    """The example record n times, with distinct ids, as typed columns."""
    frame = pd.DataFrame([example_record()] * n)
    frame["company_id"] = [f"91330100MA{i:08d}" for i in range(n)]
    return frame


def as_tuples(result: ValidatedFrame) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.field, e.value, e.message) for e in result.errors]


def assert_same(fast: ValidatedFrame, reference: ValidatedFrame) -> None:
    assert as_tuples(fast) == as_tuples(reference)
    assert fast.warnings == reference.warnings
    np.testing.assert_array_equal(fast.rows, reference.rows)
    assert fast.columns.keys() == reference.columns.keys()
    for name, values in reference.columns.items():
        got = fast.columns[name]
        assert got.dtype == values.dtype, name
        if values.dtype == object:
            assert got.tolist() == values.tolist(), name
        else:
            np.testing.assert_array_equal(got, values, err_msg=name)


@st.composite
def messy_text_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(ROWS)
    frame = base_frame(n)
    cell = st.one_of(st.sampled_from(TEXT_CELLS), st.text(max_size=6), st.none())
    for name in draw(st.lists(st.sampled_from(TEXT_FIELDS), unique=True, min_size=1)):
        values = frame[name].astype(object).to_numpy().copy() if name in frame else None
        if values is None:
            values = np.full(n, "name", dtype=object)
        for i in draw(st.lists(st.integers(0, n - 1), max_size=n)):
            values[i] = draw(cell)
        frame[name] = values
    return frame


def with_text_dtype(frame: pd.DataFrame, dtype: Any) -> pd.DataFrame:
    out = frame.copy()
    for name in TEXT_FIELDS:
        if name in out:
            out[name] = out[name].astype(object).astype(dtype)
    return out


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(frame=messy_text_frames(), offset=st.integers(0, 10_000))
def test_arrow_backed_text_validates_like_object_text(frame: pd.DataFrame, offset: int) -> None:
    reference = validate_frame(with_text_dtype(frame, object), row_offset=offset)
    for dtype in ("str", pd.ArrowDtype(pa.string()), pd.ArrowDtype(pa.large_string())):
        fast = validate_frame(with_text_dtype(frame, dtype), row_offset=offset)
        assert_same(fast, reference)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=ROWS,
    data=st.data(),
    field=st.sampled_from(BOOL_FIELDS),
)
def test_booleans_with_missing_values_validate_like_their_text(
    n: int, data: st.DataObject, field: str
) -> None:
    cells = data.draw(
        st.lists(
            st.sampled_from([True, False, None, np.nan, "yes", "否", 2, 1, 0.0]),
            min_size=n,
            max_size=n,
        )
    )
    typed = base_frame(n)
    typed[field] = pd.Series(cells, dtype=object)
    text = base_frame(n)
    text[field] = ["" if c is None or c is np.nan else str(c) for c in cells]
    reference = validate_frame(text)
    fast = validate_frame(typed)
    # The value shown in an error is the cell as given: True vs "True" are the same text.
    assert [(e.row, e.field, e.message) for e in fast.errors] == [
        (e.row, e.field, e.message) for e in reference.errors
    ]
    np.testing.assert_array_equal(fast.columns[field], reference.columns[field])


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=ROWS,
    data=st.data(),
    field=st.sampled_from(COUNT_FIELDS),
)
def test_integer_typed_counts_validate_like_float_counts(
    n: int, data: st.DataObject, field: str
) -> None:
    values = data.draw(
        st.lists(st.integers(-5, 2_000_000_000_000), min_size=n, max_size=n),
    )
    as_int = base_frame(n)
    as_int[field] = np.array(values, dtype=np.int64)
    as_float = base_frame(n)
    as_float[field] = np.array(values, dtype=np.float64)
    assert_same(validate_frame(as_int), validate_frame(as_float))


@pytest.mark.parametrize("dtype", ["str", object])
def test_fractional_and_out_of_range_counts_are_named_in_large_frames(dtype: Any) -> None:
    frame = with_text_dtype(base_frame(40), dtype)
    frame["employees"] = frame["employees"].astype(np.float64)
    frame.loc[3, "employees"] = 10.5
    frame.loc[7, "digital_level"] = 7
    frame.loc[9, "province"] = " Atlantis "
    frame.loc[11, "company_id"] = " \u3000"
    result = validate_frame(frame, row_offset=100)
    assert as_tuples(result) == [
        (103, "employees", "10.5", "employees (10.5) must be a whole number"),
        (107, "digital_level", "7", "digital_level (7) must be between 1 and 4"),
        (
            109,
            "province",
            " Atlantis ",
            result.errors[2].message,
        ),
        (111, "company_id", " \u3000", "company_id is required but missing"),
    ]
    assert result.errors[2].message.startswith("province (' Atlantis ') is not one of the 31")
    assert result.n_valid == 36


_NUMBER_FIELDS = [f for f in FIELDS if f.is_numeric]
_EDGE_VALUES = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0, 0.5, 1.0, 1.5, 2.0, 1e9, 1e15])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 8),
    data=st.data(),
    integer_typed=st.lists(
        st.booleans(), min_size=len(_NUMBER_FIELDS), max_size=len(_NUMBER_FIELDS)
    ),
)
def test_a_few_rows_are_bound_checked_like_a_large_block(
    n: int, data: st.DataObject, integer_typed: list[bool]
) -> None:
    # One POSTed record is checked as one matrix, a partition field by field: the
    # same cells must come out wrong (values drawn at and around every bound).
    from features.validate.field_rules import SMALL_BLOCK_ROWS, fraction_rows, wrong_numbers

    cells = []
    for spec in _NUMBER_FIELDS:
        bounds = [b for b in (spec.minimum, spec.maximum) if b is not None]
        near = [b + d for b in bounds for d in (-0.5, 0.0, 1e-9, 0.5)]
        values = st.one_of(_EDGE_VALUES, st.sampled_from(near or [0.0]))
        cells.append(data.draw(st.lists(values, min_size=n, max_size=n)))
    numbers = np.array(cells, dtype=np.float64)
    rows = fraction_rows(np.array(integer_typed))
    small = wrong_numbers(numbers, rows)
    repeats = SMALL_BLOCK_ROWS // n + 1
    large = wrong_numbers(np.tile(numbers, (1, repeats)), rows)
    expected = np.zeros(numbers.shape, dtype=bool) if large is None else large[:, :n]
    assert (np.zeros(numbers.shape, dtype=bool) if small is None else small).tolist() == (
        expected.tolist()
    )
    assert (small is None) == (not expected.any())
