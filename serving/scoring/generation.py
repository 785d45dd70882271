"""Reloads that reach every worker process of one ``srdi serve``.

Workers share no memory, so ``POST /v1/admin/reload``, answered by one of them, cannot
swap the model of the others directly. Instead they share a directory (the runtime
directory ``srdi serve`` makes, ``SRDI_RUNTIME_DIR``):

- ``generation``: a counter. The worker that handles a reload loads the champion,
  then increments it; every worker checks it a few times a second (one small file
  read) and reloads when it moved.
- ``workers/<pid>.json``: each worker's state — the generation it has acted on, the
  model it serves, the problem of its last load — written after every load. The
  reload request waits until every live worker has reached the new generation and
  answers with their states, so a 200 means every process serves the new model.

Replicas on other machines do not share the directory; they follow the registry's
champion alias instead (``SRDI_RELOAD_INTERVAL_S``), or get the reload call each.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from serving.scoring.model_holder import ModelHolder, ReloadOutcome

__all__ = ["GenerationFollower", "ReloadGeneration", "WorkerState", "pid_alive"]

_log = logging.getLogger("serving.model")


@dataclass(frozen=True)
class WorkerState:
    """What one worker process serves, as it last reported."""

    pid: int
    generation: int
    model: dict[str, str] | None
    problem: str | None


class ReloadGeneration:
    """The shared reload counter and the workers' states, in ``directory``.

    Parameters
    ----------
    directory
        The runtime directory shared by the workers of one ``srdi serve``.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._counter = self.directory / "generation"
        self._workers = self.directory / "workers"

    def current(self) -> int:
        """The generation now (0 before the first reload); one small file read."""
        try:
            return int(self._counter.read_text() or 0)
        except FileNotFoundError:
            return 0

    def bump(self) -> int:
        """Increment the generation (serialized across processes); return the new one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._locked():
            value = self.current() + 1
            _write_atomically(self._counter, str(value))
        return value

    def report(self, state: WorkerState) -> None:
        """Record this worker's state (after a load, or at start-up)."""
        self._workers.mkdir(parents=True, exist_ok=True)
        _write_atomically(self._workers / f"{state.pid}.json", json.dumps(asdict(state)))

    def forget(self, pid: int) -> None:
        """Remove a worker's state (it is stopping)."""
        (self._workers / f"{pid}.json").unlink(missing_ok=True)

    def workers(self) -> list[WorkerState]:
        """The states of the live workers (a dead worker's file is removed)."""
        states = []
        for path in sorted(self._workers.glob("*.json")):
            try:
                state = WorkerState(**json.loads(path.read_text()))
            except (FileNotFoundError, ValueError, TypeError):
                continue  # being replaced, or removed meanwhile
            if pid_alive(state.pid):
                states.append(state)
            else:
                path.unlink(missing_ok=True)
        return states

    async def wait_for(self, generation: int, timeout_s: float) -> list[WorkerState]:
        """Wait until every live worker reports ``generation`` (or the time is up)."""
        deadline = time.monotonic() + timeout_s
        while True:
            states = await asyncio.to_thread(self.workers)
            if all(s.generation >= generation for s in states) or time.monotonic() > deadline:
                return states
            await asyncio.sleep(0.05)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.directory / "generation.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class GenerationFollower:
    """One worker's side: reload when the generation moves, report every load.

    Parameters
    ----------
    holder
        The worker's model holder.
    generation
        The shared counter and states.
    on_reload
        Called with each reload's outcome (metrics).
    interval_s
        Seconds between two checks of the counter.
    """

    def __init__(
        self,
        holder: ModelHolder,
        generation: ReloadGeneration,
        *,
        on_reload: Callable[[ReloadOutcome], None],
        interval_s: float = 0.2,
    ) -> None:
        self.holder = holder
        self.generation = generation
        self.on_reload = on_reload
        self.interval_s = interval_s
        self.seen = generation.current()
        self.pid = os.getpid()

    def report(self) -> None:
        """Write this worker's state for the generation it has acted on."""
        scorer_model = self.holder.current().model_info if self.holder.ready else None
        state = WorkerState(self.pid, self.seen, scorer_model, self.holder.problem)
        self.generation.report(state)

    def acted_on(self, generation: int) -> None:
        """This worker has already reloaded for ``generation`` (it handled the request)."""
        self.seen = max(self.seen, generation)
        self.report()

    async def run(self) -> None:
        """Check the counter until cancelled; reload in a worker thread when it moves."""
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                now = self.generation.current()
                if now > self.seen:
                    _log.info("reload generation %d: loading the champion", now)
                    outcome = await asyncio.to_thread(self.holder.reload)
                    self.on_reload(outcome)
                    self.seen = now
                    await asyncio.to_thread(self.report)
            except Exception:  # a full disk must not end the watch
                _log.exception("following the reload generation failed; retrying")


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` (on this machine) exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
