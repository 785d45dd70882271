"""Several worker processes behave as one service: ``srdi serve --workers 2`` over HTTP.

A reload reaches every worker with no failed request under load; ``/metrics`` adds up
the workers; a page screen made on one worker opens on the other; every request leaves
one JSON log line with its request id; SIGTERM drains (``/readyz`` 503) and then
finishes the requests in flight.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mlflow import MlflowClient

from tests.support.api import API_KEY, make_records
from tests.support.serve import ServedProcess, srdi_serve
from tests.support.servers import wait_until

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[2] / "serving" / "page" / "sample_data" / "candidates.csv"


def _fresh_connection(url: str, **kwargs: Any) -> httpx.Client:
    # No keep-alive: every request is a new connection, which either worker may accept.
    return httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0), **kwargs)


def _pids(served: ServedProcess, path: str, *, at_least: int = 1) -> list[int]:
    """Pids of the workers that answered ``path``, in order (the line is written just
    after the response, so wait for it)."""

    def logged() -> list[int] | None:
        lines = [json.loads(line) for line in served.access_lines()]
        pids = [line["pid"] for line in lines if line["path"] == path]
        return pids if len(pids) >= at_least else None

    return wait_until(logged, timeout_s=30, what=f"{at_least} access lines of {path}")


@pytest.fixture()
def store_copy(
    trained_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The trained store copied (its registry may be changed) with a second version."""
    home = tmp_path / "home"
    shutil.copytree(trained_store.home / "models", home / "models")
    uri = f"sqlite:///{home / 'models' / 'mlflow.db'}"
    # MLflow resolves a model's files through its process-wide URIs: pin them to the
    # copy, so nothing is written to a default store in the working directory.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    first = client.get_model_version("srdi-potential", trained_store.model_version)
    # The same bundle registered again (from where its files are): a new version number
    # the responses can show.
    source = client.get_model_version_download_uri("srdi-potential", first.version)
    second = client.create_model_version("srdi-potential", source, run_id=first.run_id)
    env = {
        **trained_store.env(),
        "SRDI_HOME": str(home),
        "SRDI_MODELS_DIR": str(home / "models"),
        "SRDI_TRACKING_URI": uri,
        "MLFLOW_TRACKING_URI": uri,
        "SRDI_API_KEY": API_KEY,
    }
    yield env, client, str(first.version), str(second.version)


def test_reload_reaches_every_worker_under_load_with_zero_failures(
    store_copy: Any, tmp_path: Path
) -> None:
    env, client, first, second = store_copy
    # Firms below the provincial tier: their answer is srdi-potential's, the model reloaded.
    records = [r for r in make_records(12, seed=12) if r["current_tier"] != "srdi_sme"][:8]
    failures: list[str] = []
    versions: list[str] = []
    stop = threading.Event()

    def client_loop(url: str, offset: int) -> None:
        with _fresh_connection(url, timeout=60, headers={"X-API-Key": API_KEY}) as http:
            i = offset
            while not stop.is_set():
                try:
                    response = http.post("/v1/score?explain=false", json=records[i % 8])
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                i += 1
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                else:
                    versions.append(response.json()["model"]["version"])

    with srdi_serve(env, tmp_path, workers=2) as served:
        threads = [threading.Thread(target=client_loop, args=(served.url, k)) for k in range(4)]
        for thread in threads:
            thread.start()
        try:
            with httpx.Client(base_url=served.url, timeout=180) as admin:
                client.set_registered_model_alias("srdi-potential", "champion", second)
                reloaded = admin.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
                assert reloaded.status_code == 200, reloaded.text
                body = reloaded.json()
                assert body["model"]["version"] == second
                assert len(body["workers"]) == 2
                assert len({w["pid"] for w in body["workers"]}) == 2
                assert all(w["model"]["version"] == second for w in body["workers"])
                # Every worker now serves the new version, whichever takes the request.
                n_before = len(versions)
                with _fresh_connection(served.url, timeout=60) as fresh:
                    after = [
                        fresh.post(
                            "/v1/score?explain=false",
                            json=records[0],
                            headers={"X-API-Key": API_KEY},
                        ).json()["model"]["version"]
                        for _ in range(30)
                    ]
                assert set(after) == {second}
                metrics = admin.get("/metrics").text
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    assert failures == []
    assert len(versions) > 20 and {first, second} <= set(versions)
    assert set(versions[n_before:]) == {second}
    assert f'srdi_model_info{{name="srdi-potential",version="{second}"}} 1.0' in metrics
    assert f'srdi_model_info{{name="srdi-potential",version="{first}"}} 0.0' in metrics
    reloads = re.search(r'srdi_model_reloads_total\{outcome="swapped"\} ([\d.]+)', metrics)
    assert reloads is not None and float(reloads.group(1)) == 4.0  # 2 start-ups, 2 reloads


def test_metrics_and_access_logs_cover_every_worker(workers_server: ServedProcess) -> None:
    record = make_records(1, seed=13)[0]  # a candidate: it counts in the drift window
    firms_before = _settled_drift_firms(workers_server.url)
    before = _count(httpx.get(f"{workers_server.url}/metrics").text)
    with _fresh_connection(workers_server.url, timeout=60) as http:
        for i in range(40):
            response = http.post(
                "/v1/score?explain=false", json=record, headers={"X-Request-ID": f"probe-{i}"}
            )
            assert response.status_code == 200
            assert response.headers["X-Request-ID"] == f"probe-{i}"
        made = http.get("/healthz", headers={"X-Request-ID": "<not a token>"})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
        metrics = http.get("/metrics").text
    assert _count(metrics) - before == 40  # both workers' requests, added up

    # The drift window adds up the workers too, once each has published (every 2 s).
    def published() -> str | None:
        text = httpx.get(f"{workers_server.url}/metrics").text
        return text if _drift_firms(text) - firms_before >= 40 else None

    metrics = wait_until(
        published, timeout_s=30, what="both workers' drift windows", interval_s=0.2
    )
    assert _drift_firms(metrics) - firms_before == 40
    assert re.search(r'srdi_feature_psi\{feature="log_revenue"\} [\d.e+-]+', metrics)
    # Each line is written just after its response: wait for the last request's.
    workers_server.wait_for_log(f'"request_id":"{made.headers["X-Request-ID"]}"')
    lines = {line["request_id"]: line for line in map(json.loads, workers_server.access_lines())}
    probes = [lines[f"probe-{i}"] for i in range(40)]
    assert len({line["pid"] for line in probes}) == 2
    first = probes[0]
    assert first["method"] == "POST" and first["path"] == "/v1/score"
    assert first["status"] == 200 and first["ms"] > 0
    assert re.fullmatch(r"srdi-potential@\d+", first["model"])
    assert lines[made.headers["X-Request-ID"]]["model"] is None


def _settled_drift_firms(url: str) -> float:
    """The drift window once every worker has published what earlier tests scored: the
    same count over more than one publishing interval (2 s)."""
    seen: list[float] = []

    def settled() -> tuple[float] | None:  # a tuple: a window of 0 firms is an answer too
        seen.append(_drift_firms(httpx.get(f"{url}/metrics").text))
        return (seen[-1],) if len(seen) >= 6 and len(set(seen[-6:])) == 1 else None

    (firms,) = wait_until(settled, timeout_s=60, what="a settled drift window", interval_s=0.5)
    return firms


def _drift_firms(metrics: str) -> float:
    found = re.search(r"^srdi_drift_window_firms ([\d.e+]+)$", metrics, re.MULTILINE)
    assert found, "no drift window on /metrics"
    return float(found.group(1))


def _count(metrics: str) -> float:
    found = re.search(
        r'srdi_http_requests_total\{method="POST",route="/v1/score",status="200"\} ([\d.e+]+)',
        metrics,
    )
    return float(found.group(1)) if found else 0.0


def test_a_page_screen_opens_on_any_worker(workers_server: ServedProcess) -> None:
    with httpx.Client(base_url=workers_server.url, timeout=120) as browser:
        screened = browser.post(
            "/v1/screen/page", files={"file": ("candidates.csv", SAMPLE.read_bytes())}
        )
        assert screened.status_code == 200, screened.text
        body = screened.json()
        cookie = browser.cookies["srdi_session"]
    made_by = _pids(workers_server, "/v1/screen/page")[-1]
    path = f"/v1/screen/page/{body['token']}/rows/{body['rows'][0]['row']}"
    with _fresh_connection(workers_server.url, timeout=60, cookies={"srdi_session": cookie}) as h:
        for n in range(1, 201):
            detail = h.get(path)
            assert detail.status_code == 200, detail.text
            assert detail.json()["rank"] == 1
            if _pids(workers_server, path, at_least=n)[-1] != made_by:
                break
    assert set(_pids(workers_server, path)) - {made_by}, "no other worker answered"


def test_sigterm_drains_then_finishes_the_requests_in_flight(
    trained_store: Any, tmp_path: Path
) -> None:
    upload = SAMPLE.read_bytes()
    boundary = "srdi-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="candidates.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode() + upload[: len(upload) // 2]
    tail = upload[len(upload) // 2 :] + f"\r\n--{boundary}--\r\n".encode()
    sent_head, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def body() -> Iterator[bytes]:
        yield head
        sent_head.set()
        release.wait(timeout=120)
        yield tail

    extra = {"SRDI_DRAIN_SECONDS": "1.5"}
    with srdi_serve(trained_store.env(), tmp_path, workers=2, extra=extra) as served:

        def slow_upload() -> None:
            with httpx.Client(base_url=served.url, timeout=180) as http:
                outcome["response"] = http.post(
                    "/v1/screen",
                    content=body(),
                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                )

        uploader = threading.Thread(target=slow_upload)
        uploader.start()
        assert sent_head.wait(timeout=60)
        os.kill(served.process.pid, signal.SIGTERM)
        served.wait_for_log("draining for 1.5 s", count=2)
        with _fresh_connection(served.url, timeout=30) as http:
            ready = http.get("/readyz")
            assert ready.status_code == 503 and ready.json()["draining"] is True
            scored = http.post("/v1/score", json=make_records(1, seed=14)[0])
            assert scored.status_code == 200  # still serving while draining
        served.wait_for_log("Waiting for connections to close")
        release.set()
        uploader.join(timeout=120)
        assert served.process.wait(timeout=120) == 0
    response = outcome["response"]
    assert response.status_code == 200, response.text
    assert response.json()["n_scored"] == 400
