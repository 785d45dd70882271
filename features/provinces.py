"""The 31 province-level divisions of mainland China and their accepted spellings.

Canonical form: pinyin with a capital initial (``Zhejiang``); two divisions use
their established English form instead of raw pinyin: ``Inner Mongolia`` (内蒙古)
and ``Xizang`` (西藏, also accepted as ``Tibet``). Accepted on input: canonical
pinyin in any case and spacing, alternative romanizations, Chinese names with or
without 省/市/自治区 (and the full autonomous-region names such as
广西壮族自治区), one-character abbreviations (浙, 沪, 粤, …), and GB/T 2260 codes as
two digits (``33``) or six (``330000``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from features._arrays import map_objects

__all__ = [
    "PROVINCES",
    "PROVINCE_BY_NAME",
    "PROVINCE_NAMES",
    "Province",
    "normalize_province",
    "normalize_province_value",
    "province_lookup_table",
]


@dataclass(frozen=True, slots=True)
class Province:
    """One province-level division.

    Attributes
    ----------
    name : str
        Canonical name (pinyin with capital initial).
    chinese : str
        Full Chinese name, e.g. ``浙江省``, ``广西壮族自治区``.
    short : str
        Chinese name without the administrative suffix, e.g. ``浙江``.
    code : str
        GB/T 2260 two-digit code, e.g. ``33``.
    region : str
        NBS economic region: ``East``, ``Central``, ``West`` or ``Northeast``.
    abbreviations : tuple of str
        One-character abbreviations (浙; 川 and 蜀; …).
    alternatives : tuple of str
        Other romanizations accepted on input.
    """

    name: str
    chinese: str
    short: str
    code: str
    region: str
    abbreviations: tuple[str, ...]
    alternatives: tuple[str, ...] = ()


PROVINCES: tuple[Province, ...] = (
    Province("Beijing", "北京市", "北京", "11", "East", ("京",), ("Peking",)),
    Province("Tianjin", "天津市", "天津", "12", "East", ("津",)),
    Province("Hebei", "河北省", "河北", "13", "East", ("冀",)),
    Province("Shanxi", "山西省", "山西", "14", "Central", ("晋",)),
    Province(
        "Inner Mongolia",
        "内蒙古自治区",
        "内蒙古",
        "15",
        "West",
        ("蒙",),
        ("Nei Mongol", "Neimenggu", "Nei Menggu", "Neimongol"),
    ),
    Province("Liaoning", "辽宁省", "辽宁", "21", "Northeast", ("辽",)),
    Province("Jilin", "吉林省", "吉林", "22", "Northeast", ("吉",)),
    Province("Heilongjiang", "黑龙江省", "黑龙江", "23", "Northeast", ("黑",)),
    Province("Shanghai", "上海市", "上海", "31", "East", ("沪", "申")),
    Province("Jiangsu", "江苏省", "江苏", "32", "East", ("苏",)),
    Province("Zhejiang", "浙江省", "浙江", "33", "East", ("浙",)),
    Province("Anhui", "安徽省", "安徽", "34", "Central", ("皖",)),
    Province("Fujian", "福建省", "福建", "35", "East", ("闽",)),
    Province("Jiangxi", "江西省", "江西", "36", "Central", ("赣",)),
    Province("Shandong", "山东省", "山东", "37", "East", ("鲁",)),
    Province("Henan", "河南省", "河南", "41", "Central", ("豫",)),
    Province("Hubei", "湖北省", "湖北", "42", "Central", ("鄂",)),
    Province("Hunan", "湖南省", "湖南", "43", "Central", ("湘",)),
    Province("Guangdong", "广东省", "广东", "44", "East", ("粤",), ("Canton",)),
    Province("Guangxi", "广西壮族自治区", "广西", "45", "West", ("桂",), ("Guangxi Zhuang",)),
    Province("Hainan", "海南省", "海南", "46", "East", ("琼",)),
    Province("Chongqing", "重庆市", "重庆", "50", "West", ("渝",)),
    Province("Sichuan", "四川省", "四川", "51", "West", ("川", "蜀")),
    Province("Guizhou", "贵州省", "贵州", "52", "West", ("黔", "贵")),
    Province("Yunnan", "云南省", "云南", "53", "West", ("滇", "云")),
    Province("Xizang", "西藏自治区", "西藏", "54", "West", ("藏",), ("Tibet",)),
    Province("Shaanxi", "陕西省", "陕西", "61", "West", ("陕", "秦")),
    Province("Gansu", "甘肃省", "甘肃", "62", "West", ("甘", "陇")),
    Province("Qinghai", "青海省", "青海", "63", "West", ("青",)),
    Province("Ningxia", "宁夏回族自治区", "宁夏", "64", "West", ("宁",), ("Ningxia Hui",)),
    Province("Xinjiang", "新疆维吾尔自治区", "新疆", "65", "West", ("新",), ("Xinjiang Uygur",)),
)

PROVINCE_NAMES: tuple[str, ...] = tuple(p.name for p in PROVINCES)
PROVINCE_BY_NAME: Mapping[str, Province] = MappingProxyType({p.name: p for p in PROVINCES})

# English suffixes dropped before lookup ("Zhejiang Province" -> "zhejiang").
_LATIN_SUFFIXES = re.compile(
    r"(province|sheng|shi|city|municipality|autonomousregion|zizhiqu|region)$"
)
_LATIN_NOISE = re.compile(r"[\s_\-'’.]+")


def _latin_key(text: str) -> str:
    key = _LATIN_NOISE.sub("", text.lower())
    stripped = _LATIN_SUFFIXES.sub("", key)
    return stripped or key


def _build_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for p in PROVINCES:
        keys = [p.name, p.chinese, p.short, p.code, f"{p.code}0000", *p.abbreviations]
        keys += [p.name.lower(), _latin_key(p.name)]
        keys += [_latin_key(alt) for alt in p.alternatives]
        if p.chinese.endswith("自治区"):
            keys.append(p.short + "自治区")
        for key in keys:
            table[key] = p.name
    return table


_TABLE: Mapping[str, str] = MappingProxyType(_build_table())


def province_lookup_table() -> Mapping[str, str]:
    """Return the spelling → canonical-name table (for documentation and UIs)."""
    return _TABLE


def normalize_province_value(value: object) -> str | None:
    """Return the canonical form of one province value, ``None`` when missing or unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        text = str(int(value))
    elif isinstance(value, (float, np.floating)):
        if not np.isfinite(value) or value != int(value):
            return None
        text = str(int(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
    else:
        return None
    found = _TABLE.get(text)
    if found is not None:
        return found
    if text.endswith(".0") and text[:-2].isdigit():
        return _TABLE.get(text[:-2])
    return _TABLE.get(_latin_key(text))


def normalize_province(values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Map province spellings to canonical names.

    Parameters
    ----------
    values : array_like
        Province names in any accepted spelling (see module docstring), codes as
        strings or numbers; ``None``/NaN for missing.

    Returns
    -------
    numpy.ndarray
        Object array of canonical names; ``None`` where the input is missing or
        not recognized (the validator tells the two apart and reports the latter).
    """
    return map_objects(values, normalize_province_value)
