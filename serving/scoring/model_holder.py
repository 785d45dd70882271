"""The models in service, behind a small object that swaps them atomically.

Each request takes the current :class:`~serving.scoring.scorer.Scorer` once (``holder.current()``)
and keeps that reference to the end, so a reload that swaps in a new scorer never
disturbs a request in flight: it finishes on the old models, the next one starts on
the new. The swap is a single reference assignment; loads are serialized by a lock
and run outside the event loop.

A :class:`ModelProvider` knows where models come from. The default,
:class:`RegistryModelProvider`, asks the MLflow registry for each target's
``models:/<name>@<champion_alias>`` (``srdi-potential``, ``srdi-little-giant``,
``srdi-retention``): a target whose champion is missing or refused answers "not
trained" inside the results while the others serve, a target whose champion did not
move keeps its loaded model, and one whose new champion fails to load keeps the
previous one. Tests pass their own provider.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from features.ladder import TARGET_IDS
from serving.api.errors import ModelUnavailableError
from serving.scoring.scorer import Scorer
from serving.scoring.steps import MissingModel, ModelSet, ServedModel
from serving.scoring.target import TargetModel
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
    """Loads each target's ``models:/<name>@<champion_alias>`` from the MLflow registry.

    Parameters
    ----------
    settings
        Supplies the tracking URI, the registered model names, the alias and the
        currency rates for the foreign schemes.
    targets
        The questions the service offers (default: the ladder's three).
    """

    def __init__(self, settings: Settings, targets: Sequence[str] = TARGET_IDS) -> None:
        self.settings = settings
        self.targets = tuple(targets)
        self._loaded: dict[str, ServedModel] = {}

    def _client(self) -> Any:
        from mlflow import MlflowClient

        uri = self.settings.effective_tracking_uri
        return MlflowClient(tracking_uri=uri, registry_uri=uri)

    def _versions(self) -> dict[str, str | None]:
        from mlflow.exceptions import MlflowException

        client = self._client()
        out: dict[str, str | None] = {}
        for target in self.targets:
            try:
                version = client.get_model_version_by_alias(
                    self.settings.model_name(target), self.settings.champion_alias
                )
            except MlflowException:
                out[target] = None
            else:
                out[target] = str(version.version)
        return out

    def champion_version(self) -> str | None:
        """The champions' versions as one text (``Scorer.versions_key``); ``None`` if none."""
        versions = self._versions()
        if not any(versions.values()):
            return None
        return ",".join(f"{t}={v or '-'}" for t, v in versions.items())

    def load(self) -> Scorer:
        """Fetch and unwrap the champions into a :class:`Scorer`.

        Raises
        ------
        NoChampionError
            When no target has a champion that loads (each target's problem named).
        """
        from srdi.core.bundle import load_registered_bundle

        served: list[ServedModel] = []
        missing: list[MissingModel] = []
        versions = self._versions() if self._loaded else {}
        for target in self.targets:
            name = self.settings.model_name(target)
            previous = self._loaded.get(target)
            if previous is not None and versions.get(target) == previous.version:
                served.append(previous)  # its champion did not move: no download
                continue
            try:
                loaded = load_registered_bundle(self.settings, target=target)
                model = ServedModel(
                    TargetModel(loaded.bundle), loaded.name, loaded.version, loaded.run_id
                )
            except NoChampionError as exc:
                missing.append(MissingModel(target, name, f"no champion model: {exc}"))
                continue
            except BundleMismatchError as exc:
                problem = f"the champion of {name} was refused: {exc}"
                _log.error("%s", problem)
            except Exception as exc:  # an unreadable bundle or an unreachable registry
                _log.exception("loading the champion of %s failed", name)
                problem = f"loading the champion of {name} failed: {type(exc).__name__}: {exc}"
            else:
                served.append(model)
                continue
            if previous is not None:
                # A new champion that fails to load leaves the old one serving.
                _log.warning("still serving %s version %s: %s", name, previous.version, problem)
                served.append(previous)
            else:
                missing.append(MissingModel(target, name, problem))
        if not served:
            raise NoChampionError("; ".join(m.problem for m in missing))
        self._loaded = {m.target: m for m in served}
        return Scorer.from_models(
            ModelSet.of(served, missing), rates=self.settings.currency_rates()
        )


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
        """Version of the (primary) model in service, ``None`` before the first load."""
        scorer = self._scorer
        return scorer.model_version if scorer is not None else None

    @property
    def serving_key(self) -> str | None:
        """Every target's version in service as one text (``Scorer.versions_key``)."""
        scorer = self._scorer
        return scorer.versions_key if scorer is not None else None

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
    """Poll the champion aliases every ``interval_s`` seconds; reload when one moves.

    A provider's ``champion_version`` is compared with the scorer's
    ``versions_key`` (or, for a provider of one model, its version).

    Runs until cancelled. Registry and load calls happen in worker threads, so
    requests keep flowing on the event loop meanwhile.
    """
    while True:
        await asyncio.sleep(interval_s)
        try:
            version = await asyncio.to_thread(holder.provider.champion_version)
            if version is not None and version not in (
                holder.serving_key,
                holder.serving_version,
            ):
                _log.info("champion moved to version %s; reloading", version)
                await asyncio.to_thread(holder.reload)
        except Exception:  # a flaky registry must not end the watch
            _log.exception("champion alias check failed; retrying in %.0f s", interval_s)
