"""One POSTed record through the input contract and the feature pipeline.

``python -m bench.features_record [--rows 1000000]`` measures, in this run:

* ``validate_record`` and ``FeaturePipeline.transform`` of one record (the API path);
* baselines: LightGBM ``Booster.predict`` of one row (``num_threads=1``, a 300-tree
  model trained here on random data) and the same record as a one-row pandas frame
  through ``validate_frame`` (what the columns design avoids);
* ``validate_frame`` and ``transform`` of a typed frame of ``--rows`` firm-years.

It prints microseconds per call (best of several repeats: the machine is shared)
and the ratios to the baselines.
"""

from __future__ import annotations

import argparse
import time
import timeit
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.pipeline import FeaturePipeline
from features.record_model import example_record
from features.validate import validate_frame, validate_record
from tests.support.frames import firm_years


def best_us(fn: Callable[[], Any], number: int, repeat: int = 7) -> float:
    """Best time of one call in microseconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args(argv)

    frame = firm_years(args.rows, seed=1)
    fit_rows = validate_frame(frame.head(20_000)).columns
    pipeline = FeaturePipeline(min_count=30).fit(fit_rows)
    record = example_record()
    columns = validate_record(record)

    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(5_000, len(pipeline.feature_names)))
    y_train = (X_train[:, 0] + rng.normal(size=5_000) > 0).astype(int)
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1},
        lgb.Dataset(X_train, y_train),
        num_boost_round=300,
    )
    row = pipeline.transform(columns)
    one_row_frame = pd.DataFrame([record])

    predict = best_us(lambda: booster.predict(row, num_threads=1), 300)
    pandas_path = best_us(lambda: validate_frame(one_row_frame), 50)
    validate = best_us(lambda: validate_record(record), 2_000)
    transform = best_us(lambda: pipeline.transform(columns), 2_000)
    print("one record                        µs   / predict  / pandas 1-row validate")
    print(f"  Booster.predict (baseline)  {predict:8.1f}")
    print(f"  validate_frame, 1-row frame {pandas_path:8.1f}  {pandas_path / predict:8.2f}")
    for name, us in (("validate_record", validate), ("transform", transform)):
        print(f"  {name:<27} {us:8.1f}  {us / predict:8.2f}  {us / pandas_path:8.3f}")

    start = time.perf_counter()
    validated = validate_frame(frame)
    mid = time.perf_counter()
    X = pipeline.transform(validated.columns)
    end = time.perf_counter()
    start_predict = time.perf_counter()
    booster.predict(X, num_threads=1)
    predict_s = time.perf_counter() - start_predict
    print(f"{args.rows} rows                       s   rows/s      / predict")
    for name, seconds in (("validate_frame", mid - start), ("transform", end - mid)):
        rate = args.rows / seconds
        print(f"  {name:<24} {seconds:8.2f}  {rate:10.0f}  {seconds / predict_s:8.2f}")
    print(f"  Booster.predict (baseline) {predict_s:8.2f}  {args.rows / predict_s:10.0f}")


if __name__ == "__main__":
    main()
