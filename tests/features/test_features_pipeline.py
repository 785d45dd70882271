"""IndustryBaseline and FeaturePipeline: fitting, fallbacks, JSON state, record = frame."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.catalog import FEATURE_NAMES
from features.industry import IndustryBaseline, NotFittedError
from features.pipeline import FeaturePipeline
from features.record_model import example_record
from features.validate import validate_frame, validate_record


def test_baseline_refuses_to_work_before_fit() -> None:
    baseline = IndustryBaseline(min_count=2)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        baseline.medians_for("gross_margin", ["C39"])
    with pytest.raises(NotFittedError):
        baseline.transform({"gross_margin": np.array([0.1])}, ["C39"])
    with pytest.raises(NotFittedError):
        baseline.to_dict()
    assert isinstance(NotFittedError("x"), (ValueError, AttributeError))


def test_baseline_falls_back_from_division_to_section_to_global() -> None:
    industries = np.array(["C39"] * 3 + ["C35"] * 1 + ["I65"] * 1, dtype=object)
    values = {"m": np.array([0.1, 0.2, 0.3, 0.9, 0.5]), "empty": np.full(5, np.nan)}
    baseline = IndustryBaseline(min_count=2).fit(values, industries)
    assert baseline.industry_medians_["m"] == {"C39": 0.2}
    assert baseline.section_medians_["m"] == {"C": pytest.approx(0.25)}
    assert baseline.global_medians_["m"] == pytest.approx(0.3)
    got = baseline.medians_for("m", ["C39", "C35", "C13", "I65", "A01", None, "bad"])
    np.testing.assert_allclose(got, [0.2, 0.25, 0.25, 0.3, 0.3, 0.3, 0.3])
    assert np.isnan(baseline.medians_for("empty", ["C39"])).all()
    diff = baseline.transform(
        {"m": np.array([0.5, 0.5]), "other": np.array([1.0, 1.0])}, ["C39", "I65"]
    )
    assert set(diff) == {"m"}
    np.testing.assert_allclose(diff["m"], [0.3, 0.2])
    with pytest.raises(KeyError, match="no industry median was fitted for 'nope'"):
        baseline.medians_for("nope", ["C39"])


def test_baseline_ignores_nan_and_counts_known_values_only() -> None:
    industries = np.array(["C39"] * 4, dtype=object)
    baseline = IndustryBaseline(min_count=3).fit(
        {"m": np.array([1.0, np.nan, np.nan, 3.0]), "n": np.array([1.0, 2.0, 3.0, 4.0])},
        industries,
    )
    assert "C39" not in baseline.industry_medians_["m"]  # 2 known < 3
    assert baseline.industry_medians_["n"]["C39"] == 2.5


def test_baseline_json_round_trip_is_exact() -> None:
    rng = np.random.default_rng(3)
    industries = rng.choice(["C39", "C35", "I65", "F51"], size=200).astype(object)
    values = {
        "a": rng.normal(size=200),
        "b": np.where(rng.random(200) < 0.5, np.nan, rng.random(200)),
    }
    baseline = IndustryBaseline(min_count=20).fit(values, industries)
    state = json.loads(json.dumps(baseline.to_dict(), allow_nan=False))
    again = IndustryBaseline.from_dict(state)
    codes = np.array(["C39", "C35", "I65", "F51", "A01", None], dtype=object)
    for name in ("a", "b"):
        np.testing.assert_array_equal(
            again.medians_for(name, codes), baseline.medians_for(name, codes)
        )
    assert again.feature_names == ["a", "b"]
    with pytest.raises(ValueError, match="not an IndustryBaseline state"):
        IndustryBaseline.from_dict({"kind": "other"})


def firm(i: int, industry: str, margin: float) -> dict[str, Any]:
    rec = example_record()
    rec.update(company_id=f"F{i}", industry=industry, gross_profit=margin * rec["revenue"])
    return rec


def test_pipeline_output_shape_order_and_relative_features() -> None:
    rows = [firm(i, "C39", 0.1 * (i % 5)) for i in range(10)] + [firm(99, "I65", 0.9)]
    columns = validate_frame(pd.DataFrame(rows)).columns
    pipeline = FeaturePipeline(min_count=5)
    with pytest.raises(NotFittedError):
        pipeline.transform(columns)
    X = pipeline.fit(columns).transform(columns)
    assert X.shape == (11, len(FEATURE_NAMES)) and X.dtype == np.float64
    # Contiguous in an order LightGBM reads without a copy (column-major as built).
    assert X.flags.f_contiguous or X.flags.c_contiguous
    assert pipeline.feature_names == list(FEATURE_NAMES)
    gm = FEATURE_NAMES.index("gross_margin")
    rel = FEATURE_NAMES.index("gross_margin_vs_industry")
    # C39 has 10 firms (own median 0.2); I65 has 1, so it falls back to the global 0.2.
    np.testing.assert_allclose(X[:, rel], X[:, gm] - 0.2)
    np.testing.assert_allclose(pipeline.medians_for("gross_margin_vs_industry", ["C39"]), [0.2])
    assert not np.isinf(X).any()


def test_pipeline_state_round_trip_and_refusal() -> None:
    rows = [firm(i, "C39", 0.05 * i) for i in range(8)]
    columns = validate_frame(pd.DataFrame(rows)).columns
    pipeline = FeaturePipeline(min_count=3).fit(columns)
    state = json.loads(json.dumps(pipeline.to_dict()))
    again = FeaturePipeline.from_dict(state)
    np.testing.assert_array_equal(again.transform(columns), pipeline.transform(columns))
    state["feature_names"] = state["feature_names"][:-1]
    with pytest.raises(ValueError, match="differs from this code's catalog"):
        FeaturePipeline.from_dict(state)
    with pytest.raises(NotFittedError):
        FeaturePipeline().to_dict()


money = st.one_of(st.none(), st.floats(0.0, 1e11))
share = st.one_of(st.none(), st.floats(0.0, 1.0))


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    rec = example_record()
    revenue = draw(st.floats(0.0, 1e11))
    rec.update(
        revenue=revenue,
        revenue_prev=draw(money),
        revenue_prev2=draw(money),
        main_business_revenue=draw(
            st.one_of(st.none(), st.floats(0.0, 1.0).map(lambda u: u * revenue))
        ),
        main_business_revenue_prev=None,
        main_business_revenue_prev2=None,
        gross_profit=draw(st.one_of(st.none(), st.floats(-1.0, 1.0).map(lambda u: u * revenue))),
        net_profit=draw(st.one_of(st.none(), st.floats(-1e9, 1e9))),
        rd_expense=draw(money),
        total_assets=draw(money),
        total_liabilities=draw(money),
        export_share=draw(share),
        staff_turnover=draw(share),
        employees=draw(st.one_of(st.none(), st.integers(0, 10_000))),
        rd_staff=None,
        own_brand=draw(st.sampled_from([None, True, False, "是", "否"])),
        province=draw(st.sampled_from(["浙江", "Zhejiang", "33", "广西壮族自治区", "沪"])),
        industry=draw(st.sampled_from(["C39", "c35", "65", "I65", "C3911"])),
        current_tier=draw(st.sampled_from([None, "none", "srdi_sme", "小巨人"])),
    )
    return rec


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=12))
def test_one_record_and_a_frame_give_identical_numbers(batch: list[dict[str, Any]]) -> None:
    frame = validate_frame(pd.DataFrame(batch))
    assert frame.errors == []
    pipeline = FeaturePipeline(min_count=2).fit(frame.columns)
    X = pipeline.transform(frame.columns)
    for i, rec in enumerate(batch):
        row = pipeline.transform(validate_record(rec))
        np.testing.assert_array_equal(row[0], X[i])
    assert not np.isinf(X).any()


def test_transform_needs_industry() -> None:
    pipeline = FeaturePipeline(min_count=1).fit(validate_record(example_record()))
    with pytest.raises(ValueError, match="'industry'"):
        pipeline.transform({"revenue": np.array([1.0])})
    assert math.isfinite(pipeline.transform(validate_record(example_record()))[0, 0])
