"""Leakage: changing anything after year t changes nothing the model sees for year t."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.dataset import load_panel, subset_columns
from training.labels import make_labels
from training.prepare import Prepared, fit_features, label_and_split
from training.splits import SplitConfig

MONEY = [
    "revenue",
    "revenue_prev",
    "revenue_prev2",
    "main_business_revenue",
    "main_business_revenue_prev",
    "rd_expense",
    "rd_expense_prev",
    "gross_profit",
    "net_profit",
    "total_assets",
    "total_liabilities",
]


def perturb_after(source: Path, target: Path, t: int, seed: int) -> Path:
    """Copy a world, changing every financial row after t and every grant after t."""
    rng = np.random.default_rng(seed)
    financials = pd.read_parquet(source / "financials.parquet")
    later = (financials["fiscal_year"] > t).to_numpy()
    factor = rng.uniform(0.3, 3.0, later.sum())
    for column in MONEY:
        financials.loc[later, column] = financials.loc[later, column].to_numpy() * factor
    financials.loc[later, "employees"] = financials.loc[later, "employees"] * 2 + 7
    financials.loc[later, "years_in_niche"] += 5
    financials.loc[later, "current_tier"] = "innovative_sme"
    # Drop a fifth of the later rows too (but keep the last year in the panel).
    last_year = financials["fiscal_year"].max()
    drop = later & (rng.random(len(financials)) < 0.2) & (financials["fiscal_year"] < last_year)
    financials = financials.loc[~drop]

    certs = pd.read_parquet(source / "certifications.parquet")
    after = certs["granted_year"] > t
    shifted = certs.loc[after].copy()
    shifted["granted_year"] = shifted["granted_year"] + rng.integers(-1, 2, len(shifted)).clip(0)
    shifted["expires_year"] = shifted["granted_year"] + 3
    shifted = shifted.loc[rng.random(len(shifted)) > 0.3]  # some grants never happen
    ids = financials["company_id"].unique()
    invented = pd.DataFrame(
        {
            "company_id": rng.choice(ids, 40),
            "tier": "srdi_sme",
            "granted_year": rng.integers(t + 1, t + 3, 40),
        }
    )
    invented["expires_year"] = invented["granted_year"] + 3
    certs = pd.concat([certs.loc[~after], shifted, invented], ignore_index=True)

    target.mkdir(parents=True, exist_ok=True)
    financials.to_parquet(target / "financials.parquet", index=False)
    certs.to_parquet(target / "certifications.parquet", index=False)
    return target


def _prepare(world: Path) -> Prepared:
    return label_and_split(
        load_panel(world), target="srdi_sme", horizon=2, split_config=SplitConfig()
    )


def _rows_up_to(prepared: Prepared, t: int) -> pd.DataFrame:
    keep = prepared.examples.year <= t
    return pd.DataFrame(
        {"company_id": prepared.examples.company_id[keep], "year": prepared.examples.year[keep]}
    )


@pytest.mark.parametrize("t", [2020, 2022])
def test_features_of_year_t_ignore_everything_after_t(
    small_world: Path, tmp_path: Path, t: int
) -> None:
    original = _prepare(small_world)
    changed = _prepare(perturb_after(small_world, tmp_path / "changed", t, seed=t))
    assert original.split == changed.split
    assert original.split.train_years[-1] <= t  # the feature state is fitted before t

    # The same candidate firm-years up to t (candidacy uses grants up to t only) ...
    pd.testing.assert_frame_equal(_rows_up_to(original, t), _rows_up_to(changed, t))
    # ... with exactly the same features, through the pipeline fitted on the train years.
    _, X_original = fit_features(original)
    _, X_changed = fit_features(changed)
    np.testing.assert_array_equal(
        X_original[original.examples.year <= t], X_changed[changed.examples.year <= t]
    )
    # The perturbation did reach the later rows.
    later = changed.examples.year > t
    assert not np.allclose(
        np.nan_to_num(X_changed[later][:50]),
        np.nan_to_num(X_original[original.examples.year > t][:50]),
    )


def test_row_features_use_only_their_own_row_for_every_year(
    small_world: Path, tmp_path: Path
) -> None:
    """With the feature state held fixed, a row's features never depend on later rows."""
    original = _prepare(small_world)
    pipeline, _ = fit_features(original)
    for t in (2015, 2018, 2021):
        changed = _prepare(perturb_after(small_world, tmp_path / str(t), t, seed=t))
        for prepared in (original, changed):
            assert prepared.examples.year.min() == 2014
        up_to = [p.examples.year <= t for p in (original, changed)]
        X = [
            pipeline.transform(subset_columns(p.examples.columns, mask))
            for p, mask in zip((original, changed), up_to, strict=True)
        ]
        np.testing.assert_array_equal(X[0], X[1])


def test_candidacy_at_t_uses_only_grants_up_to_t(small_world: Path, tmp_path: Path) -> None:
    for t in (2016, 2020, 2023):
        changed = load_panel(perturb_after(small_world, tmp_path / str(t), t, seed=t + 1))
        original = load_panel(small_world)
        rows = original.financials.loc[original.financials["fiscal_year"] <= t]
        company = rows["company_id"].to_numpy(dtype=object)
        year = rows["fiscal_year"].to_numpy(dtype=float)
        before = make_labels(company, year, original.certifications, last_year=2025)
        after = make_labels(company, year, changed.certifications, last_year=2025)
        np.testing.assert_array_equal(before.candidate, after.candidate)
