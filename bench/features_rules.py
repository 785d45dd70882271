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

from features.pipeline import FeaturePipeline
from features.rules import SCHEME_IDS, evaluate_schemes
from features.validate import validate_frame
from tests.support.frames import firm_years


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
