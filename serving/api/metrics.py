"""Prometheus metrics, one registry per app (no process-global collectors).

:class:`Metrics` owns a ``CollectorRegistry``; :class:`MetricsMiddleware` counts
requests and their latency by route template (``/v1/score``, never the raw URL, so
the label set stays bounded); the scoring routes report the scores they hand out.

With several worker processes (``srdi serve --workers N``) each worker's values live
in memory-mapped files under ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
multiprocess mode, which ``srdi serve`` sets up before the workers start), and
``/metrics``, whichever worker answers it, adds up every worker's counters and
histograms; ``srdi_model_info`` shows each version some live worker serves.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.scoring.drift import DriftView

__all__ = [
    "CONTENT_TYPE_LATEST",
    "DriftCollector",
    "Metrics",
    "MetricsMiddleware",
    "forget_dead_processes",
    "multiprocess_dir",
]

_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")


def multiprocess_dir() -> Path | None:
    """prometheus_client's multiprocess directory, when it runs in that mode.

    prometheus_client reads ``PROMETHEUS_MULTIPROC_DIR`` itself when it is imported;
    this reads the same variable so the app renders what the library records.
    """
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def forget_dead_processes(directory: Path) -> None:
    """Drop the live gauges of worker processes that died without cleaning up."""
    from prometheus_client import multiprocess

    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_FILE.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
        except PermissionError:
            pass


_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_SCORE_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)


class Metrics:
    """The service's collectors, registered in a registry of their own.

    Parameters
    ----------
    multiprocess
        prometheus_client's multiprocess directory when several workers serve
        (:func:`multiprocess_dir`); ``/metrics`` then renders every worker's values.
    """

    def __init__(self, multiprocess: Path | None = None) -> None:
        self.multiprocess = multiprocess
        self._model: tuple[str, str] | None = None
        self._computed: list[DriftCollector] = []
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "srdi_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "srdi_http_request_duration_seconds",
            "Time from request start to the last response byte, by route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scores = Histogram(
            "srdi_score",
            "Calibrated scores handed out (candidates only), by endpoint.",
            ["endpoint"],
            buckets=_SCORE_BUCKETS,
            registry=self.registry,
        )
        self.scored_firms = Counter(
            "srdi_scored_firms",
            "Firms scored, by endpoint.",
            ["endpoint"],
            registry=self.registry,
        )
        self.row_errors = Counter(
            "srdi_row_errors",
            "Records or file rows refused by validation, by endpoint.",
            ["endpoint"],
            registry=self.registry,
        )
        self.coalesced = Histogram(
            "srdi_coalesced_records",
            "Single-record requests scored together in one call.",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )
        self.model_info = Gauge(
            "srdi_model_info",
            "1 for the model version being served (by some live worker).",
            ["name", "version"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.reloads = Counter(
            "srdi_model_reloads",
            "Model loads attempted, by outcome.",
            ["outcome"],
            registry=self.registry,
        )

    def observe_scores(self, endpoint: str, scores: Sequence[float | None]) -> None:
        """Count scored firms and add their (non-null) scores to the histogram."""
        histogram = self.scores.labels(endpoint)
        for score in scores:
            if score is not None:
                histogram.observe(score)
        self.scored_firms.labels(endpoint).inc(len(scores))

    def record_reload(self, swapped: bool, model: dict[str, str] | None) -> None:
        """Count a (re)load by outcome; a swapped-in model becomes the one in service."""
        self.reloads.labels("swapped" if swapped else "failed").inc()
        if swapped and model is not None:
            self.set_model(model["name"], model["version"])

    def set_model(self, name: str, version: str) -> None:
        """Mark ``name``/``version`` as the model in service (and no other)."""
        if self.multiprocess is None:
            self.model_info.clear()
        elif self._model is not None and self._model != (name, version):
            # A multiprocess value cannot be removed, only set: 0 = no longer served here.
            self.model_info.labels(*self._model).set(0)
        self._model = (name, version)
        self.model_info.labels(name, version).set(1)

    def render(self) -> bytes:
        """The metrics in Prometheus text exposition format (every worker's, if several)."""
        if self.multiprocess is None:
            return bytes(generate_latest(self.registry))
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self.multiprocess))  # type: ignore[no-untyped-call]
        for collector in self._computed:
            registry.register(collector)
        return bytes(generate_latest(registry))

    def add_computed(self, collector: DriftCollector) -> None:
        """Metrics computed when scraped (not counted as requests go), e.g. drift."""
        if self.multiprocess is None:
            self.registry.register(collector)
        else:
            self._computed.append(collector)

    def close(self) -> None:
        """This worker is stopping: its live gauges leave the multiprocess view."""
        if self.multiprocess is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid(), str(self.multiprocess))  # type: ignore[no-untyped-call]


class MetricsMiddleware:
    """Pure ASGI middleware recording request counts and latencies."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def tracked_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        finally:
            self._record(scope, status, time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        # Label by route template (or endpoint name for plain routes such as /docs);
        # unmatched paths share one label so scanners cannot grow the label set.
        template = getattr(scope.get("route"), "path", None)
        if template is None:
            endpoint = getattr(scope.get("endpoint"), "__name__", None)
            template = f"<{endpoint}>" if endpoint else "<unmatched>"
        method = str(scope.get("method", ""))
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(seconds)


class DriftCollector:
    """Input drift on /metrics, computed when scraped (:mod:`serving.scoring.drift`).

    ``srdi_feature_psi{feature}``: population-stability index of each feature over the
    scored candidates in the rolling window (every worker's, added up), against the
    model's training distribution; ``srdi_drift_window_firms``: how many firms that
    is; ``srdi_drift_reference_available``: 0 when the model has no training
    reference (trained before it was kept), and then no index.
    """

    def __init__(self, view: Callable[[], DriftView]) -> None:
        self.view = view

    def collect(self) -> Iterator[Metric]:
        """The three drift families."""
        view = self.view()
        yield GaugeMetricFamily(
            "srdi_drift_reference_available",
            "1 when the model in service has a training distribution to compare with.",
            value=1.0 if view.available else 0.0,
        )
        yield GaugeMetricFamily(
            "srdi_drift_window_firms",
            "Scored candidates in the rolling drift window (every worker's).",
            value=float(view.firms),
        )
        psi = GaugeMetricFamily(
            "srdi_feature_psi",
            "Population-stability index of a feature over the drift window, against the "
            "training distribution (< 0.1 stable, 0.1-0.25 moderate, > 0.25 significant).",
            labels=["feature"],
        )
        for feature, value in view.psi.items():
            if value == value:  # NaN: no firm in the window yet
                psi.add_metric([feature], value)
        yield psi
