"""MLflow: the tracking store, the experiment, run tags, the champion, listings.

The store is ``Settings.effective_tracking_uri``: ``SRDI_TRACKING_URI``, else
``MLFLOW_TRACKING_URI``, else the embedded SQLite file ``models/mlflow.db`` whose
experiment keeps its artifacts in ``models/artifacts``. The registry lives in the
same store. Who gets the ``champion`` alias is :mod:`training.gate`'s decision.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from srdi.core.bundle.registry import NOT_FOUND_CODES

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from srdi.core.settings import Settings

__all__ = [
    "EXPERIMENT_NAME",
    "VersionSummary",
    "artifact_location",
    "current_champion",
    "ensure_experiment",
    "git_sha",
    "has_champion",
    "library_versions",
    "list_versions",
    "run_tags",
    "tracking",
]

EXPERIMENT_NAME = "srdi-potential"
_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def artifact_location(settings: Settings) -> str | None:
    """Where a new experiment keeps artifacts: beside a SQLite store, else the server's choice."""
    uri = settings.effective_tracking_uri
    parsed = urlparse(uri)
    if parsed.scheme != "sqlite":
        return None
    database = Path(unquote(uri[len("sqlite:///") :]))
    if database == settings.resolve(settings.models_dir) / "mlflow.db":
        return settings.artifact_root.as_uri()
    return (database.parent / "artifacts").as_uri()


@contextlib.contextmanager
def tracking(settings: Settings) -> Iterator[MlflowClient]:
    """Point MLflow's fluent API at the settings' store for the duration of a block.

    MLflow keeps the URIs in process-wide state *and* copies them into the
    ``MLFLOW_TRACKING_URI`` / ``MLFLOW_REGISTRY_URI`` environment variables (which
    :attr:`Settings.effective_tracking_uri` reads). On exit the globals are cleared
    and the variables restored exactly, so nothing leaks into later calls.
    """
    uri = settings.effective_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(unquote(uri[len("sqlite:///") :])).parent.mkdir(parents=True, exist_ok=True)
    saved = {name: os.environ.get(name) for name in _URI_VARIABLES}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield MlflowClient(tracking_uri=uri, registry_uri=uri)
    finally:
        # None clears the globals; MLflow's annotations omit it, its code accepts it.
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ensure_experiment(client: MlflowClient, settings: Settings, name: str = EXPERIMENT_NAME) -> str:
    """Return the experiment id, creating it (with the artifact location) if needed."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    location = artifact_location(settings)
    if location is not None:
        Path(urlparse(location).path).mkdir(parents=True, exist_ok=True)
    return str(client.create_experiment(name, artifact_location=location))


def git_sha(directory: Path) -> str | None:
    """Return the commit of the checkout at ``directory``, or None outside git."""
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and sha else None


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries a model depends on."""
    versions = {"python": platform.python_version()}
    for package in ("lightgbm", "mlflow", "numpy", "pandas", "scikit-learn", "srdi-scoring"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def run_tags(
    settings: Settings, data_hash: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the tags of a training run: data hash, git SHA, library versions."""
    tags = {"data_hash": data_hash, "git_sha": git_sha(settings.resolve(settings.home)) or "none"}
    tags.update({f"version.{name}": value for name, value in library_versions().items()})
    tags.update(extra or {})
    return tags


# -- the promotion gate ------------------------------------------------------------------


def current_champion(
    client: MlflowClient, settings: Settings, *, target: str = "srdi_sme"
) -> ModelVersion | None:
    """The version of ``target``'s model that holds the champion alias, or ``None``."""
    try:
        return client.get_model_version_by_alias(
            settings.model_name(target), settings.champion_alias
        )
    except MlflowException as exc:
        if exc.error_code in NOT_FOUND_CODES:
            return None
        raise


# -- listings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSummary:
    """One registered model version with its run's headline metrics."""

    name: str
    version: str
    aliases: tuple[str, ...]
    run_id: str | None
    created: int
    metrics: dict[str, float]
    tags: dict[str, str]


def list_versions(settings: Settings, *, target: str = "srdi_sme") -> list[VersionSummary]:
    """Return every version of ``target``'s registered model, newest first (empty if none)."""
    with tracking(settings) as client:
        name = settings.model_name(target)
        try:
            aliases_by_version: dict[str, list[str]] = {}
            for alias, version in client.get_registered_model(name).aliases.items():
                aliases_by_version.setdefault(str(version), []).append(alias)
        except MlflowException as exc:
            if exc.error_code in NOT_FOUND_CODES:
                return []
            raise
        versions = client.search_model_versions(f"name = '{name}'")
        out = []
        for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
            metrics: dict[str, Any] = {}
            if mv.run_id:
                with contextlib.suppress(MlflowException):
                    metrics = dict(client.get_run(mv.run_id).data.metrics)
            out.append(
                VersionSummary(
                    name=name,
                    version=str(mv.version),
                    aliases=tuple(sorted(aliases_by_version.get(str(mv.version), []))),
                    run_id=mv.run_id,
                    created=int(mv.creation_timestamp or 0),
                    metrics={k: float(v) for k, v in metrics.items()},
                    tags=dict(mv.tags or {}),
                )
            )
        return out


def has_champion(settings: Settings, *, target: str = "srdi_sme") -> bool:
    """True when ``target``'s registered model has a version with the champion alias."""
    with tracking(settings) as client:
        try:
            return current_champion(client, settings, target=target) is not None
        except MlflowException:
            return False
