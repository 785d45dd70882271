"""``srdi labels``: a MIIT-style list and a vendor panel in, certifications and a report out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from stdnum.cn import uscc
from typer.testing import CliRunner

from srdi.cli import build_app
from training.dataset import clean_certifications


def code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


IDS = [code("91330100MA27AB123"), code("91330200MA2GH4561"), code("91440300MA5D12345")]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


def panel(tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "统一社会信用代码": [*IDS, "P4", "P5"],
            "企业名称": [
                "杭州精工科技股份有限公司",
                "宁波华芯电子有限公司",
                "深圳瑞丰智能装备有限公司",
                "苏州博远新材料有限公司",
                "成都天成信息有限公司",
            ],
            "所属省份": ["浙江", "浙江", "广东", "江苏", "四川"],
            "年度": [2022] * 5,
        }
    )
    directory = tmp_path / "panel"
    directory.mkdir()
    frame.to_csv(directory / "financials.csv", index=False, encoding="utf-8-sig")
    return directory


def miit_list(tmp_path: Path) -> Path:
    wrong = IDS[1][:-1] + ("0" if IDS[1][-1] != "0" else "1")
    frame = pd.DataFrame(
        {
            "序号": [1, 2, 3, 4, 5, 6],
            "企业名称": [
                "精工科技（杭州）有限公司",
                "宁波华芯电子有限公司",
                "深圳市瑞丰智能装备有限公司",
                "苏州博远新材料科技有限公司",
                "无此企业有限公司",
                "深圳市瑞丰智能装备有限公司",
            ],
            "所在地区": ["浙江省", "宁波市", "深圳市", "江苏省", "浙江省", "深圳市"],
            "统一社会信用代码": ["", wrong, "", "", "", ""],
            "备注": ["", "", "", "", "", "重复"],
        }
    )
    path = tmp_path / "第三批专精特新小巨人企业名单.xlsx"
    frame.to_excel(path, index=False)
    return path


def test_a_list_becomes_certifications_and_a_linkage_report(tmp_path: Path) -> None:
    out = tmp_path / "panel" / "certifications.parquet"
    code_, output = run("labels", str(miit_list(tmp_path)), "--panel", str(panel(tmp_path)),
                        "-o", str(out))  # fmt: skip
    assert code_ == 0, output
    assert "tier from file name, year from file name" in output
    assert "columns ignored: '备注'" in output
    assert "linked: 0 exact, 3 normalized, 0 accepted_fuzzy" in output
    assert "1 needs_review, 0 ambiguous, 1 unmatched, 1 invalid_code" in output
    assert "row 2: 统一社会信用代码" in output and "wrong check digit" in output
    assert "1 firm(s) listed twice" in output
    certifications = pd.read_parquet(out)
    assert certifications.to_dict(orient="list") == {
        "company_id": [IDS[0], IDS[2]],
        "tier": ["little_giant", "little_giant"],
        "granted_year": [2021, 2021],
        "expires_year": [2024, 2024],
    }
    clean, issues = clean_certifications(certifications)  # what srdi train reads
    assert len(clean) == 2 and not issues
    report = pd.read_csv(out.with_name("certifications.linkage.csv"), encoding="utf-8-sig")
    assert report["status"].tolist() == [
        "normalized",
        "invalid_code",
        "normalized",
        "needs_review",
        "unmatched",
        "normalized",
    ]
    review = report.iloc[3]
    assert review["candidates"].startswith("P4 苏州博远新材料有限公司 (Jiangsu) ")
    assert pd.isna(review["company_id"]) and 60 <= review["similarity"] < 100


def test_accept_fuzzy_links_the_near_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code_, output = run("labels", str(miit_list(tmp_path)), "--panel", str(panel(tmp_path)),
                        "-o", str(out), "--accept-fuzzy", "--min-similarity", "70")  # fmt: skip
    assert code_ == 0, output
    assert "1 accepted_fuzzy" in output
    assert "P4" in pd.read_parquet(out / "certifications.parquet")["company_id"].tolist()


def test_nothing_linked_and_bad_arguments(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    pd.DataFrame({"company_id": ["X1"], "name": ["别的公司"]}).to_csv(empty / "financials.csv")
    listed = miit_list(tmp_path)
    code_, output = run("labels", str(listed), "--panel", str(empty), "-o", str(tmp_path / "c.csv"))
    assert code_ == 1 and "no listed firm could be linked" in output
    assert not (tmp_path / "c.csv").exists() and (tmp_path / "c.linkage.csv").exists()
    code_, output = run("labels", str(listed), "--panel", str(tmp_path / "nope"), "-o", "c.csv")
    assert code_ == 2 and "does not exist" in output
    code_, output = run("labels", str(listed), "--panel", str(empty), "-o", "c.xlsx")
    assert code_ == 2 and "must end in .parquet or .csv" in output
    code_, output = run(
        "labels", str(listed), "--panel", str(empty), "--tier", "gold", "-o", "c.csv"
    )
    assert code_ == 2 and "tier 'gold' is not one of" in output
