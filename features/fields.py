"""The input contract: every field of a firm-year record, declared once.

:data:`FIELDS` is the only declaration of the input record. The pydantic model of
the API (:mod:`features.record_model`), the DataFrame validator
(:mod:`features.validate`), the header alias table (:mod:`features.headers`), the
CSV template and ``docs/data-contract.md`` are all generated from it.

Units: money in CNY yuan; ``share`` is a 0–1 fraction; ``_prev`` is year t-1 and
``_prev2`` year t-2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from features.tiers import TIER_CHOICES

__all__ = [
    "DEBT_RATIO",
    "DERIVED_INPUTS",
    "FIELDS",
    "FIELD_BY_NAME",
    "FIELD_NAMES",
    "GROSS_MARGIN",
    "IDENTITY_FIELDS",
    "NET_MARGIN",
    "RATIO_INPUTS",
    "RD_INTENSITY",
    "REQUIRED_FIELDS",
    "FieldKind",
    "FieldSpec",
    "RatioInput",
    "csv_template",
]

FieldKind = Literal["text", "int", "float", "share", "bool", "enum"]

# Generous sanity bounds: they catch garbage (1e300, negative headcounts), not
# unit mistakes, which no bound can tell from a large firm.
_MONEY_MAX = 1e14
_COUNT_MAX = 1e7


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Declaration of one input field.

    Attributes
    ----------
    name : str
        Contract name (API key, CSV header, Parquet column).
    kind : {"text", "int", "float", "share", "bool", "enum"}
        ``share`` is a float in [0, 1]; ``bool`` is true/false; ``enum`` takes one
        of ``choices``.
    unit : str
        ``CNY``, ``share``, ``years``, ``year``, ``persons``, ``count``,
        ``level``, ``rank`` or ``""``.
    description : str
        Plain-language meaning, shown in the API schema and the data contract.
    required : bool
        Missing required fields reject the row; missing optional ones are unknown.
    minimum, maximum : float or None
        Inclusive bounds for numeric kinds.
    choices : tuple of str
        Canonical values of an ``enum`` field.
    choice_aliases : mapping
        Other spellings of ``choices`` accepted on input (lower-cased keys).
    example : str, int, float, bool or None
        Example value for the template and the API schema.
    aliases : tuple of str
        Other column headers that mean this field (Chinese and English).
    vocabulary : {"province", "industry"} or None
        Text fields normalized against a code list.
    """

    name: str
    kind: FieldKind
    unit: str
    description: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    choice_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    example: str | int | float | bool | None = None
    aliases: tuple[str, ...] = ()
    vocabulary: Literal["province", "industry"] | None = None

    @property
    def is_numeric(self) -> bool:
        """True for ``int``, ``float`` and ``share`` fields."""
        return self.kind in ("int", "float", "share")

    @property
    def is_money(self) -> bool:
        """True for amounts in CNY (they accept 万/亿 suffixes and header units)."""
        return self.unit == "CNY"


def _money(
    name: str,
    description: str,
    *,
    example: float,
    aliases: tuple[str, ...],
    signed: bool = False,
    required: bool = False,
) -> FieldSpec:
    return FieldSpec(
        name,
        "float",
        "CNY",
        description,
        required=required,
        minimum=-_MONEY_MAX if signed else 0.0,
        maximum=_MONEY_MAX,
        example=example,
        aliases=aliases,
    )


def _share(name: str, description: str, *, example: float, aliases: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(
        name,
        "share",
        "share",
        description,
        minimum=0.0,
        maximum=1.0,
        example=example,
        aliases=aliases,
    )


def _count(
    name: str,
    description: str,
    *,
    example: int,
    aliases: tuple[str, ...],
    unit: str = "count",
    minimum: float = 0.0,
    maximum: float = _COUNT_MAX,
) -> FieldSpec:
    return FieldSpec(
        name,
        "int",
        unit,
        description,
        minimum=minimum,
        maximum=maximum,
        example=example,
        aliases=aliases,
    )


def _flag(name: str, description: str, *, example: bool, aliases: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(name, "bool", "", description, example=example, aliases=aliases)


RD_INSTITUTION_CHOICES = ("none", "below_municipal", "municipal", "provincial", "national")
ST_AWARD_CHOICES = ("none", "provincial", "national")
CONTEST_RANK_CHOICES = ("none", "provincial_top", "national_top500", "national_top50")

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "company_id",
        "text",
        "",
        "Identifier: the unified social credit code or any stable id.",
        required=True,
        example="91330100MA27XXXX0X",
        aliases=(
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "企业代码",
            "公司代码",
            "企业id",
            "company_code",
            "firm_id",
            "id",
        ),
    ),
    FieldSpec(
        "name",
        "text",
        "",
        "Display name of the firm.",
        example="杭州示例精密机械有限公司",
        aliases=("企业名称", "公司名称", "名称", "企业", "company_name", "firm_name"),
    ),
    FieldSpec(
        "fiscal_year",
        "int",
        "year",
        "Fiscal year t of the record.",
        required=True,
        minimum=1949,
        maximum=2100,
        example=2024,
        aliases=(
            "年度",
            "年份",
            "会计年度",
            "报告年度",
            "财年",
            "报告期",
            "统计年度",
            "截止日期",
            "year",
        ),
    ),
    FieldSpec(
        "founded_year",
        "int",
        "year",
        "Year the firm was founded (not after fiscal_year).",
        # Long-established brands (老字号) predate 1949; 1800 still catches typos.
        minimum=1800,
        maximum=2100,
        example=2009,
        aliases=("成立年份", "成立年度", "注册年份", "year_founded", "founding_year"),
    ),
    FieldSpec(
        "province",
        "text",
        "",
        "Province-level division: pinyin (Zhejiang), Chinese (浙江, 浙江省) or GB/T 2260 code "
        "(33, 330000); stored as canonical pinyin.",
        required=True,
        example="Zhejiang",
        aliases=("省份", "省", "所在省份", "所属省份", "所在地区", "省市"),
        vocabulary="province",
    ),
    FieldSpec(
        "industry",
        "text",
        "",
        "GB/T 4754-2017 division code such as C39 (also c39, 39, C3911 or the Chinese "
        "division name); stored as the canonical code.",
        required=True,
        example="C39",
        aliases=(
            "行业代码",
            "国民经济行业代码",
            "国标行业代码",
            "行业分类代码",
            "所属行业代码",
            "行业",
            "所属行业",
            "industry_code",
        ),
        vocabulary="industry",
    ),
    _money(
        "revenue",
        "Operating revenue in year t.",
        example=180_000_000.0,
        aliases=("营业收入", "营业总收入", "营收", "销售收入", "operating_revenue", "sales"),
        required=True,
    ),
    _money(
        "revenue_prev",
        "Operating revenue in year t-1.",
        example=152_000_000.0,
        aliases=("上年营业收入", "上一年营业收入", "营业收入_上年", "营业收入上年"),
    ),
    _money(
        "revenue_prev2",
        "Operating revenue in year t-2.",
        example=131_000_000.0,
        aliases=("前年营业收入", "营业收入_前年", "营业收入前年"),
    ),
    _money(
        "main_business_revenue",
        "Revenue of the main product line in year t (≤ revenue).",
        example=165_000_000.0,
        aliases=("主营业务收入", "主营收入", "主营业务收入金额"),
    ),
    _money(
        "main_business_revenue_prev",
        "Main-business revenue in year t-1 (≤ revenue_prev).",
        example=139_000_000.0,
        aliases=("上年主营业务收入", "主营业务收入_上年", "主营业务收入上年"),
    ),
    _money(
        "main_business_revenue_prev2",
        "Main-business revenue in year t-2 (≤ revenue_prev2).",
        example=118_000_000.0,
        aliases=("前年主营业务收入", "主营业务收入_前年", "主营业务收入前年"),
    ),
    FieldSpec(
        "years_in_niche",
        "float",
        "years",
        "Years focused on the main product's niche market.",
        minimum=0.0,
        maximum=200.0,
        example=12.0,
        aliases=("从事细分领域年限", "细分领域年限", "深耕年限", "主营年限"),
    ),
    _money(
        "rd_expense",
        "R&D expense in year t.",
        example=11_500_000.0,
        aliases=("研发费用", "研发投入", "研发支出", "研发经费", "r&d_expense", "rd_spending"),
    ),
    _money(
        "rd_expense_prev",
        "R&D expense in year t-1.",
        example=9_800_000.0,
        aliases=("上年研发费用", "研发费用_上年", "研发费用上年", "上年研发投入"),
    ),
    _count(
        "employees",
        "Headcount at year end.",
        example=260,
        unit="persons",
        aliases=(
            "员工人数",
            "从业人员",
            "从业人数",
            "职工人数",
            "员工总数",
            "员工数",
            "headcount",
            "staff",
        ),
    ),
    _count(
        "rd_staff",
        "R&D staff headcount (≤ employees).",
        example=48,
        unit="persons",
        aliases=("研发人员", "研发人员数", "研发人员数量", "研发人数", "r&d_staff"),
    ),
    _money(
        "gross_profit",
        "Gross profit (revenue minus cost of sales; may be negative, ≤ revenue).",
        example=63_000_000.0,
        aliases=("毛利", "毛利润", "毛利额"),
        signed=True,
    ),
    _money(
        "net_profit",
        "Net profit (may be negative).",
        example=21_000_000.0,
        aliases=("净利润", "净利", "利润净额"),
        signed=True,
    ),
    _money(
        "total_assets",
        "Total assets at year end.",
        example=240_000_000.0,
        aliases=("资产总计", "总资产", "资产总额", "资产合计"),
    ),
    _money(
        "total_liabilities",
        "Total liabilities at year end.",
        example=96_000_000.0,
        aliases=("负债合计", "总负债", "负债总额", "负债总计"),
    ),
    _share(
        "top5_customer_share",
        "Revenue share of the five largest customers.",
        example=0.42,
        aliases=(
            "前五大客户占比",
            "前五名客户销售占比",
            "前五大客户收入占比",
            "前五大客户销售占比",
            "客户集中度",
        ),
    ),
    _share(
        "repeat_customer_share",
        "Revenue share from customers served 3+ years.",
        example=0.71,
        aliases=("老客户收入占比", "三年以上客户收入占比", "复购客户占比", "长期客户占比"),
    ),
    FieldSpec(
        "avg_customer_tenure_years",
        "float",
        "years",
        "Average length of customer relationships.",
        minimum=0.0,
        maximum=200.0,
        example=6.5,
        aliases=("客户平均合作年限", "平均合作年限", "客户合作年限"),
    ),
    _share(
        "export_share",
        "Direct plus indirect exports as a share of revenue.",
        example=0.27,
        aliases=("出口占比", "出口收入占比", "海外收入占比", "境外收入占比", "出口比例"),
    ),
    _count(
        "invention_patents",
        "Valid invention patents.",
        example=14,
        maximum=1e6,
        aliases=("发明专利", "有效发明专利", "发明专利数", "有效发明专利数", "发明专利数量"),
    ),
    _count(
        "class1_ip",
        "Class-I IP items tied to the main product (includes invention patents).",
        example=9,
        maximum=1e6,
        aliases=("I类知识产权", "一类知识产权", "I类知识产权数", "一类知识产权数量"),
    ),
    _count(
        "class2_ip",
        "Class-II IP items (utility models, designs, software copyrights).",
        example=23,
        maximum=1e6,
        aliases=("II类知识产权", "二类知识产权", "II类知识产权数", "二类知识产权数量"),
    ),
    FieldSpec(
        "rd_institution",
        "enum",
        "",
        "Highest accredited R&D institution (own or joint).",
        choices=RD_INSTITUTION_CHOICES,
        choice_aliases=MappingProxyType(
            {
                "无": "none",
                "没有": "none",
                "区县级": "below_municipal",
                "市级以下": "below_municipal",
                "县级": "below_municipal",
                "市级": "municipal",
                "地市级": "municipal",
                "省级": "provincial",
                "国家级": "national",
            }
        ),
        example="provincial",
        aliases=("研发机构", "研发机构级别", "研发机构等级", "研发平台级别"),
    ),
    FieldSpec(
        "digital_level",
        "int",
        "level",
        "SME digitalisation level, 1 (lowest) to 4.",
        minimum=1,
        maximum=4,
        example=3,
        aliases=("数字化水平", "数字化等级", "数字化转型等级", "数字化水平等级"),
    ),
    _flag(
        "quality_certification",
        "Holds an ISO9001-type management-system certification.",
        example=True,
        aliases=("质量管理体系认证", "质量认证", "iso9001", "管理体系认证"),
    ),
    _flag(
        "own_brand", "Sells under its own brand.", example=True, aliases=("自主品牌", "自有品牌")
    ),
    _flag(
        "quality_award",
        "Holds a provincial-or-higher quality award.",
        example=False,
        aliases=("质量奖", "省级以上质量奖", "质量奖项"),
    ),
    _count(
        "standards_drafted",
        "National or industry standards the firm helped draft.",
        example=2,
        maximum=1e5,
        aliases=("参与制定标准数", "主导或参与制定标准", "制定标准数", "标准数量"),
    ),
    _money(
        "equity_raised_2y",
        "New equity financing in the last 2 years.",
        example=30_000_000.0,
        aliases=("近两年股权融资", "近2年股权融资", "股权融资额", "近两年股权融资额"),
    ),
    _share(
        "national_market_share",
        "Share of the main product's national niche market.",
        example=0.14,
        aliases=("国内市场占有率", "全国市场占有率", "国内市场份额", "全国市场份额"),
    ),
    _share(
        "world_market_share",
        "Share of the main product's world niche market.",
        example=0.04,
        aliases=("全球市场占有率", "世界市场占有率", "全球市场份额", "国际市场占有率"),
    ),
    _count(
        "world_market_rank",
        "Rank in the world niche market (1 = leader).",
        example=6,
        unit="rank",
        minimum=1.0,
        maximum=1e6,
        aliases=("全球市场排名", "世界排名", "全球排名", "国际市场排名"),
    ),
    _flag(
        "strategic_emerging",
        "Main product is in the strategic-emerging-industries list.",
        example=True,
        aliases=("战略性新兴产业", "属于战略性新兴产业", "战新产业"),
    ),
    _flag(
        "key_chain_supplier",
        "Supplies industry-chain leaders or fills a key gap.",
        example=False,
        aliases=("产业链配套", "补短板", "关键配套", "链主配套"),
    ),
    _share(
        "staff_turnover",
        "Yearly staff turnover.",
        example=0.08,
        aliases=("员工流失率", "离职率", "人员流动率", "员工离职率"),
    ),
    FieldSpec(
        "current_tier",
        "enum",
        "",
        "Certification held at the end of the fiscal year.",
        choices=TIER_CHOICES,
        choice_aliases=MappingProxyType(
            {
                "无": "none",
                "未认定": "none",
                "创新型中小企业": "innovative_sme",
                "科技和创新型中小企业": "innovative_sme",
                "专精特新中小企业": "srdi_sme",
                "专精特新": "srdi_sme",
                "省级专精特新": "srdi_sme",
                "小巨人": "little_giant",
                "专精特新小巨人": "little_giant",
                '专精特新"小巨人"': "little_giant",
                "国家级专精特新小巨人": "little_giant",
            }
        ),
        example="srdi_sme",
        aliases=("当前资质", "认定层级", "已获认定", "资质等级", "认定等级", "tier"),
    ),
    FieldSpec(
        "tier_since",
        "int",
        "year",
        "Year the held tier was granted or last confirmed at re-review (not after "
        "fiscal_year); the status lasts 3 years, then it is re-reviewed.",
        minimum=1949,
        maximum=2100,
        example=2023,
        aliases=(
            "认定年份",
            "认定年度",
            "获评年份",
            "资质认定年份",
            "资质获得年份",
            "认定时间",
            "复核年份",
            "tier_year",
            "certified_since",
        ),
    ),
    _flag(
        "high_tech_enterprise",
        "Holds a valid 高新技术企业 status or a similar honour of the innovative-SME direct "
        "route (national technology-innovation demonstration enterprise, IP advantage or "
        "demonstration enterprise).",
        example=True,
        aliases=("高新技术企业", "国家高新技术企业", "是否高新技术企业", "高企", "high_tech"),
    ),
    FieldSpec(
        "st_award_3y",
        "enum",
        "",
        "Best science-and-technology award won in the last 3 years, by level (the rank "
        "among the award's winning units is not recorded).",
        choices=ST_AWARD_CHOICES,
        choice_aliases=MappingProxyType(
            {
                "无": "none",
                "没有": "none",
                "省级": "provincial",
                "省部级": "provincial",
                "省级科技奖励": "provincial",
                "国家级": "national",
                "国家级科技奖励": "national",
            }
        ),
        example="none",
        aliases=("科技奖励", "近三年科技奖励", "科技奖励级别", "科技奖", "科技奖项", "st_award"),
    ),
    FieldSpec(
        "contest_rank",
        "enum",
        "",
        "Best placing in the 创客中国 SME innovation contest (or a similar national "
        "contest) in the last 3 years: a provincial top placing, the national top 500 "
        "or the national top 50.",
        choices=CONTEST_RANK_CHOICES,
        choice_aliases=MappingProxyType(
            {
                "无": "none",
                "没有": "none",
                "省级": "provincial_top",
                "省赛": "provincial_top",
                "省级优胜": "provincial_top",
                "全国500强": "national_top500",
                "500强": "national_top500",
                "全国50强": "national_top50",
                "50强": "national_top50",
            }
        ),
        example="none",
        aliases=("创客中国", "创客中国名次", "创客中国排名", "创客中国大赛", "contest"),
    ),
    _flag(
        "serious_violation_3y",
        "In the last 3 years: a major safety (incl. network and data security), quality or "
        "environmental incident, tax evasion, or a listing as seriously dishonest or as "
        "operating abnormally.",
        example=False,
        aliases=(
            "重大违法/失信",
            "重大违法失信",
            "近三年重大违法失信",
            "重大违法",
            "严重失信",
            "重大事故",
            "失信",
            "serious_violation",
        ),
    ),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
FIELD_BY_NAME: Mapping[str, FieldSpec] = MappingProxyType({f.name: f for f in FIELDS})
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
IDENTITY_FIELDS: tuple[str, ...] = ("company_id", "name", "fiscal_year", "province", "industry")

DEBT_RATIO = FieldSpec(
    "debt_ratio",
    "float",
    "share",
    "Derived input, not a contract field: total liabilities / total assets (资产负债率). "
    "Fills a missing total_liabilities as debt_ratio × total_assets; a given "
    "total_liabilities always wins and is checked against it. Above 1 means liabilities "
    "exceed assets (write it as 120% or under a (%) header).",
    minimum=0.0,
    maximum=10.0,
    example=0.4,
    aliases=("资产负债率", "负债率", "debt_to_assets", "debt_asset_ratio", "leverage_ratio"),
)
GROSS_MARGIN = FieldSpec(
    "gross_margin",
    "float",
    "share",
    "Derived input, not a contract field: gross profit / revenue (毛利率). Fills a missing "
    "gross_profit as gross_margin × revenue; a given gross_profit always wins and is "
    "checked against it. May be negative.",
    minimum=-10.0,
    maximum=1.0,
    example=0.35,
    aliases=("毛利率", "销售毛利率", "综合毛利率", "主营业务毛利率", "gross_profit_margin"),
)
NET_MARGIN = FieldSpec(
    "net_margin",
    "float",
    "share",
    "Derived input, not a contract field: net profit / revenue (净利率, 销售净利率). Fills a "
    "missing net_profit as net_margin × revenue; a given net_profit always wins and is "
    "checked against it. May be negative.",
    minimum=-100.0,
    maximum=100.0,
    example=0.12,
    aliases=("净利率", "销售净利率", "净利润率", "营业净利率", "net_profit_margin"),
)
RD_INTENSITY = FieldSpec(
    "rd_intensity",
    "float",
    "share",
    "Derived input, not a contract field: R&D expense / revenue (研发投入占比, 研发费用率). "
    "Fills a missing rd_expense as rd_intensity × revenue; a given rd_expense always wins "
    "and is checked against it.",
    minimum=0.0,
    maximum=100.0,
    example=0.064,
    aliases=(
        "研发投入占比",
        "研发费用率",
        "研发强度",
        "研发投入强度",
        "研发投入占营业收入比例",
        "研发费用占营业收入比例",
        "rd_ratio",
    ),
)


@dataclass(frozen=True, slots=True)
class RatioInput:
    """A ratio a vendor publishes instead of an amount: ``amount = ratio × base``.

    Attributes
    ----------
    spec : FieldSpec
        The ratio's declaration (name, bounds, header aliases).
    amount : str
        The contract field it fills when missing (and is checked against when given).
    base : str
        The contract field it is a share of.
    """

    spec: FieldSpec
    amount: str
    base: str


RATIO_INPUTS: tuple[RatioInput, ...] = (
    RatioInput(DEBT_RATIO, "total_liabilities", "total_assets"),
    RatioInput(GROSS_MARGIN, "gross_profit", "revenue"),
    RatioInput(NET_MARGIN, "net_profit", "revenue"),
    RatioInput(RD_INTENSITY, "rd_expense", "revenue"),
)
"""The derived inputs, each with the amount it fills and the base it is a share of."""

# Inputs that are not contract fields but fill one (the ratios above).
DERIVED_INPUTS: Mapping[str, FieldSpec] = MappingProxyType(
    {ratio.spec.name: ratio.spec for ratio in RATIO_INPUTS}
)


def csv_template() -> str:
    """Return the CSV template: the contract header and one example row.

    Returns
    -------
    str
        CSV text (UTF-8, ``\\n`` line ends); ``docs/template.csv`` is this text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELD_NAMES)
    writer.writerow([_template_value(f.example) for f in FIELDS])
    return buffer.getvalue()


def _template_value(value: str | int | float | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return str(int(value))
    return str(value)
