"""``srdi features IN -o OUT`` on hand-written files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from srdi.cli import build_app

HEADER = (
    "统一社会信用代码,企业名称,年度,省份,行业代码,营业收入(万元),主营业务收入(万元),"
    "研发费用,员工人数,研发人员,资产总计,资产负债率,自主品牌,备注\n"
)
GBK_CSV = (
    HEADER
    + """91330100A,杭州甲精密,2024,浙江省,C39,"18,000",16500,11500000,260,48,240000000,40%,是,注
91440300B,深圳乙电子,2024,广东,c39,9000,9500,3000000,120,20,80000000,0.55,否,
91110000C,北京丙软件,2024,北京市,65,5000,4500,6000000,80,30,60000000,,Y,
91510000D,成都丁,2024,四川,X99,abc,1,1,10,20,1,1,maybe,
"""
)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


def test_gbk_csv_with_chinese_provinces(tmp_path: Path) -> None:
    source = tmp_path / "firms.csv"
    source.write_bytes(GBK_CSV.encode("gbk"))
    out = tmp_path / "out" / "features.parquet"
    code, output = run("features", str(source), "-o", str(out), "--min-count", "1")
    assert code == 0, output
    assert "read 4 rows" in output and "2 valid, 2 rejected" in output
    table = pd.read_parquet(out)
    assert table["source_row"].tolist() == [0, 2]
    assert table["province"].tolist() == ["Zhejiang", "Beijing"]
    assert table["industry"].tolist() == ["C39", "I65"]
    assert table["name"].tolist() == ["杭州甲精密", "北京丙软件"]
    assert table.loc[0, "main_business_share"] == 16500 / 18000
    assert table.loc[0, "debt_ratio"] == 0.4
    assert np.isnan(table.loc[1, "debt_ratio"])
    errors = pd.read_csv(out.with_name("features.errors.csv"), encoding="utf-8-sig")
    assert errors.columns.tolist() == ["row", "field", "value", "message"]
    column = errors.iloc[0]  # the ignored column comes first, without a row number
    assert pd.isna(column["row"]) and column["field"] == "备注"
    assert column["message"] == "column '备注' ignored: not a contract field or alias"
    assert "columns read: 统一社会信用代码 → company_id, 企业名称 → name" in output
    assert "营业收入(万元) → revenue, × 10000" in output
    errors = errors.iloc[1:].astype({"row": int})
    assert errors[["row", "field"]].values.tolist() == [
        [1, "main_business_revenue"],
        [3, "industry"],
        [3, "revenue"],
        [3, "rd_staff"],
        [3, "own_brand"],
    ]
    assert errors.iloc[0]["message"] == "main_business_revenue (9.5e7) exceeds revenue (9e7)"


def test_csv_output_and_saved_pipeline_reuse(tmp_path: Path) -> None:
    source = tmp_path / "firms.csv"
    source.write_bytes(GBK_CSV.encode("gbk"))
    first, state = tmp_path / "a.csv", tmp_path / "features.json"
    assert run("features", str(source), "-o", str(first), "--save-pipeline", str(state))[0] == 0
    second = tmp_path / "b.csv"
    code, output = run("features", str(source), "-o", str(second), "--pipeline", str(state))
    assert code == 0 and "from " + str(state) in output
    pd.testing.assert_frame_equal(
        pd.read_csv(first, encoding="utf-8-sig"), pd.read_csv(second, encoding="utf-8-sig")
    )


def test_unreadable_input_and_no_valid_rows(tmp_path: Path) -> None:
    code, output = run("features", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o.csv"))
    assert code == 2 and "file not found" in output
    bad = tmp_path / "bad.csv"
    bad.write_text("company_id,revenue\nA,abc\n", "utf-8")
    code, output = run("features", str(bad), "-o", str(tmp_path / "o.parquet"))
    assert code == 1 and "no valid rows" in output
    assert (tmp_path / "o.errors.csv").exists() and not (tmp_path / "o.parquet").exists()
    code, output = run("features", str(bad), "-o", str(tmp_path / "o.json"))
    assert code == 2 and ".csv or .parquet" in output


def test_every_reading_verb_names_ignored_columns_and_strict_refuses_them(
    tmp_path: Path,
) -> None:
    source = tmp_path / "firms.csv"
    source.write_bytes(GBK_CSV.encode("gbk"))
    for verb in ("features", "schemes"):
        out = tmp_path / f"{verb}.csv"
        code, output = run(verb, str(source), "-o", str(out), "--strict")
        assert code == 2 and "columns that match no field: '备注'" in output, output
        code, output = run(verb, str(source), "-o", str(out), "--strict", "--map", "备注=")
        assert code == 0, output
        assert "column '备注' ignored: your map says so" in output
    panel = tmp_path / "panel"
    panel.mkdir()
    pd.read_csv(source, encoding="gbk", dtype=str).to_parquet(panel / "a.parquet")
    code, output = run("score-batch", str(panel), "-o", str(tmp_path / "out"), "--strict")
    assert code == 2 and "columns that match no field: '备注'" in output, output
    assert "资产负债率 → debt_ratio" in output
