"""The model bundle: text files on disk, refusals, percentiles and bands."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from srdi.core.bundle import (
    BUNDLE_FILES,
    BundleFormatError,
    BundleMismatchError,
    ModelBundle,
    code_feature_names,
)
from tests.support.training_world import Trained


def test_save_writes_only_text_files_and_load_gives_the_same_predictions(
    trained: Trained, tmp_path: Path
) -> None:
    trained.bundle.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(BUNDLE_FILES)
    for name in BUNDLE_FILES:  # all UTF-8 text: no pickle anywhere
        (tmp_path / name).read_text(encoding="utf-8")
    loaded = ModelBundle.load(tmp_path)
    X = trained.X[:300]
    np.testing.assert_allclose(loaded.predict(X), trained.bundle.predict(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(loaded.reference_quantiles, trained.bundle.reference_quantiles)
    assert loaded.feature_names == code_feature_names()
    assert loaded.target == "srdi_sme" and loaded.horizon == 2


def test_contributions_sum_to_the_raw_margin(trained: Trained) -> None:
    X = trained.X[:50]
    contributions = trained.bundle.contributions(X)
    assert contributions.shape == (50, len(trained.bundle.feature_names) + 1)
    np.testing.assert_allclose(contributions.sum(axis=1), trained.bundle.raw_margin(X), atol=1e-9)


def test_transform_of_columns_matches_the_training_matrix(trained: Trained) -> None:
    X = trained.bundle.transform(trained.examples.columns)
    np.testing.assert_array_equal(X, trained.X)


def _saved(trained: Trained, directory: Path) -> Path:
    trained.bundle.save(directory)
    return directory


def test_load_refuses_another_feature_list(trained: Trained, tmp_path: Path) -> None:
    directory = _saved(trained, tmp_path)
    with pytest.raises(
        BundleMismatchError, match=r"feature list differs.*missing \['new_feature'\]"
    ):
        ModelBundle.load(directory, expected_features=[*code_feature_names(), "new_feature"])
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["feature_names"] = manifest["feature_names"][::-1]
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleMismatchError, match="another order"):
        ModelBundle.load(directory)


def test_load_refuses_other_rule_table_versions(trained: Trained, tmp_path: Path) -> None:
    directory = _saved(trained, tmp_path)
    rulesets = dict(trained.bundle.ruleset_versions)
    rulesets["cn_srdi_sme"] = "cn-2026"
    with pytest.raises(
        BundleMismatchError, match=r"cn_srdi_sme: bundle 'cn-2022' vs code 'cn-2026'"
    ):
        ModelBundle.load(directory, expected_rulesets=rulesets)


def test_load_names_a_missing_or_broken_file(trained: Trained, tmp_path: Path) -> None:
    directory = _saved(trained, tmp_path)
    (directory / "calibrator.json").write_text("{not json")
    with pytest.raises(BundleFormatError, match=r"calibrator\.json is not valid JSON"):
        ModelBundle.load(directory)
    (directory / "booster.txt").unlink()
    with pytest.raises(BundleFormatError, match=r"booster\.txt is missing"):
        ModelBundle.load(directory)


def test_bands_follow_the_documented_thresholds() -> None:
    bands = ModelBundle.band(np.array([100, 95, 94.99, 80, 79.9, 50, 49.9, 0, np.nan]))
    assert bands.tolist() == ["A", "A", "B", "B", "C", "C", "D", "D", None]


def _with_quantiles(trained: Trained, quantiles: np.ndarray) -> ModelBundle:
    return replace(trained.bundle, reference_quantiles=quantiles)


def test_percentile_interpolates_and_gives_ties_the_middle(trained: Trained) -> None:
    bundle = _with_quantiles(trained, np.array([0.0, 0.1, 0.1, 0.1, 0.5]))  # levels 0,25,50,75,100
    pct = bundle.percentile(np.array([0.0, 0.05, 0.1, 0.3, 0.5, 0.9, -1.0, np.nan]))
    np.testing.assert_allclose(pct[:7], [0.0, 12.5, 50.0, 87.5, 100.0, 100.0, 0.0])
    assert np.isnan(pct[7])


@settings(max_examples=60, deadline=None)
@given(
    quantiles=arrays(np.float64, st.integers(2, 40), elements=st.floats(0, 1)),
    probs=arrays(np.float64, 30, elements=st.floats(0, 1)),
)
def test_percentile_is_monotone_and_within_0_100(
    trained: Trained, quantiles: np.ndarray, probs: np.ndarray
) -> None:
    bundle = _with_quantiles(trained, np.sort(quantiles))
    pct = bundle.percentile(np.sort(probs))
    assert np.all((pct >= 0) & (pct <= 100))
    assert np.all(np.diff(pct) >= -1e-9)


def test_percentile_of_the_reference_population_is_uniform(trained: Trained) -> None:
    test_rows = trained.part == 2
    prob = trained.bundle.predict(trained.X[test_rows])
    pct = trained.bundle.percentile(prob)
    # Half the reference population sits below the 50th percentile (ties aside).
    assert np.mean(pct < 50) == pytest.approx(0.5, abs=0.03)
    assert np.mean(ModelBundle.band(pct) == "A") == pytest.approx(0.05, abs=0.02)


def test_bundle_refuses_inconsistent_parts(trained: Trained) -> None:
    with pytest.raises(BundleFormatError, match="booster expects"):
        replace(trained.bundle, feature_names=trained.bundle.feature_names[:-1])
    with pytest.raises(BundleFormatError, match="non-decreasing"):
        _with_quantiles(trained, np.array([0.5, 0.1]))
