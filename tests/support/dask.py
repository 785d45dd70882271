"""Helpers of the Dask tests: a 2-worker LocalCluster, Parquet files with small row groups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import distributed
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from srdi.core.dask_cluster import dask_client

N_WORKERS = 2


@contextmanager
def local_cluster() -> Iterator[distributed.Client]:
    """Two single-threaded worker processes with nannies (killed workers come back).

    Started through the product's own entry, so the tests run its LocalCluster
    settings (patient worker restarts on a busy machine).
    """
    with dask_client(None, n_workers=N_WORKERS, memory_limit="2GiB") as client:
        yield client


def write_parquet(frame: pd.DataFrame, path: Path, row_group_size: int) -> Path:
    """Write ``frame`` as one Parquet file with small row groups (several units per file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path
