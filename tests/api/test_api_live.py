"""The API over real HTTP: uvicorn on loopback serving the registered champion.

The champion is the shared ``trained_store`` (a tiny synthetic world trained and
registered in a temporary SQLite MLflow store). Servers run on free loopback ports
with a bounded start-up wait and are always stopped.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from serving.app import create_app
from serving.scoring.model_holder import RegistryModelProvider
from serving.scoring.scorer import Scorer
from srdi.core.bundle import load_registered_bundle
from tests.support.api import API_KEY, ListProvider
from tests.support.servers import live_server, server_process

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[2] / "serving" / "page" / "sample_data" / "candidates.csv"


@pytest.fixture(scope="module")
def store_scorer(trained_store: Any) -> Scorer:
    """The champion, loaded the way the app loads it."""
    return RegistryModelProvider(trained_store.settings()).load()


@pytest.fixture(scope="module", params=["one process", "srdi serve --workers 2"])
def served(request: pytest.FixtureRequest, trained_store: Any) -> Iterator[str]:
    """The app with the registry champion on a real server (no API key): uvicorn in a
    thread, then ``srdi serve`` with two worker processes."""
    if request.param == "one process":
        with live_server(create_app(trained_store.settings())) as url:
            yield url
    else:
        yield request.getfixturevalue("workers_server").url


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The bundled candidate file, first 60 rows, typed."""
    return pd.read_csv(SAMPLE, nrows=60)


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON records, unknown cells left out (as a service would send them)."""
    out = []
    for row in frame.to_dict(orient="records"):
        record = {}
        for key, value in row.items():
            if isinstance(value, float) and np.isnan(value):
                continue
            record[key] = value.item() if hasattr(value, "item") else value
        out.append(record)
    return out


def test_every_endpoint_over_http(served: str, trained_store: Any, sample: pd.DataFrame) -> None:
    version = trained_store.model_version
    with httpx.Client(base_url=served, timeout=60) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz").json()
        assert ready["ready"] and ready["model"] == {"name": "srdi-potential", "version": version}
        model = http.get("/v1/model").json()
        assert model["version"] == version and model["run_id"]
        assert {"test_roc_auc", "test_pr_auc"} <= set(model["metrics"])
        assert model["trained_at"]
        assert http.get("/v1/schemes").json()["schemes"]
        assert http.get("/v1/schema").json()["csv_template"]
        assert http.get("/docs").status_code == 200
        assert http.get("/openapi.json").json()["info"]["title"] == "SRDI scoring service"
        assert http.get("/").status_code == 200

        records = json_records(sample.head(5))
        one = http.post("/v1/score", json=records[0])
        assert one.status_code == 200 and one.json()["model"]["version"] == version
        assert one.json()["reasons"][0]["text"]
        batch = http.post("/v1/score/batch", json={"records": records}).json()
        assert batch["n_scored"] == 5 and [r["index"] for r in batch["results"]] == list(range(5))
        screen = http.post("/v1/screen", files={"file": ("c.csv", SAMPLE.read_bytes())}).json()
        assert screen["n_rows"] == len(pd.read_csv(SAMPLE)) and screen["rows"][0]["rank"] == 1
        gbk = SAMPLE.with_name("candidates_gbk.csv")
        if gbk.exists():
            screened = http.post("/v1/screen", files={"file": (gbk.name, gbk.read_bytes())})
            assert screened.status_code == 200 and screened.json()["n_scored"] > 0
        table = http.post(
            "/v1/screen",
            files={"file": ("c.csv", SAMPLE.read_bytes())},
            headers={"Accept": "text/csv"},
        )
        assert table.headers["content-type"].startswith("text/csv")
        assert len(pd.read_csv(io.BytesIO(table.content))) == screen["n_scored"]
        bad = http.post("/v1/score", json={**records[0], "export_share": 2})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "export_share"
        metrics = http.get("/metrics").text
        assert 'route="/v1/score",status="200"' in metrics
        assert f'srdi_model_info{{name="srdi-potential",version="{version}"}} 1.0' in metrics


def test_served_scores_equal_the_batch_the_frame_and_srdi_score(
    served: str,
    trained_store: Any,
    store_scorer: Scorer,
    sample: pd.DataFrame,
    tmp_path: Path,
) -> None:
    records = json_records(sample)
    with httpx.Client(base_url=served, timeout=60) as http:
        single = {
            r["company_id"]: r for r in (http.post("/v1/score", json=x).json() for x in records)
        }
        batch = http.post("/v1/score/batch?explain=true", json={"records": records}).json()
    assert batch["n_errors"] == 0
    frame = store_scorer.score_frame(sample, explain=True).results()

    out = tmp_path / "ranked.csv"
    env = {**os.environ, **trained_store.env()}
    done = subprocess.run(
        [sys.executable, "-m", "srdi", "score", str(_head_csv(sample, tmp_path)), "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    cli = pd.read_csv(out).set_index("company_id")

    for from_batch in batch["results"]:
        cid = from_batch["company_id"]
        assert single[cid]["score"] == from_batch["score"]
        assert single[cid]["reasons"] == from_batch["reasons"]
        assert single[cid]["schemes"] == from_batch["schemes"]
    for from_frame in frame:
        cid = from_frame["company_id"]
        assert single[cid]["score"] == from_frame["score"]
        assert single[cid]["percentile"] == from_frame["percentile"]
        if from_frame["score"] is None:
            assert np.isnan(cli.loc[cid, "score"])
        else:
            assert cli.loc[cid, "score"] == pytest.approx(from_frame["score"], rel=1e-12)
        # Ranked by the first question: a provincial firm scored for its next step
        # (Little Giant) is listed without a rank.
        if from_frame["rank"] is None:
            assert np.isnan(cli.loc[cid, "rank"])
        else:
            assert cli.loc[cid, "rank"] == from_frame["rank"]


def _head_csv(sample: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "candidates.csv"
    sample.to_csv(path, index=False)
    return path


def test_reload_under_a_stream_of_requests_fails_nothing(
    trained_store: Any, store_scorer: Scorer, bundle: Any, sample: pd.DataFrame
) -> None:
    """Two models swap back and forth while clients keep scoring: zero failures.

    Version "A" is the registry champion, version "B" a different small model; each
    response must carry a score that its own version produces for that record.
    """
    a = Scorer(store_scorer.bundle, model_name="srdi-potential", model_version="A")
    b = Scorer(bundle, model_name="srdi-potential", model_version="B")
    records = json_records(sample.head(8))
    expected = {
        version: {r["company_id"]: s.score_record(r)["score"] for r in records}
        for version, s in (("A", a), ("B", b))
    }
    app = create_app(trained_store.settings(api_key=API_KEY), model_provider=ListProvider(a, b))
    failures: list[str] = []
    seen: list[str] = []
    stop = threading.Event()
    answered = threading.Condition()  # notified after every request the clients make

    def check(http: httpx.Client, record: dict[str, Any]) -> str | None:
        """The version that answered, or None after recording what went wrong."""
        try:
            response = http.post("/v1/score?explain=false", json=record)
        except httpx.HTTPError as exc:
            failures.append(repr(exc))
            return None
        if response.status_code != 200:
            failures.append(f"{response.status_code} {response.text[:200]}")
            return None
        body = response.json()
        version: str = body["model"]["version"]
        if body["score"] != expected[version][body["company_id"]]:
            failures.append(f"score of {body['company_id']} not from version {version}")
        return version

    def client_loop(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=30, headers={"X-API-Key": API_KEY}) as http:
            i = offset
            while not stop.is_set():
                version = check(http, records[i % len(records)])
                i += 1
                with answered:
                    if version is not None:
                        seen.append(version)
                    answered.notify_all()

    def answers_after(count: int) -> None:
        """Wait until the clients have been answered ``count`` more times."""
        with answered:
            target = len(seen) + count
            if not answered.wait_for(lambda: len(seen) >= target or bool(failures), 60):
                raise TimeoutError(f"clients got {len(seen)} of {target} answers within 60 s")

    with live_server(app) as url:
        threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        try:
            with httpx.Client(base_url=url, timeout=30, headers={"X-API-Key": API_KEY}) as admin:
                for _ in range(6):
                    answers_after(4)  # requests in flight across every swap
                    reloaded = admin.post("/v1/admin/reload")
                    assert reloaded.status_code == 200 and reloaded.json()["swapped"]
            answers_after(4)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    assert failures == []
    assert len(seen) > 20 and {"A", "B"} <= set(seen)


def test_reload_from_the_registry_over_http(trained_store: Any) -> None:
    app = create_app(trained_store.settings(api_key=API_KEY))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        assert http.post("/v1/admin/reload").status_code == 401
        response = http.post("/v1/admin/reload", headers={"X-API-Key": API_KEY})
        assert response.status_code == 200
        assert response.json()["model"]["version"] == trained_store.model_version
        assert http.get("/v1/model").status_code == 401
        assert (
            http.get("/v1/model", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
        )


def test_an_empty_store_serves_503_with_how_to_train(tmp_path: Path, trained_store: Any) -> None:
    empty = trained_store.settings(
        home=tmp_path, models_dir=tmp_path / "models", tracking_uri=f"sqlite:///{tmp_path}/m.db"
    )
    with live_server(create_app(empty)) as url, httpx.Client(base_url=url, timeout=60) as http:
        assert http.get("/healthz").status_code == 200
        ready = http.get("/readyz")
        assert ready.status_code == 503 and "make train" in ready.json()["problem"]
        refused = http.post("/v1/score", json={"company_id": "x"})
        assert refused.status_code == 503
        assert "make train" in refused.json()["detail"]
        assert "srdi train --data DIR" in refused.json()["detail"]


def test_srdi_serve_answers_with_the_champion(trained_store: Any, tmp_path: Path) -> None:
    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "srdi", "serve", "--host", "127.0.0.1", "--port", str(port)]

    with server_process(
        command,
        ready_path="/readyz",
        log_path=tmp_path / "serve.log",
        env={**os.environ, **trained_store.env()},
        timeout_s=120,
    ) as (url, ready):
        assert ready.json()["model"]["version"] == trained_store.model_version
        assert httpx.get(f"{url}/docs", timeout=5).status_code == 200


def test_the_served_champion_is_the_registry_version(
    trained_store: Any, store_scorer: Scorer
) -> None:
    loaded = load_registered_bundle(trained_store.settings())
    assert store_scorer.model_version == loaded.version == trained_store.model_version
    assert store_scorer.run_id == loaded.run_id
