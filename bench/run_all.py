"""Run every benchmark in turn (``make bench``).

Each benchmark prints its own figures and the ratio against a baseline measured in
the same run; this runner only sequences them in fresh processes so one's memory
does not skew the next, and prints a one-line status per benchmark at the end.
``make bench-serve`` and ``make bench-batch`` run the two long server/cluster
benchmarks on their own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

# Module, arguments. Ordered so the world and the champion the later ones need exist.
BENCHMARKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bench.synth", ()),
    ("bench.features_record", ()),
    ("bench.firm_years", ()),
    ("bench.features_rules", ()),
    ("bench.rules_row", ()),
    ("bench.train", ()),
    ("bench.screen", ()),
)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named on the command line, or all of them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="benchmark modules to run (default: all)")
    args = parser.parse_args(argv)
    selected = [b for b in BENCHMARKS if not args.only or b[0] in args.only]
    statuses: list[tuple[str, int, float]] = []
    for module, extra in selected:
        print(f"\n=== {module} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module, *extra])
        statuses.append((module, code, time.perf_counter() - start))
    print("\n=== summary ===")
    for module, code, seconds in statuses:
        print(f"{module:28s} {'ok' if code == 0 else f'FAILED ({code})':12s} {seconds:8.1f} s")
    return 0 if all(code == 0 for _, code, _ in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
