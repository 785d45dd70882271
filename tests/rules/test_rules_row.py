"""The row evaluator and the batch JSON equal the vectorized engine exactly.

"Exactly" means the same dicts with the same keys in the same order, the same
floats to the bit and the same gap sentences: each comparison is made on the JSON
text (``json.dumps`` writes ``-0.0`` and the last digit of every float) as well as
with ``==``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rules_engine import blank, random_firms

from features.columns import Columns
from features.industries import DIVISION_CODES
from features.provinces import PROVINCE_NAMES
from features.rules import (
    SCHEME_IDS,
    SCHEME_TABLES,
    CurrencyRates,
    FixedDistinctive,
    evaluate_schemes,
    logic,
)
from features.rules.categories import SMALL_COLUMN_ROWS, factorize
from features.rules.logic import FloatArray
from features.rules.measures import MEASURES, MeasureContext
from features.rules.row import evaluate_rows_json
from features.rules.row_measures import LOOKED_UP, SCALAR_MEASURES, measure_rows
from serving.scoring.scheme_json import ROW_PATH_MAX_ROWS, firm_schemes, schemes_json
from tests.support.rules_firms import FIRM_A, FIRM_B, columns, record

LEVELS = ("none", "below_municipal", "municipal", "provincial", "national")
TIERS = ("none", "innovative_sme", "srdi_sme", "little_giant")
RATES = CurrencyRates(eur=7.1, jpy=0.051, krw=0.0049, usd=6.9)


class ExportDistinctive:
    """A plug-in that reads its rows: 15 points with exports of 30% or more."""

    def points(self, cols: Columns, max_points: float) -> tuple[FloatArray, FloatArray]:
        share = np.asarray(cols["export_share"], dtype=np.float64)
        known = np.where(share >= 0.3, max_points, 0.0)
        upper = np.where(np.isnan(share), max_points, known)
        return known, upper


PLUGINS: dict[str, Any] = {
    "Zhejiang": FixedDistinctive(12.3),
    "Jiangsu": ExportDistinctive(),
    "Guangdong": FixedDistinctive(0.0),
}
OPTIONS: list[dict[str, Any]] = [
    {},
    {"rates": RATES},
    {"distinctive": PLUGINS},
    {"rates": RATES, "distinctive": PLUGINS},
]


def dumps(schemes: object) -> str:
    return json.dumps(schemes, ensure_ascii=False, allow_nan=False)


def assert_same(expected: list[list[dict[str, Any]]], actual: list[list[dict[str, Any]]]) -> None:
    assert len(actual) == len(expected)
    for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert got == want, i
        assert dumps(got) == dumps(want), i


def assert_row_path_equals_engine(cols: Columns, **options: Any) -> None:
    ev = evaluate_schemes(cols, **options)
    assert_same([ev.firm(i) for i in range(ev.n_rows)], evaluate_rows_json(cols, **options))


# --- measures and factorize ---------------------------------------------------------


def test_every_measure_has_a_scalar_twin_or_is_looked_up() -> None:
    assert set(SCALAR_MEASURES) | LOOKED_UP == set(MEASURES)
    assert not set(SCALAR_MEASURES) & LOOKED_UP


def _same_bits(a: list[float], b: list[float]) -> bool:
    return np.array_equal(np.array(a).view(np.int64), np.array(b).view(np.int64))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scalar_measures_equal_the_vectorized_ones_bit_for_bit(seed: int) -> None:
    full = random_firms(seed, 200)
    rng = np.random.default_rng(seed)
    cols = blank(full, rng, [f for f in full if f not in ("company_id", "province", "industry")])
    cols["revenue_prev"][:5] = 0.0  # growth and ratios over a zero
    cols["total_assets"][5:10] = 0.0
    cols["net_profit"][10:15] = -0.0
    ctx = MeasureContext(cols, RATES)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = measure_rows(ctx, list(MEASURES))
        for name in MEASURES:
            assert _same_bits([r[name] for r in rows], ctx.get(name).tolist()), name


text_values = st.lists(
    st.one_of(st.none(), st.just(np.nan), st.sampled_from(["C39", "C35", "I65", "none", ""])),
    max_size=SMALL_COLUMN_ROWS,
)


@given(text_values)
def test_small_columns_factorize_as_pandas_does(values: list[Any]) -> None:
    array = np.array(values, dtype=object)
    codes, uniques = factorize(array)
    want_codes, want_uniques = pd.factorize(array, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.dtype == object
    assert uniques.tolist() == list(want_uniques)


# --- random valid records, edge values on the thresholds ------------------------------


def _edges() -> list[float]:
    """Every numeric threshold of every table (a value exactly on an edge)."""
    edges = {
        float(t.threshold)
        for table in SCHEME_TABLES.values()
        for crit in table.criteria
        for t in crit.tests()
        if isinstance(t, logic.Test) and not isinstance(t.threshold, str)
    }
    return sorted(edges)


EDGES = _edges()
SHARE_EDGES = [e for e in EDGES if 0.0 <= e <= 1.0]
share = st.one_of(st.none(), st.sampled_from(SHARE_EDGES), st.floats(0.0, 1.0))
money = st.one_of(
    st.none(),
    st.just(0.0),
    # 万元 edges (100万 ... 8000万) and the foreign schemes' edges in CNY
    st.sampled_from([e * 1e4 for e in EDGES if e >= 1] + [e * 1e9 * 0.0052 for e in EDGES]),
    st.floats(1e5, 1e11),
)
count = st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0]), st.integers(0, 50))
flag = st.sampled_from([None, 0.0, 1.0])


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record: required fields, each optional one missing or drawn near an edge."""
    revenue = draw(st.one_of(st.sampled_from([1e7, 5e7, 1e8]), st.floats(1e5, 1e11)))

    def fraction_of(base: float | None) -> float | None:
        u = draw(share)
        return None if u is None or base is None else u * base

    rec: dict[str, Any] = {
        "company_id": "R",
        "fiscal_year": 2024,
        "province": draw(st.sampled_from(PROVINCE_NAMES)),
        "industry": draw(st.sampled_from(DIVISION_CODES)),
        "revenue": revenue,
        "revenue_prev": draw(money),
        "revenue_prev2": draw(money),
        "main_business_revenue": fraction_of(revenue),
        "years_in_niche": draw(st.one_of(st.none(), st.sampled_from(EDGES), st.floats(0, 30))),
        "rd_expense": fraction_of(revenue),
        "employees": draw(count),
        "net_profit": draw(st.one_of(st.none(), st.floats(-1.0, 1.0).map(lambda u: u * revenue))),
        "total_assets": draw(money),
        "export_share": draw(share),
        "invention_patents": draw(count),
        "class1_ip": draw(count),
        "class2_ip": draw(count),
        "rd_institution": draw(st.sampled_from([None, *LEVELS])),
        "digital_level": draw(st.sampled_from([None, 1.0, 2.0, 3.0, 4.0])),
        "quality_certification": draw(flag),
        "own_brand": draw(flag),
        "quality_award": draw(flag),
        "standards_drafted": draw(count),
        "equity_raised_2y": draw(money),
        "national_market_share": draw(share),
        "world_market_share": draw(share),
        "world_market_rank": draw(st.one_of(st.none(), st.integers(1, 6))),
        "strategic_emerging": draw(flag),
        "key_chain_supplier": draw(flag),
        "current_tier": draw(st.sampled_from([None, *TIERS])),
    }
    rec["main_business_revenue_prev"] = fraction_of(rec["revenue_prev"])
    rec["main_business_revenue_prev2"] = fraction_of(rec["revenue_prev2"])
    rec["rd_expense_prev"] = fraction_of(rec["revenue_prev"])
    rec["rd_staff"] = fraction_of(rec["employees"])
    rec["total_liabilities"] = fraction_of(rec["total_assets"])
    return rec


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=records(), options=st.sampled_from(OPTIONS))
def test_one_random_record_row_path_equals_engine(rec: dict[str, Any], options: dict) -> None:
    assert_row_path_equals_engine(columns(rec), **options)


# Lists of large records: hypothesis' size checks would fail a run without a finding.
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(recs=st.lists(records(), min_size=2, max_size=ROW_PATH_MAX_ROWS + 4))
def test_a_small_batch_row_path_equals_engine(recs: list[dict[str, Any]]) -> None:
    cols = columns(*recs)
    assert_row_path_equals_engine(cols, rates=RATES, distinctive=PLUGINS)
    assert_same(schemes_json(evaluate_schemes(cols, rates=RATES)), firm_schemes(cols, RATES))


# --- a synthetic world and the documented examples ----------------------------------


@lru_cache(maxsize=1)
def world_columns() -> Columns:
    """Validated firm-years of a small synthetic world (a few hundred firms)."""
    from features.validate import validate_frame
    from training.synth import generate_world

    world = generate_world(150, 11, oracle_replicates=1)
    validated = validate_frame(world.frame("financials"))
    assert validated.errors == []
    return validated.columns


@pytest.mark.parametrize("options", OPTIONS, ids=["default", "rates", "plugins", "both"])
def test_every_row_of_a_synthetic_world_row_path_equals_engine(options: dict) -> None:
    cols = world_columns()
    assert len(cols["company_id"]) > 500
    assert set(cols["current_tier"]) >= set(TIERS)
    assert_row_path_equals_engine(cols, **options)


def test_documented_firms_row_path_equals_engine() -> None:
    # FIRM_A and FIRM_B are worked by hand in test_rules_examples.py (whose helper
    # also checks the row path on every example).
    for options in OPTIONS:
        assert_row_path_equals_engine(columns(FIRM_A, FIRM_B, record()), **options)


def test_selected_schemes_in_the_given_order() -> None:
    cols = columns(FIRM_A, record(current_tier="little_giant"))
    picked = ["kr_mid_sized", "cn_srdi_sme"]
    ev = evaluate_schemes(cols, schemes=picked)
    assert_same([ev.firm(i) for i in range(2)], evaluate_rows_json(cols, schemes=picked))
    only = evaluate_rows_json(cols, schemes="cn_little_giant")
    assert [[s["scheme_id"] for s in firm] for firm in only] == [["cn_little_giant"]] * 2


# --- batch JSON and the entry point -------------------------------------------------


def test_batch_json_equals_each_firm_view() -> None:
    full = random_firms(5, 300)
    cols = blank(full, np.random.default_rng(5), [f for f in full if f != "company_id"])
    cols["net_profit"][:4] = -0.0  # a net margin of -0.0 is written "-0.0", as firm(i) does
    for options in OPTIONS:
        ev = evaluate_schemes(cols, **options)
        assert_same([ev.firm(i) for i in range(ev.n_rows)], schemes_json(ev))
    assert_row_path_equals_engine(cols, rates=RATES)


@pytest.mark.parametrize("n", [0, 1, ROW_PATH_MAX_ROWS, ROW_PATH_MAX_ROWS + 1])
def test_firm_schemes_equals_the_engine_on_both_sides_of_the_cutoff(n: int) -> None:
    cols = {k: v[:n] for k, v in random_firms(7, max(n, 1)).items()}
    want = schemes_json(evaluate_schemes(cols, rates=RATES, distinctive=PLUGINS))
    got = firm_schemes(cols, RATES, PLUGINS)
    assert_same(want, got)
    assert [[s["scheme_id"] for s in firm] for firm in got] == [list(SCHEME_IDS)] * n


# --- errors: the same as the engine's -------------------------------------------------


@pytest.mark.parametrize(
    ("cols", "options", "message"),
    [
        (columns(record(rd_institution="huge")), {}, "rd_institution: unknown value"),
        (columns(record(current_tier="gold")), {}, "current_tier: unknown value"),
        (columns(record(industry="Z99")), {}, "industry: unknown value"),
        (columns(record()), {"schemes": ["cn_nope"]}, "unknown scheme id"),
        ({"revenue": np.ones(2), "industry": np.array(["C39"], dtype=object)}, {}, "lengths"),
        (
            columns(record(province="Zhejiang")),
            {"distinctive": {"Zhejiang": FixedDistinctive(20.0)}},
            "FixedDistinctive value 20.0 outside",
        ),
    ],
)
def test_bad_input_gets_the_engines_error(cols: Columns, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_schemes(cols, **options)
    with pytest.raises(ValueError, match=message):
        evaluate_rows_json(cols, **options)
