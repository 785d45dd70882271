"""Input drift while serving: the firms scored lately against the model's training bins.

Each worker keeps the bins of its last ``window`` scored candidates (firms already
holding the target tier are not scored, and were not in the training population) in
a ring buffer, and the counts per feature and bin alongside. With several workers,
each publishes its counts to the runtime directory every couple of seconds, and the
worker answering ``/metrics`` adds them up (only those of the same model version: a
window belongs to a model's reference). So the population-stability index on
``/metrics`` is over the last ``window`` firms of every worker together.

A model without a training reference (trained before drift was kept) reports drift as
unavailable.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.scoring.generation import pid_alive
from serving.scoring.model_holder import ModelProvider
from serving.scoring.scorer import Scorer
from srdi.core.drift import DriftReference

__all__ = ["DriftMonitor", "DriftTracker", "DriftView", "ObservedProvider"]

_log = logging.getLogger("serving.drift")


class DriftMonitor:
    """The last ``window`` firms one worker scored with one model, binned on demand.

    Scoring only copies the candidates' feature rows into a ring buffer (a few
    microseconds); they are binned, all the new ones in one vectorized pass, when the
    counts are asked for (a scrape, or publishing every 2 s), so the request path does
    not pay for the drift index.

    Parameters
    ----------
    reference
        The model's training bins.
    window
        Firms kept.
    """

    def __init__(self, reference: DriftReference, *, window: int) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self.reference = reference
        self.window = window
        n_features = len(reference.feature_names)
        self._rows = np.zeros((window, n_features), dtype=np.float64)
        self._bins = np.zeros((window, n_features), dtype=np.int8)
        self._counts = np.zeros((n_features, reference.n_bins), dtype=np.int64)
        self._next = 0  # where the next row goes
        self._written = 0  # positions holding a row (at most window)
        self._pending = 0  # rows written since they were last binned (at most window)
        self._binned = 0  # positions holding a binned row (filled in order from 0)
        # Two callers binning at once (a scrape during a publish) would both count the
        # same rows: one at a time.
        self._binning = threading.Lock()
        self._lock = threading.Lock()
        self.version = 0  # changes whenever rows arrive (publishing skips idle workers)

    def observe(self, X: np.ndarray, certified: np.ndarray) -> None:
        """Add the scored rows of ``X`` (the candidates) to the window."""
        rows = X[~certified] if certified.any() else X
        n = len(rows)
        if not n:
            return
        if n > self.window:
            rows, n = rows[-self.window :], self.window
        with self._lock:
            start = self._next
            if start + n <= self.window:
                self._rows[start : start + n] = rows
            else:
                split = self.window - start
                self._rows[start:] = rows[:split]
                self._rows[: n - split] = rows[split:]
            self._next = (start + n) % self.window
            self._written = min(self._written + n, self.window)
            self._pending = min(self._pending + n, self.window)
            self.version += 1

    def counts(self) -> tuple[np.ndarray, int]:
        """A copy of the counts per feature and bin, and the firms in the window.

        The rows that arrived since the last call are binned outside the lock, so
        scoring never waits for it.
        """
        with self._binning:
            return self._count_pending()

    def _count_pending(self) -> tuple[np.ndarray, int]:
        with self._lock:
            pending = self._pending
            positions = (self._next - pending + np.arange(pending)) % self.window
            rows = self._rows[positions]  # a copy: new rows may land there meanwhile
            written = self._written
            self._pending = 0
        index = self.reference.bin_index(rows) if pending else None
        with self._lock:
            if index is not None:
                # Positions fill in order from 0: those below what was binned before
                # held a binned row, whose counts make room for the new one.
                replaced = positions[positions < self._binned]
                if len(replaced):
                    self._counts -= self.reference.count_bins(self._bins[replaced])
                self._bins[positions] = index
                self._counts += self.reference.count_bins(index)
                self._binned = max(self._binned, written)
            return self._counts.copy(), written


@dataclass(frozen=True)
class DriftView:
    """Drift as ``/metrics`` shows it: PSI per feature over the firms in the window(s)."""

    model: dict[str, str] | None
    available: bool
    firms: int
    psi: dict[str, float]


class DriftTracker:
    """The worker's drift monitor for the model in service, and the shared view.

    Parameters
    ----------
    window
        Firms each worker keeps (``SRDI_DRIFT_WINDOW``).
    directory
        Where the workers of one ``srdi serve`` publish their counts; ``None`` for a
        single process.
    """

    def __init__(self, *, window: int, directory: Path | None = None) -> None:
        self.window = window
        self.directory = directory
        self._monitor: DriftMonitor | None = None
        self._model: dict[str, str] | None = None
        self._published = -1
        self.pid = os.getpid()

    def attach(self, scorer: Scorer) -> Scorer:
        """A copy of ``scorer`` whose scored firms count in a new window of its model.

        The scorer given is left as it is (providers may hand the same one out again).
        """
        observed = copy.copy(scorer)
        reference = scorer.bundle.drift_reference
        monitor = None if reference is None else DriftMonitor(reference, window=self.window)
        observed.feature_observer = None if monitor is None else monitor.observe
        self._monitor, self._model, self._published = monitor, dict(scorer.model_info), -1
        return observed

    def view(self) -> DriftView:
        """PSI per feature over this worker's window and the other workers' published ones."""
        monitor, model = self._monitor, self._model
        if monitor is None:
            return DriftView(model, False, 0, {})
        counts, firms = monitor.counts()
        for other_counts, other_firms in self._others(model):
            if other_counts.shape == counts.shape:
                counts += other_counts
                firms += other_firms
        values = monitor.reference.psi(counts)
        names = monitor.reference.feature_names
        return DriftView(
            model, True, firms, {n: float(v) for n, v in zip(names, values, strict=True)}
        )

    def publish(self) -> None:
        """Write this worker's counts for the others (when they changed)."""
        monitor, model = self._monitor, self._model
        if self.directory is None or monitor is None or monitor.version == self._published:
            return
        counts, firms = monitor.counts()
        version = monitor.version
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {"model": model, "firms": firms, "counts": counts.tolist()}
        temporary = self.directory / f".{self.pid}.tmp"
        temporary.write_text(json.dumps(payload))
        os.replace(temporary, self.directory / f"{self.pid}.json")
        self._published = version

    def forget(self) -> None:
        """This worker stops: its window leaves the shared view."""
        if self.directory is not None:
            (self.directory / f"{self.pid}.json").unlink(missing_ok=True)

    async def run(self, interval_s: float = 2.0) -> None:
        """Publish every ``interval_s`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await asyncio.to_thread(self.publish)
            except OSError:
                _log.exception("publishing the drift window failed; retrying")

    def _others(self, model: dict[str, str] | None) -> list[tuple[np.ndarray, int]]:
        if self.directory is None or not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob("*.json"):
            pid = int(path.stem) if path.stem.isdigit() else None
            if pid is None or pid == self.pid:
                continue
            if not pid_alive(pid):
                path.unlink(missing_ok=True)
                continue
            with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
                data = json.loads(path.read_text())
                if data["model"] == model:
                    found.append((np.asarray(data["counts"], dtype=np.int64), int(data["firms"])))
        return found


class ObservedProvider:
    """A model provider whose scorers count their firms in the tracker's window.

    Parameters
    ----------
    inner
        Where models come from.
    tracker
        The worker's drift tracker.
    """

    def __init__(self, inner: ModelProvider, tracker: DriftTracker) -> None:
        self.inner = inner
        self.tracker = tracker

    def champion_version(self) -> str | None:
        """The inner provider's champion version."""
        return self.inner.champion_version()

    def load(self) -> Scorer:
        """The inner provider's scorer, observed."""
        return self.tracker.attach(self.inner.load())
