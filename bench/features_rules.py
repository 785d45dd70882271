"""Validation + all features + all eight schemes vs LightGBM ``Booster.predict``.

``python -m bench.features_rules [--rows 1000000]`` builds a typed firm-year frame
(as read from Parquet: numbers, booleans, Chinese and pinyin province names,
industry codes) and measures, in this run:

* ours: ``validate_frame`` → ``FeaturePipeline.transform`` (fitted beforehand on a
  sample, as a model bundle ships it) → ``evaluate_schemes`` (all eight schemes);
* baseline: ``Booster.predict`` of a 300-tree LightGBM model, trained here on
  random data, on the same number of rows (the feature matrix just built).

It prints each stage's seconds, rows/s and ``ours / predict``; the issue's target
is a ratio below 1.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.pipeline import FeaturePipeline
from features.rules import SCHEME_IDS, evaluate_schemes
from features.validate import validate_frame

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


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def trained_booster(n_features: int, trees: int, seed: int, threads: int) -> lgb.Booster:
    """A ``trees``-tree binary model fitted on random data (what predict costs, not skill)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5_000, n_features))
    y = (X[:, 0] + rng.normal(size=5_000) > 0).astype(int)
    params = {"objective": "binary", "num_leaves": 31, "verbose": -1, "num_threads": threads}
    return lgb.train(params, lgb.Dataset(X, y), num_boost_round=trees)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per stage")
    parser.add_argument("--threads", type=int, default=0, help="LightGBM threads (0 = all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    frame = firm_years(args.rows, args.seed)
    sample = validate_frame(frame.iloc[: min(args.rows, 50_000)])
    pipeline = FeaturePipeline().fit(sample.columns)

    t_validate, validated = timed(lambda: validate_frame(frame), args.repeat)
    if validated.errors:
        raise SystemExit(f"the generated frame has {len(validated.errors)} invalid cells")
    columns = validated.columns
    t_features, X = timed(lambda: pipeline.transform(columns), args.repeat)
    t_schemes, evaluation = timed(lambda: evaluate_schemes(columns), args.repeat)
    assert evaluation.scheme_ids == SCHEME_IDS
    ours = t_validate + t_features + t_schemes

    booster = trained_booster(X.shape[1], args.trees, args.seed, args.threads)
    t_predict, _ = timed(lambda: booster.predict(X, num_threads=args.threads), args.repeat)

    rows = args.rows
    print(f"{rows:,} firm-years, {X.shape[1]} features, {len(SCHEME_IDS)} schemes")
    for label, seconds in (
        ("validate_frame", t_validate),
        ("FeaturePipeline.transform", t_features),
        ("evaluate_schemes (8 schemes)", t_schemes),
        ("ours, total", ours),
        (f"Booster.predict ({args.trees} trees)", t_predict),
    ):
        print(f"  {label:<32} {seconds:8.3f} s  {rows / seconds:>12,.0f} rows/s")
    print(f"ratio ours / predict = {ours / t_predict:.2f}  (target < 1)")


if __name__ == "__main__":
    main()
