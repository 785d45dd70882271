"""MLflow: the tracking store, run tags, model logging, the promotion gate, listings.

The store is ``Settings.effective_tracking_uri``: ``SRDI_TRACKING_URI``, else
``MLFLOW_TRACKING_URI``, else the embedded SQLite file ``models/mlflow.db`` whose
experiment keeps its artifacts in ``models/artifacts``. The registry lives in the
same store. A new model version takes the ``champion`` alias only when its test
PR-AUC is at least the champion's on the same test rows (:func:`gate`).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import math
import os
import platform
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from srdi.core.bundle import BundleMismatchError, ModelBundle, load_registered_bundle

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion

    from srdi.core.settings import Settings

__all__ = [
    "EXPERIMENT_NAME",
    "GateDecision",
    "VersionSummary",
    "artifact_location",
    "ensure_experiment",
    "gate",
    "git_sha",
    "has_champion",
    "library_versions",
    "list_versions",
    "promote",
    "run_tags",
    "tracking",
]

log = logging.getLogger(__name__)

EXPERIMENT_NAME = "srdi-potential"
GATE_METRIC = "test_pr_auc"
_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
_MISSING = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"}


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


@dataclass(frozen=True)
class GateDecision:
    """Outcome of the promotion gate for one new model version."""

    promoted: bool
    new_version: str
    new_score: float
    champion_version: str | None
    champion_score: float | None
    basis: str  # "no champion", "same test rows", "logged metric" or "manual"
    message: str

    def as_tags(self) -> dict[str, str]:
        """Return the decision as model-version tags."""
        return {
            "gate.promoted": str(self.promoted).lower(),
            "gate.basis": self.basis,
            "gate.champion_version": self.champion_version or "none",
            "gate.champion_test_pr_auc": (
                "none" if self.champion_score is None else f"{self.champion_score:.6f}"
            ),
            "gate.new_test_pr_auc": f"{self.new_score:.6f}",
        }


def _champion(client: MlflowClient, settings: Settings) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(settings.registered_model, settings.champion_alias)
    except MlflowException as exc:
        if exc.error_code in _MISSING:
            return None
        raise


def gate(
    client: MlflowClient,
    settings: Settings,
    new_version: str,
    new_score: float,
    score_champion: Callable[[ModelBundle], float],
    *,
    target: str | None = None,
    horizon: int | None = None,
) -> GateDecision:
    """Give the champion alias to ``new_version`` unless the current champion is better.

    Parameters
    ----------
    client : MlflowClient
    settings : Settings
    new_version : str
        The freshly registered version.
    new_score : float
        Its test PR-AUC.
    score_champion : callable
        Returns a bundle's PR-AUC on the new run's test rows; the current champion
        is loaded and scored with it. When the champion's bundle does not match this
        code (other features or rule tables), its logged ``test_pr_auc`` is used
        instead, with a warning.
    target, horizon : optional
        What the new version predicts. A champion that predicts something else is
        never replaced automatically (the scores are not comparable); switching
        takes ``srdi promote``.

    Returns
    -------
    GateDecision
    """
    name = settings.registered_model
    current = _champion(client, settings)
    if current is None:
        decision = GateDecision(
            True, new_version, new_score, None, None, "no champion", "first champion"
        )
    elif str(current.version) == str(new_version):
        decision = GateDecision(
            True, new_version, new_score, new_version, new_score, "same version", "already champion"
        )
    else:
        predicts: tuple[str | None, int | None]
        try:
            champion = load_registered_bundle(settings, version=str(current.version))
            predicts = (champion.bundle.target, champion.bundle.horizon)
            champion_score = float(score_champion(champion.bundle))
            basis = "same test rows"
        except BundleMismatchError as exc:
            log.warning(
                "champion version %s cannot score this run's test rows (%s); comparing with its "
                "logged %s instead",
                current.version,
                exc,
                GATE_METRIC,
            )
            run = client.get_run(current.run_id) if current.run_id else None
            metrics = run.data.metrics if run else {}
            params = run.data.params if run else {}
            predicts = (params.get("target"), _int_or_none(params.get("horizon")))
            champion_score = float(metrics.get(GATE_METRIC, math.nan))
            basis = "logged metric"
        wanted = (target, horizon)
        if None not in wanted and predicts != wanted:
            decision = GateDecision(
                False,
                new_version,
                new_score,
                str(current.version),
                champion_score,
                "different target",
                f"kept the champion: v{current.version} predicts {predicts[0]} within "
                f"{predicts[1]} years, the new version {target} within {horizon}; "
                f"`srdi promote {new_version}` switches",
            )
        else:
            better = math.isnan(champion_score) or new_score >= champion_score
            verdict = "promoted" if better else "kept the champion"
            decision = GateDecision(
                better,
                new_version,
                new_score,
                str(current.version),
                champion_score,
                basis,
                f"{verdict}: new test PR-AUC {new_score:.4f} vs champion v{current.version} "
                f"{champion_score:.4f} ({basis})",
            )
    if decision.promoted:
        client.set_registered_model_alias(name, settings.champion_alias, new_version)
    for key, value in decision.as_tags().items():
        client.set_model_version_tag(name, new_version, key, value)
    return decision


def _int_or_none(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def promote(settings: Settings, version: str) -> GateDecision:
    """Give the champion alias to ``version`` regardless of the gate.

    Raises
    ------
    ValueError
        When the version does not exist.
    """
    with tracking(settings) as client:
        name = settings.registered_model
        try:
            target = client.get_model_version(name, str(version))
        except MlflowException as exc:
            if exc.error_code in _MISSING:
                raise ValueError(f"model {name!r} has no version {version}") from exc
            raise
        current = _champion(client, settings)
        client.set_registered_model_alias(name, settings.champion_alias, str(target.version))
        client.set_model_version_tag(name, str(target.version), "gate.basis", "manual")
        metrics = client.get_run(target.run_id).data.metrics if target.run_id else {}
        return GateDecision(
            True,
            str(target.version),
            float(metrics.get(GATE_METRIC, math.nan)),
            None if current is None else str(current.version),
            None,
            "manual",
            f"version {target.version} promoted to @{settings.champion_alias} by hand",
        )


# -- listings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionSummary:
    """One registered model version with its run's headline metrics."""

    version: str
    aliases: tuple[str, ...]
    run_id: str | None
    created: int
    metrics: dict[str, float]
    tags: dict[str, str]


def list_versions(settings: Settings) -> list[VersionSummary]:
    """Return every version of the registered model, newest first (empty if none)."""
    with tracking(settings) as client:
        name = settings.registered_model
        try:
            aliases_by_version: dict[str, list[str]] = {}
            for alias, version in client.get_registered_model(name).aliases.items():
                aliases_by_version.setdefault(str(version), []).append(alias)
        except MlflowException as exc:
            if exc.error_code in _MISSING:
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
                    version=str(mv.version),
                    aliases=tuple(sorted(aliases_by_version.get(str(mv.version), []))),
                    run_id=mv.run_id,
                    created=int(mv.creation_timestamp or 0),
                    metrics={k: float(v) for k, v in metrics.items()},
                    tags=dict(mv.tags or {}),
                )
            )
        return out


def has_champion(settings: Settings) -> bool:
    """True when the registered model has a version with the champion alias."""
    with tracking(settings) as client:
        try:
            return _champion(client, settings) is not None
        except MlflowException:
            return False
