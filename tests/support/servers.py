"""Live servers for tests: an app on a real uvicorn, a server process until it answers.

:func:`live_server` runs an app on a free loopback port in a thread and returns once
uvicorn has started (it waits on that event, not on a clock). :func:`server_process`
starts a server command (``srdi serve``, ``mlflow server``) and returns once an
endpoint answers 200: another process announces no event, so :func:`wait_until`
polls that condition until a deadline and fails naming what it waited for.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

__all__ = ["free_port", "live_server", "server_process", "wait_until"]

T = TypeVar("T")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(uvicorn.Server):
    """uvicorn's server, announcing the end of its start-up (or of its run) on an event."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.settled = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.settled.set()

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            super().run(sockets=sockets)
        finally:
            self.settled.set()  # a run that dies before start-up wakes the waiter too


@contextmanager
def live_server(app: Any, *, startup_timeout_s: float = 30.0, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yield its base URL.

    Parameters
    ----------
    app
        The ASGI app.
    startup_timeout_s
        How long start-up (the app's lifespan included) may take.
    options
        More ``uvicorn.Config`` options (default: warnings only, no access log).
    """
    port = free_port()
    settings: dict[str, Any] = {"log_level": "warning", "access_log": False, **options}
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", **settings))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        if not server.settled.wait(startup_timeout_s):
            raise RuntimeError(f"uvicorn did not start within {startup_timeout_s} s")
        if not server.started:
            raise RuntimeError("uvicorn stopped during start-up")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def wait_until(
    condition: Callable[[], T], *, timeout_s: float, what: str, interval_s: float = 0.05
) -> T:
    """Call ``condition`` until it returns something truthy; return that.

    For conditions no event announces (a server in another process answering, a
    background task changing state). Raises ``TimeoutError`` naming ``what`` once
    ``timeout_s`` has passed.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(interval_s)


@contextmanager
def server_process(
    command: Callable[[int], list[str]],
    *,
    ready_path: str,
    log_path: Path,
    env: Mapping[str, str],
    timeout_s: float,
) -> Iterator[tuple[str, httpx.Response]]:
    """Run a server command on a free loopback port until the block ends.

    Parameters
    ----------
    command
        The command line for a port.
    ready_path
        The path that answers 200 once the server is ready (e.g. ``/readyz``).
    log_path
        Where the server's output goes; its tail is shown if the server exits early.
    env
        The server's environment.
    timeout_s
        How long the server may take to be ready.

    Yields
    ------
    tuple
        The base URL and the ready answer.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command(port), stdout=log, stderr=subprocess.STDOUT, env=dict(env)
        )

        def ready() -> httpx.Response | None:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server exited with {process.returncode}: {tail}")
            try:
                answer = httpx.get(url + ready_path, timeout=2.0)
            except httpx.HTTPError:
                return None  # not listening yet
            return answer if answer.status_code == 200 else None

        try:
            yield url, wait_until(ready, timeout_s=timeout_s, what=f"{url}{ready_path} ready")
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
