"""Prometheus metrics, one registry per app (no process-global collectors).

:class:`Metrics` owns a ``CollectorRegistry``; :class:`MetricsMiddleware` counts
requests and their latency by route template (``/v1/score``, never the raw URL, so
the label set stays bounded); the scoring routes report the scores they hand out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "MetricsMiddleware"]

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_SCORE_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)


class Metrics:
    """The service's collectors, registered in a registry of their own."""

    def __init__(self) -> None:
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
            "1 for the model version being served.",
            ["name", "version"],
            registry=self.registry,
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

    def set_model(self, name: str, version: str) -> None:
        """Mark ``name``/``version`` as the model in service (and no other)."""
        self.model_info.clear()
        self.model_info.labels(name, version).set(1)

    def render(self) -> bytes:
        """The registry in Prometheus text exposition format."""
        return bytes(generate_latest(self.registry))


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
