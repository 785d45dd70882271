"""The model in service, behind a small object that swaps it atomically.

Each request takes the current :class:`~serving.scoring.scorer.Scorer` once (``holder.current()``)
and keeps that reference to the end, so a reload that swaps in a new scorer never
disturbs a request in flight: it finishes on the old model, the next one starts on the
new. The swap is a single reference assignment; loads are serialized by a lock and
run outside the event loop.

A :class:`ModelProvider` knows where models come from. The default,
:class:`RegistryModelProvider`, asks the MLflow registry for
``models:/<registered_model>@<champion_alias>``; tests pass their own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from serving.api.errors import ModelUnavailableError
from serving.scoring.scorer import Scorer
from srdi.core.bundle import BundleMismatchError, NoChampionError
from srdi.core.settings import Settings

__all__ = [
    "ModelHolder",
    "ModelProvider",
    "RegistryModelProvider",
    "ReloadOutcome",
    "watch_champion",
]

_log = logging.getLogger("serving.model")

NOT_LOADED = "the model has not been loaded yet"


class ModelProvider(Protocol):
    """Where the service gets its model."""

    def champion_version(self) -> str | None:
        """Return the version the champion alias points at now, ``None`` if there is none."""
        ...

    def load(self) -> Scorer:
        """Load the champion; raise ``NoChampionError`` or ``BundleMismatchError``."""
        ...


class RegistryModelProvider:
    """Loads ``models:/<registered_model>@<champion_alias>`` from the MLflow registry.

    Parameters
    ----------
    settings
        Supplies the tracking URI, the registered model name, the alias and the
        currency rates for the foreign schemes.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def champion_version(self) -> str | None:
        """Ask the registry which version holds the champion alias (no download)."""
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(
            tracking_uri=self.settings.effective_tracking_uri,
            registry_uri=self.settings.effective_tracking_uri,
        )
        try:
            version = client.get_model_version_by_alias(
                self.settings.registered_model, self.settings.champion_alias
            )
        except MlflowException:
            return None
        return str(version.version)

    def load(self) -> Scorer:
        """Fetch and unwrap the champion bundle into a :class:`Scorer`."""
        from srdi.core.bundle import load_registered_bundle

        loaded = load_registered_bundle(self.settings)
        return Scorer.from_loaded(loaded, settings=self.settings)


@dataclass(frozen=True)
class ReloadOutcome:
    """What a (re)load did: ``swapped`` is true when a new scorer went into service."""

    swapped: bool
    model: dict[str, str] | None
    previous: dict[str, str] | None
    problem: str | None


class ModelHolder:
    """Holds the scorer in service and swaps it atomically on reload.

    Parameters
    ----------
    provider
        Source of models; :meth:`reload` calls its ``load``.
    """

    def __init__(self, provider: ModelProvider) -> None:
        self.provider = provider
        self._scorer: Scorer | None = None
        self._problem: str | None = NOT_LOADED
        self._load_lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """True once a model is in service."""
        return self._scorer is not None

    @property
    def serving_version(self) -> str | None:
        """Version of the model in service, ``None`` before the first load."""
        scorer = self._scorer
        return scorer.model_version if scorer is not None else None

    @property
    def problem(self) -> str | None:
        """Why no model is (or why the last load failed while the old one kept serving)."""
        return self._problem

    def current(self) -> Scorer:
        """Return the scorer in service; raise :class:`ModelUnavailableError` if none."""
        scorer = self._scorer
        if scorer is None:
            raise ModelUnavailableError(self._problem or NOT_LOADED)
        return scorer

    def install(self, scorer: Scorer) -> None:
        """Put ``scorer`` into service (one reference assignment: atomic for readers)."""
        self._scorer = scorer
        self._problem = None

    def reload(self) -> ReloadOutcome:
        """Load the provider's current model and swap it in; keep the old one on failure.

        Blocking (it reads the registry and the bundle): call it from a worker thread
        when an event loop is serving requests.
        """
        with self._load_lock:
            previous = self._scorer.model_info if self._scorer is not None else None
            try:
                scorer = self.provider.load()
            except NoChampionError as exc:
                return self._failed(f"No champion model is registered: {exc}", previous)
            except BundleMismatchError as exc:
                message = f"the champion model was refused: {exc}"
                _log.error("%s", message)
                return self._failed(message, previous)
            except Exception as exc:  # an unreadable bundle or an unreachable registry
                _log.exception("loading the champion model failed")
                message = f"loading the champion model failed: {type(exc).__name__}: {exc}"
                return self._failed(message, previous)
            self.install(scorer)
            _log.info("serving %s version %s", scorer.model_name, scorer.model_version)
            return ReloadOutcome(True, scorer.model_info, previous, None)

    def _failed(self, message: str, previous: dict[str, str] | None) -> ReloadOutcome:
        # A loaded model keeps serving; the problem is still reported by /readyz.
        self._problem = message
        if previous is not None:
            _log.warning(
                "reload failed, still serving version %s: %s", previous["version"], message
            )
        return ReloadOutcome(False, previous, previous, message)


async def watch_champion(holder: ModelHolder, interval_s: float) -> None:
    """Poll the champion alias every ``interval_s`` seconds; reload when it moves.

    Runs until cancelled. Registry and load calls happen in worker threads, so
    requests keep flowing on the event loop meanwhile.
    """
    while True:
        await asyncio.sleep(interval_s)
        try:
            version = await asyncio.to_thread(holder.provider.champion_version)
            if version is not None and version != holder.serving_version:
                _log.info("champion moved to version %s; reloading", version)
                await asyncio.to_thread(holder.reload)
        except Exception:  # a flaky registry must not end the watch
            _log.exception("champion alias check failed; retrying in %.0f s", interval_s)
