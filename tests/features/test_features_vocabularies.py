"""Province and industry normalization tables."""

from __future__ import annotations

import numpy as np
import pytest

from features.industries import (
    DIVISION_BY_CODE,
    DIVISIONS,
    SECTIONS,
    division_index,
    industry_section,
    normalize_industry,
)
from features.provinces import PROVINCES, normalize_province
from features.spellings import IDENTIFIER_PATTERN, IDENTIFIER_RE

# Canonical name, full Chinese, short Chinese, code: spot checks written out by hand
# so a table edit cannot silently pass.
KNOWN = [
    ("Beijing", "北京市", "北京", "11"),
    ("Inner Mongolia", "内蒙古自治区", "内蒙古", "15"),
    ("Zhejiang", "浙江省", "浙江", "33"),
    ("Guangxi", "广西壮族自治区", "广西", "45"),
    ("Chongqing", "重庆市", "重庆", "50"),
    ("Xizang", "西藏自治区", "西藏", "54"),
    ("Shaanxi", "陕西省", "陕西", "61"),
    ("Shanxi", "山西省", "山西", "14"),
    ("Ningxia", "宁夏回族自治区", "宁夏", "64"),
    ("Xinjiang", "新疆维吾尔自治区", "新疆", "65"),
]


def test_there_are_31_provinces_with_unique_names_and_codes() -> None:
    assert len(PROVINCES) == 31
    assert len({p.name for p in PROVINCES}) == 31
    assert len({p.code for p in PROVINCES}) == 31
    assert len({p.chinese for p in PROVINCES}) == 31


@pytest.mark.parametrize(("name", "chinese", "short", "code"), KNOWN)
def test_known_provinces(name: str, chinese: str, short: str, code: str) -> None:
    spellings = [name, chinese, short, code, code + "0000", int(code), name.upper()]
    assert list(normalize_province(spellings)) == [name] * len(spellings)


def test_every_province_in_every_spelling() -> None:
    for p in PROVINCES:
        spellings = [
            p.name,
            p.name.lower(),
            f" {p.name} Province ",
            p.chinese,
            p.short,
            p.code,
            f"{p.code}0000",
            float(p.code),
            *p.abbreviations,
            *p.alternatives,
        ]
        got = normalize_province(np.array(spellings, dtype=object))
        assert list(got) == [p.name] * len(spellings), p.name


def test_alternative_romanizations() -> None:
    got = normalize_province(["Nei Mongol", "Tibet", "neimenggu", "内蒙古", "广西壮族自治区"])
    assert list(got) == ["Inner Mongolia", "Xizang", "Inner Mongolia", "Inner Mongolia", "Guangxi"]


def test_unknown_and_missing_provinces_are_none() -> None:
    got = normalize_province(["Hong Kong", "台湾", "99", None, float("nan"), "", 33.5])
    assert list(got) == [None] * 7


def test_large_arrays_use_the_same_mapping() -> None:
    values = np.array(["浙江", "33", "Zhejiang", None] * 100, dtype=object)
    got = normalize_province(values)
    assert list(got[:4]) == ["Zhejiang"] * 3 + [None]
    assert (got[4:] == np.tile(got[:4], 99)).all()


def test_97_divisions_in_20_sections() -> None:
    assert len(DIVISIONS) == 97
    assert DIVISIONS[0].code == "A01" and DIVISIONS[-1].code == "T97"
    assert [int(d.code[1:]) for d in DIVISIONS] == list(range(1, 98))
    assert set(SECTIONS) == {d.section for d in DIVISIONS}
    assert len(SECTIONS) == 20
    assert DIVISION_BY_CODE["C39"].chinese == "计算机、通信和其他电子设备制造业"
    assert DIVISION_BY_CODE["I65"].english == "Software and information technology services"
    assert sum(d.section == "C" for d in DIVISIONS) == 31  # manufacturing: 13-43


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("C39", "C39"),
        ("c39", "C39"),
        ("39", "C39"),
        (39, "C39"),
        (39.0, "C39"),
        ("5", "A05"),
        ("C3911", "C39"),
        ("3911", "C39"),
        ("C39 计算机、通信和其他电子设备制造业", "C39"),
        ("软件和信息技术服务业", "I65"),
        ("software and information technology services", "I65"),
        ("Ｃ３９", "C39"),  # full-width input
    ],
)
def test_industry_spellings(raw: object, code: str) -> None:
    assert normalize_industry(np.array([raw], dtype=object))[0] == code


@pytest.mark.parametrize("raw", ["C99", "B39", "98", "0", "制造", "", None, 39.5, True])
def test_bad_industries_are_none(raw: object) -> None:
    assert normalize_industry(np.array([raw], dtype=object))[0] is None


def test_industry_section_and_index() -> None:
    assert list(industry_section(["C39", "I65", "A01", None, "X"])) == ["C", "I", "A", None, None]
    assert list(division_index(["A01", "T97", "C39", None, "bad"])) == [0, 96, 38, -1, -1]


def test_identifier_pattern_reads_spaces_as_python_does() -> None:
    # The schema's pattern is matched by ECMA-262 engines too, whose \s misses
    # \x1c-\x1f and \x85: every character Python calls a space is spelled out, so a
    # string of them is blank on both sides (a generated one once got through).
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert all(IDENTIFIER_RE.search(space * 3) is None for space in spaces)
    assert IDENTIFIER_RE.search("\x0b \x0b\t\n\x1f") is None
    assert IDENTIFIER_RE.search(" 9133X ") is not None
    assert IDENTIFIER_RE.search(" n/a ") is None
    assert "\\s" not in IDENTIFIER_PATTERN and "\\S" not in IDENTIFIER_PATTERN
