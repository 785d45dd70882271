"""Validation of frames and records: one error per broken rule, good rows go on."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.columns import columns_from_frame, columns_to_frame
from features.fields import FIELD_NAMES, FIELDS, REQUIRED_FIELDS
from features.record_model import example_record
from features.validate import RecordValidationError, validate_frame, validate_record


def record(**changes: Any) -> dict[str, Any]:
    out = example_record()
    out.update(changes)
    return out


def errors_of(**changes: Any) -> list[tuple[str, str]]:
    with pytest.raises(RecordValidationError) as info:
        validate_record(record(**changes))
    return [(e.field, e.message) for e in info.value.errors]


def test_the_example_record_is_valid_and_typed() -> None:
    columns = validate_record(example_record())
    assert set(columns) == set(FIELD_NAMES)
    for spec in FIELDS:
        values = columns[spec.name]
        assert len(values) == 1
        if spec.kind in ("text", "enum"):
            assert values.dtype == object and isinstance(values[0], str)
        else:
            assert values.dtype == np.float64
    assert columns["quality_certification"][0] == 1.0
    assert columns["quality_award"][0] == 0.0


def test_optional_fields_missing_are_nan_never_zero() -> None:
    minimal = {name: example_record()[name] for name in REQUIRED_FIELDS}
    columns = validate_record(minimal)
    for spec in FIELDS:
        if spec.required:
            continue
        value = columns[spec.name][0]
        assert value is None if spec.kind in ("text", "enum") else math.isnan(value)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"main_business_revenue": 1.2e8, "revenue": 1.0e8},
            "main_business_revenue",
            "main_business_revenue (1.2e8) exceeds revenue (1e8)",
        ),
        (
            {"main_business_revenue_prev": 2e8},
            "main_business_revenue_prev",
            "main_business_revenue_prev (2e8) exceeds revenue_prev (1.52e8)",
        ),
        (
            {"main_business_revenue_prev2": 2e8},
            "main_business_revenue_prev2",
            "main_business_revenue_prev2 (2e8) exceeds revenue_prev2 (1.31e8)",
        ),
        ({"rd_staff": 300}, "rd_staff", "rd_staff (300) exceeds employees (260)"),
        (
            {"gross_profit": 2e8},
            "gross_profit",
            "gross_profit (2e8) exceeds revenue (1.8e8)",
        ),
        (
            {"founded_year": 2030},
            "founded_year",
            "founded_year (2030) is after fiscal_year (2024)",
        ),
    ],
)
def test_cross_field_rules(changes: dict[str, Any], field: str, message: str) -> None:
    assert errors_of(**changes) == [(field, message)]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"revenue": None}, "revenue", "revenue is required but missing"),
        ({"company_id": "  "}, "company_id", "company_id is required but missing"),
        ({"revenue": "abc"}, "revenue", "revenue ('abc') is not a number"),
        ({"employees": "many"}, "employees", "employees ('many') is not a number"),
        ({"employees": 12.5}, "employees", "employees (12.5) must be a whole number"),
        ({"revenue": -5.0}, "revenue", "revenue (-5) is negative; it must be ≥ 0"),
        (
            {"export_share": 45},
            "export_share",
            "must be a fraction between 0 and 1 (write 0.45 or 45%)",
        ),
        ({"staff_turnover": -0.1}, "staff_turnover", "must be a fraction between 0 and 1"),
        ({"digital_level": 5}, "digital_level", "digital_level (5) must be between 1 and 4"),
        ({"fiscal_year": 1900}, "fiscal_year", "fiscal_year (1900) must be between 1949 and 2100"),
        ({"revenue": 1e300}, "revenue", "is above the plausible maximum"),
        ({"revenue": float("inf")}, "revenue", "revenue (inf) is not a finite number"),
        ({"own_brand": "maybe"}, "own_brand", "own_brand ('maybe') is not a yes/no value"),
        ({"own_brand": 2}, "own_brand", "own_brand ('2') is not a yes/no value"),
        (
            {"rd_institution": "county"},
            "rd_institution",
            "rd_institution ('county') is not one of: none,",
        ),
        ({"current_tier": "gold"}, "current_tier", "current_tier ('gold') is not one of: none,"),
        ({"province": "Hong Kong"}, "province", "province ('Hong Kong') is not one of the 31"),
        ({"industry": "C99"}, "industry", "industry ('C99') is not a GB/T 4754-2017 division code"),
        ({"industry": "B39"}, "industry", "docs/data-contract.md"),
        (
            {"world_market_rank": 0},
            "world_market_rank",
            "world_market_rank (0) is below the minimum 1",
        ),
    ],
)
def test_each_kind_of_bad_value_is_named(
    changes: dict[str, Any], field: str, fragment: str
) -> None:
    errors = errors_of(**changes)
    assert len(errors) == 1, errors
    assert errors[0][0] == field
    assert fragment in errors[0][1]


def test_a_bad_value_is_not_reported_again_by_a_cross_field_rule() -> None:
    # employees is wrong on its own; rd_staff <= employees must not pile on.
    assert [f for f, _ in errors_of(employees=12.5, rd_staff=48)] == ["employees"]


def test_every_error_of_a_record_is_listed() -> None:
    fields = [f for f, _ in errors_of(province="X", industry="Y", revenue="z", own_brand="?")]
    assert fields == ["province", "industry", "revenue", "own_brand"]


def test_record_accepts_text_spellings_and_aliases() -> None:
    columns = validate_record(
        record(
            province="浙江省",
            industry="c39",
            revenue="18,000万",
            export_share="27%",
            own_brand="是",
            quality_award="否",
            rd_institution="省级",
            current_tier="小巨人",
            employees="260",
        )
    )
    assert columns["province"][0] == "Zhejiang"
    assert columns["industry"][0] == "C39"
    assert columns["revenue"][0] == 1.8e8
    assert columns["export_share"][0] == pytest.approx(0.27)
    assert (columns["own_brand"][0], columns["quality_award"][0]) == (1.0, 0.0)
    assert columns["rd_institution"][0] == "provincial"
    assert columns["current_tier"][0] == "little_giant"
    chinese_keys = {
        "统一社会信用代码": "X1",
        "年度": 2024,
        "省份": "33",
        "行业代码": 39,
        "营业收入(万元)": 100,
    }
    aliased = validate_record(chinese_keys)
    assert aliased["company_id"][0] == "X1"
    assert aliased["revenue"][0] == 1e6


def test_record_ignores_unknown_keys() -> None:
    columns = validate_record(record(favourite_colour="blue"))
    assert "favourite_colour" not in columns


def text_frame(n: int = 3) -> pd.DataFrame:
    """The example record as CSV text, n times."""
    row = {k: "" if v is None else str(v) for k, v in example_record().items()}
    return pd.DataFrame([row] * n)


def test_frame_reports_bad_rows_and_keeps_good_ones() -> None:
    df = text_frame(5)
    df.loc[1, "revenue"] = "abc"
    df.loc[3, "main_business_revenue"] = "1000000000000"
    df.loc[3, "province"] = "Atlantis"
    result = validate_frame(df, row_offset=100)
    assert list(result.rows) == [100, 102, 104]
    assert result.n_input == 5 and result.n_valid == 3
    assert [(e.row, e.field) for e in result.errors] == [
        (101, "revenue"),
        (103, "province"),
        (103, "main_business_revenue"),
    ]
    assert result.errors[0].value == "abc"
    assert result.errors[2].message == "main_business_revenue (1e12) exceeds revenue (1.8e8)"
    assert list(result.rejected_rows) == [101, 103]
    assert all(len(v) == 3 for v in result.columns.values())


def test_frame_text_numbers_with_separators_units_and_missing_tokens() -> None:
    df = text_frame(6)
    df["revenue"] = ["1,234,567.5", " 2000 ", "1.5亿", "300万", "12,000元", "1e6"]
    df["main_business_revenue"] = ["", "--", "N/A", "null", "-", "nan"]
    df["gross_profit"] = ""
    df["export_share"] = ["45%", "0.45", "４５％", "", "0", "1"]
    result = validate_frame(df)
    assert result.errors == []
    np.testing.assert_array_equal(
        result.columns["revenue"], [1234567.5, 2000.0, 1.5e8, 3e6, 12000.0, 1e6]
    )
    assert np.isnan(result.columns["main_business_revenue"]).all()
    np.testing.assert_allclose(result.columns["export_share"], [0.45, 0.45, 0.45, np.nan, 0.0, 1.0])


def test_units_in_values_only_where_they_fit() -> None:
    df = text_frame(2)
    df["employees"] = ["3万", "50%"]
    result = validate_frame(df)
    assert [e.message for e in result.errors] == [
        "employees ('3万') is not a number",
        "employees ('50%') is not a number",
    ]


def test_chinese_headers_with_units_are_scaled() -> None:
    df = pd.DataFrame(
        {
            "统一社会信用代码": ["A", "B"],
            "年度": ["2024", "2024"],
            "省份": ["广东省", "44"],
            "行业代码": ["C35", "35"],
            "营业收入(万元)": ["1,800", "1.2亿"],  # the second value carries its own unit
            "出口占比(%)": ["27", "27%"],
            "Ⅰ类知识产权": ["3", "4"],
            "备注": ["x", "y"],
        }
    )
    result = validate_frame(df)
    assert result.errors == []
    np.testing.assert_array_equal(result.columns["revenue"], [1.8e7, 1.2e8])
    np.testing.assert_allclose(result.columns["export_share"], [0.27, 0.27])
    np.testing.assert_array_equal(result.columns["class1_ip"], [3.0, 4.0])
    assert list(result.columns["province"]) == ["Guangdong", "Guangdong"]
    assert result.warnings == ["column '备注' ignored: not a contract field or alias"]


def test_exact_contract_names_win_over_aliases() -> None:
    df = text_frame(1)
    df["营业收入"] = "5"
    result = validate_frame(df)
    assert result.columns["revenue"][0] == 1.8e8
    assert result.warnings == ["column '营业收入' ignored: revenue is already read from 'revenue'"]


def test_explicit_mapping_wins() -> None:
    df = text_frame(1).rename(columns={"rd_staff": "技术人员数"})
    result = validate_frame(df, mapping={"技术人员数": "rd_staff"})
    assert result.columns["rd_staff"][0] == 48.0
    with pytest.raises(ValueError, match="not a contract field"):
        validate_frame(df, mapping={"技术人员数": "rd_people"})


def test_missing_required_column_rejects_every_row() -> None:
    result = validate_frame(text_frame(2).drop(columns=["province"]))
    assert [(e.row, e.message) for e in result.errors] == [
        (0, "province is required but missing"),
        (1, "province is required but missing"),
    ]
    assert result.n_valid == 0


def test_debt_ratio_fills_missing_liabilities_only() -> None:
    df = text_frame(5)
    df["total_liabilities"] = ["", "", "50", "", ""]
    df["total_assets"] = ["1000", "", "1000", "1000", "1000"]
    df["资产负债率"] = ["40%", "0.4", "0.05", "45", "abc"]
    result = validate_frame(df)
    assert [(e.row, e.field) for e in result.errors] == [(4, "debt_ratio")]
    assert "is not a number" in result.errors[0].message
    # "45" without a % and above 1 is read as percent, and said so.
    np.testing.assert_allclose(result.columns["total_liabilities"], [400.0, np.nan, 50.0, 450.0])
    assert result.warnings == [
        "debt_ratio: 1 value(s) without % and above 1 read as percent (41.2 as 41.2%); "
        "write 0.412, 41.2% or put (%) in the header to say which",
        "debt_ratio not used on 1 row(s): total_assets is missing, so total_liabilities "
        "stays unknown",
    ]


def required_frame(n: int) -> pd.DataFrame:
    """Only the required fields, as CSV text, n times (revenue 1000)."""
    row = {"company_id": "X", "fiscal_year": "2024", "province": "浙江", "industry": "C39"}
    return pd.DataFrame([{**row, "revenue": "1000"}] * n)


@pytest.mark.parametrize(
    ("header", "values", "expected"),
    [
        ("毛利率(%)", ["41.2", "41.2%", "-5"], [0.412, 0.412, -0.05]),
        ("毛利率", ["41.2", "41.2%", "0.412"], [0.412, 0.412, 0.412]),
        ("gross_margin", ["0.5", "-0.2", "1"], [0.5, -0.2, 1.0]),
    ],
)
def test_gross_margin_fills_gross_profit_in_any_form(
    header: str, values: list[str], expected: list[float]
) -> None:
    df = required_frame(3)
    df["revenue"] = ["1000", "1000", "1000"]
    df["gross_profit"] = ["", "", ""]
    df[header] = values
    result = validate_frame(df)
    assert not result.errors
    np.testing.assert_allclose(result.columns["gross_profit"], np.array(expected) * 1000)


@pytest.mark.parametrize(
    ("header", "amount"),
    [("净利率", "net_profit"), ("销售净利率", "net_profit"), ("研发投入占比", "rd_expense"),
     ("研发费用率", "rd_expense"), ("资产负债率", "total_liabilities")],
)  # fmt: skip
def test_each_ratio_input_fills_its_amount(header: str, amount: str) -> None:
    df = required_frame(1)
    df["revenue"] = ["2000"]
    df["total_assets"] = ["2000"]
    df[amount] = [""]
    df[header] = ["12.5%"]
    result = validate_frame(df)
    assert not result.errors
    assert result.columns[amount][0] == pytest.approx(250.0)


def test_a_given_amount_wins_and_a_disagreement_names_row_and_fields() -> None:
    df = required_frame(3)
    df["revenue"] = ["1000", "1000", "1000"]
    df["gross_profit"] = ["400", "300", ""]
    df["毛利率(%)"] = ["40.2", "41.2", "35"]
    result = validate_frame(df, row_offset=10)
    np.testing.assert_allclose(result.columns["gross_profit"], [400.0, 300.0, 350.0])
    assert result.warnings == [
        "row 11: gross_margin (41.2%) disagrees with gross_profit / revenue (30.0%) by more "
        "than 0.5 percentage points; gross_profit as given is kept"
    ]


def test_ratio_bounds_are_errors_on_the_ratio() -> None:
    df = required_frame(2)
    df["毛利率"] = ["150%", "-20%"]
    df["研发投入占比"] = ["-1%", "5%"]
    result = validate_frame(df)
    assert [(e.row, e.field) for e in result.errors] == [(0, "gross_margin"), (0, "rd_intensity")]
    assert (
        result.errors[0].message
        == "gross_margin (1.5) must be a fraction between -10 and 1 (write 0.45 or 45%)"
    )


def test_typed_frame_validates_like_text() -> None:
    text = validate_frame(text_frame(2))
    typed_df = pd.DataFrame([example_record()] * 2)
    typed = validate_frame(typed_df)
    assert text.errors == typed.errors == []
    for name in FIELD_NAMES:
        np.testing.assert_array_equal(text.columns[name], typed.columns[name])


def test_record_and_frame_give_the_same_columns() -> None:
    rec = record(province="粤", industry="3911", export_share="12%")
    one = validate_record(rec)
    frame = validate_frame(pd.DataFrame([rec]))
    for name in FIELD_NAMES:
        np.testing.assert_array_equal(one[name], frame.columns[name])


def test_record_errors_match_frame_errors() -> None:
    bad = record(province="Nowhere", employees=1.5, own_brand="perhaps", rd_staff=9)
    with pytest.raises(RecordValidationError) as info:
        validate_record(bad)
    frame_errors = validate_frame(pd.DataFrame([bad])).errors
    assert [(e.field, e.value, e.message) for e in info.value.errors] == [
        (e.field, e.value, e.message) for e in frame_errors
    ]


def test_empty_frame_validates_to_empty_columns() -> None:
    result = validate_frame(pd.DataFrame(columns=list(FIELD_NAMES)))
    assert (result.n_input, result.n_valid, result.errors) == (0, 0, [])
    assert all(len(v) == 0 for v in result.columns.values())


def test_columns_round_trip_through_a_frame() -> None:
    validated = validate_frame(text_frame(3)).columns
    frame = columns_to_frame(validated)
    assert list(frame.columns) == list(FIELD_NAMES)
    again = columns_from_frame(frame)
    for name in FIELD_NAMES:
        np.testing.assert_array_equal(again[name], validated[name])
        assert again[name].dtype == validated[name].dtype
    with pytest.raises(ValueError, match="not numbers"):
        columns_from_frame(pd.DataFrame({"revenue": ["abc"]}))
    with pytest.raises(ValueError, match="different lengths"):
        columns_to_frame({"a": np.zeros(1), "b": np.zeros(2)})
