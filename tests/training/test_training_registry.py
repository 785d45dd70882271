"""End to end against a temporary SQLite MLflow store: register, gate, promote, load."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from srdi.cli import build_app
from srdi.core.bundle import BundleMismatchError, NoChampionError, load_registered_bundle
from srdi.core.settings import Settings, load_settings
from training import gate as gate_module
from training.config import TrainingConfig
from training.gate import gate, promote
from training.model import ModelConfig
from training.pipeline import STAGES, TrainingResult, run_training
from training.registry import has_champion, list_versions, tracking

pytestmark = pytest.mark.slow

# One stump: a model that must lose the gate against any sensible champion.
WORSE = ModelConfig(max_rounds=1, num_leaves=2, learning_rate=0.05, monotone=False)


def store_settings(root: Path) -> Settings:
    return load_settings(
        home=root, models_dir=root / "models", tracking_uri=f"sqlite:///{root}/models/mlflow.db"
    )


@dataclass(frozen=True)
class FirstRun:
    """The first version, trained through the command line."""

    version: str
    run_id: str
    metrics: dict[str, float]
    tags: dict[str, str]
    output: str


@dataclass(frozen=True)
class Store:
    settings: Settings
    world: Path
    first: FirstRun
    worse: TrainingResult
    cli_output: str


@pytest.fixture(scope="module")
def store(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    settings = store_settings(tmp_path_factory.mktemp("store"))
    runner = CliRunner()
    env = {"SRDI_TRACKING_URI": settings.effective_tracking_uri, "COLUMNS": "200"}
    trained = runner.invoke(
        build_app(), ["train", "--data", str(small_world), "--target", "srdi_sme"], env=env
    )
    assert trained.exit_code == 0, trained.output
    (version,) = list_versions(settings)
    assert version.run_id is not None
    first = FirstRun(version.version, version.run_id, version.metrics, version.tags, trained.output)
    worse = run_training(settings, small_world, TrainingConfig(model=WORSE))
    listing = runner.invoke(build_app(), ["models"], env=env)
    assert listing.exit_code == 0, listing.output
    return Store(
        settings=settings, world=small_world, first=first, worse=worse, cli_output=listing.output
    )


def test_train_verb_shows_the_stages_and_makes_the_first_version_champion(store: Store) -> None:
    assert store.first.version == "1"
    assert store.first.tags["gate.promoted"] == "true"
    assert store.first.tags["gate.basis"] == "no champion"
    for stage in STAGES:
        assert f"✓ {stage}" in store.first.output
    assert "model version 1: first champion" in store.first.output


def test_worse_model_is_registered_but_refused_on_the_same_test_rows(store: Store) -> None:
    decision = store.worse.gate
    assert decision is not None and store.worse.model_version == "2"
    assert not decision.promoted
    assert decision.basis == "same test rows"
    assert decision.champion_version == "1"
    # The champion was re-scored on this run's test rows, which are the first run's too.
    assert decision.champion_score == pytest.approx(store.first.metrics["test_pr_auc"], abs=1e-9)
    assert store.worse.metrics["test_pr_auc"] < store.first.metrics["test_pr_auc"]
    assert "kept the champion" in decision.message


def test_run_is_logged_with_metrics_tags_artifacts_and_one_model(store: Store) -> None:
    with tracking(store.settings) as client:
        run = client.get_run(store.first.run_id)
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    for name in (
        "test_roc_auc",
        "test_pr_auc",
        "test_precision_at_5pct",
        "test_recall_at_5pct",
        "test_brier",
        "test_ece",
        "oracle_roc_auc",
        "oracle_pr_auc",
        "baseline_points_roc_auc",
        "baseline_points_pr_auc",
        "baseline_logreg_roc_auc",
        "baseline_logreg_pr_auc",
    ):
        assert name in run.data.metrics, name
    assert len(run.data.tags["data_hash"]) == 64
    # `srdi train` ran from the checkout; the second run's home is a temporary folder.
    assert re.fullmatch(r"[0-9a-f]{40}|none", run.data.tags["git_sha"])
    with tracking(store.settings) as client:
        assert client.get_run(store.worse.run_id).data.tags["git_sha"] == "none"
    assert run.data.tags["version.lightgbm"] == __import__("lightgbm").__version__
    assert {
        f"evaluation/{n}"
        for n in ("report.md", "calibration.png", "gain_lift.png", "backtest.json")
    } <= artifacts
    with tracking(store.settings):
        report = mlflow.artifacts.load_text(f"runs:/{store.first.run_id}/evaluation/report.md")
    assert store.first.run_id in report and "## Held-out provinces" in report
    backtest = report.split("## Backtest: the top of each year's list")[1].split("## Goals")[0]
    assert "| test year | candidates | certified | top 50: model | top 50: points |" in backtest


def test_models_verb_lists_versions_metrics_and_aliases(store: Store) -> None:
    assert "@champion" in store.cli_output
    assert "PR-AUC" in store.cli_output
    assert "refused (same test rows)" in store.cli_output
    versions = list_versions(store.settings)
    assert [v.version for v in versions] == ["2", "1"]
    assert versions[1].aliases == ("champion",) and versions[0].aliases == ()
    assert versions[0].tags["gate.promoted"] == "false"


def test_promote_overrides_the_gate_and_champion_loads_back_to_the_same_predictions(
    store: Store,
) -> None:
    env = {"SRDI_TRACKING_URI": store.settings.effective_tracking_uri}
    promoted = CliRunner().invoke(build_app(), ["promote", "2"], env=env)
    assert promoted.exit_code == 0 and "version 2 promoted to @champion" in promoted.output
    missing = CliRunner().invoke(build_app(), ["promote", "9"], env=env)
    assert missing.exit_code == 2 and "has no version 9" in missing.output
    loaded = load_registered_bundle(store.settings)
    assert loaded.version == "2" and loaded.run_id == store.worse.run_id
    frame = _records(store)
    X = loaded.bundle.transform(_columns(frame))
    np.testing.assert_array_equal(loaded.bundle.predict(X), store.worse.bundle.predict(X))
    with tracking(store.settings):
        pyfunc = mlflow.pyfunc.load_model("models:/srdi-potential@champion")
    out = pyfunc.predict(frame)
    np.testing.assert_allclose(
        out["score"].astype(float), store.worse.bundle.predict(X), atol=1e-12
    )
    assert set(out["band"]) <= {"A", "B", "C", "D"}
    decision = promote(store.settings, "1")  # the first model is champion for the other tests
    assert decision.promoted and decision.basis == "manual"


def _records(store: Store) -> pd.DataFrame:
    """Input records of a test year, as a client would send them."""
    frame = pd.read_parquet(store.world / "financials.parquet")
    return frame.loc[frame["fiscal_year"] == 2022].head(50).reset_index(drop=True)


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    from features.validate import validate_frame

    return dict(validate_frame(frame).columns)


def test_pyfunc_reports_bad_rows_and_scores_good_ones(store: Store, small_world: Path) -> None:
    frame = pd.read_parquet(small_world / "financials.parquet").head(4).reset_index(drop=True)
    frame.loc[1, "revenue"] = -5.0
    frame.loc[2, "province"] = "Atlantis"
    frame.loc[0, "current_tier"] = "none"
    frame.loc[3, "current_tier"] = "little_giant"
    with tracking(store.settings):
        out = mlflow.pyfunc.load_model("models:/srdi-potential@champion").predict(frame)
    assert out["status"].tolist() == ["candidate", "invalid", "invalid", "certified"]
    assert "revenue" in out.loc[1, "error"] and "province" in out.loc[2, "error"]
    assert out.loc[[0, 3], "score"].notna().all()
    assert out.loc[[1, 2], "score"].isna().all()


def test_gate_falls_back_to_the_logged_metric_for_an_incompatible_champion(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def incompatible(*args: object, **kwargs: object) -> None:
        raise BundleMismatchError("feature list differs from the code")

    monkeypatch.setattr(gate_module, "load_registered_bundle", incompatible)
    champion_metric = store.first.metrics["test_pr_auc"]
    with tracking(store.settings) as client:
        decision = gate(
            client,
            store.settings,
            "2",
            champion_metric - 0.01,
            lambda b: 1.0,
            target="srdi_sme",
            horizon=2,
        )
        assert not decision.promoted
        assert decision.basis == "logged metric"
        assert decision.champion_score == pytest.approx(champion_metric)
        # Each target has its own registered model; another horizon is another question.
        other = gate(client, store.settings, "2", 1.0, lambda b: 0.0, target="srdi_sme", horizon=1)
    assert not other.promoted and other.basis == "different target"
    assert "predicts srdi_sme within 2 years" in other.message


def test_gate_never_replaces_a_champion_that_predicts_another_target(store: Store) -> None:
    with tracking(store.settings) as client:
        decision = gate(
            client, store.settings, "2", 1.0, lambda b: 0.0, target="srdi_sme", horizon=1
        )
        assert str(client.get_model_version_by_alias("srdi-potential", "champion").version) == "1"
    assert not decision.promoted and decision.basis == "different target"
    assert "`srdi promote 2` switches" in decision.message


def test_empty_store_has_no_champion_and_says_how_to_train(tmp_path: Path) -> None:
    settings = store_settings(tmp_path)
    assert not has_champion(settings)
    with pytest.raises(NoChampionError, match="make train"):
        load_registered_bundle(settings)
    env = {"SRDI_TRACKING_URI": settings.effective_tracking_uri}
    result = CliRunner().invoke(build_app(), ["models", "--has-champion"], env=env)
    assert result.exit_code == 1 and result.output == ""


def test_tracking_block_leaves_no_uri_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: MLflow copies the URI into os.environ, which the settings read."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    settings = load_settings(home=tmp_path)
    before = settings.effective_tracking_uri
    with tracking(settings):
        assert mlflow.get_tracking_uri() == before
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert "MLFLOW_REGISTRY_URI" not in os.environ
    assert load_settings(home=tmp_path).effective_tracking_uri == before
