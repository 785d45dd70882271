"""Training against a real ``mlflow server`` (its own SQLite database) on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from srdi.core.bundle import load_registered_bundle
from srdi.core.settings import load_settings
from training.model import ModelConfig
from training.pipeline import TrainingConfig, run_training

pytestmark = pytest.mark.slow

# Generous: on a busy 2-core machine the server needs minutes to import and migrate.
START_TIMEOUT_S = 300.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """Start ``mlflow server`` on a free loopback port; always stop it."""
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'server.db'}",
        "--artifacts-destination",
        str(tmp_path / "server-artifacts"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "SRDI_"))}
    bin_dir = str(Path(sys.executable).parent)  # the server starts uvicorn from the venv
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"mlflow server exited: {(tmp_path / 'server.log').read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not answer within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_train_register_and_load_through_a_tracking_server(
    mlflow_server: str, small_world: Path, tmp_path: Path
) -> None:
    settings = load_settings(home=tmp_path, tracking_uri=mlflow_server)
    config = TrainingConfig(model=ModelConfig(max_rounds=40, learning_rate=0.1))
    result = run_training(settings, small_world, config)
    assert result.model_version == "1" and result.gate is not None and result.gate.promoted
    # Nothing went to the embedded store: the server holds runs, registry and artifacts.
    assert not (tmp_path / "models").exists()
    loaded = load_registered_bundle(settings)
    assert loaded.version == "1" and loaded.run_id == result.run_id
    X = result.bundle.transform(_columns(small_world))
    np.testing.assert_array_equal(loaded.bundle.predict(X), result.bundle.predict(X))
    assert (tmp_path / "server-artifacts").is_dir()


def _columns(world: Path) -> dict[str, np.ndarray]:
    import pandas as pd

    from features.validate import validate_frame

    frame = pd.read_parquet(world / "financials.parquet").head(200)
    return dict(validate_frame(frame).columns)
