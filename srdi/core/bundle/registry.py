"""Loading the champion (or a given version) from the MLflow model registry."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from srdi.core.bundle.errors import NoChampionError
from srdi.core.bundle.files import find_bundle_dir, read_bundle
from srdi.core.bundle.model import ModelBundle

if TYPE_CHECKING:
    from srdi.core.settings import Settings

__all__ = ["NOT_FOUND_CODES", "LoadedModel", "load_registered_bundle"]

NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"})
"""MLflow error codes meaning "no such model, version or alias" (not a failure)."""


@dataclass(frozen=True)
class LoadedModel:
    """A bundle fetched from the registry, with where it came from."""

    bundle: ModelBundle
    name: str
    version: str
    run_id: str | None


def load_registered_bundle(
    settings: Settings, *, version: str | None = None, target: str = "srdi_sme"
) -> LoadedModel:
    """Fetch ``models:/<name>@<champion_alias>`` (or a given version) of a target's model.

    Parameters
    ----------
    settings : Settings
        Supplies the tracking URI, the registered-model names and the alias.
    version : str, optional
        A specific model version instead of the champion.
    target : str
        Whose model: ``srdi_sme`` (``srdi-potential``), ``little_giant`` or
        ``retention`` (``Settings.model_name``).

    Returns
    -------
    LoadedModel

    Raises
    ------
    NoChampionError
        The registered model or its champion alias does not exist.
    BundleMismatchError
        The champion was trained with another feature list or rule-table versions.
    """
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    uri = settings.effective_tracking_uri
    name = settings.model_name(target)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        if version is None:
            model_version = client.get_model_version_by_alias(name, settings.champion_alias)
        else:
            model_version = client.get_model_version(name, version)
    except MlflowException as exc:
        if exc.error_code not in NOT_FOUND_CODES:
            raise
        what = f"version {version}" if version else f"alias @{settings.champion_alias}"
        raise NoChampionError(
            f"no registered model {name!r} {what} in the MLflow store {uri}; "
            f"train one with `make train` (or `srdi train --data DIR --target {target}`)"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="srdi-bundle-") as tmp:
        # Resolve the storage location here: MLflow's models:/ resolver reads the
        # process-wide registry URI, not the one passed in.
        source = client.get_model_version_download_uri(name, str(model_version.version))
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=source, dst_path=tmp, tracking_uri=uri, registry_uri=uri
        )
        bundle = read_bundle(find_bundle_dir(Path(local)))
    return LoadedModel(
        bundle=bundle,
        name=name,
        version=str(model_version.version),
        run_id=model_version.run_id,
    )
