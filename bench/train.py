"""``srdi train`` wall time against a bare ``lgb.train`` on the same feature matrix.

``python -m bench.train [--data DIR]`` measures, in this run:

* baseline: ``lgb.train`` with the product's parameters (monotone constraints,
  early stopping on the validation year) on the exact matrix ``srdi train``
  builds — the cost of the boosting alone, timed twice, the faster one kept;
* ours: the whole ``srdi train --data DIR`` command (what ``make train`` runs) in
  a fresh process against the configured MLflow store: imports, validation,
  labels, features, the model, calibration, both baselines, the held-out-province
  model, plots, report, MLflow logging and registration, and the promotion gate.
  It registers a version like any ``make train`` (the gate keeps the champion
  unless the new one is at least as good), so the later benchmarks find a
  champion. ``--fresh-store`` uses an empty temporary store instead (adds the
  one-time creation of the MLflow database).

It prints both wall times and ``ours / lgb.train``; the issue's goal is at most 3.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lightgbm as lgb

from features.catalog import FEATURES
from srdi.core.settings import load_settings
from training.dataset import load_panel
from training.model import ModelConfig, monotone_constraints
from training.prepare import fit_features, label_and_split
from training.splits import SplitConfig

GOAL = 3.0


def bare_train_seconds(data: Path, repeats: int = 2) -> tuple[float, int, int]:
    """Best-of-``repeats`` seconds of ``lgb.train``; also rows and trees."""
    prepared = label_and_split(
        load_panel(data), target="srdi_sme", horizon=2, split_config=SplitConfig()
    )
    pipeline, X = fit_features(prepared)
    by_name = {spec.name: spec for spec in FEATURES}
    config = ModelConfig()
    params = config.params(monotone_constraints([by_name[n] for n in pipeline.feature_names]))
    y, train, valid = prepared.examples.y, prepared.train, prepared.valid
    best = float("inf")
    trees = 0
    for _ in range(repeats):
        start = time.perf_counter()
        train_set = lgb.Dataset(X[train], label=y[train], feature_name=pipeline.feature_names)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=config.max_rounds,
            valid_sets=[lgb.Dataset(X[valid], label=y[valid], reference=train_set)],
            callbacks=[lgb.early_stopping(config.early_stopping_rounds, first_metric_only=True)],
        )
        best = min(best, time.perf_counter() - start)
        trees = booster.best_iteration
    return best, int(train.sum()), trees


def srdi_train_seconds(data: Path, *, fresh_store: bool) -> tuple[float, str]:
    """Wall time of ``srdi train --data DIR`` in a new process."""
    with tempfile.TemporaryDirectory(prefix="srdi-bench-") as tmp:
        env = dict(os.environ, COLUMNS="100")
        if fresh_store:
            env.pop("MLFLOW_TRACKING_URI", None)
            env.update({"SRDI_HOME": tmp, "SRDI_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db"})
        command = [str(Path(sys.executable).parent / "srdi"), "train", "--data", str(data)]
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"srdi train failed:\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout


def main() -> None:
    """Run the benchmark and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="panel (default SRDI_DATA_DIR)")
    parser.add_argument(
        "--fresh-store", action="store_true", help="train into an empty temporary MLflow store"
    )
    args = parser.parse_args()
    settings = load_settings()
    data = settings.resolve(args.data or settings.data_dir)
    if not (data / "financials.parquet").exists():
        raise SystemExit(f"no panel in {data}; run `make data` first")

    bare, rows, trees = bare_train_seconds(data)
    ours, output = srdi_train_seconds(data, fresh_store=args.fresh_store)
    print(output)
    print(f"panel {data}: {rows:,} training rows, {trees} trees (early stopping)")
    print(f"lgb.train (same matrix, same params): {bare:8.2f} s")
    print(f"srdi train (whole command):           {ours:8.2f} s")
    ratio = ours / bare
    verdict = "ok" if ratio <= GOAL else f"above the goal of {GOAL:g}"
    print(f"ratio srdi train / lgb.train:         {ratio:8.2f}  ({verdict})")


if __name__ == "__main__":
    main()
