"""Training against a real ``mlflow server`` (its own SQLite database) on loopback."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from srdi.core.bundle import load_registered_bundle
from srdi.core.settings import load_settings
from tests.support.servers import server_process
from training.config import TrainingConfig
from training.model import ModelConfig
from training.pipeline import run_training

pytestmark = pytest.mark.slow

# Generous: on a busy 2-core machine the server needs minutes to import and migrate.
START_TIMEOUT_S = 300.0


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """Start ``mlflow server`` on a free loopback port; always stop it."""

    def command(port: int) -> list[str]:
        return [
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
    with server_process(
        command,
        ready_path="/health",
        log_path=tmp_path / "server.log",
        env=env,
        timeout_s=START_TIMEOUT_S,
    ) as (url, _):
        yield url


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
