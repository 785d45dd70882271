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


PROVINCES = np.array(["Zhejiang", "Jiangsu", "Guangdong", "Sichuan"], dtype=object)
INDUSTRIES = np.array(["C34", "C38", "C39", "I65", "F51", "J66", "H62"], dtype=object)
LEVELS = np.array(["none", "below_municipal", "municipal", "provincial", "national"], dtype=object)
TIERS = np.array(["none", "innovative_sme", "srdi_sme", "little_giant"], dtype=object)
AWARDS = np.array(["none", "none", "none", "provincial", "national"], dtype=object)
CONTESTS = np.array(
    ["none", "none", "provincial_top", "national_top500", "national_top50"], dtype=object
)


def random_firms(seed: int, n: int) -> dict[str, np.ndarray]:
    """Firms spread across every threshold, every field known."""
    rng = np.random.default_rng(seed)
    revenue = np.exp(rng.uniform(np.log(5e6), np.log(5e10), n))
    grow = lambda: rng.uniform(0.7, 1.4, n)  # noqa: E731
    mbr = revenue * rng.uniform(0.4, 1.0, n)
    assets = revenue * rng.uniform(0.3, 3.0, n)
    cols = {
        "company_id": np.array([f"F{i}" for i in range(n)], dtype=object),
        "fiscal_year": np.full(n, 2024.0),
        "province": rng.choice(PROVINCES, n),
        "industry": rng.choice(INDUSTRIES, n),
        "revenue": revenue,
        "revenue_prev": revenue / grow(),
        "revenue_prev2": revenue / grow() / grow(),
        "main_business_revenue": mbr,
        "main_business_revenue_prev": mbr / grow(),
        "main_business_revenue_prev2": mbr / grow() / grow(),
        "years_in_niche": rng.uniform(0, 15, n),
        "rd_expense": revenue * rng.uniform(0, 0.12, n),
        "rd_expense_prev": revenue * rng.uniform(0, 0.12, n),
        "employees": rng.integers(10, 3000, n).astype(float),
        "rd_staff": rng.integers(0, 10, n).astype(float),
        "net_profit": revenue * rng.uniform(-0.05, 0.2, n),
        "total_assets": assets,
        "total_liabilities": assets * rng.uniform(0.1, 0.9, n),
        "export_share": rng.uniform(0, 0.6, n),
        "invention_patents": rng.integers(0, 3, n).astype(float),
        "class1_ip": rng.integers(0, 4, n).astype(float),
        "class2_ip": rng.integers(0, 3, n).astype(float),
        "rd_institution": rng.choice(LEVELS, n),
        "digital_level": rng.integers(1, 5, n).astype(float),
        "quality_certification": rng.integers(0, 2, n).astype(float),
        "own_brand": rng.integers(0, 2, n).astype(float),
        "quality_award": rng.integers(0, 2, n).astype(float),
        "standards_drafted": rng.integers(0, 2, n).astype(float),
        "equity_raised_2y": rng.choice([0.0, 5e6, 2e7, 7e7, 9e7], n),
        "national_market_share": rng.uniform(0, 0.3, n),
        "world_market_share": rng.uniform(0, 0.4, n),
        "world_market_rank": rng.integers(1, 8, n).astype(float),
        "strategic_emerging": rng.integers(0, 2, n).astype(float),
        "key_chain_supplier": rng.integers(0, 2, n).astype(float),
        "current_tier": rng.choice(TIERS, n),
        "tier_since": rng.integers(2018, 2025, n).astype(float),
        "high_tech_enterprise": rng.integers(0, 2, n).astype(float),
        "st_award_3y": rng.choice(AWARDS, n),
        "contest_rank": rng.choice(CONTESTS, n),
        "serious_violation_3y": (rng.random(n) < 0.1).astype(float),
    }
    cols["rd_staff"] = np.minimum(cols["rd_staff"] * cols["employees"] / 10, cols["employees"])
    return cols


def blank(
    cols: dict[str, np.ndarray], rng: np.random.Generator, fields: list[str]
) -> dict[str, np.ndarray]:
    """A copy of ``cols`` with about 30% of each of ``fields`` made unknown."""
    out = {k: v.copy() for k, v in cols.items()}
    for name in fields:
        hole = rng.random(len(v := out[name])) < 0.3
        v[hole] = None if v.dtype == object else np.nan
    return out
