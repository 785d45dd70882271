"""Benchmark the scoring API against ``mlflow models serve`` on the same model version.

``python -m bench.serve`` (``make bench-serve``) starts, on loopback free ports,

* ours: ``srdi serve`` (one uvicorn process), and
* the baseline: ``mlflow models serve -m models:/<name>/<version> --env-manager local``
  (one uvicorn worker), with the version the champion alias points at,

then loads each with ``wrk`` (8 connections, a Lua script POSTing the same company
record) one after the other, and times a batch of 1,000 records with httpx (median
of N runs). It prints requests/s and p50/p99 latency of

* ``POST /v1/score?explain=false`` (ours: score and scheme verdicts, no reasons),
* ``POST /v1/score`` (ours, with reasons),
* ``POST /invocations`` (mlflow, the same record as ``dataframe_records``),

the same two of ours with one connection (a lone caller's latency, without queueing
behind seven others), the throughput ratio ours/mlflow, and the batch latencies,
against the goals of the API issue (ratio ≥ 10, p99 ≤ 15 ms without reasons, p50 ≤
5 ms with reasons, batch of 1,000 ≤ 150 ms). Numbers are measured in this run on
this machine; nothing is hard-coded. Needs a champion (``make train``) and ``wrk``
(``make system-deps``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

GOAL_RATIO = 10.0
GOAL_P99_FAST_MS = 15.0
GOAL_P50_EXPLAIN_MS = 5.0
GOAL_BATCH_MS = 150.0
BATCH_SIZE = 1_000
CONNECTIONS = 8
RESULTS_DIR = Path("bench/results")

_LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open("{body}", "rb"))
wrk.body = f:read("*all")
f:close()
"""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    label: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_ms_per_request: float | None = None
    connections: int = CONNECTIONS


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    name: str, command: list[str], env: Mapping[str, str], log_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group; always stop it (and its children)."""
    log = (log_dir / f"{name}.log").open("wb")
    process = subprocess.Popen(
        command, env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    except Exception:
        log.flush()
        tail = (log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
        print(f"--- last lines of the {name} log:\n{tail}", file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float, name: str) -> None:
    """Poll ``url`` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{name} was not ready at {url} within {timeout_s:.0f} s")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(label: str, output: str) -> WrkResult:
    """Extract requests/s, p50, p99 and error counts from ``wrk --latency`` output."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"cannot read wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return WrkResult(
        label=label,
        requests_per_s=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        errors=errors,
    )


def group_cpu_seconds(pgid: int) -> float | None:
    """CPU seconds (user + system) used so far by every process of a process group.

    Read from ``/proc`` (Linux); ``None`` elsewhere. Unlike wall-clock rates, CPU per
    request does not depend on what else runs on the machine.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After "pid (comm)": state ppid pgrp ... utime(12) stime(13) from the state.
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(
    label: str,
    url: str,
    body: bytes,
    duration_s: int,
    work: Path,
    server_pgid: int,
    connections: int = CONNECTIONS,
) -> WrkResult:
    """Load ``url`` with POSTs of ``body`` (``connections`` connections, one wrk thread)."""
    body_file = work / f"{label.replace(' ', '_').replace('/', '_')}.json"
    body_file.write_bytes(body)
    script = work / f"{body_file.stem}.lua"
    script.write_text(_LUA.format(body=body_file))
    # One wrk thread: the machine's other core belongs to the server under test.
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    cpu_before = group_cpu_seconds(server_pgid)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    cpu_after = group_cpu_seconds(server_pgid)
    result = WrkResult(**{**parse_wrk(label, done.stdout).__dict__, "connections": connections})
    if cpu_before is not None and cpu_after is not None and result.requests:
        cpu_ms = (cpu_after - cpu_before) * 1e3 / result.requests
        result = WrkResult(**{**result.__dict__, "cpu_ms_per_request": cpu_ms})
    return result


def sample_record() -> dict[str, Any]:
    """One realistic candidate: the first row of the bundled sample, else the field examples."""
    sample = Path("serving/page/sample_data/candidates.csv")
    if sample.is_file():
        from features.io import read_table
        from features.validate import validate_frame

        frame = read_table(sample)
        validated = validate_frame(frame)
        if len(validated.rows):
            row = frame.iloc[int(validated.rows[0])]
            return {k: _plain(v) for k, v in row.items() if _plain(v) is not None}
    from features.fields import FIELDS

    return {spec.name: spec.example for spec in FIELDS if spec.example is not None}


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def batch_records(record: Mapping[str, Any], n: int) -> list[dict[str, Any]]:
    """``n`` distinct records: the sample record with ids and revenue varied."""
    revenue = float(record.get("revenue", 5e7))
    return [
        {**record, "company_id": f"BENCH{i:06d}", "revenue": revenue * (0.5 + (i % 100) / 100)}
        for i in range(n)
    ]


def time_batch(url: str, records: list[dict[str, Any]], runs: int, body_key: str) -> float:
    """Median wall time (ms) of POSTing the batch ``runs`` times (after one warm-up)."""
    payload = json.dumps({body_key: records}).encode()
    times = []
    with httpx.Client(timeout=120.0) as client:
        for i in range(runs + 1):
            start = time.perf_counter()
            response = client.post(
                url, content=payload, headers={"Content-Type": "application/json"}
            )
            elapsed = (time.perf_counter() - start) * 1e3
            response.raise_for_status()
            if i:
                times.append(elapsed)
    return statistics.median(times)


def champion_version() -> tuple[str, str, str]:
    """(registered name, champion version, tracking URI) from the settings."""
    from serving.scoring.model_holder import RegistryModelProvider
    from srdi.core.settings import load_settings

    settings = load_settings()
    version = RegistryModelProvider(settings).champion_version()
    if version is None:
        sys.exit(
            f"no champion model in {settings.effective_tracking_uri}: "
            "run `make train` first (or `srdi train --data DIR`)"
        )
    return settings.registered_model, version, settings.effective_tracking_uri


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--batch-runs", type=int, default=15, help="batch timings (median)")
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `make system-deps` (Debian package wrk)")
    name, version, tracking_uri = champion_version()
    record = sample_record()
    bin_dir = Path(sys.executable).parent
    ours_port, mlflow_port = free_port(), free_port()
    # mlflow starts `uvicorn` through PATH: the venv's bin directory must be on it.
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLFLOW_TRACKING_URI": tracking_uri,
        "SRDI_TRACKING_URI": tracking_uri,
    }
    env.pop("SRDI_API_KEY", None)
    ours_cmd = [
        sys.executable, "-m", "srdi", "serve", "--host", "127.0.0.1",
        "--port", str(ours_port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    mlflow_cmd = [
        str(bin_dir / "mlflow"), "models", "serve", "-m", f"models:/{name}/{version}",
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(mlflow_port),
        "--workers", "1",
    ]  # fmt: skip
    ours = f"http://127.0.0.1:{ours_port}"
    theirs = f"http://127.0.0.1:{mlflow_port}"
    record_body = json.dumps(record).encode()
    mlflow_body = json.dumps({"dataframe_records": [record]}).encode()

    with tempfile.TemporaryDirectory(prefix="srdi-bench-") as tmp:
        work = Path(tmp)
        print(f"model {name} version {version}; logs in {work}", flush=True)
        with (
            server("srdi-serve", ours_cmd, env, work) as ours_proc,
            server("mlflow-serve", mlflow_cmd, env, work) as mlflow_proc,
        ):
            wait_ready(f"{ours}/readyz", ours_proc, args.startup_timeout, "srdi serve")
            wait_ready(f"{theirs}/ping", mlflow_proc, args.startup_timeout, "mlflow models serve")
            served = httpx.get(f"{ours}/v1/model").json()
            if served["version"] != version:
                raise RuntimeError(f"srdi serve loaded version {served['version']}, not {version}")
            ours_score = httpx.post(f"{ours}/v1/score?explain=false", content=record_body,
                                    headers={"Content-Type": "application/json"})  # fmt: skip
            ours_score.raise_for_status()
            their_score = httpx.post(f"{theirs}/invocations", content=mlflow_body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
            their_score.raise_for_status()
            print(f"same record: ours score={ours_score.json()['score']}, "
                  f"mlflow answered {their_score.text[:160]}", flush=True)  # fmt: skip

            ours_pgid, mlflow_pgid = ours_proc.pid, mlflow_proc.pid  # own sessions
            runs = [
                ("ours /v1/score?explain=false", f"{ours}/v1/score?explain=false", record_body),
                ("ours /v1/score (reasons)", f"{ours}/v1/score", record_body),
                ("mlflow /invocations", f"{theirs}/invocations", mlflow_body),
                # Not a goal: the number alone (no reasons, no scheme rules), to show
                # what the serving stack costs apart from the rules and TreeSHAP.
                (
                    "ours ?explain=false&schemes=false",
                    f"{ours}/v1/score?explain=false&schemes=false",
                    record_body,
                ),
            ]
            results = []
            for label, url, body in runs:
                print(f"wrk {args.duration}s x {CONNECTIONS} connections: {label}", flush=True)
                pgid = mlflow_pgid if url.startswith(theirs) else ours_pgid
                results.append(run_wrk(label, url, body, args.duration, work, pgid))
            # Not goals: one caller at a time, the latency without queueing behind the
            # other seven connections (a single process serves them one after another).
            for label, url, body in runs[:2]:
                print(f"wrk {args.duration}s x 1 connection: {label}", flush=True)
                results.append(run_wrk(label, url, body, args.duration, work, ours_pgid, 1))

            records = batch_records(record, BATCH_SIZE)
            batch_fast = time_batch(
                f"{ours}/v1/score/batch?explain=false", records, args.batch_runs, "records"
            )
            batch_explain = time_batch(
                f"{ours}/v1/score/batch?explain=true", records, args.batch_runs, "records"
            )
            batch_mlflow = time_batch(
                f"{theirs}/invocations", records, args.batch_runs, "dataframe_records"
            )
            batch_number = time_batch(
                f"{ours}/v1/score/batch?explain=false&schemes=false",
                records,
                args.batch_runs,
                "records",
            )
            coalesced = _coalescing(httpx.get(f"{ours}/metrics").text)

    fast, explained, baseline = results[:3]
    ratio = fast.requests_per_s / baseline.requests_per_s
    report = {
        "model": {"name": name, "version": version},
        "connections": CONNECTIONS,
        "duration_s": args.duration,
        "wrk": [r.__dict__ for r in results],
        "ratio_fast_vs_mlflow": ratio,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "ratio_explain_vs_mlflow": explained.requests_per_s / baseline.requests_per_s,
        "batch_ms": {
            "explain_false": batch_fast,
            "explain": batch_explain,
            "mlflow": batch_mlflow,
            "number_only": batch_number,
        },
        "mean_records_per_scoring_call": coalesced,
        "batch_size": BATCH_SIZE,
        "batch_runs": args.batch_runs,
    }
    print_table(report, results)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "serve.json").write_text(json.dumps(report, indent=1))
    return 0


def _coalescing(metrics_text: str) -> float | None:
    """Mean records per scoring call, from the server's srdi_coalesced_records histogram."""
    total = re.search(r"^srdi_coalesced_records_sum ([\d.e+]+)$", metrics_text, re.MULTILINE)
    count = re.search(r"^srdi_coalesced_records_count ([\d.e+]+)$", metrics_text, re.MULTILINE)
    if not (total and count) or float(count.group(1)) == 0:
        return None
    return float(total.group(1)) / float(count.group(1))


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_table(report: Mapping[str, Any], results: list[WrkResult]) -> None:
    """Print the comparison table and the goals."""
    fast, explained = results[0], results[1]
    print()
    header = ("endpoint", "conns", "req/s", "p50 ms", "p99 ms", "requests", "errors", "CPU ms/req")
    print("{:<34} {:>5} {:>7} {:>8} {:>8} {:>9} {:>7} {:>11}".format(*header))
    for r in results:
        cpu = "n/a" if r.cpu_ms_per_request is None else f"{r.cpu_ms_per_request:.2f}"
        print(
            f"{r.label:<34} {r.connections:>5} {r.requests_per_s:>7.0f} {r.p50_ms:>8.2f} "
            f"{r.p99_ms:>8.2f} {r.requests:>9} {r.errors:>7} {cpu:>11}"
        )
    batch = report["batch_ms"]
    n = report["batch_size"]
    print()
    print(f"batch of {n:,} (median of {report['batch_runs']}):")
    print(f"  ours /v1/score/batch?explain=false  {batch['explain_false']:8.1f} ms")
    print(f"  ours /v1/score/batch (reasons)      {batch['explain']:8.1f} ms")
    print(f"  mlflow /invocations                 {batch['mlflow']:8.1f} ms")
    print(f"  ours ?explain=false&schemes=false   {batch['number_only']:8.1f} ms  (not a goal)")
    coalesced = report["mean_records_per_scoring_call"]
    if coalesced is not None:
        print(f"single-record requests scored per call (coalescing): {coalesced:.2f} on average")
    ratio = report["ratio_fast_vs_mlflow"]
    print()
    print("goals:")
    print(f"  throughput ours(explain=false)/mlflow = {ratio:.1f}x  (goal >= {GOAL_RATIO:.0f}x)"
          f"  {_verdict(ratio >= GOAL_RATIO)}")  # fmt: skip
    print(f"  p99 ours explain=false = {fast.p99_ms:.2f} ms  (goal <= {GOAL_P99_FAST_MS:.0f} ms)"
          f"  {_verdict(fast.p99_ms <= GOAL_P99_FAST_MS)}")  # fmt: skip
    p50 = explained.p50_ms
    print(f"  p50 ours with reasons = {p50:.2f} ms  (goal <= {GOAL_P50_EXPLAIN_MS:.0f} ms)"
          f"  {_verdict(p50 <= GOAL_P50_EXPLAIN_MS)}")  # fmt: skip
    lone = [r for r in results if r.connections == 1]
    for r in lone:
        print(f"  (one connection, {r.label}: p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms)")
    for key, label in (("explain_false", "explain=false"), ("explain", "with reasons")):
        ms = batch[key]
        print(f"  batch of {n:,} ({label}) = {ms:.1f} ms  (goal <= {GOAL_BATCH_MS:.0f} ms)"
              f"  {_verdict(ms <= GOAL_BATCH_MS)}")  # fmt: skip
    fast_cpu, base_cpu = fast.cpu_ms_per_request, results[2].cpu_ms_per_request
    if fast_cpu and base_cpu:
        print(f"  (server CPU per request, mlflow/ours(explain=false) = {base_cpu / fast_cpu:.1f}x;"
              " independent of other load on the machine)")  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores")
    errors = sum(r.errors for r in results)
    if errors:
        print(f"WARNING: {errors} failed requests during the load runs")


if __name__ == "__main__":
    raise SystemExit(main())
