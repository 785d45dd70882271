"""The model bundle: everything needed to score a firm, without pickles.

Exceptions defined here::

    BundleError                 any problem with a bundle on disk
    ├── BundleFormatError       a file is missing or malformed
    └── BundleMismatchError     the bundle's features or rule tables differ from this code
    NoChampionError             the registry has no ``@champion`` model yet

On disk a bundle is a directory of text files::

    booster.txt       LightGBM model (``Booster.model_to_string``)
    calibrator.json   margin -> probability map (:mod:`srdi.core.calibrators`)
    features.json     the fitted :class:`features.pipeline.FeaturePipeline` state
    quantiles.json    calibrated-probability quantiles of the reference population
    manifest.json     feature list, rule-table versions, target, horizon, metadata
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np

from features.pipeline import FeaturePipeline
from srdi.core.calibrators import Calibrator, CalibratorFormatError, calibrator_from_dict

if TYPE_CHECKING:
    from features.columns import Columns
    from srdi.core.settings import Settings

__all__ = [
    "BAND_THRESHOLDS",
    "BUNDLE_FILES",
    "BUNDLE_FORMAT_VERSION",
    "BundleError",
    "BundleFormatError",
    "BundleMismatchError",
    "LoadedModel",
    "ModelBundle",
    "NoChampionError",
    "code_feature_names",
    "code_ruleset_versions",
    "find_bundle_dir",
    "load_registered_bundle",
]

BUNDLE_FORMAT_VERSION = 1
BUNDLE_FILES = (
    "booster.txt",
    "calibrator.json",
    "features.json",
    "quantiles.json",
    "manifest.json",
)
# Band letter and the lowest percentile that earns it, best first.
BAND_THRESHOLDS: tuple[tuple[str, float], ...] = (("A", 95.0), ("B", 80.0), ("C", 50.0))


class BundleError(Exception):
    """A model bundle cannot be used."""


class BundleFormatError(BundleError):
    """A bundle file is missing or malformed."""


class BundleMismatchError(BundleError):
    """The bundle was built for another feature list or other rule-table versions."""


class NoChampionError(Exception):
    """No model version carries the champion alias yet."""


def code_feature_names() -> list[str]:
    """Return the feature names the current code derives, in catalog order."""
    from features.catalog import FEATURES

    return [spec.name for spec in FEATURES]


def code_ruleset_versions() -> dict[str, str]:
    """Return the scheme rule-table versions of the current code."""
    from features.rules import RULESET_VERSIONS

    return {str(k): str(v) for k, v in RULESET_VERSIONS.items()}


def _json_default(value: object) -> object:
    """Make numpy scalars and arrays JSON-serializable in metadata."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"metadata value of type {type(value).__name__} is not JSON-serializable")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BundleFormatError(
            f"model bundle file {path.name} is missing in {path.parent}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise BundleFormatError(f"model bundle file {path} is not valid JSON: {exc}") from exc


@dataclass(frozen=True, eq=False)
class ModelBundle:
    """A trained model with its calibrator, feature state and reference population.

    Parameters
    ----------
    booster : lightgbm.Booster
        Binary classifier on the feature matrix.
    calibrator : Calibrator
        Maps the booster's raw margin to a calibrated probability.
    pipeline : FeaturePipeline
        Fitted feature state; ``pipeline.transform(columns)`` gives the matrix.
    feature_names : list of str
        Column order of the feature matrix.
    reference_quantiles : numpy.ndarray
        Non-decreasing calibrated-probability quantiles of the reference population
        at evenly spaced levels from 0 to 1 (for example 1001 levels).
    ruleset_versions : dict
        Scheme id to rule-table version the training run used.
    target : str
        ``"srdi_sme"`` or ``"little_giant"``.
    horizon : int
        Years after the fiscal year within which certification counts.
    metadata : dict
        ``trained_at``, ``metrics``, ``run_id``, ``data_hash`` and the like.
    """

    booster: lgb.Booster
    calibrator: Calibrator
    pipeline: FeaturePipeline
    feature_names: list[str]
    reference_quantiles: np.ndarray
    ruleset_versions: dict[str, str]
    target: str
    horizon: int
    metadata: dict[str, Any] = field(default_factory=dict)
    _levels: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        quantiles = np.asarray(self.reference_quantiles, dtype=np.float64)
        if quantiles.ndim != 1 or quantiles.size < 2:
            raise BundleFormatError("reference_quantiles needs at least 2 levels")
        if not np.all(np.isfinite(quantiles)) or np.any(np.diff(quantiles) < 0):
            raise BundleFormatError("reference_quantiles must be finite and non-decreasing")
        object.__setattr__(self, "reference_quantiles", quantiles)
        # The percentile level of each quantile, made once rather than per request.
        object.__setattr__(self, "_levels", np.linspace(0.0, 100.0, quantiles.size))
        n_booster = int(self.booster.num_feature())
        if n_booster != len(self.feature_names):
            raise BundleFormatError(
                f"the booster expects {n_booster} features but the bundle lists "
                f"{len(self.feature_names)}"
            )

    # -- scoring ---------------------------------------------------------------------

    def transform(self, columns: Columns) -> np.ndarray:
        """Return the feature matrix of validated columns (the fitted pipeline)."""
        return np.asarray(self.pipeline.transform(columns), dtype=np.float64)

    def raw_margin(self, X: np.ndarray, *, num_threads: int = 1) -> np.ndarray:
        """Return the booster's raw margin (log-odds) for each row of ``X``."""
        out = self.booster.predict(X, raw_score=True, num_threads=num_threads)
        return np.asarray(out, dtype=np.float64)

    def predict(self, X: np.ndarray, *, num_threads: int = 1) -> np.ndarray:
        """Return the calibrated probability for each row of the feature matrix ``X``."""
        return self.calibrator.transform(self.raw_margin(X, num_threads=num_threads))

    def contributions(self, X: np.ndarray, *, num_threads: int = 1) -> np.ndarray:
        """Return TreeSHAP contributions to the raw margin, shape ``(n, features + 1)``.

        The last column is the expected margin (bias); each row sums to
        :meth:`raw_margin`.
        """
        out = self.booster.predict(X, pred_contrib=True, num_threads=num_threads)
        return np.asarray(out, dtype=np.float64)

    def percentile(self, prob: np.ndarray) -> np.ndarray:
        """Return the percentile (0–100) of each probability in the reference population.

        Between two quantiles the level is interpolated linearly; a probability
        equal to a run of tied quantiles gets the middle of the run, so a block of
        identical scores shares one percentile. NaN stays NaN.
        """
        p = np.asarray(prob, dtype=np.float64)
        q = self.reference_quantiles
        levels = self._levels
        last = q.size - 1
        lo = np.searchsorted(q, p, side="left")
        hi = np.searchsorted(q, p, side="right")
        tied = (hi > lo) & (lo <= last)
        # np.minimum/np.maximum rather than np.clip: the same values, and far less
        # overhead for the one row of a POSTed record.
        right = np.minimum(lo, last)
        left = np.maximum(lo - 1, 0)
        tied_pct = 0.5 * (levels[right] + levels[np.maximum(np.minimum(hi - 1, last), 0)])
        span = q[right] - q[left]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(span > 0, (p - q[left]) / span, 0.0)
        between_pct = levels[left] + frac * (levels[right] - levels[left])
        pct = np.minimum(np.maximum(np.where(tied, tied_pct, between_pct), 0.0), 100.0)
        return np.where(np.isnan(p), np.nan, pct)

    @staticmethod
    def band(percentile: np.ndarray) -> np.ndarray:
        """Return the band of each percentile: A ≥ 95, B ≥ 80, C ≥ 50, else D.

        NaN percentiles get ``None``.
        """
        pct = np.asarray(percentile, dtype=np.float64)
        conditions = [pct >= threshold for _, threshold in BAND_THRESHOLDS]
        letters = [letter for letter, _ in BAND_THRESHOLDS]
        bands = np.select(conditions, letters, default="D").astype(object)
        bands[np.isnan(pct)] = None
        return bands

    # -- persistence -----------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """Return the ``manifest.json`` content."""
        return {
            "format_version": BUNDLE_FORMAT_VERSION,
            "target": self.target,
            "horizon": int(self.horizon),
            "feature_names": list(self.feature_names),
            "ruleset_versions": dict(self.ruleset_versions),
            "calibrator_kind": self.calibrator.kind,
            "lightgbm_version": lgb.__version__,
            "metadata": self.metadata,
        }

    def save(self, directory: str | Path) -> None:
        """Write the bundle's five text files into ``directory`` (created if needed)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "booster.txt").write_text(self.booster.model_to_string(), encoding="utf-8")
        files: dict[str, Any] = {
            "calibrator.json": self.calibrator.to_dict(),
            "features.json": self.pipeline.to_dict(),
            "quantiles.json": {"quantiles": self.reference_quantiles.tolist()},
            "manifest.json": self.manifest(),
        }
        for name, content in files.items():
            text = json.dumps(content, indent=1, ensure_ascii=False, default=_json_default)
            (out / name).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(
        cls,
        directory: str | Path,
        *,
        expected_features: list[str] | None = None,
        expected_rulesets: Mapping[str, str] | None = None,
        check_code: bool = True,
    ) -> ModelBundle:
        """Read a bundle written by :meth:`save`.

        Parameters
        ----------
        directory : str or Path
            Bundle directory.
        expected_features, expected_rulesets : optional
            What the bundle must match; default: the current code's feature catalog
            and rule-table versions.
        check_code : bool
            ``False`` skips the comparison (for inspecting an old bundle).

        Raises
        ------
        BundleFormatError
            A file is missing or malformed.
        BundleMismatchError
            The feature list or rule-table versions differ from what is expected.
        """
        path = Path(directory)
        manifest = _read_json(path / "manifest.json")
        if not isinstance(manifest, dict) or "feature_names" not in manifest:
            raise BundleFormatError(f"{path / 'manifest.json'} lacks 'feature_names'")
        version = manifest.get("format_version")
        if version != BUNDLE_FORMAT_VERSION:
            raise BundleFormatError(
                f"bundle format {version!r} in {path} is not the supported "
                f"format {BUNDLE_FORMAT_VERSION}; retrain with `make train`"
            )
        feature_names = [str(n) for n in manifest["feature_names"]]
        rulesets = {str(k): str(v) for k, v in manifest.get("ruleset_versions", {}).items()}
        if check_code:
            want_features = (
                code_feature_names() if expected_features is None else list(expected_features)
            )
            want_rulesets = (
                code_ruleset_versions() if expected_rulesets is None else dict(expected_rulesets)
            )
            _check_matches(path, feature_names, rulesets, want_features, want_rulesets)
        try:
            booster = lgb.Booster(model_str=(path / "booster.txt").read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise BundleFormatError(f"model bundle file booster.txt is missing in {path}") from exc
        except lgb.basic.LightGBMError as exc:
            raise BundleFormatError(
                f"{path / 'booster.txt'} is not a LightGBM model: {exc}"
            ) from exc
        try:
            calibrator = calibrator_from_dict(_read_json(path / "calibrator.json"))
        except CalibratorFormatError as exc:
            raise BundleFormatError(f"{path / 'calibrator.json'}: {exc}") from exc
        try:
            pipeline = FeaturePipeline.from_dict(_read_json(path / "features.json"))
        except ValueError as exc:
            raise BundleMismatchError(f"{path / 'features.json'}: {exc}") from exc
        if list(pipeline.feature_names) != feature_names:
            raise BundleMismatchError(
                f"features.json in {path} derives {len(pipeline.feature_names)} features that "
                f"differ from the manifest's {len(feature_names)}; the bundle is inconsistent"
            )
        quantiles = _read_json(path / "quantiles.json")
        return cls(
            booster=booster,
            calibrator=calibrator,
            pipeline=pipeline,
            feature_names=feature_names,
            reference_quantiles=np.asarray(quantiles["quantiles"], dtype=np.float64),
            ruleset_versions=rulesets,
            target=str(manifest["target"]),
            horizon=int(manifest["horizon"]),
            metadata=dict(manifest.get("metadata", {})),
        )


def _check_matches(
    path: Path,
    got_features: list[str],
    got_rulesets: dict[str, str],
    want_features: list[str],
    want_rulesets: dict[str, str],
) -> None:
    """Raise :class:`BundleMismatchError` naming what differs."""
    problems: list[str] = []
    if got_features != want_features:
        missing = [n for n in want_features if n not in got_features]
        extra = [n for n in got_features if n not in want_features]
        detail = []
        if missing:
            detail.append(f"missing {missing[:5]}")
        if extra:
            detail.append(f"unknown {extra[:5]}")
        if not detail:
            detail.append("same names in another order")
        problems.append("feature list differs from the code (" + "; ".join(detail) + ")")
    changed = {
        scheme: (got_rulesets.get(scheme), want)
        for scheme, want in want_rulesets.items()
        if got_rulesets.get(scheme) != want
    }
    if changed:
        text = ", ".join(f"{s}: bundle {g!r} vs code {w!r}" for s, (g, w) in changed.items())
        problems.append(f"rule-table versions differ ({text})")
    if problems:
        raise BundleMismatchError(
            f"model bundle {path} does not match this code: "
            + "; ".join(problems)
            + ". Retrain with `make train` (or `srdi train`)."
        )


@dataclass(frozen=True)
class LoadedModel:
    """A bundle fetched from the registry, with where it came from."""

    bundle: ModelBundle
    name: str
    version: str
    run_id: str | None


def load_registered_bundle(settings: Settings, *, version: str | None = None) -> LoadedModel:
    """Fetch ``models:/<registered_model>@<champion_alias>`` (or a given version).

    Parameters
    ----------
    settings : Settings
        Supplies the tracking URI, the registered-model name and the alias.
    version : str, optional
        A specific model version instead of the champion.

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
    name = settings.registered_model
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    try:
        if version is None:
            model_version = client.get_model_version_by_alias(name, settings.champion_alias)
        else:
            model_version = client.get_model_version(name, version)
    except MlflowException as exc:
        if exc.error_code not in {
            "RESOURCE_DOES_NOT_EXIST",
            "NOT_FOUND",
            "INVALID_PARAMETER_VALUE",
        }:
            raise
        what = f"version {version}" if version else f"alias @{settings.champion_alias}"
        raise NoChampionError(
            f"no registered model {name!r} {what} in the MLflow store {uri}; "
            "train one with `make train` (or `srdi train --data DIR`)"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="srdi-bundle-") as tmp:
        # Resolve the storage location here: MLflow's models:/ resolver reads the
        # process-wide registry URI, not the one passed in.
        source = client.get_model_version_download_uri(name, str(model_version.version))
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=source, dst_path=tmp, tracking_uri=uri, registry_uri=uri
        )
        bundle = ModelBundle.load(find_bundle_dir(Path(local)))
    return LoadedModel(
        bundle=bundle,
        name=name,
        version=str(model_version.version),
        run_id=model_version.run_id,
    )


def find_bundle_dir(model_dir: Path) -> Path:
    """Return the bundle directory inside a downloaded MLflow model directory."""
    if (model_dir / "manifest.json").is_file():
        return model_dir
    found = sorted(p.parent for p in model_dir.rglob("manifest.json"))
    if len(found) != 1:
        raise BundleFormatError(
            f"expected one model bundle (manifest.json) under {model_dir}, found {len(found)}"
        )
    return found[0]
