"""The one declaration of the input contract drives the API model, docs and template."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pydantic import ValidationError

import features
from features.contract_doc import update_contract_doc
from features.fields import DERIVED_INPUTS, FIELD_NAMES, FIELDS, REQUIRED_FIELDS, csv_template
from features.headers import HEADER_ALIASES, resolve_headers, suggest_field
from features.record_model import CompanyRecord, example_record, input_json_schema
from features.validate import validate_record

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_required_fields_are_the_design_ones() -> None:
    assert REQUIRED_FIELDS == ("company_id", "fiscal_year", "province", "industry", "revenue")
    assert len(set(FIELD_NAMES)) == len(FIELDS)


def test_committed_template_and_contract_doc_match_the_code() -> None:
    assert (DOCS / "template.csv").read_text("utf-8") == csv_template()
    text = (DOCS / "data-contract.md").read_text("utf-8")
    assert update_contract_doc(text) == text, "run: python -m features.contract_doc"
    for name in FIELD_NAMES:
        assert f"`{name}`" in text


def test_company_record_accepts_the_example_and_names_bad_fields() -> None:
    record = CompanyRecord(**example_record())
    assert validate_record(record.model_dump())["province"][0] == "Zhejiang"
    with pytest.raises(ValidationError) as info:
        CompanyRecord(**{**example_record(), "export_share": 1.5, "revenu": 1})
    locations = {err["loc"][0] for err in info.value.errors()}
    assert locations == {"export_share", "revenu"}
    with pytest.raises(ValidationError):
        CompanyRecord(**{k: v for k, v in example_record().items() if k != "revenue"})
    with pytest.raises(ValidationError):
        CompanyRecord(**{**example_record(), "revenue": float("nan")})


def test_json_schema_lists_every_field_with_limits() -> None:
    schema = input_json_schema()
    assert list(schema["properties"]) == list(FIELD_NAMES)
    assert sorted(schema["required"]) == sorted(REQUIRED_FIELDS)
    share = schema["properties"]["export_share"]["anyOf"][0]
    assert (share["minimum"], share["maximum"]) == (0.0, 1.0)
    tier = schema["properties"]["current_tier"]["anyOf"][0]
    assert tier["enum"] == ["none", "innovative_sme", "srdi_sme", "little_giant"]
    assert schema["properties"]["revenue"]["description"].startswith("Operating revenue")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("营业收入", "revenue"),
        ("研发费用", "rd_expense"),
        ("主营业务收入", "main_business_revenue"),
        ("企业名称", "name"),
        ("统一社会信用代码", "company_id"),
        ("省份", "province"),
        ("行业代码", "industry"),
        ("年度", "fiscal_year"),
        ("员工人数", "employees"),
        ("研发人员", "rd_staff"),
        ("净利润", "net_profit"),
        ("毛利", "gross_profit"),
        ("资产总计", "total_assets"),
        ("负债合计", "total_liabilities"),
        ("出口占比", "export_share"),
        ("资产负债率", "debt_ratio"),
        ("Revenue Prev", "revenue_prev"),
        ("营业收入（万元）", "revenue"),
        ("Ⅰ类知识产权", "class1_ip"),
        ("备注", None),
    ],
)
def test_header_aliases(header: str, field: str | None) -> None:
    assert suggest_field(header) == field


def test_header_units_must_fit_the_field() -> None:
    result = resolve_headers(["员工人数(万元)", "营业收入(%)", "营业收入(万元)"])
    assert list(result.matches) == ["revenue"]
    assert result.matches["revenue"].scale == 1e4
    assert result.warnings == [
        "column '员工人数(万元)' ignored: unit '万元' does not fit employees (persons)",
        "column '营业收入(%)' ignored: unit '%' does not fit revenue (CNY)",
    ]
    assert all(v in FIELD_NAMES or v in DERIVED_INPUTS for v in HEADER_ALIASES.values())


def test_exported_members_exist() -> None:
    for name in features.__all__:
        module = getattr(features, name)
        for member in getattr(module, "__all__", []):
            assert hasattr(module, member), f"features.{name}.{member}"
    importlib.import_module("features.contract_doc")
