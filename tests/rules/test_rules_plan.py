"""The compiled plan: the same answers for one record and a million rows.

One plan serves every size, so the properties here are about size and order: a
record evaluated alone equals the same record inside a batch (the JSON writer even
builds its dicts in another order past a few firms), a block split equals the
whole, a missing input never turns anything into a fail. "Equal" is the JSON text
(``json.dumps`` writes ``-0.0`` and the last digit of every float) as well as ``==``.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features import derive
from features.columns import Columns, take_rows
from features.industries import DIVISION_CODES
from features.provinces import PROVINCE_NAMES
from features.rules import (
    SCHEME_TABLES,
    Assumption,
    CriterionVerdict,
    CurrencyRates,
    FixedDistinctive,
    Verdict,
    compile_plan,
    evaluate_plan,
    evaluate_schemes,
    rule_tables,
    schemes_json,
)
from features.rules import measures as m
from features.rules.categories import SMALL_COLUMN_ROWS, factorize
from features.rules.engine import CRITERIA, DISPLAY, SUMMARY, PlanOutput, run_plan
from features.rules.inputs import prepare_inputs
from features.rules.logic import FloatArray, any_of
from features.rules.logic import Test as RuleTest
from features.rules.plan import plan_for
from features.rules.tables import Criterion, SchemeTable
from features.rules.writer import BY_CRITERION_FROM
from features.validate import validate_frame
from tests.support.frames import firm_years
from tests.support.rules_firms import FIRM_A, FIRM_B, blank, columns, random_firms, record

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


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def assert_same(expected: list[list[dict[str, Any]]], actual: list[list[dict[str, Any]]]) -> None:
    assert len(actual) == len(expected)
    for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert got == want, i
        assert dumps(got) == dumps(want), i


def assert_same_output(a: PlanOutput, b: PlanOutput) -> None:
    """Every array of two plan outputs equal, NaN where NaN, to the bit."""
    assert (a.n_rows, a.level) == (b.n_rows, b.level)
    for field in fields(PlanOutput):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if not isinstance(x, np.ndarray):
            assert x == y, field.name
            continue
        assert x.shape == y.shape, field.name
        if x.dtype == np.float64:
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), field.name
        else:
            assert np.array_equal(x, y), field.name


def batch_columns() -> Columns:
    """1,000 validated firm-years with gaps, and every hand-made firm."""
    frame = firm_years(1_000, seed=3)
    return validate_frame(frame).columns


# --- one record, a batch, a block ------------------------------------------------------


@pytest.mark.parametrize(
    "options", [{}, {"rates": RATES, "distinctive": PLUGINS}], ids=["default", "options"]
)
def test_one_record_alone_equals_the_same_record_in_a_1000_row_batch(options: dict) -> None:
    cols = batch_columns()
    together = schemes_json(cols, **options)
    assert len(together) == 1_000 >= BY_CRITERION_FROM  # the batch writes criterion by criterion
    for i in range(0, 1_000, 37):
        alone = schemes_json(take_rows(cols, np.array([i])), **options)
        assert_same([together[i]], alone)
    evaluation = evaluate_schemes(cols, **options)
    for i in (0, 999):
        one = evaluate_schemes(take_rows(cols, np.array([i])), **options)
        for sid in evaluation.scheme_ids:
            assert one[sid].verdict[0] == evaluation[sid].verdict[i]
        assert_same([evaluation.firm(i)], [together[i]])


@settings(max_examples=25, deadline=None)
@given(block_rows=st.integers(1, 70), level=st.sampled_from([SUMMARY, CRITERIA, DISPLAY]))
def test_a_block_split_equals_the_whole(block_rows: int, level: int) -> None:
    cols = blank(random_firms(4, 150), np.random.default_rng(4), ["rd_expense", "total_assets"])
    plan = plan_for(None)
    inputs = prepare_inputs(plan, cols, RATES, PLUGINS)
    whole = run_plan(plan, inputs, level)
    assert_same_output(whole, run_plan(plan, inputs, level, block_rows=block_rows))


def test_rows_of_an_evaluation_equal_their_own_evaluation() -> None:
    cols = random_firms(9, 60)
    plan = plan_for(None)
    inputs = prepare_inputs(plan, cols, RATES, {})
    part = run_plan(plan, inputs, DISPLAY, rows=slice(17, 41))
    alone = run_plan(
        plan, prepare_inputs(plan, take_rows(cols, np.arange(17, 41)), RATES, {}), DISPLAY
    )
    assert_same_output(part, alone)


def test_the_json_of_a_batch_equals_each_firm_view() -> None:
    full = random_firms(5, 300)
    cols = blank(full, np.random.default_rng(5), [f for f in full if f != "company_id"])
    cols["net_profit"][:4] = -0.0  # a net margin of -0.0 is written "-0.0" either way
    for options in ({}, {"rates": RATES}, {"distinctive": PLUGINS}):
        evaluation = evaluate_schemes(cols, **options)
        firms = [evaluation.firm(i) for i in range(evaluation.n_rows)]
        assert_same(firms, evaluation.json())
        assert_same(firms, schemes_json(cols, **options))
        assert_same(
            firms[: BY_CRITERION_FROM - 1],
            schemes_json(take_rows(cols, np.arange(BY_CRITERION_FROM - 1)), **options),
        )


def test_evaluate_schemes_computes_criteria_and_gaps_only_when_asked() -> None:
    evaluation = evaluate_schemes(random_firms(1, 50))
    assert evaluation.summary_output.level == SUMMARY
    assert evaluation.summary_output.display is None
    assert evaluation.summary_output.criterion_verdict is None
    verdicts = evaluation["cn_srdi_sme"].criteria["entry_rd_intensity"].verdict
    assert evaluation.criteria_output.level == CRITERIA
    assert evaluation.criteria_output.display is None
    gaps = evaluation["cn_srdi_sme"].criteria["entry_rd_intensity"].gap
    assert np.all(np.isnan(gaps) | (verdicts == CriterionVerdict.FAIL))


# --- random records on the edges --------------------------------------------------------


def _edges() -> list[float]:
    """Every numeric threshold of every table (a value exactly on an edge)."""
    return sorted(
        {
            float(t.threshold)
            for table in SCHEME_TABLES.values()
            for crit in table.criteria
            for t in crit.tests()
            if not isinstance(t.threshold, str)
        }
    )


EDGES = _edges()
share = st.one_of(st.none(), st.sampled_from([e for e in EDGES if 0 <= e <= 1]), st.floats(0, 1))
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


# Lists of large records: hypothesis' size checks would fail a run without a finding.
_LISTS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@_LISTS
@given(recs=st.lists(records(), min_size=1, max_size=BY_CRITERION_FROM + 8))
def test_random_records_alone_equal_themselves_in_a_batch(recs: list[dict[str, Any]]) -> None:
    cols = columns(*recs)
    together = schemes_json(cols, rates=RATES, distinctive=PLUGINS)
    for i in range(len(recs)):
        alone = schemes_json(columns(recs[i]), rates=RATES, distinctive=PLUGINS)
        assert_same([together[i]], alone)


# Korea's screens pool "the years reported" (docs/schemes.md): there a missing earlier
# year changes the number rather than making it unknown.
_POOLED = {"revenue_prev", "revenue_prev2", "rd_expense", "rd_expense_prev"}
_CAN_BE_BLANKED = (
    "revenue_prev", "revenue_prev2", "main_business_revenue", "main_business_revenue_prev",
    "main_business_revenue_prev2", "years_in_niche", "rd_expense", "rd_expense_prev",
    "employees", "rd_staff", "net_profit", "total_assets", "total_liabilities",
    "export_share", "invention_patents", "class1_ip", "class2_ip", "rd_institution",
    "digital_level", "quality_certification", "own_brand", "quality_award",
    "standards_drafted", "equity_raised_2y", "national_market_share", "world_market_share",
    "world_market_rank", "strategic_emerging", "key_chain_supplier",
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rec=records(), hole=st.sampled_from(_CAN_BE_BLANKED))
def test_an_unreported_field_never_turns_a_criterion_into_a_fail(
    rec: dict[str, Any], hole: str
) -> None:
    before = schemes_json(columns(rec))[0]
    after = schemes_json(columns({**rec, hole: None}))[0]
    for was, now in zip(before, after, strict=True):
        if was["scheme_id"].startswith("kr_") and hole in _POOLED:
            continue
        assert now["verdict"] in (was["verdict"], "undetermined"), (was["scheme_id"], hole)
        for c_was, c_now in zip(was["criteria"], now["criteria"], strict=True):
            assert c_now["verdict"] in (c_was["verdict"], "unknown"), (c_was["id"], hole)


# --- the plan ---------------------------------------------------------------------------


def test_a_plan_is_compiled_once_per_selection_of_schemes() -> None:
    assert plan_for(None) is plan_for(None)
    assert plan_for(["kr_mid_sized", "cn_srdi_sme"]) is plan_for(("kr_mid_sized", "cn_srdi_sme"))
    assert plan_for("cn_srdi_sme").scheme_ids == ("cn_srdi_sme",)
    with pytest.raises(ValueError, match="unknown scheme id"):
        plan_for(["cn_srdi"])


def test_each_distinct_test_is_one_row_of_the_plan() -> None:
    plan = plan_for(None)
    tests = {t for table in SCHEME_TABLES.values() for c in table.criteria for t in c.tests()}
    tests |= {t for table in SCHEME_TABLES.values() if table.grade for g in table.grade.grades
              for t in g.when.tests()}  # fmt: skip
    tests |= {RuleTest("tier_rank", ">=", float(t.certified_rank)) for t in SCHEME_TABLES.values()
              if t.certified_rank is not None}  # fmt: skip
    tests |= {RuleTest("tier_rank", "==", float(t.certified_rank)) for t in SCHEME_TABLES.values()
              if t.status_years is not None}  # fmt: skip
    logic = plan.logic
    assert logic.constant_tests.size + logic.measure_tests.size == len(tests)
    # rd_intensity >= 3% is both an SRDI entry condition and an innovative-SME band.
    assert sum(1 for t in tests if t == RuleTest("rd_intensity", ">=", 0.03)) == 1


def test_ratio_and_growth_are_the_features_arithmetic_to_the_bit() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=500) * 10.0 ** rng.integers(-5, 12, 500)
    b = np.concatenate([rng.normal(size=490), [0.0, -0.0, np.nan, 1e-320, -1.0] * 2])
    with np.errstate(all="ignore"):
        for ours, theirs in ((m.ratio, derive.ratio), (m.growth, derive.growth)):
            assert np.array_equal(ours(a, b).view(np.int64), theirs(a, b).view(np.int64))


@given(
    st.lists(
        st.one_of(st.none(), st.just(np.nan), st.sampled_from(["C39", "C35", "I65", "none", ""])),
        max_size=SMALL_COLUMN_ROWS,
    )
)
def test_small_columns_factorize_as_pandas_does(values: list[Any]) -> None:
    array = np.array(values, dtype=object)
    codes, uniques = factorize(array)
    want_codes, want_uniques = pd.factorize(array, use_na_sentinel=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert uniques.dtype == object
    assert uniques.tolist() == list(want_uniques)


@pytest.mark.parametrize(
    ("cols", "options", "message"),
    [
        (columns(record(industry="Z99")), {}, r"industry: unknown value\(s\) \['Z99'\]"),
        (columns(record(), record(rd_institution="huge")), {}, "first at row 1"),
        (
            columns(record(province="Zhejiang")),
            {"distinctive": {"Zhejiang": FixedDistinctive(20.0)}},
            "FixedDistinctive value 20.0 outside",
        ),
    ],
)
def test_the_json_path_gives_the_engines_errors(cols: Columns, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_schemes(cols, **options)
    with pytest.raises(ValueError, match=message):
        schemes_json(cols, **options)


def test_no_schemes_give_empty_lists() -> None:
    cols = columns(FIRM_A, record())
    evaluation = evaluate_schemes(cols, schemes=[])
    assert evaluation.scheme_ids == () and evaluation.json() == [[], []]
    assert schemes_json(cols, schemes=[]) == [[], []]
    assert list(evaluation.summary_frame().columns) == ["company_id", "fiscal_year"]


def test_no_rows_give_no_results() -> None:
    cols = {k: v[:0] for k, v in columns(FIRM_A).items()}
    assert schemes_json(cols) == []
    evaluation = evaluate_schemes(cols)
    assert evaluation.n_rows == 0 and len(evaluation.summary_frame()) == 0
    assert evaluation.json() == []


# --- stated assumptions (a mechanism of the tables, not used by the shipped ones) -------

ASSUMED_NO_EQUITY = "no new equity financing in 2 years was assumed"
ASSUMED_CERTIFIED = "a quality certification was assumed"

ROUTE_TABLE = SchemeTable(
    scheme_id="test_route",
    name="A test scheme with stated assumptions",
    version="test-1",
    country="CN",
    sources=("tests",),
    criteria=(
        Criterion(
            id="revenue",
            label="Revenue",
            group="size",
            kind="required",
            measure="revenue_wan",
            rule=RuleTest("revenue_wan", ">=", 1000),
        ),
        Criterion(
            id="certification",
            label="Quality certification",
            group="quality",
            kind="required",
            measure="quality_certification",
            rule=RuleTest("quality_certification", "==", 1),
            assume=Assumption("pass", ASSUMED_CERTIFIED),
        ),
        Criterion(
            id="route_equity",
            label="Equity financing",
            group="direct route",
            kind="route",
            measure="equity_2y_wan",
            rule=RuleTest("equity_2y_wan", ">=", 500),
            assume=Assumption("fail", ASSUMED_NO_EQUITY),
        ),
        Criterion(
            id="route_institution",
            label="R&D institution",
            group="direct route",
            kind="route",
            measure="rd_institution_level",
            rule=any_of(RuleTest("rd_institution_level", ">=", 3)),
        ),
    ),
)


def _route_scheme(**fields: Any) -> dict[str, Any]:
    plan = compile_plan([ROUTE_TABLE])
    evaluation = evaluate_plan(plan, columns(record(**fields)))
    scheme = evaluation.firm(0)[0]
    assert scheme["verdict"] == Verdict(evaluation["test_route"].verdict[0]).label
    return scheme


@pytest.mark.parametrize(
    ("fields", "verdict", "assumptions"),
    [
        # Nothing reported: the equity route is assumed not met, the certification met;
        # only the assumptions the verdict rests on are listed. Not eligible because no
        # route is met: the missing equity figure is the question, not the
        # certification (the firm fails either way).
        ({"rd_institution": "none"}, "not_eligible", [ASSUMED_NO_EQUITY]),
        # Eligible through the R&D institution: the equity route does not matter, the
        # assumed certification does.
        ({"rd_institution": "national"}, "eligible", [ASSUMED_CERTIFIED]),
        # Nothing met by a route, certification reported: the equity assumption decides.
        (
            {"rd_institution": "none", "quality_certification": 1.0},
            "not_eligible",
            [ASSUMED_NO_EQUITY],
        ),
        # Without an assumption, an unknown route still leaves the verdict open.
        ({"equity_raised_2y": 0.0, "quality_certification": 1.0}, "undetermined", []),
        ({"equity_raised_2y": 6e6, "quality_certification": 1.0}, "eligible", []),
        ({"equity_raised_2y": 6e6, "quality_certification": 0.0}, "not_eligible", []),
    ],
)
def test_a_stated_assumption_decides_the_verdict_and_is_listed(
    fields: dict[str, Any], verdict: str, assumptions: list[str]
) -> None:
    scheme = _route_scheme(**fields)
    assert scheme["verdict"] == verdict
    assert scheme["assumptions"] == assumptions
    # The criterion itself is still reported as unknown.
    by_id = {c["id"]: c for c in scheme["criteria"]}
    if "equity_raised_2y" not in fields:
        assert by_id["route_equity"]["verdict"] == "unknown"


def test_only_tables_that_state_assumptions_carry_the_key() -> None:
    stating = {sid for sid, t in SCHEME_TABLES.items() if t.states_assumptions}
    assert stating == {"cn_innovative_sme", "cn_srdi_sme", "cn_little_giant"}
    for scheme in schemes_json(columns(FIRM_A, FIRM_B))[0]:
        assert ("assumptions" in scheme) == (scheme["scheme_id"] in stating)
    foreign = [t for t in rule_tables() if t["country"] != "CN"]
    assert all("assumed_when_unknown" not in c for t in foreign for c in t["criteria"])  # type: ignore[attr-defined]
    assert ROUTE_TABLE.to_dict()["criteria"][2]["assumed_when_unknown"] == {  # type: ignore[index]
        "verdict": "fail",
        "sentence": ASSUMED_NO_EQUITY,
    }


def test_only_required_and_route_criteria_take_an_assumption() -> None:
    with pytest.raises(ValueError, match="only required and route criteria"):
        Criterion(
            id="x",
            label="x",
            group="g",
            kind="advisory",
            measure="own_brand",
            rule=RuleTest("own_brand", "==", 1),
            assume=Assumption("pass", "an own brand was assumed"),
        )
    with pytest.raises(ValueError, match="needs the sentence"):
        Assumption("fail", " ")


# --- routes that replace required criteria ------------------------------------------

REPLACE_TABLE = SchemeTable(
    scheme_id="test_replace",
    name="A test scheme whose route replaces two conditions",
    version="test-1",
    country="CN",
    sources=("tests",),
    criteria=(
        Criterion(
            id="revenue",
            label="Revenue",
            group="size",
            kind="required",
            measure="revenue_wan",
            rule=RuleTest("revenue_wan", ">=", 1000),
        ),
        Criterion(
            id="class1_ip",
            label="Class-I IP",
            group="innovation",
            kind="required",
            measure="class1_ip",
            rule=RuleTest("class1_ip", ">=", 2),
        ),
        Criterion(
            id="brand",
            label="Own brand",
            group="innovation",
            kind="required",
            measure="own_brand",
            rule=RuleTest("own_brand", "==", 1),
        ),
        Criterion(
            id="route_award",
            label="National award",
            group="innovation route",
            kind="route",
            measure="st_award_level",
            rule=RuleTest("st_award_level", ">=", 2),
            assume=Assumption("fail", ASSUMED_NO_EQUITY),
            replaces=("class1_ip", "brand"),
        ),
    ),
)

K = {"pass": 2, "unknown": 1, "fail": 0}


@pytest.mark.parametrize("ip", [3, 0, None])
@pytest.mark.parametrize("brand", [1, 0, None])
@pytest.mark.parametrize("award", ["national", "none", None])
def test_a_route_replaces_its_criteria_together_in_three_valued_logic(
    ip: int | None, brand: int | None, award: str | None
) -> None:
    plan = compile_plan([REPLACE_TABLE])
    scheme = evaluate_plan(
        plan, columns(record(class1_ip=ip, own_brand=brand, st_award_3y=award))
    ).firm(0)[0]
    code = {c["id"]: K[c["verdict"]] for c in scheme["criteria"]}
    assumed = 0 if code["route_award"] == 1 else code["route_award"]
    group = max(min(code["class1_ip"], code["brand"]), assumed)
    expected = min(code["revenue"], group)
    assert scheme["verdict"] == ["not_eligible", "undetermined", "eligible"][expected]
    # The assumption is listed where it decides: the route unknown, the criteria not met.
    without = min(code["revenue"], max(min(code["class1_ip"], code["brand"]), code["route_award"]))
    listed = [ASSUMED_NO_EQUITY] if without != expected else []
    assert scheme["assumptions"] == listed


def test_a_route_replaces_only_required_criteria_of_its_scheme() -> None:
    with pytest.raises(ValueError, match="not required criteria"):
        SchemeTable(
            scheme_id="x",
            name="x",
            version="x",
            country="CN",
            sources=(),
            criteria=(
                Criterion(
                    id="r",
                    label="r",
                    group="g",
                    kind="route",
                    measure="own_brand",
                    rule=RuleTest("own_brand", "==", 1),
                    replaces=("missing",),
                ),
            ),
        )
    assert REPLACE_TABLE.to_dict()["criteria"][3]["replaces"] == ["class1_ip", "brand"]  # type: ignore[index]
