"""Generation time of the synthetic world, against numpy and Parquet baselines.

``python -m bench.synth [--firms 100000] [--seed 7]`` runs ``generate_world`` and
``write_world`` and measures, in this run:

* ours: the whole simulation (population, financial panel, certification through
  the rule engine, Monte Carlo oracle) and the Parquet files;
* baseline 1: numpy drawing as many standard normals as the panel has values
  (firm-years x contract fields): the floor of any simulator of this panel;
* baseline 2: writing the same tables to Parquet again.

It prints each stage's seconds, firm-years per second and the ratios. The machine
is shared: CPU seconds of this process are printed beside wall seconds.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from features.fields import FIELDS
from training.synth import TABLE_FILES, generate_world, write_world


class _Clock:
    """Wall and CPU seconds since creation."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def main() -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    stages: list[tuple[str, float, float]] = []
    clock = _Clock()
    current = [""]

    def progress(stage: str, fraction: float) -> None:
        if stage != current[0]:
            stages.append((stage, *clock.read()))
            current[0] = stage

    world = generate_world(args.firms, args.seed, progress=progress)
    gen_wall, gen_cpu = clock.read()
    out = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    try:
        write_clock = _Clock()
        write_world(world, out)
        write_wall, write_cpu = write_clock.read()

        rewrite = _Clock()
        for name, file in TABLE_FILES.items():
            pq.write_table(getattr(world, name), out / f"again-{file}", compression="zstd")
        rewrite_wall, rewrite_cpu = rewrite.read()
        size_mb = sum(p.stat().st_size for p in out.glob("*.parquet") if "again" not in p.name)
    finally:
        shutil.rmtree(out, ignore_errors=True)

    firm_years = world.financials.num_rows
    values = firm_years * len(FIELDS)
    normals = _Clock()
    rng = np.random.default_rng(args.seed)
    for start in range(0, values, 10_000_000):
        rng.standard_normal(min(10_000_000, values - start))
    normals_wall, normals_cpu = normals.read()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"synthetic world: {args.firms:,} firms, seed {args.seed}")
    print(f"  firm-years {firm_years:,}; oracle rows {world.oracle.num_rows:,}; "
          f"grants {world.certifications.num_rows:,}; Parquet {size_mb / 1e6:.1f} MB")  # fmt: skip
    print("  stage                             starts at (wall s, cpu s)")
    for name, wall, cpu in stages:
        print(f"    {name:<32}{wall:8.1f}{cpu:8.1f}")
    total_wall, total_cpu = gen_wall + write_wall, gen_cpu + write_cpu
    print(f"  generate                        {gen_wall:8.1f}{gen_cpu:8.1f}")
    print(f"  write Parquet                   {write_wall:8.1f}{write_cpu:8.1f}")
    print(f"  total                           {total_wall:8.1f}{total_cpu:8.1f}")
    print(f"  firm-years/s (cpu)              {firm_years / total_cpu:12,.0f}")
    print("baselines, same run                  (wall s, cpu s)")
    print(f"  numpy: {values:,} standard normals {normals_wall:6.2f}{normals_cpu:8.2f}")
    print(f"  Parquet: rewrite the same tables  {rewrite_wall:6.2f}{rewrite_cpu:8.2f}")
    print("ratios (cpu)")
    print(f"  simulator / numpy normals       {total_cpu / normals_cpu:8.1f}")
    print(f"  simulator / Parquet write       {total_cpu / rewrite_cpu:8.1f}")
    print(f"peak memory {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
