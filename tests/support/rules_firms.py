"""Hand-built firm-year records as validated columns, for the rule-engine tests.

Every contract field is present (numeric NaN / text None when not given), the
shape ``features.validate`` produces, so the tests need no validation step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from features.fields import FIELDS

TEXT_KINDS = ("text", "enum")


def columns(*records: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Columns for ``records`` (one row each); absent fields are unknown."""
    out: dict[str, np.ndarray] = {}
    for spec in FIELDS:
        values = [r.get(spec.name) for r in records]
        if spec.kind in TEXT_KINDS:
            out[spec.name] = np.array(values, dtype=object)
        else:
            out[spec.name] = np.array([np.nan if v is None else float(v) for v in values])
    return out


def record(**overrides: Any) -> dict[str, Any]:
    """The minimal required fields plus ``overrides``."""
    base: dict[str, Any] = {
        "company_id": "X",
        "fiscal_year": 2024,
        "province": "Zhejiang",
        "industry": "C34",
        "revenue": 1e8,
    }
    base.update(overrides)
    return base


# A strong provincial-SRDI candidate; its verdicts and points are worked by hand in
# test_rules_examples.py.
FIRM_A: dict[str, Any] = {
    "company_id": "A",
    "fiscal_year": 2024,
    "province": "Zhejiang",
    "industry": "C34",
    "revenue": 2e8,
    "revenue_prev": 1.8e8,
    "revenue_prev2": 1.6e8,
    "main_business_revenue": 1.7e8,
    "main_business_revenue_prev": 1.5e8,
    "main_business_revenue_prev2": 1.3e8,
    "years_in_niche": 9,
    "rd_expense": 1.2e7,
    "rd_expense_prev": 1.0e7,
    "employees": 250,
    "rd_staff": 40,
    "gross_profit": 6e7,
    "net_profit": 2.2e7,
    "total_assets": 3e8,
    "total_liabilities": 1.35e8,
    "export_share": 0.25,
    "invention_patents": 8,
    "class1_ip": 10,
    "class2_ip": 15,
    "rd_institution": "provincial",
    "digital_level": 3,
    "quality_certification": 1,
    "own_brand": 1,
    "quality_award": 0,
    "standards_drafted": 1,
    "equity_raised_2y": 0,
    "national_market_share": 0.12,
    "world_market_share": 0.04,
    "world_market_rank": 6,
    "strategic_emerging": 1,
    "key_chain_supplier": 1,
    "current_tier": "none",
}

# A weak innovative-SME applicant: 25 points, every indicator known.
FIRM_B: dict[str, Any] = {
    "company_id": "B",
    "fiscal_year": 2024,
    "province": "Jiangsu",
    "industry": "C39",
    "revenue": 5e7,
    "main_business_revenue": 2.6e7,
    "main_business_revenue_prev": 2.6e7,
    "rd_expense": 7.5e5,
    "total_assets": 5e7,
    "total_liabilities": 4e7,
    "strategic_emerging": 0,
    "invention_patents": 0,
    "class1_ip": 0,
    "class2_ip": 2,
    "rd_institution": "none",
    "equity_raised_2y": 0,
    "current_tier": "none",
}
