"""``srdi drift IN``: a file's features against the champion's training distribution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from srdi.cli import build_app
from srdi.core.bundle import load_registered_bundle

pytestmark = pytest.mark.slow  # the session fixture trains a model


@pytest.fixture()
def srdi(trained_store, monkeypatch):
    for key, value in trained_store.env().items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    app = build_app()

    def run(*args: object):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        result.text = " ".join(result.output.split())
        return result

    return run


@pytest.fixture(scope="module")
def panel_year(trained_store) -> pd.DataFrame:
    """The latest year of the training world's firms: what the champion learned from."""
    frame = pd.read_parquet(trained_store.data_dir / "financials.parquet")
    return frame[frame["fiscal_year"] == frame["fiscal_year"].max()].reset_index(drop=True)


def test_the_champion_keeps_its_training_distribution(trained_store) -> None:
    bundle = load_registered_bundle(trained_store.settings()).bundle
    assert bundle.drift_reference is not None
    assert bundle.drift_reference.feature_names == bundle.feature_names


def test_drift_names_the_features_that_moved_and_the_model(
    srdi, trained_store, panel_year: pd.DataFrame, tmp_path: Path
) -> None:
    same = tmp_path / "same.csv"
    panel_year.to_csv(same, index=False)
    result = srdi("drift", same)
    assert result.exit_code == 0, result.output
    version = trained_store.model_version
    assert f"model srdi-potential version {version}" in result.text
    assert "candidates compared" in result.text

    moved = panel_year.copy()
    for column in [c for c in moved.columns if c.startswith("revenue")]:
        moved[column] = moved[column] * 1000  # reported in yuan where thousands were meant
    moved["rd_expense"] = np.nan  # and R&D no longer reported
    shifted = tmp_path / "shifted.parquet"
    moved.to_parquet(shifted, index=False)
    result = srdi("drift", shifted)
    assert result.exit_code == 0, result.output
    assert "log_revenue" in result.text and "significant" in result.text
    assert "rd_intensity" in result.text
    every = srdi("drift", shifted, "--all")
    assert every.text.count("stable") > result.text.count("stable")


def test_drift_of_a_missing_file_exits_2(srdi, tmp_path: Path) -> None:
    result = srdi("drift", tmp_path / "nope.csv")
    assert result.exit_code == 2 and "does not exist" in result.text
