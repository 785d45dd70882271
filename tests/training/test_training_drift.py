"""The training distribution kept in the bundle, and the population-stability index."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from srdi.core.bundle import BUNDLE_FILES, DRIFT_FILE, BundleFormatError, ModelBundle
from srdi.core.drift import DriftReference, psi_reading
from tests.support.training_world import Trained


@pytest.fixture(scope="module")
def reference(trained: Trained) -> DriftReference:
    return DriftReference.from_matrix(trained.X[trained.part == 0], trained.bundle.feature_names)


def test_bins_hold_the_training_rows_in_deciles_and_a_missing_bin(
    trained: Trained, reference: DriftReference
) -> None:
    X = trained.X[trained.part == 0]
    assert reference.n_reference == len(X) and reference.n_bins == 11
    np.testing.assert_allclose(reference.shares.sum(axis=1), 1.0)
    missing = np.isnan(X).mean(axis=0)
    np.testing.assert_allclose(reference.shares[:, -1], missing)
    # A continuous, always reported feature fills its ten bins about evenly.
    j = trained.bundle.feature_names.index("log_revenue")
    assert reference.shares[j, -1] == 0 and np.all(np.abs(reference.shares[j, :10] - 0.1) < 0.02)
    # The training rows against their own bins: no drift.
    assert np.all(reference.psi(reference.count(X)) < 1e-9)


def test_psi_reads_a_shift_and_ignores_a_resample(
    trained: Trained, reference: DriftReference
) -> None:
    X = trained.X[trained.part == 0]
    rng = np.random.default_rng(0)
    resample = X[rng.choice(len(X), size=len(X) // 2)]
    assert np.nanmax(reference.psi(reference.count(resample))) < 0.1
    shifted = resample.copy()
    j = trained.bundle.feature_names.index("log_revenue")
    shifted[:, j] += 1.0  # every firm ten times larger
    k = trained.bundle.feature_names.index("rd_intensity")
    shifted[: len(shifted) // 2, k] = np.nan  # half the firms stop reporting R&D
    psi = reference.psi(reference.count(shifted))
    assert psi_reading(psi[j]) == "significant" and psi_reading(psi[k]) == "significant"
    others = np.delete(psi, [j, k])
    assert np.all(others < 0.1)
    assert np.all(np.isnan(reference.psi(np.zeros_like(reference.shares))))


@given(st.floats(min_value=0.0, max_value=10.0, allow_nan=False))
def test_psi_reading_follows_the_usual_thresholds(value: float) -> None:
    expected = "stable" if value < 0.1 else "moderate" if value <= 0.25 else "significant"
    assert psi_reading(value) == expected


def test_the_bundle_keeps_it_as_text_and_old_bundles_load_without_it(
    trained: Trained, reference: DriftReference, tmp_path: Path
) -> None:
    with_drift = replace(trained.bundle, drift_reference=reference)
    with_drift.save(tmp_path / "new")
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == sorted(
        [*BUNDLE_FILES, DRIFT_FILE]
    )
    loaded = ModelBundle.load(tmp_path / "new")
    assert loaded.drift_reference is not None
    np.testing.assert_array_equal(loaded.drift_reference.edges, reference.edges)
    np.testing.assert_allclose(loaded.drift_reference.shares, reference.shares)

    trained.bundle.save(tmp_path / "old")  # a bundle trained before drift was kept
    assert ModelBundle.load(tmp_path / "old").drift_reference is None

    broken = json.loads((tmp_path / "new" / DRIFT_FILE).read_text())
    broken["features"].pop(next(iter(broken["features"])))
    (tmp_path / "new" / DRIFT_FILE).write_text(json.dumps(broken))
    with pytest.raises(BundleFormatError, match=r"drift\.json"):
        ModelBundle.load(tmp_path / "new")
