"""Vendor layouts: wide years melted, long panels' _prev filled, every choice reported."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.firm_years import FirmYearReader, UnmatchedColumnsError
from features.layout import annual_year, fill_previous, latest_rows, plan_wide
from features.validate import validate_frame

WIDE = pd.DataFrame(
    {
        "统一社会信用代码": ["A", "B"],
        "企业名称": ["甲", "乙"],
        "所属省份": ["浙江", "广东"],
        "所属行业": ["C39", "C35"],
        "营业收入(万元)2022": ["1000", "500"],
        "营业收入(万元)2023": ["1200", ""],
        "2024营业收入(万元)": ["1500", "700"],
        "研发费用2023(万元)": ["60", "20"],
        "研发费用_2024(万元)": ["80", "30"],
        "毛利率(%)": ["40", "30"],
        "备注": ["", "x"],
    }
)
LONG = pd.DataFrame(
    {
        "证券代码": ["A", "A", "A", "B", "B"],
        "企业名称": ["甲", "甲", "甲", "乙", "乙"],
        "报告期": ["2022-12-31", "2023-12-31", "2024-12-31", "2023年报", "2024年报"],
        "省份": ["浙江"] * 3 + ["广东"] * 2,
        "行业代码": ["C39"] * 3 + ["C35"] * 2,
        "营业收入(万元)": ["1000", "1200", "1500", "500", "700"],
        "研发费用(万元)": ["50", "60", "80", "", "30"],
    }
)
LONG_MAP = {"证券代码": "company_id", "报告期": "fiscal_year"}


def read(source: object, **options: object) -> tuple[FirmYearReader, pd.DataFrame]:
    reader = FirmYearReader(source, **options)  # type: ignore[arg-type]
    frames = [frame for _, frame in reader]
    return reader, pd.concat(frames, ignore_index=True)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def test_wide_headers_are_planned_by_year() -> None:
    plan = plan_wide(WIDE.columns)
    assert plan is not None and plan.years == (2022, 2023, 2024)
    assert plan.by_year[2024] == {
        "营业收入(万元)": "2024营业收入(万元)",
        "研发费用(万元)": "研发费用_2024(万元)",
    }
    assert plan.by_year[2023]["研发费用(万元)"] == "研发费用2023(万元)"
    assert "毛利率(%)" in plan.static and "备注" in plan.static
    assert plan_wide(["revenue", "revenue_prev2", "fiscal_year", "营业收入2023"]) is None
    assert plan_wide(["name", "营业收入2023"]) is None  # one year column is not a layout


def test_a_wide_file_becomes_firm_years_with_prev_filled() -> None:
    reader, frame = read(csv_bytes(WIDE), latest_only=False)
    assert reader.report.layout == "wide"
    assert frame[["company_id", "fiscal_year"]].values.tolist() == [
        ["A", 2022], ["A", 2023], ["A", 2024], ["B", 2022], ["B", 2023], ["B", 2024],
    ]  # fmt: skip
    a_2024 = frame.iloc[2]
    assert (a_2024["revenue"], a_2024["revenue_prev"], a_2024["revenue_prev2"]) == (
        1.5e7,
        1.2e7,
        1e7,
    )
    assert a_2024["rd_expense_prev"] == 6e5
    b_2024 = frame.iloc[5]
    assert pd.isna(b_2024["revenue_prev"]) and b_2024["revenue_prev2"] == 5e6  # no 2023 revenue
    assert reader.report.mapping["2024营业收入(万元)"] == "revenue, 2024, × 10000"
    assert reader.report.mapping["所属省份"] == "province"
    assert reader.report.ignored["备注"] == "column '备注' ignored: not a contract field or alias"
    assert any(
        n.startswith("filled from the same firm's earlier years: revenue_prev 3, revenue_prev2")
        for n in reader.report.notes
    )
    assert list(reader.source_rows([0, 2, 5])) == [0, 0, 1]


def test_latest_only_keeps_each_firms_last_year_and_says_so() -> None:
    reader, frame = read(csv_bytes(WIDE), latest_only=True)
    assert frame[["company_id", "fiscal_year"]].values.tolist() == [["A", 2024], ["B", 2024]]
    assert "4 earlier firm-year(s) set aside" in " ".join(reader.report.notes)
    validated = validate_frame(frame)
    assert validated.n_valid == 2
    assert validated.columns["revenue_prev"][0] == 1.2e7


def test_a_long_export_fills_prev_and_reads_the_report_period() -> None:
    reader, frame = read(csv_bytes(LONG), mapping=LONG_MAP)
    assert reader.report.layout == "long"
    assert frame["fiscal_year"].tolist() == [2022, 2023, 2024, 2023, 2024]
    assert frame["revenue_prev"].tolist()[1:3] == [1e7, 1.2e7]
    assert frame["revenue_prev2"].tolist()[2] == 1e7
    assert pd.isna(frame["rd_expense_prev"].tolist()[4])  # B's 2023 R&D is empty
    validated = validate_frame(frame)
    assert not validated.errors and validated.n_valid == 5


@pytest.mark.parametrize("chunk_rows", [1, 2, 3])
def test_a_long_file_in_chunks_reads_the_same_and_keeps_file_rows(chunk_rows: int) -> None:
    whole_reader, whole = read(csv_bytes(LONG), mapping=LONG_MAP, latest_only=True)
    reader, chunked = read(
        io.BytesIO(csv_bytes(LONG)), chunk_rows=chunk_rows, mapping=LONG_MAP, latest_only=True
    )
    columns = sorted(whole.columns)
    assert sorted(chunked.columns) == columns
    pd.testing.assert_frame_equal(chunked[columns].astype(str), whole[columns].astype(str))
    assert list(reader.source_rows(np.arange(len(chunked)))) == [2, 4]
    assert reader.report.notes == whole_reader.report.notes


def test_a_given_prev_value_always_wins() -> None:
    frame = pd.DataFrame(
        {
            "company_id": ["A", "A"],
            "fiscal_year": [2023, 2024],
            "revenue": [1.0, 2.0],
            "revenue_prev": [None, 9.0],
        }
    )
    filled, counts = fill_previous(frame)
    assert pd.isna(filled["revenue_prev"][0]) and filled["revenue_prev"][1] == 9.0
    assert counts == {}


@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(2019, 2024)), min_size=1, max_size=12)
)
def test_latest_rows_keeps_one_row_per_firm_at_its_last_year(rows: list[tuple[str, int]]) -> None:
    frame = pd.DataFrame(rows, columns=["company_id", "fiscal_year"])
    kept = frame.iloc[latest_rows(frame)]
    assert sorted(kept["company_id"]) == sorted(set(frame["company_id"]))
    assert (
        kept.groupby("company_id")["fiscal_year"].max()
        == frame.groupby("company_id")["fiscal_year"].max()
    ).all()


def test_annual_year_spellings() -> None:
    assert [
        annual_year(v) for v in ("2023", "2023年", "2023年报", "2023-12-31", "2023/12/31", 2023.0)
    ] == [2023] * 6
    assert annual_year("2023-06-30") == "2023-06-30"
    assert annual_year(pd.Timestamp("2023-12-31")) == 2023


def test_errors_point_at_the_file_row_and_the_year(tmp_path: Path) -> None:
    bad = WIDE.copy()
    bad.loc[1, "营业收入(万元)2022"] = "abc"
    reader, frame = read(csv_bytes(bad))
    validated = validate_frame(frame)
    errors = reader.source_errors(validated.errors)
    assert [(e.row, e.field) for e in errors] == [(1, "revenue"), (1, "revenue")]
    assert errors[0].message.endswith(
        "is not a number (an amount may carry 元, 万 or 亿) (in the 2022 columns)"
    )
    assert errors[1].message == "revenue is required but missing (in the 2023 columns)"


def test_strict_refuses_unmatched_columns_but_not_ones_ignored_on_purpose() -> None:
    with pytest.raises(UnmatchedColumnsError, match="'备注'"):
        read(csv_bytes(WIDE), strict=True)
    reader, _ = read(csv_bytes(WIDE), strict=True, mapping={"备注": "", "毛利率(%)": ""})
    assert reader.report.ignored["备注"] == "column '备注' ignored: your map says so"
