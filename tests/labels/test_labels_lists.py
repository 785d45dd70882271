"""Reading published lists: the header, the tier and the year."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from training.published.lists import (
    ListError,
    read_published_list,
    tier_from_text,
    year_from_text,
)


def write(path: Path, frame: pd.DataFrame) -> Path:
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        path.write_bytes(frame.to_csv(index=False).encode("gbk"))
    return path


MIIT = pd.DataFrame(
    {
        "序号": [1, 2, 3],
        "所在地区": ["浙江省", "宁波市", ""],
        "企业名称": ["甲有限公司", "乙", "丙"],
    }
)


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("第三批专精特新“小巨人”企业名单", "little_giant"),
        ("浙江省2022年度专精特新中小企业名单", "srdi_sme"),
        ("2023年创新型中小企业", "innovative_sme"),
        ("little_giant_2021", "little_giant"),
        ("names", None),
    ],
)
def test_tier_from_a_title(text: str, tier: str | None) -> None:
    assert tier_from_text(text) == tier


def test_year_from_a_title_or_a_little_giant_batch() -> None:
    assert year_from_text("浙江省2022年度专精特新中小企业", "srdi_sme") == 2022
    assert year_from_text("第三批专精特新小巨人", "little_giant") == 2021
    assert year_from_text("第1批小巨人", "little_giant") == 2019
    assert (
        year_from_text("第三批专精特新中小企业", "srdi_sme") is None
    )  # provinces number their own
    assert year_from_text("list_v12345", None) is None


def test_tier_and_year_from_the_file_name(tmp_path: Path) -> None:
    read = read_published_list(write(tmp_path / "第三批专精特新小巨人企业名单.xlsx", MIIT))
    assert (read.tier_from, read.year_from) == ("file name", "file name")
    assert [(f.row, f.name, f.region, f.tier, f.year) for f in read.firms] == [
        ("1", "甲有限公司", "浙江省", "little_giant", 2021),
        ("2", "乙", "宁波市", "little_giant", 2021),
        ("3", "丙", "", "little_giant", 2021),
    ]
    assert read.columns == {"row": "序号", "region": "所在地区", "name": "企业名称"}


def test_options_win_over_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "第三批小巨人.csv", MIIT)
    read = read_published_list(path, tier="srdi_sme", year=2020)
    assert {(f.tier, f.year) for f in read.firms} == {("srdi_sme", 2020)}
    assert (read.tier_from, read.year_from) == ("--tier", "--year")


def test_tier_and_year_columns_per_row(tmp_path: Path) -> None:
    frame = MIIT.assign(层级=["小巨人", "专精特新中小企业", "???"], 年份=["2021年", "2022", "2022"])
    read = read_published_list(write(tmp_path / "names.csv", frame))
    assert [(f.tier, f.year) for f in read.firms[:2]] == [
        ("little_giant", 2021),
        ("srdi_sme", 2022),
    ]
    assert read.firms[2].problem == "层级 ('???') is not a tier (小巨人, 专精特新中小企业, …)"
    assert read.year_from == "column '年份'"


def test_a_title_row_above_the_header_and_ignored_columns(tmp_path: Path) -> None:
    rows = [["第三批专精特新小巨人企业名单", None, None, None]]
    rows += [
        ["序号", "企业名称", "省份", "备注"],
        [1, "甲有限公司", "浙江", "注"],
        [None, None, None, None],
    ]
    path = tmp_path / "2021_little_giant.xlsx"
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False)
    read = read_published_list(path)
    assert [f.name for f in read.firms] == ["甲有限公司"]
    assert read.ignored == ["备注"]


def test_an_empty_name_is_a_row_problem(tmp_path: Path) -> None:
    frame = pd.DataFrame({"序号": [1, 2], "企业名称": ["甲", ""], "所在地区": ["浙江", "江苏"]})
    read = read_published_list(write(tmp_path / "2021小巨人.csv", frame))
    assert read.firms[1].problem == "企业名称 is empty"


def test_lists_that_cannot_be_used(tmp_path: Path) -> None:
    with pytest.raises(ListError, match=r"cannot tell the tier of names\.csv: pass --tier"):
        read_published_list(write(tmp_path / "names.csv", MIIT))
    with pytest.raises(ListError, match=r"cannot tell the year of 小巨人\.csv: pass --year"):
        read_published_list(write(tmp_path / "小巨人.csv", MIIT))
    with pytest.raises(ListError, match="no firm-name column"):
        read_published_list(write(tmp_path / "2021小巨人.csv", MIIT.drop(columns="企业名称")))
    with pytest.raises(ListError, match="tier 'gold' is not one of"):
        read_published_list(tmp_path / "2021小巨人.csv", tier="gold")
