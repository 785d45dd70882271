"""Fixtures of the training tests: a small world on disk and a bundle trained on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.training_world import Trained, train_small, write_world


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,500-firm world on disk, shared by the tests of a session (read only)."""
    return write_world(tmp_path_factory.mktemp("world"), n_firms=1500, seed=11)


@pytest.fixture(scope="session")
def trained(small_world: Path) -> Trained:
    """A small bundle trained once per session."""
    return train_small(small_world)
