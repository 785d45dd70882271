"""``srdi serve`` as a real process (one or several uvicorn workers) for the tests.

:func:`srdi_serve` starts the command line on a free loopback port in its own process
group, waits (bounded) until ``/readyz`` answers 200 from a worker, and always stops the
whole group. :class:`ServedProcess` gives the URL, the process and its log, with helpers
to wait for a line in the log (an event, not a fixed sleep).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.servers import free_port, wait_until


@dataclass
class ServedProcess:
    """A running ``srdi serve``."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        """Everything the server wrote so far (stdout and stderr)."""
        return self.log.read_text(errors="replace")

    def wait_for_log(self, text: str, *, count: int = 1, timeout_s: float = 60.0) -> None:
        """Wait until ``text`` appears ``count`` times in the log (the server's own event)."""

        def logged() -> bool:
            found = self.log_text().count(text) >= count
            if not found and self.process.poll() is not None:
                raise AssertionError(f"server exited before logging {text!r}")
            return found

        wait_until(logged, timeout_s=timeout_s, what=f"{text!r} logged {count}x")

    def access_lines(self) -> list[str]:
        """The JSON access lines logged so far."""
        return [line for line in self.log_text().splitlines() if line.startswith('{"ts"')]


@contextmanager
def srdi_serve(
    env: Mapping[str, str],
    log_dir: Path,
    *,
    workers: int,
    extra: Mapping[str, str] | None = None,
    startup_timeout_s: float = 180.0,
) -> Iterator[ServedProcess]:
    """Run ``srdi serve --workers N`` with ``env`` (plus ``extra``); always stop it."""
    port = free_port()
    log = log_dir / f"srdi-serve-{port}.log"
    handle = log.open("wb")
    command = [
        sys.executable, "-m", "srdi", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--log-level", "info",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env={**os.environ, **env, **(extra or {})},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    served = ServedProcess(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(served, startup_timeout_s, workers)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        handle.close()


def _wait_ready(served: ServedProcess, timeout_s: float, workers: int) -> None:
    # Every worker logs its start-up (the model load included); then /readyz answers.
    served.wait_for_log("Application startup complete", count=workers, timeout_s=timeout_s)

    def ready() -> bool:
        try:
            return httpx.get(f"{served.url}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout_s=60, what=f"{served.url}/readyz ready")
