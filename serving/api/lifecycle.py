"""Draining: a worker told to stop keeps serving for a while with ``/readyz`` at 503.

A load balancer stops sending traffic to a replica only after its readiness check
fails; if the process stopped accepting at once, the requests already routed to it
would fail. So on SIGTERM, with ``SRDI_DRAIN_SECONDS`` > 0, the worker marks itself
draining (``/readyz`` answers 503, everything else is served as before) and hands the
signal to uvicorn only after that delay; uvicorn then closes its listener and finishes
the requests in flight (up to ``SRDI_GRACEFUL_TIMEOUT_S``) before the lifespan ends.
SIGINT (Ctrl-C) and a second SIGTERM stop at once, still gracefully.

Signal handlers belong to the main thread: when the app runs elsewhere (tests serve it
from a thread) nothing is installed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["Lifecycle", "drain_on_sigterm"]

_log = logging.getLogger("serving")


class Lifecycle:
    """Whether this worker is draining (about to stop), read by ``/readyz``."""

    def __init__(self) -> None:
        self.draining = False


def drain_on_sigterm(
    lifecycle: Lifecycle, drain_s: float, loop: asyncio.AbstractEventLoop
) -> Callable[[], None]:
    """Delay the server's own SIGTERM handling by ``drain_s`` seconds, draining meanwhile.

    Parameters
    ----------
    lifecycle
        Marked draining on the first SIGTERM.
    drain_s
        Seconds between the signal and the server's shutdown.
    loop
        The serving event loop (the handler schedules the hand-over on it).

    Returns
    -------
    callable
        Restores the previous handler (a no-op when nothing was installed).
    """
    if drain_s <= 0 or threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):  # no server handler to hand over to
        return lambda: None
    server_handler: Callable[[int, FrameType | None], Any] = previous

    def handler(sig: int, frame: FrameType | None) -> None:
        if lifecycle.draining:  # a second SIGTERM: stop now
            server_handler(sig, frame)
            return
        lifecycle.draining = True
        _log.warning("SIGTERM: draining for %.1f s (/readyz answers 503), then stopping", drain_s)
        loop.call_soon_threadsafe(loop.call_later, drain_s, server_handler, sig, None)

    signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, previous)

    return restore
