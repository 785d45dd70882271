"""One POSTed record through the input contract and the feature pipeline.

``python -m bench.features_record [--rows 200000] [--baseline DIR]`` measures, in
worker processes:

* ``validate_record`` and ``FeaturePipeline.transform`` of one record (the API path);
* baselines: LightGBM ``Booster.predict`` of one row (``num_threads=1``, a 300-tree
  model trained in the worker on random data) and the same record as a one-row
  pandas frame through ``validate_frame`` (what the columns design avoids);
* ``validate_frame`` and ``transform`` of a typed frame of ``--rows`` firm-years.

It prints microseconds per call (best of several repeats: the machine is shared)
and the ratios to the baselines. With ``--baseline DIR`` (a checkout of the previous
code with its own ``.venv``) the same worker runs on that code too, alternating with
ours for ``--rounds`` rounds, and the table gives both and after / before.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

RECORD_STAGES = ("predict", "pandas_1row", "validate_record", "transform")
FRAME_STAGES = ("validate_frame", "transform_frame", "predict_frame")


def best_us(fn: Callable[[], Any], number: int, repeat: int = 7) -> float:
    """Best time of one call in microseconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def work(frame_path: str) -> dict[str, float]:
    """One side's figures: µs per record call, CPU seconds per frame stage."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from features.pipeline import FeaturePipeline
    from features.record_model import example_record
    from features.validate import validate_frame, validate_record

    frame = pd.read_parquet(frame_path)
    pipeline = FeaturePipeline(min_count=30).fit(validate_frame(frame.head(20_000)).columns)
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
    out = {
        "predict": best_us(lambda: booster.predict(row, num_threads=1), 300),
        "pandas_1row": best_us(lambda: validate_frame(one_row_frame), 50),
        "validate_record": best_us(lambda: validate_record(record), 2_000),
        "transform": best_us(lambda: pipeline.transform(columns), 2_000),
    }
    validate_frame(frame.head(1_000))  # lazy set-up off the clock
    for _ in range(2):  # best of two: the first pass also faults the memory in
        start = time.process_time()
        validated = validate_frame(frame)
        mid = time.process_time()
        X = pipeline.transform(validated.columns)
        end = time.process_time()
        booster.predict(X, num_threads=1)
        done = time.process_time()
        for stage, seconds in zip(FRAME_STAGES, (mid - start, end - mid, done - end), strict=True):
            out[stage] = min(out.get(stage, float("inf")), seconds)
    return out


def _run_worker(python: str, root: Path, script: Path, frame: Path) -> dict[str, float]:
    done = subprocess.run(
        [python, str(script), "--worker", str(frame)],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"worker on {root} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (or, with ``--worker``, one side's figures)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2, help="workers per side, alternating")
    parser.add_argument(
        "--baseline", type=Path, default=None, help="checkout of the previous code (with .venv)"
    )
    parser.add_argument("--worker", metavar="FRAME", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(work(args.worker)))
        return 0

    from tests.support.frames import firm_years

    here = Path(__file__).resolve()
    sides: list[tuple[str, str, Path]] = [("after", sys.executable, here.parents[1])]
    if args.baseline is not None:
        root = args.baseline.resolve()
        sides.insert(0, ("before", str(root / ".venv" / "bin" / "python"), root))
    load = os.getloadavg()[0]
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in sides}
    with tempfile.TemporaryDirectory(prefix="srdi-bench-record-") as tmp:
        frame = Path(tmp) / "frame.parquet"
        firm_years(args.rows, 1).to_parquet(frame, index=False)
        script = Path(tmp) / "features_record_worker.py"
        shutil.copyfile(here, script)
        for _ in range(args.rounds):
            for label, python, root in sides:
                results[label].append(_run_worker(python, root, script, frame))
    best = {
        label: {k: min(r[k] for r in runs) for k in (*RECORD_STAGES, *FRAME_STAGES)}
        for label, runs in results.items()
    }
    labels = list(best)
    print(f"load average {load:.2f} → {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("one record, µs (best)     " + "".join(f"{label:>10} / predict" for label in labels))
    for stage in RECORD_STAGES:
        cells = "".join(
            f"{best[label][stage]:10.1f}{best[label][stage] / best[label]['predict']:10.2f}"
            for label in labels
        )
        print(f"  {stage:<24}{cells}")
    print(
        f"{args.rows:,} rows, CPU s (best)" + "".join(f"{label:>10}   rows/s" for label in labels)
    )
    for stage in FRAME_STAGES:
        cells = "".join(
            f"{best[label][stage]:10.3f}{args.rows / best[label][stage]:10,.0f}" for label in labels
        )
        print(f"  {stage:<24}{cells}")
    if "before" in best:
        for stage in ("validate_record", "transform", "validate_frame", "transform_frame"):
            ratio = best["after"][stage] / best["before"][stage]
            print(f"  {stage:<24} after / before {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
