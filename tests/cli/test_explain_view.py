"""The terminal view of one firm and the sample builder (no model needed)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from srdi.cli.explain_view import explain_renderables, format_value
from srdi.cli.sample import UNMATCHED_HEADER, candidate_sample, chinese_sample


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.072, "%", "7.2%"),
        (0.047, "pp", "+4.7 pp"),
        (-0.11, "pp", "-11.0 pp"),
        (152_000_000.0, "CNY", "1.52 亿"),
        (9_370_000.0, "CNY", "937 万"),
        (6.94, "log10 CNY", "871 万"),
        (2.0, "log10 persons", "100 persons"),
        (1.0, "yes/no", "yes"),
        (0.0, "yes/no", "no"),
        (2.0, "level", "level 2"),
        (6.0, "rank", "#6"),
        (871.0, "万元", "871 万元"),
        (None, "%", "—"),
        (math.nan, "%", "—"),
        (math.inf, "CNY", "—"),
    ],
)
def test_values_read_the_way_a_person_expects(value, unit, text) -> None:
    assert format_value(value, unit) == text


@given(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["%", "pp", "CNY", "years", "", "log10 CNY"]),
)
def test_format_value_never_fails_and_never_prints_nan_or_inf(value, unit) -> None:
    text = format_value(value, unit)
    assert "nan" not in text.lower()
    assert "inf" not in text.lower()


RESULT = {
    "company_id": "91330100MA27XXXX",
    "name": "杭州精工机械有限公司",
    "fiscal_year": 2025,
    "province": "Zhejiang",
    "industry": "C34",
    "status": "candidate",
    "score": 0.231,
    "percentile": 96.4,
    "band": "A",
    "reasons": [
        {
            "family": "rd_intensity",
            "family_label": "R&D intensity",
            "contribution": 0.41,
            "direction": "raises",
            "text": (
                "R&D intensity raises the score: R&D expense / revenue 7.2% (industry median 3.1%)"
            ),
            "features": [
                {
                    "name": "rd_intensity",
                    "label": "R&D expense / revenue",
                    "unit": "%",
                    "value": 0.072,
                    "industry_median": 0.031,
                    "contribution": 0.35,
                },
            ],
        },
        {
            "family": "growth",
            "family_label": "Growth",
            "contribution": -0.2,
            "direction": "lowers",
            "text": "Growth lowers the score",
            "features": [],
        },
    ],
    "schemes": [
        {
            "scheme_id": "cn_srdi_sme",
            "name": "Provincial SRDI SME",
            "version": "cn-2022",
            "verdict": "not_eligible",
            "points": 52.0,
            "pass_mark": 60.0,
            "criteria": [
                {
                    "id": "rd_intensity",
                    "label": "R&D intensity",
                    "verdict": "pass",
                    "value": 0.072,
                    "threshold": 0.03,
                    "unit": "%",
                },
                {
                    "id": "net_margin",
                    "label": "Net margin",
                    "verdict": "fail",
                    "value": 0.05,
                    "threshold": 0.1,
                    "unit": "%",
                    "gap_text": "Net margin 5.0% — 5.0 points short of 10%",
                    "points": 4.0,
                    "max_points": 10.0,
                },
            ],
        },
        {
            "scheme_id": "de_hidden_champion",
            "name": "Hidden Champion",
            "version": "de-2020",
            "verdict": "undetermined",
            "criteria": [
                {
                    "id": "world_rank",
                    "label": "World market rank",
                    "verdict": "unknown",
                    "unit": "rank",
                }
            ],
        },
    ],
    "model": {"name": "srdi-potential", "version": "3"},
}


def _render(**kwargs) -> str:
    console = Console(width=160, record=True)
    for part in explain_renderables(RESULT, **kwargs):
        console.print(part)
    return console.export_text()


def test_explain_view_shows_reasons_ratios_verdicts_and_gaps() -> None:
    text = _render()
    assert "杭州精工机械有限公司" in text
    assert "23.1%" in text and "percentile 96.4" in text and "band A" in text
    assert "R&D expense / revenue 7.2% (industry median 3.1%)" in text
    assert "+0.41" in text and "-0.20" in text
    assert "7.2%" in text and "3.1%" in text  # ratio beside its median
    assert "not eligible" in text
    assert "Net margin 5.0% — 5.0 points short of 10%" in text
    assert "4/10" in text
    assert "models srdi-potential v3" in text
    # Only the Chinese tiers' checklists by default; every scheme on request.
    assert "input missing" not in text
    assert "input missing" in _render(all_schemes=True)


def test_certified_firm_is_not_explained_as_a_candidate() -> None:
    certified = {
        **RESULT,
        "status": "certified",
        "score": None,
        "percentile": None,
        "band": None,
        "reasons": [],
    }
    console = Console(width=120, record=True)
    for part in explain_renderables(certified):
        console.print(part)
    text = console.export_text()
    assert "certified, nothing due" in text
    assert "No question of this service asks about the firm" in text


def _panel() -> pd.DataFrame:
    rows = []
    for i, tier in enumerate(["none", "innovative_sme", "srdi_sme", "little_giant", None] * 4):
        for year in (2024, 2025):
            rows.append(
                {
                    "company_id": f"C{i:03d}",
                    "name": f"测试{i}有限公司",
                    "fiscal_year": year,
                    "province": "Zhejiang",
                    "industry": "C34",
                    "revenue": 1e8,
                    "main_business_revenue": 8e7,
                    "total_assets": 2e8,
                    "total_liabilities": 5e7,
                    "rd_staff": 10.0,
                    "employees": 100.0,
                    "current_tier": tier,
                    "latent_capability": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_sample_draws_latest_year_firms_on_every_rung_in_contract_columns() -> None:
    sample = candidate_sample(_panel(), n_rows=20, seed=1)
    tiers = sample["current_tier"].fillna("none").value_counts().to_dict()
    # 70% below the provincial tier (only 12 there: 8 none or unknown, 4 innovative),
    # 20% provincial, 10% Little Giants.
    assert tiers == {"none": 8, "innovative_sme": 4, "srdi_sme": 4, "little_giant": 2}
    assert set(sample["fiscal_year"]) == {2025}
    assert "latent_capability" not in sample.columns
    assert (
        candidate_sample(_panel(), n_rows=5, seed=1)["company_id"].tolist()
        == candidate_sample(_panel(), n_rows=5, seed=1)["company_id"].tolist()
    )
    with pytest.raises(ValueError, match="no rows"):
        candidate_sample(_panel().iloc[0:0])


def test_chinese_sample_looks_like_a_vendor_export() -> None:
    vendor = chinese_sample(candidate_sample(_panel(), n_rows=100, seed=1), n_rows=5)
    assert len(vendor) == 5 + 3  # three deliberately bad rows at the end
    assert "营业收入" in vendor.columns
    assert "资产负债率" in vendor.columns and "负债合计" not in vendor.columns
    assert UNMATCHED_HEADER in vendor.columns
    assert set(vendor["省份"].iloc[:5]) == {"浙江省"}
    assert vendor["统一社会信用代码"].iloc[-3:].str.startswith("BAD-").all()
    assert vendor["资产负债率"].iloc[0] == "0.25"


def test_a_share_that_overflows_when_scaled_to_percent_reads_as_a_dash() -> None:
    # Regression: hypothesis found 1.8e308 rendered as "inf%".
    assert format_value(1.7976931348623157e308, "%") == "—"
    assert format_value(-1.7976931348623157e308, "pp") == "—"
