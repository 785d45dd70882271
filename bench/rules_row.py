"""Scheme screens of one record and of small and large blocks: row path vs vectorized.

``python -m bench.rules_row [--batch 1000]`` measures, in this run, the ``schemes``
JSON the scorer returns for each firm:

* one record (``example_record()``, validated): the vectorized engine plus the batch
  JSON (``schemes_json(evaluate_schemes(...))``, the scorer's path before the row
  evaluator) vs ``firm_schemes`` (the row evaluator at that size);
* blocks of 2 to 64 firm-years through both paths, to place ``ROW_PATH_MAX_ROWS``;
* ``--batch`` firm-years: ``evaluate_schemes`` alone (the engine's part), the
  per-firm ``SchemeEvaluation.firm(i)`` loop (the naive JSON) and ``firm_schemes``
  (engine + ``schemes_json`` at that size).

It prints medians of the process's CPU time per call (``time.process_time``: on a
shared machine, wall time mostly measures the neighbours) and the ratios between
paths measured in the same run. The garbage collector stays on and, as the server
does after start-up (``serving.app``), the heap built before the measurements is
frozen out of it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from features.columns import Columns, take_rows
from features.record_model import example_record
from features.rules import CurrencyRates, evaluate_schemes
from features.rules.row import evaluate_rows_json
from features.validate import validate_frame, validate_record
from serving.scoring.scheme_json import ROW_PATH_MAX_ROWS, firm_schemes, schemes_json
from tests.support.frames import firm_years


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU time of one call in milliseconds (one warm-up call first)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1e3


def vectorized(columns: Columns, rates: CurrencyRates) -> list[list[dict[str, Any]]]:
    """The scorer's scheme path before the row evaluator."""
    return schemes_json(evaluate_schemes(columns, rates=rates))


def _block_medians(block: Columns, rates: CurrencyRates, repeat: int) -> tuple[float, float]:
    vec = median_ms(lambda: vectorized(block, rates), repeat)
    row = median_ms(lambda: evaluate_rows_json(block, rates=rates), repeat)
    return vec, row


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=41)
    args = parser.parse_args(argv)
    rates = CurrencyRates()
    one = validate_record(example_record())
    batch = validate_frame(firm_years(args.batch, seed=3)).columns
    gc.freeze()  # as serving.app does once the model is loaded
    assert firm_schemes(one, rates) == vectorized(one, rates)
    old = median_ms(lambda: vectorized(one, rates), args.repeat)
    new = median_ms(lambda: firm_schemes(one, rates), args.repeat * 5)
    print("one record                                  ms    old / new")
    print(f"  evaluate_schemes + schemes_json  {old:10.3f}")
    print(f"  firm_schemes (row path)          {new:10.3f}  {old / new:8.1f}")

    print(f"first n firm-years (cutoff {ROW_PATH_MAX_ROWS})  vectorized ms  row path ms  vec / row")
    for n in (2, 4, 8, 16, 32, 64):
        vec, row = _block_medians(take_rows(batch, np.arange(n)), rates, args.repeat // 2 + 1)
        print(f"  {n:4d}                            {vec:10.2f}   {row:10.2f}   {vec / row:8.2f}")

    repeat = max(5, args.repeat // 4)
    engine = median_ms(lambda: evaluate_schemes(batch, rates=rates), repeat)

    def naive() -> list[list[dict[str, object]]]:
        ev = evaluate_schemes(batch, rates=rates)
        return [ev.firm(i) for i in range(ev.n_rows)]

    per_firm = median_ms(naive, repeat)
    fast = median_ms(lambda: firm_schemes(batch, rates), repeat)
    print(f"{args.batch} firm-years                           ms   / engine   per-firm / this")
    print(f"  evaluate_schemes alone           {engine:10.1f}")
    print(f"  engine + firm(i) per firm        {per_firm:10.1f}  {per_firm / engine:8.1f}")
    ratios = f"{fast / engine:8.1f}  {per_firm / fast:8.2f}"
    print(f"  firm_schemes (batch JSON)        {fast:10.1f}  {ratios}")


if __name__ == "__main__":
    main()
