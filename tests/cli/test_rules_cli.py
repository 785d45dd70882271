"""``srdi schemes IN -o OUT`` on hand-written files (GBK CSV with Chinese provinces)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from srdi.cli import build_app

ROWS = pd.DataFrame(
    {
        "company_id": ["A1", "B2", "C3"],
        "name": ["甲精密", "乙科技", "丙"],
        "fiscal_year": [2024, 2024, 2024],
        "province": ["浙江省", "江苏", "广东省"],
        "industry": ["C34", "C39", "ZZ9"],  # the last code does not exist
        "revenue": [2e8, 5e7, 1e7],
        "main_business_revenue": [1.7e8, 2.6e7, 5e6],
        "rd_expense": [1.2e7, 7.5e5, 1e5],
        "rd_institution": ["provincial", "none", "none"],
        "current_tier": ["none", "srdi_sme", "none"],
    }
)


@pytest.fixture
def gbk_csv(tmp_path: Path) -> Path:
    path = tmp_path / "firms.csv"
    ROWS.to_csv(path, index=False, encoding="gbk")
    return path


def test_schemes_writes_one_row_per_valid_firm_and_lists_bad_rows(
    gbk_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "screen.csv"
    details = tmp_path / "details.jsonl"
    result = CliRunner().invoke(
        build_app(), ["schemes", str(gbk_csv), "-o", str(out), "--details", str(details)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table["company_id"]) == ["A1", "B2"]
    assert list(table["province"]) == ["Zhejiang", "Jiangsu"]
    # A1: provincial R&D institution is a direct route; B2 already holds SRDI status.
    assert list(table["cn_innovative_sme_verdict"]) == ["eligible", "certified"]
    assert list(table["cn_srdi_sme_verdict"]) == ["undetermined", "certified"]
    assert {"cn_srdi_sme_points", "kr_global_strong_small_export_tier"} <= set(table.columns)
    errors = pd.read_csv(tmp_path / "screen.errors.csv", encoding="utf-8-sig")
    assert list(errors["row"]) == [2] and list(errors["field"]) == ["industry"]
    lines = [json.loads(line) for line in details.read_text("utf-8").splitlines()]
    assert [line["company_id"] for line in lines] == ["A1", "B2"]
    # Every Chinese tier first asks for an SME, then the scheme's own criteria.
    criteria = [c["id"] for c in lines[0]["schemes"][0]["criteria"]]
    assert criteria[0] == "sme" and "ip" in criteria


def test_schemes_parquet_output_and_scheme_selection(gbk_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "screen.parquet"
    result = CliRunner().invoke(
        build_app(),
        ["schemes", str(gbk_csv), "-o", str(out), "--scheme", "kr_mid_sized", "--chunk-rows", "2"],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table["source_row"]) == [0, 1]
    assert [c for c in table.columns if c.endswith("_verdict")] == ["kr_mid_sized_verdict"]


def test_schemes_refuses_an_unknown_scheme(gbk_csv: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        build_app(), ["schemes", str(gbk_csv), "-o", str(tmp_path / "x.csv"), "--scheme", "cn_x"]
    )
    assert result.exit_code == 2
    assert "unknown scheme id(s) ['cn_x']" in result.output
