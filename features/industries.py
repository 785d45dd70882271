"""GB/T 4754-2017 industry classification: the 20 sections and 97 divisions.

Canonical form: the section letter and the two-digit division number (``C39``),
the codes CSRC and the data vendors use. Accepted on input: any case (``c39``),
the bare number (``39``, ``5`` or the integer 39 from a typed file) with the
section inferred, a group or class code (``C391``, ``3911``) reduced to its
division, a code followed by its name (``C39 计算机、通信和其他电子设备制造业``),
and the exact Chinese or English division name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from features._arrays import map_numbers, map_objects

__all__ = [
    "DIVISIONS",
    "DIVISION_BY_CODE",
    "DIVISION_CODES",
    "SECTIONS",
    "Division",
    "division_index",
    "industry_section",
    "normalize_industry",
    "normalize_industry_value",
]


@dataclass(frozen=True, slots=True)
class Division:
    """One GB/T 4754-2017 division (门类 letter + 大类 number).

    Attributes
    ----------
    code : str
        Canonical code, e.g. ``C39``.
    section : str
        Section letter, ``A``–``T``.
    chinese, english : str
        Division names.
    """

    code: str
    section: str
    chinese: str
    english: str


# Section letter -> (Chinese name, English name).
SECTIONS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
        "B": ("采矿业", "Mining"),
        "C": ("制造业", "Manufacturing"),
        "D": (
            "电力、热力、燃气及水生产和供应业",
            "Electricity, heat, gas and water production and supply",
        ),
        "E": ("建筑业", "Construction"),
        "F": ("批发和零售业", "Wholesale and retail trade"),
        "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
        "H": ("住宿和餐饮业", "Accommodation and catering"),
        "I": (
            "信息传输、软件和信息技术服务业",
            "Information transmission, software and information technology services",
        ),
        "J": ("金融业", "Finance"),
        "K": ("房地产业", "Real estate"),
        "L": ("租赁和商务服务业", "Leasing and business services"),
        "M": ("科学研究和技术服务业", "Scientific research and technical services"),
        "N": (
            "水利、环境和公共设施管理业",
            "Water conservancy, environment and public facilities management",
        ),
        "O": ("居民服务、修理和其他服务业", "Resident services, repair and other services"),
        "P": ("教育", "Education"),
        "Q": ("卫生和社会工作", "Health and social work"),
        "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
        "S": (
            "公共管理、社会保障和社会组织",
            "Public administration, social security and social organizations",
        ),
        "T": ("国际组织", "International organizations"),
    }
)

# (first division number, last division number) of each section.
_SECTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 96),
    ("T", 97, 97),
)

_DIVISION_NAMES: tuple[tuple[str, str], ...] = (
    ("农业", "Agriculture"),
    ("林业", "Forestry"),
    ("畜牧业", "Animal husbandry"),
    ("渔业", "Fishery"),
    ("农、林、牧、渔专业及辅助性活动", "Support activities for agriculture, forestry and fishery"),
    ("煤炭开采和洗选业", "Coal mining and washing"),
    ("石油和天然气开采业", "Petroleum and natural gas extraction"),
    ("黑色金属矿采选业", "Ferrous metal ore mining"),
    ("有色金属矿采选业", "Non-ferrous metal ore mining"),
    ("非金属矿采选业", "Non-metallic mineral mining"),
    ("开采专业及辅助性活动", "Mining support activities"),
    ("其他采矿业", "Other mining"),
    ("农副食品加工业", "Agricultural and sideline food processing"),
    ("食品制造业", "Food manufacturing"),
    ("酒、饮料和精制茶制造业", "Liquor, beverages and refined tea"),
    ("烟草制品业", "Tobacco products"),
    ("纺织业", "Textiles"),
    ("纺织服装、服饰业", "Textile apparel and clothing"),
    ("皮革、毛皮、羽毛及其制品和制鞋业", "Leather, fur, feather products and footwear"),
    (
        "木材加工和木、竹、藤、棕、草制品业",
        "Wood processing; wood, bamboo, rattan, palm and straw products",
    ),
    ("家具制造业", "Furniture"),
    ("造纸和纸制品业", "Paper and paper products"),
    ("印刷和记录媒介复制业", "Printing and reproduction of recorded media"),
    (
        "文教、工美、体育和娱乐用品制造业",
        "Stationery, arts and crafts, sports and entertainment goods",
    ),
    ("石油、煤炭及其他燃料加工业", "Petroleum, coal and other fuel processing"),
    ("化学原料和化学制品制造业", "Chemical raw materials and chemical products"),
    ("医药制造业", "Pharmaceuticals"),
    ("化学纤维制造业", "Chemical fibres"),
    ("橡胶和塑料制品业", "Rubber and plastic products"),
    ("非金属矿物制品业", "Non-metallic mineral products"),
    ("黑色金属冶炼和压延加工业", "Ferrous metal smelting and rolling"),
    ("有色金属冶炼和压延加工业", "Non-ferrous metal smelting and rolling"),
    ("金属制品业", "Fabricated metal products"),
    ("通用设备制造业", "General-purpose machinery"),
    ("专用设备制造业", "Special-purpose machinery"),
    ("汽车制造业", "Automobiles"),
    (
        "铁路、船舶、航空航天和其他运输设备制造业",
        "Railway, ship, aerospace and other transport equipment",
    ),
    ("电气机械和器材制造业", "Electrical machinery and equipment"),
    (
        "计算机、通信和其他电子设备制造业",
        "Computers, communication and other electronic equipment",
    ),
    ("仪器仪表制造业", "Instruments and meters"),
    ("其他制造业", "Other manufacturing"),
    ("废弃资源综合利用业", "Recycling of waste resources"),
    ("金属制品、机械和设备修理业", "Repair of metal products, machinery and equipment"),
    ("电力、热力生产和供应业", "Electricity and heat production and supply"),
    ("燃气生产和供应业", "Gas production and supply"),
    ("水的生产和供应业", "Water production and supply"),
    ("房屋建筑业", "Building construction"),
    ("土木工程建筑业", "Civil engineering"),
    ("建筑安装业", "Building installation"),
    ("建筑装饰、装修和其他建筑业", "Building decoration, renovation and other construction"),
    ("批发业", "Wholesale trade"),
    ("零售业", "Retail trade"),
    ("铁路运输业", "Railway transport"),
    ("道路运输业", "Road transport"),
    ("水上运输业", "Water transport"),
    ("航空运输业", "Air transport"),
    ("管道运输业", "Pipeline transport"),
    ("多式联运和运输代理业", "Multimodal transport and transport agency"),
    ("装卸搬运和仓储业", "Loading, unloading and warehousing"),
    ("邮政业", "Postal services"),
    ("住宿业", "Accommodation"),
    ("餐饮业", "Catering"),
    ("电信、广播电视和卫星传输服务", "Telecommunication, broadcasting and satellite transmission"),
    ("互联网和相关服务", "Internet and related services"),
    ("软件和信息技术服务业", "Software and information technology services"),
    ("货币金融服务", "Monetary financial services"),
    ("资本市场服务", "Capital market services"),
    ("保险业", "Insurance"),
    ("其他金融业", "Other financial services"),
    ("房地产业", "Real estate"),
    ("租赁业", "Leasing"),
    ("商务服务业", "Business services"),
    ("研究和试验发展", "Research and experimental development"),
    ("专业技术服务业", "Professional technical services"),
    ("科技推广和应用服务业", "Technology promotion and application services"),
    ("水利管理业", "Water conservancy management"),
    ("生态保护和环境治理业", "Ecological protection and environmental governance"),
    ("公共设施管理业", "Public facilities management"),
    ("土地管理业", "Land management"),
    ("居民服务业", "Resident services"),
    (
        "机动车、电子产品和日用产品修理业",
        "Repair of motor vehicles, electronics and household goods",
    ),
    ("其他服务业", "Other services"),
    ("教育", "Education"),
    ("卫生", "Health"),
    ("社会工作", "Social work"),
    ("新闻和出版业", "News and publishing"),
    ("广播、电视、电影和录音制作业", "Radio, television, film and sound recording"),
    ("文化艺术业", "Culture and arts"),
    ("体育", "Sports"),
    ("娱乐业", "Entertainment"),
    ("中国共产党机关", "Organs of the Communist Party of China"),
    ("国家机构", "State organs"),
    ("人民政协、民主党派", "CPPCC and democratic parties"),
    ("社会保障", "Social security"),
    (
        "群众团体、社会团体和其他成员组织",
        "Mass organizations, social organizations and other membership organizations",
    ),
    ("基层群众自治组织及其他组织", "Grassroots self-governing and other organizations"),
    ("国际组织", "International organizations"),
)


def _build_divisions() -> tuple[Division, ...]:
    divisions = []
    for section, first, last in _SECTION_RANGES:
        for number in range(first, last + 1):
            chinese, english = _DIVISION_NAMES[number - 1]
            divisions.append(Division(f"{section}{number:02d}", section, chinese, english))
    return tuple(divisions)


DIVISIONS: tuple[Division, ...] = _build_divisions()
DIVISION_CODES: tuple[str, ...] = tuple(d.code for d in DIVISIONS)
DIVISION_BY_CODE: Mapping[str, Division] = MappingProxyType({d.code: d for d in DIVISIONS})

_BY_NUMBER: Mapping[int, str] = MappingProxyType({int(d.code[1:]): d.code for d in DIVISIONS})
_BY_NAME: Mapping[str, str] = MappingProxyType(
    {d.chinese: d.code for d in DIVISIONS} | {d.english.lower(): d.code for d in DIVISIONS}
)
_INDEX: Mapping[str, int] = MappingProxyType({code: i for i, code in enumerate(DIVISION_CODES)})
# A letter (optional), 1-4 digits (division, group or class), then anything that is
# not a digit (a name may follow the code).
_CODE = re.compile(r"^([A-Za-z])?\s*(\d{1,4})(?!\d)")


def normalize_industry_value(value: object) -> str | None:
    """Return the canonical form of one industry value, ``None`` when missing or unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return _BY_NUMBER.get(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value) or value != int(value):
            return None
        return _BY_NUMBER.get(int(value))
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if text in _INDEX:
        return text
    match = _CODE.match(text)
    if match is None:
        return _BY_NAME.get(text) or _BY_NAME.get(text.lower())
    letter, digits = match.group(1), match.group(2)
    number = int(digits) if len(digits) <= 2 else int(digits[:2])
    code = _BY_NUMBER.get(number)
    if code is None or (letter is not None and letter.upper() != code[0]):
        return None
    return code


def normalize_industry(values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Map industry spellings to canonical GB/T 4754-2017 division codes.

    Parameters
    ----------
    values : array_like
        Codes (``C39``, ``c39``, ``39``, ``C3911``), integers, or exact division
        names; ``None``/NaN for missing.

    Returns
    -------
    numpy.ndarray
        Object array of codes such as ``C39``; ``None`` where missing or not a
        division (a letter that contradicts the number, e.g. ``B39``, is refused).
    """
    return map_objects(values, normalize_industry_value)


def industry_section(codes: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Return the section letter (``C`` for ``C39``) of canonical division codes.

    Parameters
    ----------
    codes : array_like
        Canonical division codes; anything else (including ``None``) gives ``None``.

    Returns
    -------
    numpy.ndarray
        Object array of section letters or ``None``.
    """
    return map_objects(codes, lambda c: c[0] if isinstance(c, str) and c in _INDEX else None)


def division_index(codes: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Return each code's position in :data:`DIVISION_CODES`, ``-1`` when not a code."""
    return map_numbers(codes, lambda c: _INDEX.get(c, -1) if isinstance(c, str) else -1, np.intp)
