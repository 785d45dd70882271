"""Feature maths: ratios, growth rates, NaN on zero or missing denominators, no inf."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from features.catalog import FAMILIES, FEATURE_NAMES, FEATURES
from features.derive import BASE_FEATURE_NAMES, cagr, derive_features, growth, log10_scale, ratio
from features.record_model import example_record
from features.validate import validate_record

finite = st.floats(min_value=-1e14, max_value=1e14, allow_nan=False)
maybe = st.one_of(finite, st.just(math.nan), st.just(0.0), st.just(1e-300))
vectors = arrays(np.float64, st.integers(1, 30), elements=maybe)


@given(vectors, vectors)
def test_ratio_is_never_inf_and_nan_on_zero_or_missing(a: np.ndarray, b: np.ndarray) -> None:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    out = ratio(a, b)
    assert not np.isinf(out).any()
    assert np.isnan(out[(b == 0) | np.isnan(b) | np.isnan(a)]).all()
    with np.errstate(over="ignore"):
        ok = (b != 0) & ~np.isnan(a) & ~np.isnan(b) & np.isfinite(a / np.where(b == 0, 1, b))
    np.testing.assert_allclose(out[ok], a[ok] / b[ok])


@given(vectors, vectors)
def test_growth_and_cagr_need_a_positive_base(now: np.ndarray, before: np.ndarray) -> None:
    n = min(len(now), len(before))
    now, before = np.abs(now[:n]), before[:n]
    for out in (growth(now, before), cagr(now, before, 2.0)):
        assert not np.isinf(out).any()
        assert np.isnan(out[~(before > 0)]).all()
        assert (out[~np.isnan(out)] >= -1.0).all()  # cannot lose more than everything


@given(st.floats(1.0, 1e12), st.floats(0.01, 100.0))
def test_cagr_compounds_back(before: float, factor: float) -> None:
    rate = cagr(np.array([before * factor]), np.array([before]), 2.0)[0]
    assert before * (1 + rate) ** 2 == pytest.approx(before * factor, rel=1e-9)


@given(arrays(np.float64, st.integers(1, 20), elements=maybe))
def test_log10_scale(values: np.ndarray) -> None:
    out = log10_scale(values)
    assert not np.isinf(out).any()
    assert np.isnan(out[(values < 0) | np.isnan(values)]).all()
    keep = values >= 0
    np.testing.assert_allclose(out[keep], np.log10(1 + values[keep]), atol=1e-12)


def test_catalog_is_complete_and_consistent() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURES)
    assert {f.family for f in FEATURES} == set(FAMILIES)
    assert list(FAMILIES) == [
        "specialization",
        "rd_intensity",
        "margin",
        "customer_stickiness",
        "growth",
        "financial_health",
        "internationalization",
        "scale_age",
        "workforce_stability",
        "digital_quality",
    ]
    assert FAMILIES["rd_intensity"] == "R&D intensity"
    for spec in FEATURES:
        assert spec.direction in (-1, 0, 1) and spec.label and spec.unit
        assert not (spec.monotone and spec.direction == 0), spec.name
        if spec.baseline_of is not None:
            assert spec.baseline_of in BASE_FEATURE_NAMES
    tier = next(f for f in FEATURES if f.name == "current_tier_level")
    assert (tier.family, tier.label) == ("digital_quality", "Certification tier already held")


def test_example_values_by_hand() -> None:
    f = derive_features(validate_record(example_record()))
    assert set(f) == set(BASE_FEATURE_NAMES)
    assert f["main_business_share"][0] == pytest.approx(165 / 180)
    assert f["main_business_share_change"][0] == pytest.approx(165 / 180 - 139 / 152)
    assert f["rd_intensity"][0] == pytest.approx(11.5 / 180)
    assert f["rd_intensity_prev"][0] == pytest.approx(9.8 / 152)
    assert f["rd_staff_share"][0] == pytest.approx(48 / 260)
    assert f["class1_ip_per_100_staff"][0] == pytest.approx(900 / 260)
    assert f["invention_patents_per_100_staff"][0] == pytest.approx(1400 / 260)
    assert f["gross_margin"][0] == pytest.approx(63 / 180)
    assert f["net_margin"][0] == pytest.approx(21 / 180)
    assert f["revenue_growth"][0] == pytest.approx(180 / 152 - 1)
    assert f["revenue_cagr_2y"][0] == pytest.approx((180 / 131) ** 0.5 - 1)
    assert f["main_business_cagr_2y"][0] == pytest.approx((165 / 118) ** 0.5 - 1)
    assert f["debt_ratio"][0] == pytest.approx(96 / 240)
    assert f["roa"][0] == pytest.approx(21 / 240)
    assert f["roe"][0] == pytest.approx(21 / 144)
    assert f["log_revenue"][0] == pytest.approx(math.log10(1 + 1.8e8))
    assert f["firm_age"][0] == 15
    assert f["rd_institution_level"][0] == 3  # provincial
    assert f["current_tier_level"][0] == 2  # srdi_sme
    assert f["quality_items"][0] == 3  # certification, brand, standards; no award


def test_zero_and_missing_denominators_give_nan() -> None:
    rec = example_record()
    rec.update(revenue=0.0, main_business_revenue=0.0, gross_profit=0.0, employees=0, rd_staff=0)
    rec.update(revenue_prev2=None, total_assets=0.0, total_liabilities=0.0, rd_expense=0.0)
    f = derive_features(validate_record(rec))
    for name in (
        "main_business_share",
        "rd_intensity",
        "gross_margin",
        "net_margin",
        "rd_staff_share",
        "class1_ip_per_100_staff",
        "revenue_cagr_2y",
        "debt_ratio",
        "roa",
        "roe",
    ):
        assert math.isnan(f[name][0]), name
    assert f["revenue_growth"][0] == -1.0  # from 152m to 0 is a real -100%


def test_unknown_quality_item_makes_the_count_unknown() -> None:
    rec = example_record()
    rec["quality_award"] = None
    assert math.isnan(derive_features(validate_record(rec))["quality_items"][0])


def test_negative_equity_has_no_roe() -> None:
    rec = example_record()
    rec.update(total_liabilities=300_000_000.0)
    f = derive_features(validate_record(rec))
    assert math.isnan(f["roe"][0])
    assert f["debt_ratio"][0] == pytest.approx(300 / 240)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 1e12)), min_size=8, max_size=8))
def test_derived_features_are_finite_or_nan(values: list[float | None]) -> None:
    rec = example_record()
    names = [
        "revenue",
        "revenue_prev",
        "revenue_prev2",
        "rd_expense",
        "employees",
        "total_assets",
        "total_liabilities",
        "net_profit",
    ]
    for name, value in zip(names, values, strict=True):
        if value is None and name == "revenue":
            value = 0.0  # required
        if value is not None and name == "employees":
            value = float(int(value) % 1_000_000)  # headcounts are bounded
        rec[name] = value
    rec.update(main_business_revenue=None, main_business_revenue_prev=None, gross_profit=None)
    rec.update(main_business_revenue_prev2=None, rd_staff=None)
    block = np.array(list(derive_features(validate_record(rec)).values()))
    assert not np.isinf(block).any()


def test_empty_input_gives_an_empty_feature_table() -> None:
    # Regression: an empty partition (every row invalid) made the block reshape fail.
    one = validate_record(example_record())
    empty = {name: values[:0] for name, values in one.items()}
    derived = derive_features(empty)
    assert set(derived) == set(BASE_FEATURE_NAMES)
    assert all(values.shape == (0,) for values in derived.values())
