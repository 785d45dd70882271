"""``srdi train`` (all three targets) against bare ``lgb.train`` on the same matrices.

``python -m bench.train [--data DIR] [--rounds N]`` measures, in this run:

* baseline: ``lgb.train`` with the product's parameters (monotone constraints,
  early stopping on the validation year) on each target's exact training matrix
  (``srdi_sme``, ``little_giant``, ``retention``), one after the other — the cost
  of the boosting alone; the three times are summed, and the sum is the faster of
  two passes;
* ours: the whole ``srdi train --data DIR`` command (what ``make train`` runs: the
  three targets) in a fresh process against the configured MLflow store: imports,
  validation, labels, features, the three models, calibration, both baselines,
  the held-out-province models, plots, reports, MLflow logging and registration,
  and the promotion gates. It registers versions like any ``make train`` (the
  gate keeps a champion unless the new one is at least as good), so the later
  benchmarks find champions. ``--fresh-store`` uses an empty temporary store
  instead (adds the one-time creation of the MLflow database).

With ``--rounds N`` both are repeated N times, alternating, and medians printed.
Wall times on a shared machine move with its load, so each figure is printed with
the load average around it, and CPU time (``process_time`` of the baseline; the
command's children's user + system time) beside the wall time. The issue's goal
is ``srdi train`` within 3 x the bare boosting.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

from features.ladder import TARGET_IDS
from srdi.core.settings import load_settings
from training.dataset import load_panel
from training.model import ModelConfig, catalog_constraints
from training.prepare import Prepared, fit_shared_features, prepare_targets
from training.splits import SplitConfig

GOAL = 3.0


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def bare_train(
    prepared: dict[str, Prepared], names: list[str], matrices: dict[str, np.ndarray]
) -> tuple[float, float]:
    """Wall and CPU seconds of ``lgb.train`` on the three targets' matrices, in turn."""
    config = ModelConfig()
    params = config.params(catalog_constraints(names))
    stop = lgb.early_stopping(config.early_stopping_rounds, first_metric_only=True, verbose=False)
    wall = cpu = 0.0
    for target in TARGET_IDS:
        p, X = prepared[target], matrices[target]
        y = p.examples.y
        start, start_cpu = time.perf_counter(), time.process_time()
        train_set = lgb.Dataset(X[p.train], label=y[p.train], feature_name=names)
        lgb.train(
            params,
            train_set,
            num_boost_round=config.max_rounds,
            valid_sets=[lgb.Dataset(X[p.valid], label=y[p.valid], reference=train_set)],
            callbacks=[stop],
        )
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    return wall, cpu


def srdi_train(data: Path, *, fresh_store: bool) -> tuple[float, float, str]:
    """Wall seconds, children's CPU seconds and output of ``srdi train --data DIR``."""
    with tempfile.TemporaryDirectory(prefix="srdi-bench-") as tmp:
        env = dict(os.environ, COLUMNS="120")
        if fresh_store:
            env.pop("MLFLOW_TRACKING_URI", None)
            env.update({"SRDI_HOME": tmp, "SRDI_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db"})
        command = [str(Path(sys.executable).parent / "srdi"), "train", "--data", str(data)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"srdi train failed:\n{result.stdout}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, result.stdout


def main() -> None:
    """Run the benchmark and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="panel (default SRDI_DATA_DIR)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating repetitions")
    parser.add_argument(
        "--fresh-store", action="store_true", help="train into an empty temporary MLflow store"
    )
    args = parser.parse_args()
    settings = load_settings()
    data = settings.resolve(args.data or settings.data_dir)
    if not (data / "financials.parquet").exists():
        raise SystemExit(f"no panel in {data}; run `make data` first")

    prepared = prepare_targets(load_panel(data), TARGET_IDS, horizon=2, split_config=SplitConfig())
    pipeline, matrices = fit_shared_features(prepared)
    names = list(pipeline.feature_names)
    rows = {t: int(prepared[t].train.sum()) for t in TARGET_IDS}
    bare_walls, bare_cpus, our_walls, our_cpus = [], [], [], []
    output = ""
    for round_ in range(args.rounds):
        load_before = _load()
        # The baseline's two passes; the faster one is its figure for the round.
        passes = [bare_train(prepared, names, matrices) for _ in range(2)]
        wall, cpu = min(passes)
        ours, ours_cpu, output = srdi_train(data, fresh_store=args.fresh_store)
        bare_walls.append(wall)
        bare_cpus.append(cpu)
        our_walls.append(ours)
        our_cpus.append(ours_cpu)
        print(
            f"round {round_ + 1}: lgb.train x3 {wall:7.2f} s (cpu {cpu:6.2f}), "
            f"srdi train {ours:7.2f} s (cpu {ours_cpu:6.2f}), ratio {ours / wall:5.2f}; "
            f"{load_before} → {_load()}",
            flush=True,
        )
    print(output)
    print(f"panel {data}: training rows {rows}")
    bare, ours = statistics.median(bare_walls), statistics.median(our_walls)
    print(f"lgb.train, the three targets (same matrices, same params): {bare:8.2f} s wall")
    print(f"srdi train, the whole command (three targets):             {ours:8.2f} s wall")
    ratio = ours / bare
    verdict = "ok" if ratio <= GOAL else f"above the goal of {GOAL:g}"
    print(f"ratio srdi train / lgb.train (median of {args.rounds}):    {ratio:8.2f}  ({verdict})")
    cpu_ratio = statistics.median(our_cpus) / statistics.median(bare_cpus)
    print(f"ratio in CPU time:                                        {cpu_ratio:8.2f}")
    print(_load())


if __name__ == "__main__":
    main()
