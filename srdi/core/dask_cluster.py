"""Where Dask work runs: a scheduler the caller names, or a LocalCluster sized to the machine.

Batch scoring and distributed training share this one entry so both honour the same
rule: with an address (or a live client) any Dask scheduler is used and left running;
without one a ``LocalCluster`` of one single-threaded worker process per core starts
for the call and stops after it. Dask is the ``dask`` extra, imported only here and
only when called.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DaskNotInstalledError", "dask_client"]

_INSTALL_HINT = "install the scale-out extra: pip install -e '.[dask]'"
# A worker process that dies is restarted by its nanny, but on a busy machine the new
# process can take longer than distributed's default 15 s to register, after which
# the LocalCluster closes that nanny for good; with every worker gone a run would
# wait forever. Give restarts time, and fail partitions that stay unrunnable instead.
#
# Dask starts workers with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's
# adaptive mmap threshold: every array above 128 KiB is then mapped fresh and
# unmapped on free, so each partition page-faults its ~1 GB of arrays anew (ten times
# the faults, and the rule engine three times slower, measured). Unset, freed arrays
# are reused by the next partition and memory stays bounded by the partition size.
_LOCAL_CLUSTER_CONFIG = {
    "distributed.deploy.lost-worker-timeout": "5 minutes",
    "distributed.scheduler.no-workers-timeout": "10 minutes",
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


class DaskNotInstalledError(ImportError):
    """The ``dask`` extra (dask.dataframe and distributed) is missing."""


@contextmanager
def dask_client(
    scheduler: str | Client | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    memory_limit: str | int = "auto",
) -> Iterator[Client]:
    """Yield a Dask client: connected to ``scheduler``, or to a LocalCluster started here.

    Parameters
    ----------
    scheduler
        A scheduler address (``tcp://host:8786``), a scheduler file path ending in
        ``.json``, an existing :class:`distributed.Client` (used as is, not closed),
        or ``None`` to start a ``LocalCluster`` for the duration of the block.
    n_workers
        Worker processes of the LocalCluster; ``None`` sizes it to the machine (one
        per core the process may use, cgroup limits included).
    threads_per_worker
        Threads per LocalCluster worker. One keeps LightGBM and numpy from
        oversubscribing the cores the processes already share.
    memory_limit
        Memory limit per LocalCluster worker, as Dask accepts it (``"auto"`` splits
        the machine's memory evenly).

    Yields
    ------
    distributed.Client
        A client whose workers are ready.

    Raises
    ------
    DaskNotInstalledError
        When the ``dask`` extra is not installed.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the test setup installs the extra
        raise DaskNotInstalledError(f"Dask is not installed; {_INSTALL_HINT}") from exc

    if isinstance(scheduler, Client):
        yield scheduler
        return
    if scheduler:
        if scheduler.endswith(".json"):
            with Client(scheduler_file=scheduler) as client:
                yield client
        else:
            with Client(scheduler) as client:
                yield client
        return
    import dask

    # A random port for the scheduler's HTTP endpoints: the LocalCluster is private to
    # one command, and the fixed default would collide with any other cluster here.
    with (
        dask.config.set(_LOCAL_CLUSTER_CONFIG),
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
