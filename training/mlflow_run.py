"""Log one training run to MLflow and register its model bundle.

The bundle is logged as a single MLflow model "from code": the python model is the
file ``srdi/core/pyfunc_model.py`` (no pickle) and the bundle directory is its one
artifact. The signature lists every input-record field, typed ``Any`` so that the
model's own validator (not MLflow's dtype casting) judges each value and reports
bad rows one by one; the contract's required fields are marked required.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import AnyType, ColSpec, Schema

from srdi.core.bundle import ModelBundle
from training.registry import ensure_experiment, tracking

if TYPE_CHECKING:
    from srdi.core.settings import Settings

__all__ = [
    "LoggedRun",
    "log_run",
    "model_signature",
    "pip_requirements",
    "pyfunc_model_path",
]

MODEL_NAME = "model"
BUNDLE_ARTIFACT = "bundle"
_PINNED = (
    "mlflow",
    "lightgbm",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "pydantic",
    "pydantic-settings",
)


def model_signature() -> ModelSignature:
    """Return the pyfunc signature: input-record fields in, score columns out."""
    from features.fields import FIELDS

    # AnyType: MLflow's own casting would refuse e.g. an int revenue for a double
    # column; the model's validator checks every value and names the bad ones.
    any_type = AnyType()  # type: ignore[no-untyped-call]
    inputs = Schema([ColSpec(any_type, spec.name, required=spec.required) for spec in FIELDS])
    outputs = Schema(
        [
            ColSpec("string", "company_id", required=False),
            ColSpec("double", "fiscal_year", required=False),
            ColSpec("double", "score", required=False),
            ColSpec("double", "percentile", required=False),
            ColSpec("string", "band", required=False),
            ColSpec("string", "status"),
            ColSpec("string", "error", required=False),
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs)


def pip_requirements() -> list[str]:
    """Pinned requirements of the model environment.

    The pyfunc imports this project's ``features`` and ``srdi`` packages, so it is
    served from an environment where ``srdi-scoring`` is installed
    (``mlflow models serve --env-manager local``).
    """
    out = []
    for package in _PINNED:
        try:
            out.append(f"{package}=={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(package)
    return out


@dataclass(frozen=True)
class LoggedRun:
    """Identifiers of a logged run and its registered model."""

    run_id: str
    experiment_id: str
    model_uri: str
    version: str | None


def pyfunc_model_path() -> Path:
    """Path of ``srdi/core/pyfunc_model.py``, found without importing (and so running) it."""
    spec = importlib.util.find_spec("srdi.core.pyfunc_model")
    if spec is None or spec.origin is None:
        raise RuntimeError("srdi.core.pyfunc_model is not installed with this package")
    return Path(spec.origin)


def log_run(
    settings: Settings,
    bundle: ModelBundle,
    *,
    params: Mapping[str, object],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    artifacts_dir: Path,
    input_example: pd.DataFrame,
    run_name: str | None = None,
    register: bool = True,
    before_artifacts: Callable[[str], object] | None = None,
) -> tuple[LoggedRun, ModelBundle]:
    """Log params, metrics, tags, the evaluation artifacts and the model bundle.

    Parameters
    ----------
    settings : Settings
    bundle : ModelBundle
        The trained bundle; the run id is added to its metadata before logging.
    params, metrics, tags : mapping
        What the run logs (NaN metrics are skipped: MLflow cannot chart them).
    artifacts_dir : Path
        Plots, report and tables, logged under ``evaluation/``.
    input_example : pandas.DataFrame
        A few input records, stored with the model.
    run_name : str, optional
    register : bool
        Register the model under its target's name (``Settings.model_name``).
    before_artifacts : callable, optional
        Called with the run id before ``artifacts_dir`` is uploaded (to write a
        report that names its run).

    Returns
    -------
    (LoggedRun, ModelBundle)
        The identifiers, and the bundle as logged (with ``run_id`` in its metadata).
    """
    finite = {k: float(v) for k, v in metrics.items() if v == v}
    with tracking(settings) as client:
        experiment_id = ensure_experiment(client, settings)
        with mlflow.start_run(
            experiment_id=experiment_id, run_name=run_name, tags=dict(tags)
        ) as run:
            run_id = run.info.run_id
            mlflow.log_params({k: str(v)[:6000] for k, v in params.items()})
            mlflow.log_metrics(finite)
            if before_artifacts is not None:
                before_artifacts(run_id)
            mlflow.log_artifacts(str(artifacts_dir), artifact_path="evaluation")
            logged = replace(bundle, metadata={**bundle.metadata, "run_id": run_id})
            with tempfile.TemporaryDirectory(prefix="srdi-bundle-") as tmp:
                bundle_dir = Path(tmp) / BUNDLE_ARTIFACT
                logged.save(bundle_dir)
                mlflow.log_dict(
                    json.loads(json.dumps(logged.manifest(), default=str)),
                    "bundle_manifest.json",
                )
                info = mlflow.pyfunc.log_model(
                    name=MODEL_NAME,
                    python_model=str(pyfunc_model_path()),
                    artifacts={BUNDLE_ARTIFACT: str(bundle_dir)},
                    signature=model_signature(),
                    input_example=input_example,
                    pip_requirements=pip_requirements(),
                    registered_model_name=(
                        settings.model_name(bundle.target) if register else None
                    ),
                    metadata={"target": bundle.target, "horizon": bundle.horizon},
                )
    version = info.registered_model_version
    result = LoggedRun(
        run_id=run_id,
        experiment_id=experiment_id,
        model_uri=str(info.model_uri),
        version=None if version is None else str(version),
    )
    return result, logged
