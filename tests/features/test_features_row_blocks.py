"""Validation and features walk large frames in row blocks: the blocks never show.

The number rules and the feature pipeline work on cache-sized blocks of rows. With a
tiny block size, every frame spans many blocks with rows broken at every kind of
boundary; errors (row, field, value, message), validated columns and the feature
matrix must be the same, bit for bit, as with the whole frame in one block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.derive import (
    BASE_FEATURE_NAMES,
    FeatureRows,
    derive_block,
    derive_inputs,
    derive_rows,
)
from features.pipeline import FeaturePipeline
from features.validate import ValidatedFrame, validate_frame
from tests.support.frames import firm_years

# Cells that break a rule of their own field or of a pair of fields.
BREAKS: list[tuple[str, object]] = [
    ("revenue", -5.0),
    ("revenue", np.inf),
    ("main_business_revenue", 1e15),
    ("export_share", 45.0),
    ("digital_level", 9.0),
    ("employees", 10.5),
    ("fiscal_year", np.nan),
    ("founded_year", 2030.0),
    ("rd_staff", 5_000.0),
    ("total_assets", np.nan),
    ("total_liabilities", np.nan),
    ("net_profit", -1e9),
]


@contextmanager
def row_blocks(rows: int) -> Iterator[None]:
    """Validation and features in blocks of ``rows`` rows."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("features.validate.checks.ROW_BLOCK", rows)
        patch.setattr("features.pipeline.ROW_BLOCK", rows)
        patch.setattr("features.derive.ROW_BLOCK", rows)
        yield


def messy_frame(n: int, seed: int, breaks: list[tuple[int, int]]) -> pd.DataFrame:
    frame = firm_years(n, seed)
    for name in ("employees", "rd_staff", "digital_level"):
        frame[name] = frame[name].astype(np.float64)
    frame["debt_ratio"] = np.where(np.arange(n) % 3 == 0, 0.4, np.nan)
    for row, k in breaks:
        name, value = BREAKS[k]
        frame.loc[row % n, name] = value
    return frame


def as_tuples(result: ValidatedFrame) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.field, e.value, e.message) for e in result.errors]


def assert_same_columns(got: ValidatedFrame, expected: ValidatedFrame) -> None:
    assert as_tuples(got) == as_tuples(expected)
    assert got.warnings == expected.warnings
    np.testing.assert_array_equal(got.rows, expected.rows)
    assert got.columns.keys() == expected.columns.keys()
    for name, values in expected.columns.items():
        if values.dtype == object:
            assert got.columns[name].tolist() == values.tolist(), name
        else:
            assert got.columns[name].tobytes() == values.tobytes(), name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 120),
    seed=st.integers(0, 1_000),
    block=st.integers(1, 17),
    breaks=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, len(BREAKS) - 1))),
)
def test_validation_in_row_blocks_equals_one_block(
    n: int, seed: int, block: int, breaks: list[tuple[int, int]]
) -> None:
    frame = messy_frame(n, seed, breaks)
    expected = validate_frame(frame, row_offset=seed)
    with row_blocks(block):
        got = validate_frame(frame, row_offset=seed)
    assert_same_columns(got, expected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 150), seed=st.integers(0, 1_000), block=st.integers(1, 23))
def test_features_in_row_blocks_equal_one_block(n: int, seed: int, block: int) -> None:
    columns = validate_frame(messy_frame(n, seed, [])).columns
    pipeline = FeaturePipeline(min_count=3).fit(columns)
    expected_matrix = pipeline.transform(columns)
    expected_base = derive_block(columns)
    with row_blocks(block):
        matrix = pipeline.transform(columns)
        base = derive_block(columns)
    assert matrix.tobytes(order="A") == expected_matrix.tobytes(order="A")
    assert base.tobytes() == expected_base.tobytes()
    # Each row alone (one record's path) gives that row of the matrix.
    for i in range(min(n, 5)):
        one = pipeline.transform({name: values[i : i + 1] for name, values in columns.items()})
        assert one.tobytes() == matrix[i : i + 1].tobytes(order="C")


def test_each_base_feature_has_one_row_and_every_row_is_written() -> None:
    rows = FeatureRows.at({name: i for i, name in enumerate(BASE_FEATURE_NAMES)})
    groups = (rows.ratios, rows.growths, rows.cagrs, rows.logs, rows.passes, rows.special)
    written = np.concatenate([np.asarray(group) for group in groups])
    assert sorted(written.tolist()) == list(range(len(BASE_FEATURE_NAMES)))
    columns = validate_frame(firm_years(10, 0)).columns
    out = np.full((len(BASE_FEATURE_NAMES), 10), 12345.678)  # not a value any feature takes
    derive_rows(derive_inputs(columns), 0, 10, out=out, rows=rows)
    assert not (out == 12345.678).any()
