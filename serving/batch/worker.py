"""The model on each Dask worker: loaded once per worker, not once per partition.

:class:`ScorerPlugin` is a Dask worker plugin that carries a model bundle's text files
(the LightGBM model and JSON: no pickles, no shared filesystem needed). On a worker
it rebuilds the bundle and its :class:`~serving.scoring.scorer.Scorer` once, on the first
partition that asks (:func:`worker_scorer`), inside that task's thread: loading in
the plugin's ``setup`` would block the worker's event loop, and a worker that misses
its heartbeats while it loads is taken for dead. A worker that joins or restarts
later gets the plugin too and loads the model on its own first partition. The
plugin's name carries the model name, version and a digest of the files, so two
models never share a slot and re-registering the same model is a no-op.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from distributed import WorkerPlugin, get_worker

if TYPE_CHECKING:
    from distributed import Worker

    from serving.scoring.scorer import Scorer
    from srdi.core.bundle import LoadedModel
    from srdi.core.settings import Settings

__all__ = ["BundleFiles", "ScorerPlugin", "plugin_name", "worker_model", "worker_scorer"]


@dataclass(frozen=True)
class BundleFiles:
    """A model bundle as bytes, with the registry identity of the model.

    Attributes
    ----------
    name, version, run_id
        Where the model came from (shown in every score row).
    files
        Bundle file name to content, exactly as :meth:`ModelBundle.save` wrote them.
    """

    name: str
    version: str
    run_id: str | None
    files: tuple[tuple[str, bytes], ...]

    @classmethod
    def from_loaded(cls, loaded: LoadedModel) -> BundleFiles:
        """Serialize a loaded model's bundle through its own ``save``."""
        with tempfile.TemporaryDirectory(prefix="srdi-bundle-") as tmp:
            loaded.bundle.save(tmp)
            files = tuple((path.name, path.read_bytes()) for path in sorted(Path(tmp).iterdir()))
        return cls(loaded.name, loaded.version, loaded.run_id, files)

    @property
    def digest(self) -> str:
        """Short SHA-256 of the files: tells two bundles of one version apart."""
        sha = hashlib.sha256()
        for name, content in self.files:
            sha.update(name.encode())
            sha.update(content)
        return sha.hexdigest()[:12]

    def load(self, directory: Path) -> LoadedModel:
        """Write the files into ``directory`` and load the bundle from there."""
        from srdi.core.bundle import LoadedModel, ModelBundle

        directory.mkdir(parents=True, exist_ok=True)
        for name, content in self.files:
            (directory / name).write_bytes(content)
        return LoadedModel(
            bundle=ModelBundle.load(directory),
            name=self.name,
            version=self.version,
            run_id=self.run_id,
        )


class ScorerPlugin(WorkerPlugin):
    """Builds one :class:`~serving.scoring.scorer.Scorer` per worker from a shipped bundle.

    Parameters
    ----------
    bundle
        The model to serve.
    settings
        Passed to the scorer (currency rates of the foreign schemes); the API key is
        stripped before it travels to the workers.
    """

    idempotent = True

    def __init__(self, bundle: BundleFiles, settings: Settings) -> None:
        self.bundle = bundle
        self.settings = settings.model_copy(update={"api_key": None})
        self.name = plugin_name(bundle)
        self.loads = 0
        self._scorer: Scorer | None = None
        self._root: str | None = None
        self._directory: Path | None = None
        self._lock: threading.Lock | None = None

    def setup(self, worker: Worker) -> None:
        """Attach to a worker; the model itself loads on first use."""
        self._root = worker.local_directory
        self._lock = threading.Lock()  # created here: a lock does not travel

    def scorer(self) -> Scorer:
        """The worker's scorer, loaded on the first call (one load per worker process)."""
        if self._lock is None:
            raise RuntimeError(f"plugin {self.name!r} is not attached to a worker")
        with self._lock:  # partitions running in parallel threads wait for one load
            if self._scorer is None:
                from serving.scoring.scorer import Scorer

                directory = Path(tempfile.mkdtemp(prefix="srdi-model-", dir=self._root))
                loaded = self.bundle.load(directory)
                self._scorer = Scorer.from_loaded(loaded, settings=self.settings)
                self._directory = directory
                self.loads += 1
            return self._scorer

    def teardown(self, worker: Worker) -> None:
        """Drop the model and its files when the worker closes or the plugin is removed."""
        self._scorer = None
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None


def plugin_name(bundle: BundleFiles) -> str:
    """The worker-plugin name of a bundle: model name, version and file digest."""
    return f"srdi-scorer:{bundle.name}:{bundle.version}:{bundle.digest}"


def worker_model(name: str) -> tuple[str, int]:
    """Address of the worker running this task and how often it loaded model ``name``."""
    worker = get_worker()
    plugin = worker.plugins.get(name)
    loads = plugin.loads if isinstance(plugin, ScorerPlugin) else 0
    return str(worker.address), loads


def worker_scorer(name: str) -> Scorer:
    """Return the scorer the plugin ``name`` holds on the worker running this task.

    Raises
    ------
    RuntimeError
        When called outside a Dask task, or when the plugin is not registered (call
        ``client.register_plugin(ScorerPlugin(...))`` first).
    """
    worker = get_worker()
    plugin = worker.plugins.get(name)
    if not isinstance(plugin, ScorerPlugin):
        raise RuntimeError(
            f"worker {worker.address} has no model plugin {name!r}; "
            "register ScorerPlugin with the client before submitting batch tasks"
        )
    return plugin.scorer()
