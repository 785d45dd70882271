"""A valid, typed firm-year frame of any size (as read from Parquet), for tests and benchmarks.

Numbers, booleans, Chinese and pinyin province names, industry codes, and about 10% of
some optional cells missing; seeded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PROVINCE_FORMS = np.array(
    ["Zhejiang", "浙江省", "Jiangsu", "江苏", "Guangdong", "广东省", "Shandong", "44", "Sichuan"],
    dtype=object,
)
INDUSTRIES = np.array(["C34", "C35", "C38", "C39", "C26", "C40", "I65", "F51", "M73"], dtype=object)
LEVELS = np.array(["none", "below_municipal", "municipal", "provincial", "national"], dtype=object)
TIERS = np.array(
    ["none", "none", "none", "innovative_sme", "srdi_sme", "little_giant"], dtype=object
)


def firm_years(rows: int, seed: int) -> pd.DataFrame:
    """A valid typed frame of ``rows`` firm-years with about 10% of optional cells missing."""
    rng = np.random.default_rng(seed)
    revenue = np.exp(rng.normal(18.0, 1.3, rows))
    mbr = revenue * rng.uniform(0.4, 1.0, rows)
    employees = rng.integers(10, 2_000, rows)
    assets = revenue * rng.uniform(0.4, 2.5, rows)

    def before(x: np.ndarray) -> np.ndarray:
        return x / rng.uniform(0.8, 1.3, rows)

    revenue_prev = before(revenue)
    revenue_prev2 = before(revenue_prev)
    frame = pd.DataFrame(
        {
            "company_id": np.char.add("F", np.arange(rows).astype(str)).astype(object),
            "fiscal_year": rng.integers(2016, 2025, rows),
            "founded_year": rng.integers(1990, 2015, rows),
            "province": rng.choice(PROVINCE_FORMS, rows),
            "industry": rng.choice(INDUSTRIES, rows),
            "revenue": revenue,
            "revenue_prev": revenue_prev,
            "revenue_prev2": revenue_prev2,
            "main_business_revenue": mbr,
            "main_business_revenue_prev": revenue_prev * rng.uniform(0.4, 1.0, rows),
            "main_business_revenue_prev2": revenue_prev2 * rng.uniform(0.4, 1.0, rows),
            "years_in_niche": rng.uniform(0, 20, rows),
            "rd_expense": revenue * rng.uniform(0, 0.12, rows),
            "rd_expense_prev": revenue_prev * rng.uniform(0, 0.12, rows),
            "employees": employees,
            "rd_staff": (employees * rng.uniform(0, 0.4, rows)).astype(np.int64),
            "gross_profit": revenue * rng.uniform(0.05, 0.5, rows),
            "net_profit": revenue * rng.uniform(-0.1, 0.2, rows),
            "total_assets": assets,
            "total_liabilities": assets * rng.uniform(0.1, 0.9, rows),
            "top5_customer_share": rng.uniform(0, 1, rows),
            "repeat_customer_share": rng.uniform(0, 1, rows),
            "avg_customer_tenure_years": rng.uniform(0, 15, rows),
            "export_share": rng.uniform(0, 0.6, rows),
            "invention_patents": rng.integers(0, 30, rows),
            "class1_ip": rng.integers(0, 40, rows),
            "class2_ip": rng.integers(0, 40, rows),
            "rd_institution": rng.choice(LEVELS, rows),
            "digital_level": rng.integers(1, 5, rows),
            "quality_certification": rng.random(rows) < 0.6,
            "own_brand": rng.random(rows) < 0.5,
            "quality_award": rng.random(rows) < 0.1,
            "standards_drafted": rng.integers(0, 4, rows),
            "equity_raised_2y": np.where(rng.random(rows) < 0.3, revenue * 0.5, 0.0),
            "national_market_share": rng.uniform(0, 0.3, rows),
            "world_market_share": rng.uniform(0, 0.2, rows),
            "world_market_rank": rng.integers(1, 50, rows),
            "strategic_emerging": rng.random(rows) < 0.4,
            "key_chain_supplier": rng.random(rows) < 0.3,
            "staff_turnover": rng.uniform(0, 0.4, rows),
            "current_tier": rng.choice(TIERS, rows),
        }
    )
    for name in ("years_in_niche", "rd_expense_prev", "export_share", "world_market_share"):
        frame.loc[rng.random(rows) < 0.1, name] = np.nan
    return frame
