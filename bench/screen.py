"""Time to screen 100,000 candidates: through the page's HTTP path and ``srdi score``.

``python -m bench.screen [--rows N]`` builds a candidate file of N rows (the bundled
sample, repeated with fresh company ids), then measures in this run, with the
registered champion:

* baseline: ``Scorer.score_frame`` in-process on the same rows — ranking only, and
  ranking plus every firm's full explained result built (the work any screen with
  reasons has to do);
* ``POST /v1/screen`` (JSON with every firm's full result) on ``srdi serve`` over
  loopback, the response streamed and counted;
* ``POST /v1/screen/page`` (what the screening page calls: compact rows);
* ``srdi score IN -o OUT.csv`` as a subprocess (start-up and model load included),
  and optionally ``serving.page.screen_file.screen_file`` in-process (the same work
  without them).

For each path it prints wall seconds, rows/s, CPU seconds of the process doing the
work (this process, the server, or the CLI child) and both as a ratio of the
baseline. On a shared machine wall time swings with the neighbours' load; CPU
seconds are the steadier comparison. Needs a champion (``make train``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from bench.serve import free_port, server, wait_ready

SAMPLE = (
    Path(__file__).resolve().parent.parent / "serving" / "page" / "sample_data" / "candidates.csv"
)
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Timing:
    """One measured path."""

    label: str
    wall_s: float
    cpu_s: float


def candidate_file(rows: int, directory: Path) -> tuple[Path, pd.DataFrame]:
    """Write ``rows`` candidates (the sample tiled, ids made unique) as CSV."""
    sample = pd.read_csv(SAMPLE, dtype={"company_id": "string"})
    reps = -(-rows // len(sample))
    frame = pd.concat([sample] * reps, ignore_index=True).iloc[:rows].copy()
    frame["company_id"] = [f"BENCH{i:08d}" for i in range(rows)]
    path = directory / f"candidates_{rows}.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(label: str, action: Callable[[], Any], cpu: Callable[[], float]) -> tuple[Timing, Any]:
    """Run ``action`` once; wall time and the CPU time ``cpu()`` moved by."""
    cpu_start = cpu()
    start = time.perf_counter()
    out = action()
    timing = Timing(label, time.perf_counter() - start, cpu() - cpu_start)
    print(f"  {label:<44} {timing.wall_s:8.1f} s wall {timing.cpu_s:8.1f} s CPU", flush=True)
    return timing, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="candidates to screen")
    parser.add_argument(
        "--with-in-process-file",
        action="store_true",
        help="also time serving.page.screen_file in-process (the CLI's work without start-up)",
    )
    args = parser.parse_args(argv)

    from serving.page.screen_file import screen_file
    from serving.scoring.scorer import Scorer
    from srdi.core.bundle import NoChampionError, load_registered_bundle
    from srdi.core.settings import load_settings

    settings = load_settings()
    try:
        loaded = load_registered_bundle(settings)
    except NoChampionError as error:
        print(f"no champion: {error}", file=sys.stderr)
        return 1
    scorer = Scorer.from_loaded(loaded, settings=settings)
    trees = loaded.bundle.booster.num_trees()
    print(f"model {loaded.name} v{loaded.version} ({trees} trees); {args.rows:,} candidates")

    with tempfile.TemporaryDirectory(prefix="srdi-bench-screen-") as tmp:
        workdir = Path(tmp)
        path, frame = candidate_file(args.rows, workdir)
        print(f"input {path.name}: {path.stat().st_size / 1e6:.1f} MB CSV")
        timings: list[Timing] = []

        print("in-process baseline (same run):")
        timing, _ = measure(
            "Scorer.score_frame (rank only)",
            lambda: scorer.score_frame(frame, explain=False),
            time.process_time,
        )
        timings.append(timing)

        def explained() -> int:
            ranked = scorer.score_frame(frame, explain=True, top_reasons=3)
            return sum(len(block) for block in ranked.iter_blocks())

        baseline, n_built = measure(
            "score_frame + full explained results", explained, time.process_time
        )
        timings.append(baseline)
        if n_built != args.rows:
            print(f"  note: {args.rows - n_built} rows were refused by validation")

        print("HTTP (srdi serve on loopback):")
        port = free_port()
        env = {**os.environ, "SRDI_PORT": str(port), "SRDI_HOST": "127.0.0.1"}
        # One worker: its own CPU is the server's (with several, the parent's is ~0).
        command = [
            sys.executable, "-m", "srdi", "serve", "--port", str(port), "--workers", "1",
            "--no-access-log",
        ]  # fmt: skip
        with server("srdi-serve", command, env, workdir) as process:
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/readyz", process, 300.0, "srdi serve")
            with httpx.Client(timeout=httpx.Timeout(3600.0)) as client:

                def post(url: str) -> int:
                    # Streamed and counted, not held: the full JSON of 100,000 firms
                    # is gigabytes.
                    size = 0
                    with path.open("rb") as handle:
                        files = {"file": (path.name, handle, "text/csv")}
                        with client.stream("POST", url, files=files) as response:
                            response.raise_for_status()
                            for chunk in response.iter_bytes():
                                size += len(chunk)
                    return size

                def server_cpu() -> float:
                    return _process_cpu(process.pid)

                for label, url in (
                    ("POST /v1/screen (full JSON)", f"{base}/v1/screen"),
                    ("POST /v1/screen/page (the page's call)", f"{base}/v1/screen/page"),
                ):
                    timing, size = measure(label, lambda url=url: post(url), server_cpu)
                    timings.append(timing)
                    per_firm = size / args.rows / 1e3
                    print(f"    response {size / 1e6:,.0f} MB, {per_firm:.1f} kB per firm")

        print("command line:")
        out = workdir / "ranked.csv"
        cli = [sys.executable, "-m", "srdi", "score", str(path), "-o", str(out)]
        timing, done = measure(
            "srdi score IN -o OUT.csv (subprocess)",
            lambda: subprocess.run(cli, capture_output=True, check=False),
            _children_cpu,
        )
        if done.returncode != 0:
            print(done.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
            return 1
        timings.append(timing)
        if args.with_in_process_file:
            timing, _ = measure(
                "screen_file in-process (same work)",
                lambda: screen_file(scorer, path),
                time.process_time,
            )
            timings.append(timing)

    print()
    header = f"{'path':<44} {'wall s':>8} {'rows/s':>9} {'× base':>7} {'CPU s':>8} {'× base':>7}"
    print(header)
    for t in timings:
        rate = args.rows / t.wall_s if t.wall_s > 0 else float("nan")
        print(
            f"{t.label:<44} {t.wall_s:8.1f} {rate:9,.0f} {t.wall_s / baseline.wall_s:7.2f} "
            f"{t.cpu_s:8.1f} {t.cpu_s / baseline.cpu_s:7.2f}"
        )
    print(f"(base = '{baseline.label}': {baseline.wall_s:.1f} s wall, {baseline.cpu_s:.1f} s CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
