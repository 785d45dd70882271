"""Engine properties: unknown never fails, frame = record, output shapes, errors."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import features.rules as rules
from features.fields import FIELDS
from features.rules import (
    RULESET_VERSIONS,
    SCHEME_IDS,
    CriterionVerdict,
    FixedDistinctive,
    Verdict,
    evaluate_schemes,
    logic,
    rule_tables,
)
from features.rules.tables import Band, Criterion
from tests.support.rules_firms import FIRM_A, blank, columns, random_firms, record

REQUIRED = {"company_id", "fiscal_year", "province", "industry", "revenue"}
# Korea's screens pool "the years reported" (R&D / revenue over t and t-1, 3-year mean revenue,
# mean growth): there a missing earlier year changes the number rather than making it
# unknown, by design (docs/schemes.md), so the monotonicity below excludes them.
POOLED = {"revenue_prev", "revenue_prev2", "rd_expense", "rd_expense_prev"}
KOREA = {"kr_world_class_300", "kr_global_strong_small", "kr_mid_sized"}
# A missing route field or violation flag is not "unknown" for the verdict: it is a
# stated assumption (docs/schemes.md), so the verdict follows the assumption there.
ASSUMED = {"high_tech_enterprise", "st_award_3y", "contest_rank", "serious_violation_3y"}


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), keep_pooled=st.booleans())
def test_a_missing_input_never_turns_into_a_fail(seed: int, keep_pooled: bool) -> None:
    full = random_firms(seed, 300)
    excluded = REQUIRED | {"current_tier"} | ASSUMED | (POOLED if keep_pooled else set())
    holes = blank(full, np.random.default_rng(seed + 1), [f for f in full if f not in excluded])
    before, after = evaluate_schemes(full), evaluate_schemes(holes)
    for sid in SCHEME_IDS:
        if sid in KOREA and not keep_pooled:
            continue
        b, a = before[sid], after[sid]
        settled = b.verdict != Verdict.UNDETERMINED
        assert np.all((a.verdict == b.verdict) | (a.verdict == Verdict.UNDETERMINED) | ~settled), (
            sid
        )
        for cid, crit in b.criteria.items():
            now = a.criteria[cid].verdict
            assert np.all((now == crit.verdict) | (now == CriterionVerdict.UNKNOWN)), (sid, cid)
            if crit.points is not None:
                assert np.all(a.criteria[cid].points <= crit.points)
                assert np.all(a.criteria[cid].points_upper >= crit.points_upper)
        if b.points is not None:
            assert np.all((a.points <= b.points) & (a.points_upper >= b.points_upper))


def test_every_field_known_settles_every_unscored_scheme() -> None:
    ev = evaluate_schemes(random_firms(3, 400))
    for sid in ("cn_little_giant", "de_hidden_champion", "kr_world_class_300", "kr_mid_sized"):
        assert not np.any(ev[sid].verdict == Verdict.UNDETERMINED), sid
    # Both outcomes occur, so the properties above are not vacuous.
    for sid in SCHEME_IDS:
        counts = np.bincount(ev[sid].verdict, minlength=4)
        assert counts[Verdict.NOT_ELIGIBLE] > 0, sid


def test_a_frame_and_its_single_records_give_identical_results() -> None:
    cols = random_firms(11, 25)
    frame = evaluate_schemes(cols)
    for i in range(25):
        one = evaluate_schemes({k: v[i : i + 1] for k, v in cols.items()})
        assert one.firm(0) == frame.firm(i)
        for sid in SCHEME_IDS:
            assert one[sid].verdict[0] == frame[sid].verdict[i]


def test_dataframe_input_equals_columns_input() -> None:
    cols = random_firms(5, 20)
    a = evaluate_schemes(cols).summary_frame()
    b = evaluate_schemes(pd.DataFrame(cols)).summary_frame()
    pd.testing.assert_frame_equal(a, b)


def test_summary_frame_has_one_row_per_firm_and_the_documented_columns() -> None:
    frame = evaluate_schemes(random_firms(2, 30)).summary_frame()
    assert len(frame) == 30
    assert list(frame.columns[:2]) == ["company_id", "fiscal_year"]
    for sid in SCHEME_IDS:
        assert set(frame[f"{sid}_verdict"].astype(str)) <= {v.label for v in Verdict}
    for sid in ("cn_innovative_sme", "cn_srdi_sme"):
        assert frame[f"{sid}_points"].between(0, 100).all()
        assert (frame[f"{sid}_points_upper"] >= frame[f"{sid}_points"]).all()
    assert "cn_little_giant_points" not in frame
    assert "kr_global_strong_small_export_tier" in frame


def test_firm_json_follows_the_architecture_contract() -> None:
    ev = evaluate_schemes(columns({**FIRM_A, "rd_expense": 2.1e6, "revenue": 1e8}, record()))
    for i in range(2):
        schemes = ev.firm(i)
        json.dumps(schemes, allow_nan=False)  # NaN and inf become null
        assert [s["scheme_id"] for s in schemes] == list(SCHEME_IDS)
        for s in schemes:
            assert s["version"] == RULESET_VERSIONS[s["scheme_id"]]
            assert s["verdict"] in {v.label for v in Verdict}
            for c in s["criteria"]:
                assert {"id", "label", "group", "verdict", "value", "threshold", "unit", "gap",
                        "gap_text", "points", "max_points"} <= set(c)  # fmt: skip
                assert c["verdict"] in {"pass", "fail", "unknown"}
                assert (c["gap_text"] is None) == (c["verdict"] == "pass")
    with pytest.raises(IndexError, match="out of range for 2 rows"):
        ev.firm(2)


def _gap_text(scheme: str, criterion: str, **fields: Any) -> str | None:
    ev = evaluate_schemes(columns(record(**fields)), schemes=[scheme])
    crit = next(c for c in ev.firm(0)[0]["criteria"] if c["id"] == criterion)
    return crit["gap_text"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("scheme", "criterion", "fields", "text"),
    [
        ("cn_srdi_sme", "entry_rd_intensity", {"rd_expense": 2.1e6},
         "R&D intensity 2.1% — 0.9 points short of 3%"),
        ("cn_srdi_sme", "entry_rd_expense", {"rd_expense": 8e5},
         "R&D expense 80万元 — 20万元 short of 100万元"),
        ("cn_little_giant", "debt_ratio", {"total_assets": 1e8, "total_liabilities": 7.5e7},
         "Debt ratio 75% — 5 points above 70%"),
        ("cn_little_giant", "years_in_niche", {"years_in_niche": 2.5},
         "Years in the niche 2.5 years — 0.5 years short of 3 years"),
        ("cn_little_giant", "own_brand", {"own_brand": 0}, "Own brand: no — needs yes"),
        ("de_hidden_champion", "world_market_rank", {"world_market_rank": 5},
         "World market rank #5 — needs #3 or better"),
        ("kr_global_strong_small", "revenue_min", {"revenue": 8.5e9 * 0.0052},
         "Revenue ₩8.5bn — ₩1.5bn short of ₩10bn"),
        ("kr_global_strong_small", "exports", {"revenue": 1e8, "export_share": 0.005},
         "Exports US$0.069M — US$0.031M short of US$0.1M"),
        ("cn_innovative_sme", "rd_intensity", {"rd_expense": 2.1e6},
         "R&D intensity 2.1% — 0.9 points short of 3%"),  # the next band's edge
        # "55%以下 10": 55% itself earns the 10 points, 56% is 1 point above the edge.
        ("cn_innovative_sme", "debt_ratio", {"total_assets": 1e8, "total_liabilities": 5.5e7},
         None),
        ("cn_innovative_sme", "debt_ratio", {"total_assets": 1e8, "total_liabilities": 5.6e7},
         "Debt ratio 56% — 1 points above 55%"),
        ("cn_srdi_sme", "entry_rd_expense", {"rd_expense": None},
         "R&D expense: not determined — input missing or not in the record"),
        ("cn_srdi_sme", "entry_rd_expense", {"rd_expense": 2e6}, None),
    ],
)  # fmt: skip
def test_gap_texts_use_the_criterion_unit(
    scheme: str, criterion: str, fields: dict, text: str | None
) -> None:
    assert _gap_text(scheme, criterion, **fields) == text


def test_gap_is_the_distance_to_pass_in_the_unit() -> None:
    ev = evaluate_schemes(columns(record(rd_expense=2.1e6), record(rd_expense=4e6)))
    crit = ev["cn_srdi_sme"].criteria["entry_rd_intensity"]
    np.testing.assert_allclose(crit.value, [0.021, 0.04])
    np.testing.assert_allclose(crit.threshold, [0.03, 0.03])
    np.testing.assert_allclose(crit.gap, [0.009, np.nan])
    assert crit.unit == "%"


def test_distinctive_plugin_scores_only_its_province() -> None:
    cols = columns({**FIRM_A, "province": "Zhejiang"}, {**FIRM_A, "province": "Jiangsu"})
    ev = evaluate_schemes(cols, distinctive={"Zhejiang": FixedDistinctive(12.0)})
    r = ev["cn_srdi_sme"]
    np.testing.assert_array_equal(r.criteria["distinctive"].points, [12, 0])
    np.testing.assert_array_equal(r.criteria["distinctive"].points_upper, [12, 15])
    np.testing.assert_array_equal(r.points, [78 + 12, 78])


def test_neutral_default_needs_60_of_the_other_85_points() -> None:
    # 52 known points with 15 + 2 unknown could reach 60: undetermined, never a fail.
    firm = {**FIRM_A, "net_profit": 1e6, "digital_level": 1, "quality_certification": 0,
            "own_brand": 0, "standards_drafted": 0, "rd_expense_prev": 1e6}  # fmt: skip
    r = evaluate_schemes(columns(firm))["cn_srdi_sme"]
    assert r.points[0] < 60 <= r.points_upper[0]
    assert r.verdict[0] == Verdict.UNDETERMINED


class _BadPlugin:
    def points(self, columns: Any, max_points: float) -> tuple[np.ndarray, np.ndarray]:
        n = len(columns["revenue"])
        return np.full(n, 16.0), np.full(n, 16.0)


def test_a_plugin_outside_its_range_is_refused_with_the_province() -> None:
    with pytest.raises(ValueError, match=r"plug-in for Zhejiang.*<= 15"):
        evaluate_schemes(columns(FIRM_A), distinctive={"Zhejiang": _BadPlugin()})


@pytest.mark.parametrize(
    ("cols", "kwargs", "message"),
    [
        (columns(record()), {"schemes": ["cn_srdi"]}, r"unknown scheme id\(s\) \['cn_srdi'\]"),
        (columns(record(rd_institution="provincal")), {},
         r"rd_institution: unknown value\(s\) \['provincal'\] \(first at row 0\)"),
        (columns(record(current_tier="gold")), {}, r"current_tier: unknown value"),
        ({"revenue": np.ones(2), "province": np.array(["Zhejiang"], dtype=object)}, {},
         "different lengths"),
        ({**columns(record()), "rd_expense": np.array(["lots"], dtype=object)}, {},
         "rd_expense: expected numbers"),
        ({}, {}, "columns is empty"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_specific_error(cols: dict, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_schemes(cols, **kwargs)


def test_absent_optional_columns_are_unknown() -> None:
    cols = {k: v for k, v in columns(FIRM_A).items() if k != "rd_expense"}
    r = evaluate_schemes(cols)["cn_srdi_sme"]
    assert r.criteria["entry_rd_expense"].verdict[0] == CriterionVerdict.UNKNOWN


def test_selected_schemes_only() -> None:
    ev = evaluate_schemes(columns(FIRM_A), schemes=["kr_mid_sized", "cn_srdi_sme"])
    assert ev.scheme_ids == ("kr_mid_sized", "cn_srdi_sme")
    with pytest.raises(KeyError, match="was not evaluated"):
        ev["cn_little_giant"]
    assert evaluate_schemes(columns(FIRM_A), schemes="kr_mid_sized").scheme_ids == ("kr_mid_sized",)


def test_rule_tables_are_json_data_for_every_scheme() -> None:
    tables = rule_tables()
    json.dumps(tables, allow_nan=False)
    assert [t["scheme_id"] for t in tables] == list(SCHEME_IDS)
    assert {t["scheme_id"]: t["version"] for t in tables} == dict(RULESET_VERSIONS)
    srdi = next(t for t in tables if t["scheme_id"] == "cn_srdi_sme")
    assert srdi["max_points"] == 100 and srdi["pass_mark"] == 60
    innovative = next(t for t in tables if t["scheme_id"] == "cn_innovative_sme")
    assert innovative["max_points"] == 100
    # Every direct route is an input or a stated assumption now: only the Little
    # Giant's "in principle" product field is left out of the verdict.
    chinese = {t["scheme_id"]: t["not_evaluated"] for t in tables if t["country"] == "CN"}
    assert chinese["cn_innovative_sme"] == [] and chinese["cn_srdi_sme"] == []
    assert len(chinese["cn_little_giant"]) == 1


def test_versions_and_ids_are_the_public_contract() -> None:
    assert SCHEME_IDS == (
        "cn_innovative_sme", "cn_srdi_sme", "cn_little_giant", "de_hidden_champion",
        "jp_global_niche_top", "kr_world_class_300", "kr_global_strong_small", "kr_mid_sized",
    )  # fmt: skip
    assert RULESET_VERSIONS["cn_srdi_sme"] == "cn-2022"
    assert RULESET_VERSIONS["jp_global_niche_top"] == "jp-2020"


def test_public_names_are_exported() -> None:
    for name in rules.__all__:
        assert getattr(rules, name) is not None
    for name in ("evaluate_schemes", "SchemeEvaluation", "SchemeResult", "CriterionResult",
                 "Verdict", "CriterionVerdict", "SCHEME_IDS", "RULESET_VERSIONS",
                 "CurrencyRates", "rule_tables", "DistinctivePlugin"):  # fmt: skip
        assert name in rules.__all__


def test_tables_refuse_bands_out_of_order_and_unknown_measures() -> None:
    with pytest.raises(ValueError, match="best first"):
        Criterion(id="x", label="x", group="g", kind="points", measure="rd_intensity",
                  bands=(Band(5, logic.Test("rd_intensity", ">=", 0.01)),
                         Band(10, logic.Test("rd_intensity", ">=", 0.05))))  # fmt: skip
    with pytest.raises(ValueError, match="unknown measure 'rd_intensty'"):
        Criterion(id="x", label="x", group="g", kind="required", measure="rd_intensty",
                  rule=logic.Test("rd_intensty", ">=", 0.03))  # fmt: skip


def test_currency_rates_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"CurrencyRates\.krw must be a positive"):
        rules.CurrencyRates(krw=0.0)


def test_validated_frame_with_chinese_provinces_runs_through() -> None:
    from features.validate import validate_frame

    df = pd.DataFrame(
        {
            "company_id": ["A", "B"],
            "fiscal_year": [2024, 2024],
            "province": ["浙江省", "江苏"],
            "industry": ["C34", "C39"],
            "revenue": [2e8, 5e7],
            "rd_expense": [1.2e7, 7.5e5],
            "rd_institution": ["provincial", "none"],
        }
    )
    validated = validate_frame(df)
    assert not validated.errors
    ev = evaluate_schemes(validated.columns)
    assert list(ev.summary_frame()["company_id"]) == ["A", "B"]
    assert ev["cn_innovative_sme"].verdict[0] == Verdict.ELIGIBLE  # provincial R&D institution


def test_all_contract_fields_are_accepted() -> None:
    # Every field of the contract may be present; none confuses the engine.
    assert {f.name for f in FIELDS} <= set(columns(record()))
    evaluate_schemes(columns(record()))
