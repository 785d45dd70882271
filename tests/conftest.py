"""Fixtures shared across test folders.

``trained_store``: a tiny synthetic world (``training.synth``) and a champion per
target (srdi_sme, little_giant, retention) trained on it with the training
pipeline, registered in a temporary SQLite MLflow store —
built once per test session, on first use only. Tests that need the real registry
path (the screening CLI, the browser test, the notebook) take it and point the
service at it through :meth:`TrainedStore.env` or :meth:`TrainedStore.settings`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from srdi.core.settings import Settings, load_settings

# No deadlines: a shared, loaded CI machine must not turn slow examples into failures
# (speed is measured in bench/). Under CI the examples are derandomized so a red run
# can be reproduced; locally hypothesis keeps exploring new examples.
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(scope="session", autouse=True)
def _screens_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Page screens of every test (and of `srdi serve` started by one) go to a temporary
    directory, never to the checkout's data/."""
    path = tmp_path_factory.mktemp("screens")
    previous = os.environ.get("SRDI_SCREENS_DIR")
    os.environ["SRDI_SCREENS_DIR"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("SRDI_SCREENS_DIR", None)
    else:
        os.environ["SRDI_SCREENS_DIR"] = previous


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="re-record tests/golden/data from the current code (a deliberate change)",
    )


# Small enough to train in well under a minute on 2 cores, large enough that every
# tier is certified somewhere and the time split has labelled test years.
STORE_FIRMS = 1200
STORE_SEED = 3


@dataclass(frozen=True)
class TrainedStore:
    """A temporary project home with a world and a registered champion."""

    home: Path
    data_dir: Path
    models_dir: Path
    model_version: str
    """The srdi_sme champion's version (``srdi-potential``)."""
    versions: dict[str, str] = field(default_factory=dict)
    """Each target's champion version."""

    @property
    def tracking_uri(self) -> str:
        """The SQLite MLflow store of this home."""
        return f"sqlite:///{self.models_dir / 'mlflow.db'}"

    def env(self) -> dict[str, str]:
        """Environment variables that point ``srdi`` and the app at this store."""
        return {
            "SRDI_HOME": str(self.home),
            "SRDI_DATA_DIR": str(self.data_dir),
            "SRDI_MODELS_DIR": str(self.models_dir),
            "SRDI_TRACKING_URI": self.tracking_uri,
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "SRDI_API_KEY": "",
        }

    def settings(self, **overrides: Any) -> Settings:
        """Settings for this store (environment ignored for the store's fields)."""
        values: dict[str, Any] = {
            "home": self.home,
            "data_dir": self.data_dir,
            "models_dir": self.models_dir,
            "tracking_uri": self.tracking_uri,
            "api_key": None,
            "reload_interval_s": 0.0,
        }
        values.update(overrides)
        return load_settings(**values)


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedStore]:
    """A world of :data:`STORE_FIRMS` firms and a champion per target (once per session)."""
    from features.ladder import TARGET_IDS
    from training.config import TrainingConfig
    from training.model import ModelConfig
    from training.pipeline import run_targets
    from training.synth.world import generate_world, write_world

    home = tmp_path_factory.mktemp("srdi-home")
    data_dir = home / "world"
    write_world(generate_world(STORE_FIRMS, STORE_SEED, oracle_replicates=2), data_dir)
    store = TrainedStore(home, data_dir, home / "models", model_version="")
    configs = [
        TrainingConfig(
            target=target,
            # One thread: on a shared 2-core machine OpenMP threads spin against other
            # processes and make a tiny model take minutes.
            model=ModelConfig(
                max_rounds=80,
                early_stopping_rounds=15,
                min_data_in_leaf=20,
                num_leaves=15,
                num_threads=1,
            ),
            calibration_folds=3,
            contribution_sample=300,
            quantile_levels=201,
        )
        for target in TARGET_IDS
    ]
    # MLflow falls back to its own default store for anything not given the URI
    # explicitly; pin it to the temporary store while training, and never write
    # into the working directory.
    previous = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    os.environ["MLFLOW_TRACKING_URI"] = store.tracking_uri
    os.environ["MLFLOW_REGISTRY_URI"] = store.tracking_uri
    cwd = Path.cwd()
    os.chdir(home)
    try:
        results = run_targets(store.settings(), data_dir, configs)
    finally:
        os.chdir(cwd)
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    versions = {target: result.model_version for target, result in results.items()}
    if None in versions.values():
        raise RuntimeError(f"a test champion was not registered: {versions}")
    yield TrainedStore(
        home,
        data_dir,
        store.models_dir,
        model_version=str(versions["srdi_sme"]),
        versions={target: str(version) for target, version in versions.items()},
    )


@pytest.fixture(scope="session")
def workers_server(
    trained_store: TrainedStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """``srdi serve --workers 2`` on the trained champion (no API key), once per session.

    The API, page and browser tests run against it as well as against one in-process
    server: several processes must behave as one.
    """
    from tests.support.serve import srdi_serve

    with srdi_serve(
        trained_store.env(), tmp_path_factory.mktemp("workers-server"), workers=2
    ) as served:
        yield served
