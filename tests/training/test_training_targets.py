"""Three targets trained together: one run, one registered model and one champion each."""

from __future__ import annotations

from typing import Any, get_args

import numpy as np
import pytest
from typer.testing import CliRunner

from features.ladder import TARGET_IDS, TargetId, re_review_year
from srdi.cli.app import build_app
from srdi.core.bundle import load_registered_bundle
from training.dataset import load_panel
from training.prepare import fit_shared_features, prepare_targets
from training.registry import has_champion, list_versions, tracking
from training.splits import SplitConfig


def test_each_target_has_its_registered_model_and_champion(trained_store: Any) -> None:
    settings = trained_store.settings()
    assert set(trained_store.versions) == set(TARGET_IDS)
    names = {target: settings.model_name(target) for target in TARGET_IDS}
    assert names == {
        "srdi_sme": "srdi-potential",
        "little_giant": "srdi-little-giant",
        "retention": "srdi-retention",
    }
    bundles = {}
    for target in TARGET_IDS:
        assert has_champion(settings, target=target)
        (version,) = list_versions(settings, target=target)
        assert version.name == names[target] and "champion" in version.aliases
        loaded = load_registered_bundle(settings, target=target)
        assert loaded.bundle.target == target and loaded.name == names[target]
        bundles[target] = loaded.bundle
        with tracking(settings) as client:
            run = client.get_run(str(version.run_id))
        assert run.data.tags["target"] == target
        for metric in ("test_roc_auc", "test_pr_auc", "test_ece", "oracle_roc_auc"):
            assert np.isfinite(run.data.metrics[metric]), (target, metric)
    # One feature state for the three: a server derives a firm's features once.
    states = [b.pipeline.to_dict() for b in bundles.values()]
    assert states[0] == states[1] == states[2]


def test_each_target_asks_its_own_population(trained_store: Any) -> None:
    prepared = prepare_targets(
        load_panel(trained_store.data_dir), TARGET_IDS, horizon=2, split_config=SplitConfig()
    )
    tiers = {t: set(p.examples.columns["current_tier"].tolist()) for t, p in prepared.items()}
    assert tiers["srdi_sme"] <= {"none", "innovative_sme"}
    assert tiers["little_giant"] == {"srdi_sme"}
    assert tiers["retention"] <= {"srdi_sme", "little_giant"}
    retention = prepared["retention"].examples.columns
    # The re-review year the scorer reads from tier_since is the labels' expiry year.
    due = re_review_year(retention) - retention["fiscal_year"]
    known = ~np.isnan(due)
    assert known.mean() > 0.9 and set(due[known].tolist()) <= {1.0, 2.0}
    # Every target shares the split years; the shared features equal each target's own.
    splits = {p.split for p in prepared.values()}
    assert len({s.test_years for s in splits}) == 1
    _, shared = fit_shared_features(prepared)
    for target, p in prepared.items():
        assert shared[target].shape == (len(p.examples), shared["srdi_sme"].shape[1]), target


def test_models_lists_every_target_and_train_refuses_an_unknown_one(trained_store: Any) -> None:
    runner = CliRunner()
    env = {**trained_store.env(), "COLUMNS": "250"}
    listing = runner.invoke(build_app(), ["models"], env=env)
    assert listing.exit_code == 0, listing.output
    for name in ("srdi-potential", "srdi-little-giant", "srdi-retention"):
        assert name in listing.output
    assert runner.invoke(build_app(), ["models", "--has-champion"], env=env).exit_code == 0
    bad = runner.invoke(build_app(), ["train", "--target", "giant"], env=env)
    assert bad.exit_code == 2 and "srdi_sme, little_giant, retention or all" in bad.output


@pytest.mark.parametrize("target", ["little_giant", "retention"])
def test_promote_names_the_target_model(trained_store: Any, target: str) -> None:
    runner = CliRunner()
    env = trained_store.env()
    result = runner.invoke(
        build_app(), ["promote", trained_store.versions[target], "--target", target], env=env
    )
    assert result.exit_code == 0, result.output
    assert trained_store.settings().model_name(target) in result.output
    refused = runner.invoke(build_app(), ["promote", "1", "--target", "all"], env=env)
    assert refused.exit_code == 2


def test_the_question_id_type_lists_exactly_the_targets() -> None:
    # Schemas and query parameters take TargetId; the ladder's table is the source.
    assert get_args(TargetId) == TARGET_IDS
