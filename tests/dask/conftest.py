"""Fixtures of the Dask tests: a LocalCluster of 2 worker processes.

The cluster is shared by the whole session (starting one costs seconds on 2 busy
cores); tests that kill workers start their own so the others never see a
restarted worker.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

distributed = pytest.importorskip("distributed", reason="the scale-out extra is not installed")


@pytest.fixture(scope="session")
def dask_client() -> Iterator[distributed.Client]:
    """A client of a 2-worker LocalCluster, for the session."""
    from tests.support.dask import local_cluster

    with local_cluster() as client:
        yield client
