"""Time to screen 100,000 candidates: through the page's HTTP path and ``srdi score``.

``python -m bench.screen [--rows N]`` builds a candidate file of N rows (the bundled
sample, repeated with fresh company ids), then measures in this run, with the
registered champion:

* baseline: ``Scorer.score_frame`` in-process on the same rows — ranking only, and
  ranking plus every firm's explained result built (what the HTTP and CLI paths
  have to do as well);
* ``POST /v1/screen`` (JSON, with reasons) on ``srdi serve`` over loopback;
* ``POST /v1/screen/page`` (what the screening page calls: compact rows);
* ``srdi score IN -o OUT.csv`` as a subprocess (start-up and model load included),
  and optionally ``serving.screen_file.screen_file`` in-process (the same work
  without them).

It prints seconds, rows/s and each path's time as a ratio of the explained
in-process baseline. Needs a champion (``make train``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from bench.serve import free_port, server, wait_ready

SAMPLE = Path(__file__).resolve().parent.parent / "serving" / "sample_data" / "candidates.csv"


def candidate_file(rows: int, directory: Path) -> tuple[Path, pd.DataFrame]:
    """Write ``rows`` candidates (the sample tiled, ids made unique) as CSV."""
    sample = pd.read_csv(SAMPLE, dtype={"company_id": "string"})
    reps = -(-rows // len(sample))
    frame = pd.concat([sample] * reps, ignore_index=True).iloc[:rows].copy()
    frame["company_id"] = [f"BENCH{i:08d}" for i in range(rows)]
    path = directory / f"candidates_{rows}.csv"
    frame.to_csv(path, index=False)
    return path, frame


def timed(label: str, action: Callable[[], Any]) -> tuple[str, float, Any]:
    """Run ``action`` once and return (label, seconds, its result)."""
    start = time.perf_counter()
    out = action()
    seconds = time.perf_counter() - start
    print(f"  {label:<48} {seconds:8.2f} s", flush=True)
    return label, seconds, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="candidates to screen")
    parser.add_argument(
        "--with-in-process-file",
        action="store_true",
        help="also time serving.screen_file in-process (the CLI's work without start-up)",
    )
    args = parser.parse_args(argv)

    from serving.scorer import Scorer
    from serving.screen_file import screen_file
    from srdi.bundle import NoChampionError, load_registered_bundle
    from srdi.settings import load_settings

    settings = load_settings()
    try:
        loaded = load_registered_bundle(settings)
    except NoChampionError as error:
        print(f"no champion: {error}", file=sys.stderr)
        return 1
    scorer = Scorer.from_loaded(loaded, settings=settings)
    print(f"model {loaded.name} v{loaded.version}; {args.rows:,} candidates")

    with tempfile.TemporaryDirectory(prefix="srdi-bench-screen-") as tmp:
        workdir = Path(tmp)
        path, frame = candidate_file(args.rows, workdir)
        size_mb = path.stat().st_size / 1e6
        print(f"input {path.name}: {size_mb:.1f} MB CSV")
        rows: list[tuple[str, float]] = []

        print("in-process baseline (same run):")
        label, rank_s, _ = timed(
            "Scorer.score_frame (rank only)", lambda: scorer.score_frame(frame, explain=False)
        )
        rows.append((label, rank_s))

        def explained() -> int:
            ranked = scorer.score_frame(frame, explain=True, top_reasons=3)
            return sum(len(block) for block in ranked.iter_blocks())

        label, base_s, n_built = timed("Scorer.score_frame + explained results", explained)
        rows.append((label, base_s))
        if n_built != args.rows:
            print(f"  note: {args.rows - n_built} rows were refused by validation")

        print("HTTP (srdi serve on loopback):")
        port = free_port()
        env = {**os.environ, "SRDI_PORT": str(port), "SRDI_HOST": "127.0.0.1"}
        command = [sys.executable, "-m", "srdi", "serve", "--port", str(port), "--no-access-log"]
        with server("srdi-serve", command, env, workdir) as process:
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/readyz", process, 120.0, "srdi serve")
            with httpx.Client(timeout=httpx.Timeout(1800.0)) as client:

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

                label, http_s, size = timed(
                    "POST /v1/screen (JSON, reasons)", lambda: post(f"{base}/v1/screen")
                )
                rows.append((label, http_s))
                print(f"    response {size / 1e6:,.0f} MB")
                label, page_s, size = timed(
                    "POST /v1/screen/page (the page's call)",
                    lambda: post(f"{base}/v1/screen/page"),
                )
                rows.append((label, page_s))
                print(f"    response {size / 1e6:,.0f} MB")

        print("command line:")
        out = workdir / "ranked.csv"
        cli = [sys.executable, "-m", "srdi", "score", str(path), "-o", str(out)]
        label, cli_s, done = timed(
            "srdi score IN -o OUT.csv (subprocess)",
            lambda: subprocess.run(cli, capture_output=True, check=False),
        )
        if done.returncode != 0:
            print(done.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
            return 1
        rows.append((label, cli_s))
        if args.with_in_process_file:
            label, file_s, _ = timed(
                "screen_file in-process (same work)", lambda: screen_file(scorer, path)
            )
            rows.append((label, file_s))

    print()
    print(f"{'path':<48} {'seconds':>8} {'rows/s':>10} {'× baseline':>11}")
    for label, seconds in rows:
        rate = args.rows / seconds if seconds > 0 else float("nan")
        print(f"{label:<48} {seconds:8.2f} {rate:10,.0f} {seconds / base_s:11.2f}")
    print(f"(baseline = 'Scorer.score_frame + explained results', {base_s:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
