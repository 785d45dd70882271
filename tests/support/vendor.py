"""A synthetic world's data in the shapes real users bring: vendor exports and MIIT lists.

- :func:`long_export`: a Wind/CSMAR-style panel, one row per firm and 报告期, Chinese
  headers, amounts in 万元, ratios in % (毛利率, 资产负债率) instead of the amounts, no
  ``_prev`` columns, and a column no contract field matches (证券简称);
- :func:`wide_export`: one row per firm, a column per field and year
  (``营业收入(万元)2023``, ``2024营业收入(万元)``), the other figures of the latest year;
- :func:`published_lists`: the certifications as the lists are published — provincial
  SRDI SME lists per year (CSV in GBK: 序号, 企业名称, 所在地区) and Little Giant
  batches (XLSX: 序号, 企业名称, 所在地区, 统一社会信用代码) — with the firms' names
  written as lists write them (股份有限公司, the province in brackets, a stray space),
  one name misspelt and one credit code with a wrong check digit.

Ids become valid unified social credit codes (the world's ids have no check digit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from stdnum.cn import uscc

from features.industries import DIVISION_BY_CODE
from features.provinces import PROVINCE_BY_NAME

__all__ = ["Lists", "credit_codes", "long_export", "published_lists", "wide_export"]

# The characters a credit code may hold (GB 32100-2015 leaves out I, O, S, V and Z).
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Contract fields the exports leave out: the amounts the ratios stand for, and the
# _prev figures a long or wide layout fills from earlier years.
_LEFT_OUT = {
    "company_id",
    "name",
    "fiscal_year",
    "province",
    "industry",
    "revenue",
    "revenue_prev",
    "revenue_prev2",
    "main_business_revenue",
    "main_business_revenue_prev",
    "main_business_revenue_prev2",
    "rd_expense",
    "rd_expense_prev",
    "gross_profit",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "employees",
    "rd_staff",
    "export_share",
    "invention_patents",
}


def credit_codes(ids: pd.Series) -> dict[str, str]:
    """Each world id → a valid 统一社会信用代码 (same province digits, checked)."""
    out = {}
    for k, old in enumerate(sorted(set(ids))):
        serial = "".join(_CODE_CHARS[(k // 31**p) % 31] for p in range(6, -1, -1))
        body = f"91{old[2:4]}0100MA{serial}"
        out[old] = body + uscc.calc_check_digit(body)
    return out


def _chinese_province(name: str) -> str:
    return PROVINCE_BY_NAME[name].chinese


def _industry_text(code: str) -> str:
    # Vendors write the division with its name: "C39 计算机、通信和其他电子设备制造业".
    division = DIVISION_BY_CODE.get(code)
    return f"{code} {division.chinese}" if division is not None else code


def _wan(values: pd.Series) -> pd.Series:
    return (values / 1e4).round(2)


def _percent(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (numerator / denominator.where(denominator > 0) * 100).round(2)


def _vendor_columns(frame: pd.DataFrame, codes: dict[str, str]) -> pd.DataFrame:
    """The identity and the figures of each row, as a vendor names and scales them."""
    out = pd.DataFrame(
        {
            "统一社会信用代码": frame["company_id"].map(codes),
            "企业名称": frame["name"],
            "证券简称": frame["name"].str[2:6],
            "所属省份": frame["province"].map(_chinese_province),
            "所属行业": frame["industry"].map(_industry_text),
            "营业收入(万元)": _wan(frame["revenue"]),
            "主营业务收入(万元)": _wan(frame["main_business_revenue"]),
            "研发费用(万元)": _wan(frame["rd_expense"]),
            "毛利率(%)": _percent(frame["gross_profit"], frame["revenue"]),
            "净利润(万元)": _wan(frame["net_profit"]),
            "资产总计(万元)": _wan(frame["total_assets"]),
            "资产负债率(%)": _percent(frame["total_liabilities"], frame["total_assets"]),
            "员工人数": frame["employees"],
            "研发人员": frame["rd_staff"],
            "出口占比(%)": (frame["export_share"] * 100).round(2),
            "有效发明专利数": frame["invention_patents"],
        }
    )
    # A main-business figure rounded in 万元 may now exceed the rounded revenue.
    out["主营业务收入(万元)"] = np.minimum(out["主营业务收入(万元)"], out["营业收入(万元)"])
    for column in frame.columns:
        if column not in _LEFT_OUT:
            out[column] = frame[column].to_numpy()
    return out


def long_export(financials: pd.DataFrame, codes: dict[str, str]) -> pd.DataFrame:
    """A Wind/CSMAR-style panel: one row per firm and 报告期, no ``_prev`` columns."""
    out = _vendor_columns(financials, codes)
    out.insert(2, "报告期", financials["fiscal_year"].astype(int).astype(str) + "-12-31")
    return out


def wide_export(
    financials: pd.DataFrame, codes: dict[str, str], years: tuple[int, ...]
) -> pd.DataFrame:
    """One row per firm present in the last year; revenue, main business and R&D by year."""
    last = max(years)
    latest = financials[financials["fiscal_year"] == last].reset_index(drop=True)
    static = _vendor_columns(latest, codes).drop(
        columns=["营业收入(万元)", "主营业务收入(万元)", "研发费用(万元)", "current_tier"]
    )
    static["认定层级"] = latest["current_tier"].to_numpy()
    by_year = financials.set_index(["company_id", "fiscal_year"])
    for year in years:
        rows = by_year.reindex(
            pd.MultiIndex.from_arrays([latest["company_id"], [year] * len(latest)])
        )
        revenue = _wan(rows["revenue"]).to_numpy()
        static[f"营业收入(万元){year}"] = revenue
        static[f"{year}主营业务收入(万元)"] = np.minimum(
            _wan(rows["main_business_revenue"]), revenue
        )
        static[f"研发费用{year}(万元)"] = _wan(rows["rd_expense"]).to_numpy()
    return static


@dataclass(frozen=True)
class Lists:
    """The published lists written, and what a perfect linkage would give."""

    paths: list[Path]
    expected: pd.DataFrame
    misspelt: str
    wrong_code: str


def _variant(name: str, k: int, province: str) -> str:
    short = PROVINCE_BY_NAME[province].short
    if k % 4 == 1:
        return name.replace("有限公司", "股份有限公司")
    if k % 4 == 2 and name.startswith(short):
        return f"{name[len(short) :].removesuffix('有限公司')}（{short}）有限公司"
    if k % 4 == 3:
        return name.replace("有限公司", " 有限公司")
    return name


def published_lists(
    certifications: pd.DataFrame,
    financials: pd.DataFrame,
    codes: dict[str, str],
    directory: Path,
    *,
    first_year: int,
) -> Lists:
    """Write one list per tier and year from ``first_year`` on (see the module docstring)."""
    directory.mkdir(parents=True, exist_ok=True)
    firms = financials.sort_values("fiscal_year").drop_duplicates("company_id", keep="last")
    firms = firms.set_index("company_id")
    listed = certifications[
        certifications["tier"].isin(["srdi_sme", "little_giant"])
        & (certifications["granted_year"] >= first_year)
        & certifications["company_id"].isin(firms.index)
    ].sort_values(["granted_year", "tier", "company_id"])
    paths: list[Path] = []
    misspelt = wrong_code = ""
    for (year, tier), group in listed.groupby(["granted_year", "tier"]):
        names, regions, ids = [], [], []
        for k, company in enumerate(group["company_id"]):
            firm = firms.loc[company]
            name = _variant(str(firm["name"]), k, str(firm["province"]))
            if not misspelt and tier == "srdi_sme" and k == 4:
                name = name.replace("有限公司", "科技有限公司")  # a list's own spelling
                misspelt = name
            names.append(name)
            regions.append(PROVINCE_BY_NAME[str(firm["province"])].chinese)
            ids.append(codes[company])
        table = pd.DataFrame(
            {"序号": range(1, len(names) + 1), "企业名称": names, "所在地区": regions}
        )
        if tier == "srdi_sme":
            path = directory / f"{year}年专精特新中小企业名单.csv"
            path.write_bytes(table.to_csv(index=False).encode("gbk"))
        else:
            table["统一社会信用代码"] = ids
            if not wrong_code:
                good = ids[0]
                wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
                table.loc[0, "统一社会信用代码"] = wrong_code = wrong
            batch = int(year) - 2018
            title = (
                f"第{batch}批专精特新小巨人企业名单" if batch >= 1 else f"{year}年小巨人企业名单"
            )
            path = directory / f"{title}.xlsx"
            table.to_excel(path, index=False)
        paths.append(path)
    expected = listed.assign(company_id=listed["company_id"].map(codes))
    return Lists(paths, expected.reset_index(drop=True), misspelt, wrong_code)
