"""The backtest table: certified firms at the top of each year's ranking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from training.backtest import backtest_by_year, top_hits
from training.report import ReportData, render_report


def test_top_hits_counts_positives_above_the_cut() -> None:
    y = np.array([1, 0, 1, 0, 1])
    score = np.array([0.9, 0.8, 0.7, 0.2, np.nan])  # NaN ranks last
    assert top_hits(y, score, 1) == 1.0
    assert top_hits(y, score, 3) == 2.0
    assert top_hits(y, score, 5) == 3.0
    assert top_hits(y, score, 50) == 3.0  # k beyond the rows takes every row
    assert top_hits(y, score, 0) == 0.0


def test_ties_at_the_cut_count_by_their_share_of_the_places_left() -> None:
    # One firm above the cut (certified), three tied for the two places left, one certified.
    y = np.array([1, 1, 0, 0, 1])
    points = np.array([80.0, 60.0, 60.0, 60.0, 10.0])
    assert top_hits(y, points, 3) == pytest.approx(1 + 2 / 3)


@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 5)), min_size=1, max_size=40),
    st.integers(1, 45),
    st.randoms(use_true_random=False),
)
def test_top_hits_ignores_row_order_and_stays_within_bounds(
    rows: list[tuple[int, int]], k: int, rng: object
) -> None:
    y = np.array([r[0] for r in rows], dtype=float)
    score = np.array([r[1] for r in rows], dtype=float)
    hits = top_hits(y, score, k)
    order = np.array(rng.sample(range(len(rows)), len(rows)))  # type: ignore[attr-defined]
    assert hits == pytest.approx(top_hits(y[order], score[order], k))
    assert -1e-9 <= hits <= min(k, y.sum()) + 1e-9
    assert top_hits(y, score, len(rows)) == pytest.approx(y.sum())
    assert top_hits(y, score, k + 1) >= hits - 1e-9


def test_backtest_by_year_and_the_report_table() -> None:
    rng = np.random.default_rng(0)
    year = np.repeat([2021, 2022], [200, 30])
    y = (rng.random(230) < 0.2).astype(float)
    model = y + rng.normal(0, 0.5, 230)  # informative
    points = rng.integers(0, 5, 230).astype(float)
    table = backtest_by_year(year, y, model, points)
    assert [b.year for b in table] == [2021, 2022]
    first, second = table
    assert (first.candidates, first.top_k, first.top_share_rows) == (200, 50, 10)
    assert (second.candidates, second.top_k, second.top_share_rows) == (30, 30, 2)
    assert first.certified == int(y[:200].sum())
    assert second.model_top_k == second.points_top_k == second.certified  # every row in the cut
    assert first.model_top_k > first.points_top_k
    report = render_report(
        ReportData(
            title="t",
            run_id=None,
            target="srdi_sme",
            horizon=2,
            split="s",
            data_dir="d",
            data_hash="0" * 64,
            counts={},
            metrics={"test_roc_auc": math.nan},
            params={},
            calibration={},
            calibrator_kind="platt",
            slices=[],
            heldout={},
            top_features=[],
            plots={},
            backtest=table,
        )
    )
    assert "certified within 2 years" in report
    assert f"| 2022 | 30 | {second.certified} | {second.certified:.0f} (" in report
