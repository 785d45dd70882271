"""Validation + all features + all eight schemes vs LightGBM ``Booster.predict``.

``python -m bench.features_rules [--rows 1000000] [--baseline DIR]`` writes a typed
firm-year frame to Parquet (numbers, booleans, Chinese and pinyin province names,
industry codes, ~10% of some optional cells missing) and measures, in worker
processes that read it back:

* ours: ``validate_frame`` → ``FeaturePipeline.transform`` (fitted beforehand on a
  sample, as a model bundle ships it) → ``evaluate_schemes`` (all eight schemes);
* baseline: ``Booster.predict`` of a 300-tree LightGBM model, trained in the worker
  on random data, on the feature matrix just built (all cores).

Each worker warms up on a slice first (imports, lazy set-up), then times every stage
``--repeat`` times in turn. With ``--baseline DIR`` (a checkout of the previous
code with its own ``.venv``, e.g. ``/work/base``) the same worker also runs on that
code, alternating with ours for ``--rounds`` rounds, so before and after share the
machine's state. The table gives medians of wall seconds and of CPU seconds
(``time.process_time``: all threads, page faults included), rows/s, ``ours /
predict`` (the goal: at most 0.5) and the load average: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOAL = 0.5
STAGES: tuple[tuple[str, str], ...] = (
    ("validate", "validate_frame"),
    ("features", "FeaturePipeline.transform"),
    ("schemes", "evaluate_schemes (8 schemes)"),
)


# -- the worker: runs against whichever code is on its sys.path ------------------------


def _timed(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def work(frame_path: str, repeat: int, trees: int, threads: int, seed: int) -> dict[str, Any]:
    """Time every stage ``repeat`` times on the frame; wall and CPU seconds per stage."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from features.pipeline import FeaturePipeline
    from features.rules import evaluate_schemes
    from features.validate import validate_frame

    frame = pd.read_parquet(frame_path)
    pipeline = FeaturePipeline().fit(validate_frame(frame.iloc[:50_000]).columns)
    warm = validate_frame(frame.iloc[:10_000]).columns
    pipeline.transform(warm)
    evaluate_schemes(warm)

    rng = np.random.default_rng(seed)
    X_train = rng.normal(size=(5_000, len(pipeline.feature_names)))
    y_train = (X_train[:, 0] + rng.normal(size=5_000) > 0).astype(int)
    params = {"objective": "binary", "num_leaves": 31, "verbose": -1, "num_threads": threads}
    booster = lgb.train(params, lgb.Dataset(X_train, y_train), num_boost_round=trees)

    times: dict[str, list[tuple[float, float]]] = {}
    for _ in range(repeat):
        wall, cpu, validated = _timed(validate_frame, frame)
        if validated.errors:
            raise SystemExit(f"the generated frame has {len(validated.errors)} invalid cells")
        times.setdefault("validate", []).append((wall, cpu))
        columns = validated.columns
        wall, cpu, X = _timed(pipeline.transform, columns)
        times.setdefault("features", []).append((wall, cpu))
        wall, cpu, _ = _timed(evaluate_schemes, columns)
        times.setdefault("schemes", []).append((wall, cpu))
        wall, cpu, _ = _timed(booster.predict, X, num_threads=threads)
        times.setdefault("predict", []).append((wall, cpu))
    return {"rows": len(frame), "times": times}


# -- the parent: writes the frame, runs the workers, prints the table -------------------


def _run_worker(python: str, root: Path, script: Path, args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run(
        [python, str(script), "--worker", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"worker on {root} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _median(samples: list[list[float]], k: int) -> float:
    return statistics.median(s[k] for s in samples)


def _side_summary(runs: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Stage → (median wall s, median CPU s) over every repeat of every round."""
    pooled: dict[str, list[list[float]]] = {}
    for run in runs:
        for stage, samples in run["times"].items():
            pooled.setdefault(stage, []).extend(samples)
    summary = {stage: (_median(s, 0), _median(s, 1)) for stage, s in pooled.items()}
    # "ours" per repeat, then its median: the stages of one pass add up.
    totals = [
        [sum(run["times"][stage][i][k] for stage, _ in STAGES) for k in (0, 1)]
        for run in runs
        for i in range(len(run["times"]["validate"]))
    ]
    summary["ours"] = (_median(totals, 0), _median(totals, 1))
    return summary


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (or, with ``--worker``, one side's times)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per worker")
    parser.add_argument("--rounds", type=int, default=2, help="workers per side, alternating")
    parser.add_argument("--threads", type=int, default=0, help="LightGBM threads (0 = all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baseline", type=Path, default=None, help="checkout of the previous code (with .venv)"
    )
    parser.add_argument("--worker", metavar="FRAME", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = work(args.worker, args.repeat, args.trees, args.threads, args.seed)
        print(json.dumps(result))
        return 0

    from tests.support.frames import firm_years

    here = Path(__file__).resolve()
    sides: list[tuple[str, str, Path]] = [("after", sys.executable, here.parents[1])]
    if args.baseline is not None:
        root = args.baseline.resolve()
        python = root / ".venv" / "bin" / "python"
        if not python.exists():
            print(f"{python} not found: the baseline needs its own .venv", file=sys.stderr)
            return 1
        sides.insert(0, ("before", str(python), root))

    print(f"start: {_load()}", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in sides}
    with tempfile.TemporaryDirectory(prefix="srdi-bench-features-") as tmp:
        frame_path = Path(tmp) / "frame.parquet"
        firm_years(args.rows, args.seed).to_parquet(frame_path, index=False)
        # The worker runs from a copy, so the baseline's own code is the one imported.
        script = Path(tmp) / "features_rules_worker.py"
        shutil.copyfile(here, script)
        worker_args = [
            str(frame_path),
            f"--repeat={args.repeat}",
            f"--trees={args.trees}",
            f"--threads={args.threads}",
            f"--seed={args.seed}",
        ]
        for round_ in range(args.rounds):
            for label, python, root in sides:
                runs[label].append(_run_worker(python, root, script, worker_args))
                print(f"  round {round_ + 1}: {label} done ({_load()})", flush=True)

    summaries = {label: _side_summary(r) for label, r in runs.items()}
    rows = args.rows
    labels = [label for label, _, _ in sides]
    print(
        f"\n{rows:,} firm-years, {len(STAGES)} stages + predict ({args.trees} trees), "
        f"medians of {args.rounds} x {args.repeat} passes per side"
    )
    header = "".join(f"{label + ' wall s':>14}{'cpu s':>9}{'rows/s':>13}" for label in labels)
    print(f"  {'stage':<32}{header}")
    for key, name in (*STAGES, ("ours", "ours, total"), ("predict", "Booster.predict")):
        cells = ""
        for label in labels:
            wall, cpu = summaries[label][key]
            cells += f"{wall:14.3f}{cpu:9.3f}{rows / wall:13,.0f}"
        print(f"  {name:<32}{cells}")
    for label in labels:
        s = summaries[label]
        ratio = s["ours"][0] / s["predict"][0]
        verdict = "meets" if ratio <= GOAL else "misses"
        print(f"ratio ours / predict ({label}): {ratio:.2f} wall ({verdict} the {GOAL} goal)")
        rules = s["schemes"][0] / s["predict"][0]
        print(f"ratio schemes alone / predict ({label}): {rules:.3f} wall")
    if "before" in summaries:
        before, after = summaries["before"], summaries["after"]
        for key, name in (*STAGES, ("ours", "ours, total")):
            print(
                f"  {name:<32} after / before: {after[key][0] / before[key][0]:.2f} wall, "
                f"{after[key][1] / before[key][1]:.2f} cpu"
            )
    print(f"end: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
