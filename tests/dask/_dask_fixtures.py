"""Helpers of the Dask tests: a 2-worker LocalCluster, Parquet files with small row groups."""

from __future__ import annotations

from pathlib import Path

import distributed
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

N_WORKERS = 2


def start_cluster() -> tuple[distributed.LocalCluster, distributed.Client]:
    """Two single-threaded worker processes with nannies (so killed workers come back)."""
    cluster = distributed.LocalCluster(
        n_workers=N_WORKERS,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        memory_limit="2GiB",
    )
    return cluster, distributed.Client(cluster)


def write_parquet(frame: pd.DataFrame, path: Path, row_group_size: int) -> Path:
    """Write ``frame`` as one Parquet file with small row groups (several units per file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path
