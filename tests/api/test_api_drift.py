"""Input drift while serving: the rolling window, and the index on /metrics over HTTP."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import httpx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.app import create_app
from serving.scoring.drift import DriftMonitor
from serving.scoring.scorer import Scorer
from srdi.core.bundle import ModelBundle
from tests.support.api import ListProvider, make_records, settings_for
from tests.support.servers import live_server


@settings(max_examples=30)
@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=60),
)
def test_the_window_counts_exactly_the_last_candidates(
    bundle: ModelBundle, batches: list[int], window: int
) -> None:
    reference = bundle.drift_reference
    assert reference is not None
    rng = np.random.default_rng(len(batches) * 100 + window)
    n_features = len(reference.feature_names)
    monitor = DriftMonitor(reference, window=window)
    kept: list[np.ndarray] = []
    for size in batches:
        X = rng.normal(size=(size, n_features)) * 3
        X[rng.random(X.shape) < 0.1] = np.nan
        certified = rng.random(size) < 0.2
        monitor.observe(X, certified)
        kept.extend(X[~certified])
    counts, firms = monitor.counts()
    last = np.array(kept[-window:]).reshape(-1, n_features)
    assert firms == len(last)
    np.testing.assert_array_equal(counts, reference.count(last))


def _metric(text: str, name: str, labels: str = "") -> float | None:
    found = re.search(rf"^{name}{re.escape(labels)} ([-\d.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def _score_batch(http: httpx.Client, records: list[dict[str, Any]]) -> None:
    response = http.post("/v1/score/batch", json={"records": records})
    assert response.status_code == 200 and response.json()["n_errors"] == 0, response.text


def test_metrics_show_the_psi_of_each_feature_over_http(scorer: Scorer) -> None:
    app = create_app(settings_for(drift_window=300), model_provider=ListProvider(scorer))
    records = make_records(300, seed=20)
    candidates = sum(r["current_tier"] != "srdi_sme" for r in records[:150])
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        before = http.get("/metrics").text
        assert _metric(before, "srdi_drift_reference_available") == 1.0
        assert _metric(before, "srdi_drift_window_firms") == 0.0
        assert "srdi_feature_psi{" not in before  # no firm scored yet: no index

        _score_batch(http, records[:150])
        like_training = http.get("/metrics").text
        assert _metric(like_training, "srdi_drift_window_firms") == candidates
        psi = {
            name: float(value)
            for name, value in re.findall(
                r'srdi_feature_psi\{feature="(\w+)"\} (\S+)', like_training
            )
        }
        assert set(psi) == set(scorer.bundle.feature_names)

        # The same kind of firms, a hundred times larger: the size features move.
        grown = [{**r, **{k: r[k] * 100 for k in r if "revenue" in k}} for r in records[150:]]
        _score_batch(http, grown)
        _score_batch(http, grown)  # the window (300) now holds only grown firms
        moved = http.get("/metrics").text
    label = '{feature="log_revenue"}'
    assert (_metric(moved, "srdi_feature_psi", label) or 0) > 0.25 > psi["log_revenue"]


def test_a_model_without_a_training_reference_reports_drift_unavailable(
    bundle: ModelBundle,
) -> None:
    old = Scorer(
        replace(bundle, drift_reference=None), model_name="srdi-potential", model_version="9"
    )
    app = create_app(settings_for(), model_provider=ListProvider(old))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        _score_batch(http, make_records(20, seed=21))
        text = http.get("/metrics").text
    assert _metric(text, "srdi_drift_reference_available") == 0.0
    assert "srdi_feature_psi{" not in text
