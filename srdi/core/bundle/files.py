"""The bundle on disk: five text files, their format version, and the checks on reading.

A bundle is a directory of text files (no pickles)::

    booster.txt       LightGBM model (``Booster.model_to_string``)
    calibrator.json   margin -> probability map (:mod:`srdi.core.calibrators`)
    features.json     the fitted :class:`features.pipeline.FeaturePipeline` state
    quantiles.json    calibrated-probability quantiles of the reference population
    manifest.json     feature list, rule-table versions, target, horizon, metadata
    drift.json        (optional) the training distribution of every feature, binned
                      (:mod:`srdi.core.drift`); older bundles have none

Reading one refuses a bundle whose feature list or rule-table versions differ from
the code's (:class:`~srdi.core.bundle.errors.BundleMismatchError`): its numbers
would not mean what the code says they mean.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from features.pipeline import FeaturePipeline
from srdi.core.bundle.errors import BundleFormatError, BundleMismatchError
from srdi.core.bundle.model import ModelBundle
from srdi.core.calibrators import CalibratorFormatError, calibrator_from_dict
from srdi.core.drift import DriftReference

__all__ = [
    "BUNDLE_FILES",
    "BUNDLE_FORMAT_VERSION",
    "DRIFT_FILE",
    "code_feature_names",
    "code_ruleset_versions",
    "find_bundle_dir",
    "manifest_of",
    "read_bundle",
    "write_bundle",
]

BUNDLE_FORMAT_VERSION = 1
BUNDLE_FILES = (
    "booster.txt",
    "calibrator.json",
    "features.json",
    "quantiles.json",
    "manifest.json",
)
# Optional: bundles trained before input-drift monitoring have none.
DRIFT_FILE = "drift.json"


def code_feature_names() -> list[str]:
    """Return the feature names the current code derives, in catalog order."""
    from features.catalog import FEATURES

    return [spec.name for spec in FEATURES]


def code_ruleset_versions() -> dict[str, str]:
    """Return the scheme rule-table versions of the current code."""
    from features.rules import RULESET_VERSIONS

    return {str(k): str(v) for k, v in RULESET_VERSIONS.items()}


def manifest_of(bundle: ModelBundle) -> dict[str, Any]:
    """Return the ``manifest.json`` content of a bundle."""
    return {
        "format_version": BUNDLE_FORMAT_VERSION,
        "target": bundle.target,
        "horizon": int(bundle.horizon),
        "feature_names": list(bundle.feature_names),
        "ruleset_versions": dict(bundle.ruleset_versions),
        "calibrator_kind": bundle.calibrator.kind,
        "lightgbm_version": lgb.__version__,
        "metadata": bundle.metadata,
    }


def write_bundle(bundle: ModelBundle, directory: str | Path) -> None:
    """Write the bundle's five text files into ``directory`` (created if needed)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "booster.txt").write_text(bundle.booster.model_to_string(), encoding="utf-8")
    files: dict[str, Any] = {
        "calibrator.json": bundle.calibrator.to_dict(),
        "features.json": bundle.pipeline.to_dict(),
        "quantiles.json": {"quantiles": bundle.reference_quantiles.tolist()},
        "manifest.json": manifest_of(bundle),
    }
    if bundle.drift_reference is not None:
        files[DRIFT_FILE] = bundle.drift_reference.to_dict()
    for name, content in files.items():
        text = json.dumps(content, indent=1, ensure_ascii=False, default=_json_default)
        (out / name).write_text(text + "\n", encoding="utf-8")


def read_bundle(
    directory: str | Path,
    *,
    expected_features: list[str] | None = None,
    expected_rulesets: Mapping[str, str] | None = None,
    check_code: bool = True,
) -> ModelBundle:
    """Read a bundle written by :func:`write_bundle`.

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
    listed = _read_json(path / "manifest.json")
    if not isinstance(listed, dict) or "feature_names" not in listed:
        raise BundleFormatError(f"{path / 'manifest.json'} lacks 'feature_names'")
    version = listed.get("format_version")
    if version != BUNDLE_FORMAT_VERSION:
        raise BundleFormatError(
            f"bundle format {version!r} in {path} is not the supported "
            f"format {BUNDLE_FORMAT_VERSION}; retrain with `make train`"
        )
    feature_names = [str(n) for n in listed["feature_names"]]
    rulesets = {str(k): str(v) for k, v in listed.get("ruleset_versions", {}).items()}
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
        raise BundleFormatError(f"{path / 'booster.txt'} is not a LightGBM model: {exc}") from exc
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
    drift = _read_drift(path, feature_names)
    return ModelBundle(
        booster=booster,
        calibrator=calibrator,
        pipeline=pipeline,
        feature_names=feature_names,
        reference_quantiles=np.asarray(quantiles["quantiles"], dtype=np.float64),
        ruleset_versions=rulesets,
        target=str(listed["target"]),
        horizon=int(listed["horizon"]),
        metadata=dict(listed.get("metadata", {})),
        drift_reference=drift,
    )


def _read_drift(path: Path, feature_names: list[str]) -> DriftReference | None:
    """The bundle's drift reference, ``None`` when it predates them."""
    if not (path / DRIFT_FILE).is_file():
        return None
    try:
        reference = DriftReference.from_dict(_read_json(path / DRIFT_FILE))
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleFormatError(f"{path / DRIFT_FILE}: {exc}") from exc
    if reference.feature_names != feature_names:
        raise BundleFormatError(
            f"{path / DRIFT_FILE} bins other features than the manifest lists; "
            "the bundle is inconsistent"
        )
    return reference


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
