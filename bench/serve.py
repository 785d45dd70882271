"""Benchmark the scoring API: workers, a bare endpoint, mlflow serve and the code before.

``python -m bench.serve`` (``make bench-serve``) starts, on loopback free ports and all
at once (idle servers cost nothing while another is loaded),

* ours: ``srdi serve --workers 1`` and ``srdi serve --workers 2``;
* bare: a FastAPI endpoint around ``Booster.predict`` of the same champion
  (``bench.bare_app``: no validation, no features, no rules) with 1 and 2 uvicorn
  workers, the floor of what serving a score costs;
* ``mlflow models serve -m models:/<name>/<version> --env-manager local`` (1 worker);
* before: the previous code (``/work/base``, its own venv) serving the same champion
  with ``srdi serve`` (one process), when it can load it;

then loads each with ``wrk`` (8 connections, a Lua script POSTing the same company
record). The throughput runs — ours and bare at 1 and 2 workers, before — go in
``--rounds`` alternating rounds (the order rotates), and medians are reported; the
others run once: ours with reasons (8 connections; the p50 goal), mlflow, the number
only, one connection. Batches of 1,000 records are timed with httpx (median).

It prints requests/s, p50/p99 latency and server CPU per request, and the goals of
the serving issues: 2 workers vs 1 ≥ 1.7× on 2 cores, p50 with reasons ≤ 5 ms at 8
connections, our throughput ≥ 0.5 of the bare endpoint's at the same worker count,
ours/mlflow ≥ 10, p99 ≤ 15 ms without reasons, a batch of 1,000 ≤ 150 ms; and the
before/after ratio against the previous code. The load average (``os.getloadavg``)
is printed at the start and the end: on a shared machine ratios and CPU per request
mean more than absolute rates. Needs a champion (``make train``) and ``wrk``
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
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

GOAL_RATIO = 10.0
GOAL_SCALING = 1.7
GOAL_BARE_SHARE = 0.5
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
    name: str,
    command: list[str],
    env: Mapping[str, str],
    log_dir: Path,
    *,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group; always stop it (and its children)."""
    log = (log_dir / f"{name}.log").open("wb")
    process = subprocess.Popen(
        command,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=cwd,
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
        import pandas as pd

        from features.validate import validate_frame

        # Typed as a JSON caller sends them: the API takes numbers as numbers, not text.
        frame = pd.read_csv(sample, dtype={"company_id": str})
        validated = validate_frame(frame)
        if len(validated.rows):
            row = frame.iloc[int(validated.rows[0])]
            return {k: _plain(v) for k, v in row.items() if _plain(v) is not None}
    from features.fields import FIELDS

    return {spec.name: spec.example for spec in FIELDS if spec.example is not None}


def _contract_fields(python: Path, checkout: Path) -> set[str]:
    """The input fields another checkout's contract knows (it refuses the others)."""
    code = (
        "import json; from features.fields import FIELDS; "
        "print(json.dumps([f.name for f in FIELDS]))"
    )
    done = subprocess.run(
        [str(python), "-c", code], cwd=checkout, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


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
    """(registered name, champion version, tracking URI) of the next-provincial-SRDI model.

    The service loads one champion per question; the benchmark compares the
    ``srdi_sme`` model, the one ``mlflow models serve`` and the bare endpoint serve.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from srdi.core.settings import load_settings

    settings = load_settings()
    name, uri = settings.registered_model, settings.effective_tracking_uri
    try:
        version = MlflowClient(uri).get_model_version_by_alias(name, settings.champion_alias)
    except MlflowException:
        sys.exit(
            f"no champion of {name} in {uri}: run `make train` first (or `srdi train --data DIR`)"
        )
    return name, str(version.version), uri


def _ours_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "srdi", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def _bare_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "bench.bare_app:create", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def _write_booster(work: Path) -> Path:
    from srdi.core.bundle import load_registered_bundle
    from srdi.core.settings import load_settings

    loaded = load_registered_bundle(load_settings())
    path = work / "booster.txt"
    path.write_text(loaded.bundle.booster.model_to_string(), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Target:
    """One server under test: how to start it, where it answers, what to POST."""

    key: str
    command: list[str]
    ready: str
    url: str
    body: bytes
    cwd: Path | None = None


def _start(
    stack: ExitStack, target: Target, env: Mapping[str, str], work: Path, timeout_s: float
) -> subprocess.Popen[bytes] | None:
    process = stack.enter_context(server(target.key, target.command, env, work, cwd=target.cwd))
    try:
        wait_ready(target.ready, process, timeout_s, target.key)
    except RuntimeError as error:
        print(f"{target.key}: not used ({error}); log {work / (target.key + '.log')}")
        return None
    return process


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating throughput rounds")
    parser.add_argument("--batch-runs", type=int, default=15, help="batch timings (median)")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument(
        "--base",
        type=Path,
        default=Path("/work/base"),
        help="checkout of the previous code with its .venv (skipped when absent)",
    )
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `make system-deps` (Debian package wrk)")
    load_start = os.getloadavg()
    name, version, tracking_uri = champion_version()
    record = sample_record()
    bin_dir = Path(sys.executable).parent
    # mlflow starts `uvicorn` through PATH: the venv's bin directory must be on it.
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLFLOW_TRACKING_URI": tracking_uri,
        "SRDI_TRACKING_URI": tracking_uri,
    }
    env.pop("SRDI_API_KEY", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    record_body = json.dumps(record).encode()
    mlflow_body = json.dumps({"dataframe_records": [record]}).encode()

    with tempfile.TemporaryDirectory(prefix="srdi-bench-") as tmp:
        work = Path(tmp)
        env["BENCH_BOOSTER"] = str(_write_booster(work))
        env["SRDI_SCREENS_DIR"] = str(work / "screens")
        print(f"model {name} version {version}; logs in {work}", flush=True)
        ports = {key: free_port() for key in ("ours1", "ours2", "bare1", "bare2", "mlflow", "base")}
        url = {key: f"http://127.0.0.1:{port}" for key, port in ports.items()}
        mlflow_cmd = [
            str(bin_dir / "mlflow"), "models", "serve", "-m", f"models:/{name}/{version}",
            "--env-manager", "local", "--host", "127.0.0.1", "--port", str(ports["mlflow"]),
            "--workers", "1",
        ]  # fmt: skip
        targets = [
            Target("ours1", _ours_command(ports["ours1"], 1), f"{url['ours1']}/readyz",
                   f"{url['ours1']}/v1/score?explain=false", record_body),
            Target("ours2", _ours_command(ports["ours2"], 2), f"{url['ours2']}/readyz",
                   f"{url['ours2']}/v1/score?explain=false", record_body),
            Target("bare1", _bare_command(ports["bare1"], 1), f"{url['bare1']}/ping",
                   f"{url['bare1']}/score", record_body),
            Target("bare2", _bare_command(ports["bare2"], 2), f"{url['bare2']}/ping",
                   f"{url['bare2']}/score", record_body),
            Target("mlflow", mlflow_cmd, f"{url['mlflow']}/ping",
                   f"{url['mlflow']}/invocations", mlflow_body),
        ]  # fmt: skip
        base_python = args.base / ".venv" / "bin" / "python"
        if base_python.is_file():
            base_cmd = [
                str(base_python), "-m", "srdi", "serve", "--host", "127.0.0.1",
                "--port", str(ports["base"]), "--no-access-log", "--log-level", "warning",
            ]  # fmt: skip
            known = _contract_fields(base_python, args.base)
            base_body = json.dumps({k: v for k, v in record.items() if k in known}).encode()
            targets.append(
                Target("base", base_cmd, f"{url['base']}/readyz",
                       f"{url['base']}/v1/score?explain=false", base_body, cwd=args.base)
            )  # fmt: skip
        else:
            print(f"before: {base_python} not found, no before/after comparison")

        with ExitStack() as stack:
            processes = {}
            for target in targets:
                process = _start(stack, target, env, work, args.startup_timeout)
                if process is not None:
                    processes[target.key] = (target, process)
            for key in ("ours1", "ours2", "bare1", "bare2", "mlflow"):
                if key not in processes:
                    raise RuntimeError(f"{key} did not start; see its log in {work}")
            served = httpx.get(f"{url['ours2']}/v1/model").json()
            if served["version"] != version:
                raise RuntimeError(f"srdi serve loaded version {served['version']}, not {version}")

            labels = {
                "ours1": "ours 1 worker ?explain=false",
                "ours2": "ours 2 workers ?explain=false",
                "bare1": "bare Booster.predict 1 worker",
                "bare2": "bare Booster.predict 2 workers",
                "base": "before: base 1 process ?explain=false",
            }
            rotation = [k for k in labels if k in processes]
            rounds: dict[str, list[WrkResult]] = {k: [] for k in rotation}
            for r in range(args.rounds):
                order = rotation[r % len(rotation) :] + rotation[: r % len(rotation)]
                for key in order:
                    target, process = processes[key]
                    print(f"round {r + 1}: wrk {args.duration}s x {CONNECTIONS}: {labels[key]}",
                          flush=True)  # fmt: skip
                    rounds[key].append(
                        run_wrk(labels[key], target.url, target.body, args.duration, work,
                                process.pid)
                    )  # fmt: skip
            medians = {key: _median_result(results) for key, results in rounds.items()}

            once = [
                ("ours 2 workers /v1/score (reasons)", "ours2", f"{url['ours2']}/v1/score",
                 record_body, CONNECTIONS),
                ("ours 1 worker /v1/score (reasons)", "ours1", f"{url['ours1']}/v1/score",
                 record_body, CONNECTIONS),
                ("mlflow /invocations", "mlflow", f"{url['mlflow']}/invocations", mlflow_body,
                 CONNECTIONS),
                ("ours 2 workers ?schemes=false", "ours2",
                 f"{url['ours2']}/v1/score?explain=false&schemes=false", record_body, CONNECTIONS),
                ("ours 2 workers ?explain=false", "ours2",
                 f"{url['ours2']}/v1/score?explain=false", record_body, 1),
                ("ours 2 workers /v1/score (reasons)", "ours2", f"{url['ours2']}/v1/score",
                 record_body, 1),
            ]  # fmt: skip
            single: list[WrkResult] = []
            for label, key, target_url, body, connections in once:
                print(f"wrk {args.duration}s x {connections}: {label}", flush=True)
                pgid = processes[key][1].pid
                single.append(
                    run_wrk(label, target_url, body, args.duration, work, pgid, connections)
                )

            records = batch_records(record, BATCH_SIZE)
            ours = url["ours2"]
            batch = {
                "explain_false": time_batch(f"{ours}/v1/score/batch?explain=false", records,
                                            args.batch_runs, "records"),
                "explain": time_batch(f"{ours}/v1/score/batch?explain=true", records,
                                      args.batch_runs, "records"),
                "mlflow": time_batch(f"{url['mlflow']}/invocations", records, args.batch_runs,
                                     "dataframe_records"),
                "number_only": time_batch(f"{ours}/v1/score/batch?explain=false&schemes=false",
                                          records, args.batch_runs, "records"),
            }  # fmt: skip
            coalesced = _coalescing(httpx.get(f"{ours}/metrics").text)

    report = {
        "model": {"name": name, "version": version},
        "connections": CONNECTIONS,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "throughput_medians": {k: r.__dict__ for k, r in medians.items()},
        "throughput_rounds": {k: [r.__dict__ for r in rs] for k, rs in rounds.items()},
        "wrk_once": [r.__dict__ for r in single],
        "batch_ms": batch,
        "batch_size": BATCH_SIZE,
        "batch_runs": args.batch_runs,
        "mean_records_per_scoring_call": coalesced,
        "load_average_start": load_start[0],
        "load_average_end": os.getloadavg()[0],
        "cores": os.cpu_count(),
    }
    print_table(report, medians, single)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "serve.json").write_text(json.dumps(report, indent=1))
    errors = sum(r.errors for r in (*medians.values(), *single))
    if errors:
        # A refused request is answered fast: figures with failures measure nothing.
        print(f"FAILED: {errors} requests were not answered 2xx; the figures above are invalid")
        return 1
    return 0


def _median_result(results: list[WrkResult]) -> WrkResult:
    cpu = [r.cpu_ms_per_request for r in results if r.cpu_ms_per_request is not None]
    return WrkResult(
        label=results[0].label,
        requests_per_s=statistics.median(r.requests_per_s for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
        cpu_ms_per_request=statistics.median(cpu) if cpu else None,
        connections=results[0].connections,
    )


def _coalescing(metrics_text: str) -> float | None:
    """Mean records per scoring call, from the server's srdi_coalesced_records histogram."""
    total = re.search(r"^srdi_coalesced_records_sum ([\d.e+]+)$", metrics_text, re.MULTILINE)
    count = re.search(r"^srdi_coalesced_records_count ([\d.e+]+)$", metrics_text, re.MULTILINE)
    if not (total and count) or float(count.group(1)) == 0:
        return None
    return float(total.group(1)) / float(count.group(1))


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _row(r: WrkResult) -> str:
    cpu = "n/a" if r.cpu_ms_per_request is None else f"{r.cpu_ms_per_request:.2f}"
    return (
        f"{r.label:<40} {r.connections:>5} {r.requests_per_s:>7.0f} {r.p50_ms:>8.2f} "
        f"{r.p99_ms:>8.2f} {r.requests:>9} {r.errors:>7} {cpu:>11}"
    )


def print_table(
    report: Mapping[str, Any], medians: Mapping[str, WrkResult], single: list[WrkResult]
) -> None:
    """Print the measurements and the goals."""
    header = ("endpoint", "conns", "req/s", "p50 ms", "p99 ms", "requests", "errors", "CPU ms/req")
    line = "{:<40} {:>5} {:>7} {:>8} {:>8} {:>9} {:>7} {:>11}"
    print()
    print(f"throughput, median of {report['rounds']} alternating rounds:")
    print(line.format(*header))
    for result in medians.values():
        print(_row(result))
    print("\nonce:")
    print(line.format(*header))
    for result in single:
        print(_row(result))
    batch = report["batch_ms"]
    n = report["batch_size"]
    print(f"\nbatch of {n:,} on 2 workers (median of {report['batch_runs']}):")
    print(f"  ours /v1/score/batch?explain=false  {batch['explain_false']:8.1f} ms")
    print(f"  ours /v1/score/batch (reasons)      {batch['explain']:8.1f} ms")
    print(f"  mlflow /invocations                 {batch['mlflow']:8.1f} ms")
    print(f"  ours ?explain=false&schemes=false   {batch['number_only']:8.1f} ms  (not a goal)")
    coalesced = report["mean_records_per_scoring_call"]
    if coalesced is not None:
        print(f"single-record requests scored per call (coalescing): {coalesced:.2f} on average")

    ours1, ours2 = medians["ours1"], medians["ours2"]
    bare1, bare2 = medians["bare1"], medians["bare2"]
    reasons8 = single[0]
    mlflow = single[2]
    scaling = ours2.requests_per_s / ours1.requests_per_s
    print("\ngoals:")
    print(f"  2 workers / 1 worker (explain=false) = {scaling:.2f}x  (goal >= {GOAL_SCALING}x "
          f"on 2 cores)  {_verdict(scaling >= GOAL_SCALING)}")  # fmt: skip
    print(f"  p50 with reasons, {reasons8.connections} connections, 2 workers = "
          f"{reasons8.p50_ms:.2f} ms  (goal <= {GOAL_P50_EXPLAIN_MS:.0f} ms)  "
          f"{_verdict(reasons8.p50_ms <= GOAL_P50_EXPLAIN_MS)}")  # fmt: skip
    for workers, ours, bare in ((1, ours1, bare1), (2, ours2, bare2)):
        share = ours.requests_per_s / bare.requests_per_s
        print(f"  ours / bare Booster.predict, {workers} worker(s) = {share:.2f}  "
              f"(aim >= {GOAL_BARE_SHARE})  {_verdict(share >= GOAL_BARE_SHARE)}")  # fmt: skip
    ratio = ours2.requests_per_s / mlflow.requests_per_s
    print(f"  ours(2 workers, explain=false) / mlflow(1 worker) = {ratio:.1f}x  "
          f"(goal >= {GOAL_RATIO:.0f}x)  {_verdict(ratio >= GOAL_RATIO)}")  # fmt: skip
    print(f"  p99 ours explain=false, 2 workers = {ours2.p99_ms:.2f} ms  (goal <= "
          f"{GOAL_P99_FAST_MS:.0f} ms)  {_verdict(ours2.p99_ms <= GOAL_P99_FAST_MS)}")  # fmt: skip
    for key, label in (("explain_false", "explain=false"), ("explain", "with reasons")):
        ms = batch[key]
        print(f"  batch of {n:,} ({label}) = {ms:.1f} ms  (goal <= {GOAL_BATCH_MS:.0f} ms)"
              f"  {_verdict(ms <= GOAL_BATCH_MS)}")  # fmt: skip
    if ours1.cpu_ms_per_request and ours2.cpu_ms_per_request:
        print(f"  (server CPU per request: 1 worker {ours1.cpu_ms_per_request:.2f} ms, "
              f"2 workers {ours2.cpu_ms_per_request:.2f} ms)")  # fmt: skip
    base = medians.get("base")
    if base is not None:
        speed = ours1.requests_per_s / base.requests_per_s
        cpu = ""
        if base.cpu_ms_per_request and ours1.cpu_ms_per_request:
            cpu = (f", server CPU per request before/after = "
                   f"{base.cpu_ms_per_request / ours1.cpu_ms_per_request:.2f}x")  # fmt: skip
        print(f"before/after (one process, explain=false): throughput after/before = "
              f"{speed:.2f}x{cpu}")  # fmt: skip
    print(f"load average: {report['load_average_start']:.1f} at the start, "
          f"{report['load_average_end']:.1f} at the end, on {report['cores']} cores")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
