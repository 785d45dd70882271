"""Fixtures of the data tests: one small synthetic world per session, on disk."""

from __future__ import annotations

import pytest

from tests.support.synth import SMALL_FIRMS, SMALL_SEED, WorldOnDisk, read_world
from training.synth import generate_world, write_world


@pytest.fixture(scope="session")
def synth_world(tmp_path_factory: pytest.TempPathFactory) -> WorldOnDisk:
    """A 2,500-firm world (about 25,000 firm-years), shared by the session (read only)."""
    world = generate_world(SMALL_FIRMS, SMALL_SEED)
    directory = tmp_path_factory.mktemp("synth_world")
    write_world(world, directory)
    return read_world(world, directory)
