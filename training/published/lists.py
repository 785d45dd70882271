"""Reading a published certification list: 序号, 企业名称, 所在地区, sometimes a code.

MIIT publishes each Little Giant batch, and each province its SRDI SME list, as a
table of names: ``序号, 企业名称, 所在地区`` (or ``省份``), sometimes with the
``统一社会信用代码``. A list read here becomes :class:`ListedFirm` records, each with
the tier and the year it was granted:

- **tier** from ``--tier``, else a column (层级, 类别, 认定类型, 当前资质, … with
  values such as 小巨人 or 专精特新中小企业), else the file name (``小巨人`` →
  ``little_giant``, ``专精特新`` → ``srdi_sme``, ``创新型中小企业`` → ``innovative_sme``);
- **year** from ``--year``, else a column (年份, 年度, 认定年份, …), else the file name:
  a year such as ``2021``, or for Little Giant lists the batch ``第三批`` (batch N was
  published in 2018 + N: the first in 2019, the third in 2021).

A title line above the header (``第三批专精特新"小巨人"企业名单``), as PDF-to-Excel
conversions leave it, is skipped: the header is the first of the top rows that has a
name column. Columns the list does not need are reported, never silently dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from features.fields import FIELD_BY_NAME
from features.headers import normalize_header, resolve_headers
from features.io import read_table
from features.parsing import choice_parser
from features.tiers import CERTIFIED_TIERS

__all__ = [
    "LIST_ALIASES",
    "ListError",
    "ListedFirm",
    "PublishedList",
    "read_published_list",
    "tier_from_text",
    "year_from_text",
]

# Headers of the lists besides the contract's aliases (企业名称, 统一社会信用代码,
# 所在地区, 省份, 年度 …), normalized as features.headers does.
LIST_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        normalize_header(alias): role
        for role, aliases in {
            "row": ("序号", "编号", "排序", "no", "no.", "row"),
            "region": ("地区", "所在地", "所属地区", "所在省市", "省(区、市)", "region"),
            "year": ("认定年份", "认定年度", "公布年份", "批次年份", "granted_year"),
            "tier": ("层级", "级别", "类别", "认定类型", "企业类型", "名单类型"),
        }.items()
        for alias in aliases
    }
)
# Contract fields a list may carry, and the role each plays here.
_FIELD_ROLES: Mapping[str, str] = MappingProxyType(
    {
        "name": "name",
        "company_id": "code",
        "province": "region",
        "fiscal_year": "year",
        "current_tier": "tier",
    }
)
_HEADER_SCAN_ROWS = 10
# Little Giant batch N was published in 2018 + N (CRITERIA.md: 2019 248 firms, …).
_FIRST_BATCH_YEAR = 2019
_CHINESE_NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
_BATCH = re.compile(r"第([一二三四五六七八九十]|\d{1,2})批")
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
_TIER_WORDS: tuple[tuple[str, str], ...] = (
    # Checked in this order: a Little Giant list also says 专精特新.
    ("小巨人", "little_giant"),
    ("little_giant", "little_giant"),
    ("创新型中小企业", "innovative_sme"),
    ("innovative_sme", "innovative_sme"),
    ("专精特新", "srdi_sme"),
    ("srdi_sme", "srdi_sme"),
)
_PARSE_TIER = choice_parser(
    FIELD_BY_NAME["current_tier"].choices, FIELD_BY_NAME["current_tier"].choice_aliases
)


class ListError(ValueError):
    """A published list that cannot be used; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ListedFirm:
    """One firm of a published list.

    Attributes
    ----------
    source : str
        The list's file name.
    row : str
        The firm's 序号 when the list has one, else its 1-based data row.
    name, code, region : str
        As written in the list (``""`` when absent).
    tier : str or None
        Certified tier; ``None`` when the row's tier column cannot be read.
    year : int or None
        Year granted; ``None`` when the row's year column cannot be read.
    problem : str
        Why the row cannot be linked (``""`` when it can be).
    """

    source: str
    row: str
    name: str
    code: str
    region: str
    tier: str | None
    year: int | None
    problem: str = ""


@dataclass(frozen=True)
class PublishedList:
    """A list read from one file.

    Attributes
    ----------
    source : str
        The file name.
    firms : list of ListedFirm
    columns : dict
        Role (``name``, ``code``, ``region``, ``year``, ``tier``, ``row``) → header used.
    ignored : list of str
        Headers not used.
    tier_from, year_from : str
        Where the tier and the year came from (``--tier``, ``column '层级'``,
        ``file name``).
    """

    source: str
    firms: list[ListedFirm]
    columns: dict[str, str]
    ignored: list[str] = field(default_factory=list)
    tier_from: str = ""
    year_from: str = ""


def tier_from_text(text: str) -> str | None:
    """Return the tier a list's title or file name names (``小巨人`` → ``little_giant``)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    for word, tier in _TIER_WORDS:
        if word in folded:
            return tier
    return None


def year_from_text(text: str, tier: str | None) -> int | None:
    """Return the year a file name or title gives, ``None`` when it gives none.

    A four-digit year wins; a Little Giant batch (``第三批``) gives 2018 + N.
    """
    folded = unicodedata.normalize("NFKC", text)
    found = _YEAR.search(folded)
    if found is not None:
        return int(found.group(1))
    batch = _BATCH.search(folded)
    if batch is not None and tier == "little_giant":
        number = batch.group(1)
        n = int(number) if number.isdigit() else _CHINESE_NUMERALS[number]
        return _FIRST_BATCH_YEAR + n - 1
    return None


def _roles(headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """Role → header, and the headers no role uses (first header of a role wins)."""
    resolution = resolve_headers(headers)
    by_header = {m.header: _FIELD_ROLES.get(f) for f, m in resolution.matches.items()}
    roles: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        role = by_header.get(header) or LIST_ALIASES.get(normalize_header(header))
        if role is None or role in roles:
            ignored.append(header)
        else:
            roles[role] = header
    return roles, ignored


def _find_header(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    headers = [str(c) for c in frame.columns]
    roles, ignored = _roles(headers)
    if "name" in roles:
        return frame, roles, ignored
    for i in range(min(_HEADER_SCAN_ROWS, len(frame))):
        cells = ["" if pd.isna(v) else str(v).strip() for v in frame.iloc[i].tolist()]
        roles, ignored = _roles(cells)
        if "name" in roles:
            body = frame.iloc[i + 1 :].reset_index(drop=True)
            body.columns = pd.Index(cells)
            return body, roles, [h for h in ignored if h]
    raise ListError(
        f"no firm-name column among {headers[:8]}: the list needs a header such as 企业名称 "
        "(also 公司名称, 名称, company_name)"
    )


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _row_tier(value: object) -> str | None:
    parsed = _PARSE_TIER(_text(value) or None)
    if isinstance(parsed, str) and parsed in CERTIFIED_TIERS:
        return parsed
    return tier_from_text(_text(value))


def _row_year(value: object) -> int | None:
    text = _text(value)
    found = _YEAR.search(text)
    return int(found.group(1)) if found is not None else None


def read_published_list(
    path: Path, *, tier: str | None = None, year: int | None = None
) -> PublishedList:
    """Read one published list.

    Parameters
    ----------
    path
        CSV (UTF-8 or GBK), XLSX or Parquet.
    tier, year
        The list's tier and year when given on the command line; they win over the
        list's columns and its file name.

    Returns
    -------
    PublishedList
        One :class:`ListedFirm` per data row; a row without a name, or whose tier or
        year cannot be told, carries its ``problem``.

    Raises
    ------
    ListError
        No name column, or the tier or year cannot be told for the whole list.
    features.io.TableReadError
        The file cannot be read as a table.
    """
    if tier is not None and tier not in CERTIFIED_TIERS:
        raise ListError(f"tier {tier!r} is not one of {list(CERTIFIED_TIERS)}")
    frame, roles, ignored = _find_header(read_table(path))
    source = path.name
    file_tier = tier_from_text(path.stem)
    tier_from = "--tier" if tier is not None else ""
    if tier is None and "tier" not in roles:
        if file_tier is None:
            raise ListError(
                f"cannot tell the tier of {source}: pass --tier (innovative_sme, srdi_sme or "
                "little_giant), add a column such as 层级, or name the file after it "
                "(…小巨人….xlsx)"
            )
        tier, tier_from = file_tier, "file name"
    elif tier is None:
        tier_from = f"column {roles['tier']!r}"
    file_year = year_from_text(path.stem, tier or file_tier)
    year_from = "--year" if year is not None else ""
    if year is None and "year" not in roles:
        if file_year is None:
            raise ListError(
                f"cannot tell the year of {source}: pass --year, add a column such as 年份, "
                "or put the year in the file name (2021_小巨人.xlsx)"
            )
        year, year_from = file_year, "file name"
    elif year is None:
        year_from = f"column {roles['year']!r}"

    firms: list[ListedFirm] = []
    for position, record in enumerate(frame.to_dict(orient="records")):
        name = _text(record.get(roles["name"]))
        code = _text(record.get(roles["code"])) if "code" in roles else ""
        region = _text(record.get(roles["region"])) if "region" in roles else ""
        row = _text(record.get(roles["row"])) if "row" in roles else ""
        if not (name or code or region):
            continue  # a blank line or a footnote's empty cells
        row_tier = tier if tier is not None else _row_tier(record.get(roles["tier"]))
        row_year = year if year is not None else _row_year(record.get(roles["year"]))
        problem = ""
        if not name:
            problem = f"{roles['name']} is empty"
        elif row_tier is None:
            shown = _text(record.get(roles["tier"]))
            problem = f"{roles['tier']} ({shown!r}) is not a tier (小巨人, 专精特新中小企业, …)"
        elif row_year is None:
            problem = f"{roles['year']} ({_text(record.get(roles['year']))!r}) is not a year"
        firms.append(
            ListedFirm(
                source=source,
                row=row or str(position + 1),
                name=name,
                code=code.upper(),
                region=region,
                tier=row_tier,
                year=row_year,
                problem=problem,
            )
        )
    return PublishedList(
        source=source,
        firms=firms,
        columns=roles,
        ignored=ignored,
        tier_from=tier_from,
        year_from=year_from,
    )
