"""Behaviour of the trained model: directions, and invariance to row order and ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.catalog import FEATURE_NAMES, FEATURES
from tests.support.training_world import Trained, train_small
from training.dataset import subset_columns
from training.model import ModelConfig, monotone_constraints


def test_monotone_constraints_follow_the_catalog() -> None:
    constraints = dict(zip(FEATURE_NAMES, monotone_constraints(FEATURES), strict=True))
    assert constraints["rd_intensity"] == 1
    assert constraints["main_business_share"] == 1
    assert constraints["debt_ratio"] == -1
    assert constraints["log_revenue"] == 0  # size: no domain sign
    assert (
        ModelConfig(monotone=False).params(list(constraints.values())).get("monotone_constraints")
        is None
    )


@pytest.mark.parametrize("feature", ["rd_intensity", "main_business_share"])
def test_score_never_falls_when_a_constrained_feature_rises(trained: Trained, feature: str) -> None:
    j = trained.bundle.feature_names.index(feature)
    X = trained.X[trained.part == 2][:200].copy()
    grid = np.linspace(0.0, 0.6 if feature == "rd_intensity" else 1.0, 13)
    scores = []
    for value in grid:
        X[:, j] = value
        scores.append(trained.bundle.predict(X))
    assert np.all(np.diff(np.stack(scores), axis=0) >= -1e-12)
    # ... and the model did learn that more R&D / focus helps (the world's hazard rises).
    assert np.mean(scores[-1]) > np.mean(scores[0])


def test_more_rd_spending_in_the_input_record_never_lowers_the_score(trained: Trained) -> None:
    test = trained.part == 2
    columns = subset_columns(trained.examples.columns, test)
    base = trained.bundle.predict(trained.bundle.transform(columns))
    raised = dict(columns)
    for name in ("rd_expense", "rd_expense_prev"):
        raised[name] = columns[name] * 1.5
    more = trained.bundle.predict(trained.bundle.transform(raised))
    assert np.all(more >= base - 1e-12)
    assert np.mean(more) > np.mean(base)


def test_scores_do_not_depend_on_company_id_or_batch_order(trained: Trained) -> None:
    test = np.flatnonzero(trained.part == 2)[:300]
    columns = subset_columns(trained.examples.columns, test)
    score = trained.bundle.predict(trained.bundle.transform(columns))
    renamed = dict(columns)
    renamed["company_id"] = np.array([f"other-{i}" for i in range(test.size)], dtype=object)
    np.testing.assert_array_equal(trained.bundle.predict(trained.bundle.transform(renamed)), score)
    order = np.random.default_rng(3).permutation(test.size)
    shuffled = subset_columns(columns, order)
    np.testing.assert_array_equal(
        trained.bundle.predict(trained.bundle.transform(shuffled)), score[order]
    )


def _rewrite(source: Path, target: Path, rename: dict[str, str] | None, shuffle: bool) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    for name in ("financials", "certifications", "oracle"):
        frame = pd.read_parquet(source / f"{name}.parquet")
        if rename is not None:
            frame["company_id"] = frame["company_id"].map(rename)
        if shuffle:
            frame = frame.iloc[rng.permutation(len(frame))]
        frame.to_parquet(target / f"{name}.parquet", index=False)
    return target


@pytest.mark.slow
def test_training_is_invariant_to_the_input_row_order(
    small_world: Path, trained: Trained, tmp_path: Path
) -> None:
    shuffled = train_small(_rewrite(small_world, tmp_path, None, shuffle=True))
    np.testing.assert_array_equal(
        shuffled.bundle.predict(shuffled.X), trained.bundle.predict(trained.X)
    )


@pytest.mark.slow
def test_training_is_invariant_to_company_ids(small_world: Path, tmp_path: Path) -> None:
    ids = pd.read_parquet(small_world / "financials.parquet", columns=["company_id"])["company_id"]
    unique = ids.unique()
    new_ids = np.random.default_rng(9).permutation(len(unique))
    rename = {old: f"91{n:016d}" for old, n in zip(unique, new_ids, strict=True)}
    # Without bagging the fitted trees do not depend on which rows come first.
    config = ModelConfig(bagging_fraction=1.0, bagging_freq=0, feature_fraction=1.0)
    original = train_small(small_world, config=config)
    renamed = train_small(_rewrite(small_world, tmp_path, rename, shuffle=False), config=config)
    # Same firm-years, in the renamed run's order.
    key = pd.DataFrame(
        {
            "company_id": [rename[c] for c in original.examples.company_id],
            "year": original.examples.year,
        }
    )
    other = pd.DataFrame({"company_id": renamed.examples.company_id, "year": renamed.examples.year})
    position = other.reset_index().merge(key.reset_index(), on=["company_id", "year"])
    np.testing.assert_allclose(
        renamed.bundle.predict(renamed.X[position["index_x"]]),
        original.bundle.predict(original.X[position["index_y"]]),
        atol=1e-9,
    )
