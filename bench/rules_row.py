"""Scheme screens with their JSON: one record, small blocks and a batch, A/B.

``python -m bench.rules_row [--baseline DIR] [--batch 1000] [--rounds 5]``
measures the ``schemes`` JSON the scorer returns for each firm, through the
compiled plan (``features.rules.schemes_json``):

* one record (``example_record()``, validated): the API's hot path;
* blocks of 2 to 64 firm-years;
* ``--batch`` firm-years: ``evaluate_schemes`` alone (verdicts and points, what a
  large screen writes) and the JSON of every firm.

With ``--baseline DIR`` (or ``$SRDI_BENCH_BASELINE``: a checkout of a previous
version with its own ``.venv``, e.g. the previous ``main``) the same measurements of
that version run in a subprocess, alternating with this version's round by round, so
both see the same machine; the table shows both medians and ``baseline / this``. A version from
before the compiled plan is measured on both of its paths: the scalar row
evaluator it used for up to 16 records (``firm_schemes``) and its vectorized
engine with the batch JSON builder. Without one, the table shows what a firm costs
in each size of block against one record alone.

Figures are medians of the process's CPU time per call (``time.process_time``: on
a shared machine, wall time mostly measures the neighbours); the load average is
printed with them. The garbage collector stays on and, as the server does after
start-up (``serving.app``), the heap built before the measurements is frozen.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# The measurement itself, run in this process and, for --baseline, in the other
# checkout's interpreter. It only uses what either version exports.
_MEASURE = r"""
import gc, json, statistics, sys, time
import numpy as np
try:  # where the generated firm-years live (moved from bench to the test support)
    from tests.support.frames import firm_years
except ImportError:
    from bench.features_rules import firm_years
from features.columns import take_rows
from features.record_model import example_record
from features.rules import CurrencyRates, evaluate_schemes
from features.validate import validate_frame, validate_record

args = json.loads(sys.argv[1])
rates = CurrencyRates()
one = validate_record(example_record())
batch = validate_frame(firm_years(args["batch"], seed=3)).columns
paths = {}
try:  # the compiled plan
    from features.rules import schemes_json
    paths["plan"] = lambda cols: schemes_json(cols, rates=rates)
except ImportError:  # before it: a scalar row path for a few records, else vectorized
    from serving.scheme_json import firm_schemes, schemes_json as batch_json
    from features.rules.row import evaluate_rows_json
    paths["row path"] = lambda cols: evaluate_rows_json(cols, rates=rates)
    paths["vectorized"] = lambda cols: batch_json(evaluate_schemes(cols, rates=rates))
    paths["plan"] = lambda cols: firm_schemes(cols, rates)  # what the scorer called
gc.freeze()

def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1e3

out = {}
for name, path in paths.items():
    out[f"one record: {name}"] = median_ms(lambda: path(one), args["repeat"] * 10)
for n in (2, 8, 16, 64):
    block = take_rows(batch, np.arange(n))
    for name, path in paths.items():
        out[f"{n} firm-years: {name}"] = median_ms(lambda: path(block), args["repeat"])
n = args["batch"]
out[f"{n} firm-years: evaluate_schemes alone"] = median_ms(
    lambda: evaluate_schemes(batch, rates=rates), args["repeat"]
)
out[f"{n} firm-years: JSON of every firm"] = median_ms(lambda: paths["plan"](batch), args["repeat"])
print(json.dumps(out))
"""


def measure(python: str, cwd: Path, batch: int, repeat: int) -> dict[str, float]:
    """Run the measurement with ``python`` in ``cwd``; medians in ms by label."""
    result = subprocess.run(
        [python, "-c", _MEASURE, json.dumps({"batch": batch, "repeat": repeat})],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"measurement in {cwd} failed:\n{result.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline",
        type=Path,
        default=os.environ.get("SRDI_BENCH_BASELINE") or None,
        help="checkout of a previous version with its .venv (default: $SRDI_BENCH_BASELINE)",
    )
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=41)
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds with --baseline")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parents[1]
    rounds: dict[str, list[dict[str, float]]] = {"this": [], "baseline": []}
    baseline_python = None
    if args.baseline is not None:
        baseline_python = args.baseline / ".venv" / "bin" / "python"
        if not baseline_python.exists():
            raise SystemExit(f"--baseline {args.baseline}: no .venv/bin/python there")
    for _ in range(args.rounds if baseline_python else 1):
        if baseline_python is not None:
            rounds["baseline"].append(
                measure(str(baseline_python), args.baseline, args.batch, args.repeat)
            )
        rounds["this"].append(measure(sys.executable, here, args.batch, args.repeat))

    def medians(side: str) -> dict[str, float]:
        runs = rounds[side]
        return {k: statistics.median(r[k] for r in runs) for k in runs[0]} if runs else {}

    this, base = medians("this"), medians("baseline")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"schemes JSON, CPU ms per call (medians; load average {load})")
    if not base:
        # No other version to compare with: the per-firm cost of each size against
        # one record alone (what a batch saves), and the JSON against the verdicts.
        one = this["one record: plan"]
        print(f"  {'':<48} {'ms':>10} {'per firm':>10} {'one/firm':>10}")
        for label, ms in this.items():
            kind = label.partition(": ")[0]
            n = 1 if kind == "one record" else int(kind.split()[0])
            print(f"  {label:<48} {ms:10.3f} {ms / n:10.4f} {one / (ms / n):10.1f}")
        return
    print(f"  {'':<48} {'baseline':>10} {'this':>10} {'base/this':>10}")
    for label, ms in base.items():
        kind, _, path = label.partition(": ")
        mine = (
            this.get(label)
            if path in ("plan", "evaluate_schemes alone", "JSON of every firm")
            else None
        )
        if mine is None and path in ("row path", "vectorized"):
            mine = this.get(f"{kind}: plan")
        ratio = f"{ms / mine:10.2f}" if mine else f"{'':>10}"
        shown = f"{mine:10.3f}" if mine else f"{'':>10}"
        print(f"  {label:<48} {ms:10.3f} {shown} {ratio}")


if __name__ == "__main__":
    main()
