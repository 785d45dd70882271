"""The oracle is a probability, covers exactly the candidates, and ranks outcomes well."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.support.synth import WorldOnDisk
from training.labels import make_labels
from training.synth import realized_labels, roc_auc

CANDIDATE_TIERS = {
    "srdi_sme": {"none", "innovative_sme"},
    "little_giant": {"none", "innovative_sme", "srdi_sme"},
}


def _labelled(world: WorldOnDisk) -> pd.DataFrame:
    oracle = world.oracle
    return oracle.assign(label=realized_labels(oracle, world.certifications))


def test_oracle_is_a_probability(synth_world: WorldOnDisk) -> None:
    oracle = synth_world.oracle
    assert oracle["probability"].notna().all()
    assert oracle["probability"].between(0.0, 1.0).all()
    assert (oracle["horizon"] == 2).all()
    assert set(oracle["target"]) == {*CANDIDATE_TIERS, "retention"}


def test_oracle_covers_every_firm_year_not_holding_the_tier(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials[["company_id", "fiscal_year", "current_tier"]]
    oracle = synth_world.oracle
    assert not oracle.duplicated(["company_id", "fiscal_year", "target"]).any()
    for target, tiers in CANDIDATE_TIERS.items():
        expected = fin[fin["current_tier"].isin(tiers)].set_index(["company_id", "fiscal_year"])
        got = oracle[oracle["target"] == target].set_index(["company_id", "fiscal_year"])
        assert expected.index.sort_values().equals(got.index.sort_values()), target


def test_retention_oracle_covers_the_statuses_re_reviewed_within_two_years(
    synth_world: WorldOnDisk,
) -> None:
    fin = synth_world.financials
    asked = make_labels(
        fin["company_id"].to_numpy(dtype=object),
        fin["fiscal_year"].to_numpy(dtype=float),
        synth_world.certifications,
        target="retention",
        horizon=2,
        last_year=2030,
    ).candidate
    expected = fin.loc[asked].set_index(["company_id", "fiscal_year"]).index
    got = synth_world.oracle.query("target == 'retention'")
    assert expected.sort_values().equals(
        got.set_index(["company_id", "fiscal_year"]).index.sort_values()
    )
    # The published tier_since dates each status: its re-review falls within 2 years.
    since = fin.loc[asked, "tier_since"].dropna()
    years = fin.loc[since.index, "fiscal_year"]
    assert ((since + 3 > years) & (since + 3 <= years + 2)).all()
    assert set(fin.loc[asked, "current_tier"]) <= {"srdi_sme", "little_giant"}


def test_no_little_giant_is_possible_before_the_first_batch(synth_world: WorldOnDisk) -> None:
    oracle = synth_world.oracle
    early = oracle[(oracle["target"] == "little_giant") & (oracle["fiscal_year"] <= 2016)]
    assert (early["probability"] == 0.0).all()  # batches start in 2019: t+2 <= 2018


def test_oracle_ranks_realized_outcomes_well(synth_world: WorldOnDisk) -> None:
    data = _labelled(synth_world)
    for target, floor in (("srdi_sme", 0.85), ("little_giant", 0.85), ("retention", 0.7)):
        rows = data[(data["target"] == target) & data["fiscal_year"].between(2017, 2023)]
        assert rows["label"].sum() > 30, target
        auc = roc_auc(rows["label"].to_numpy(), rows["probability"].to_numpy())
        assert auc > floor, (target, auc)


def test_oracle_is_calibrated_against_what_happened(synth_world: WorldOnDisk) -> None:
    data = _labelled(synth_world)
    rows = data[data["fiscal_year"] <= 2023]  # labels of later years are censored
    for target, group in rows.groupby("target"):
        expected, realized = group["probability"].sum(), group["label"].sum()
        # Realized counts are Poisson-binomial around the oracle's expectation.
        sd = np.sqrt((group["probability"] * (1 - group["probability"])).sum())
        assert abs(realized - expected) < 4 * sd + 0.05 * expected, (target, expected, realized)
        top = group[group["probability"] >= group["probability"].quantile(0.99)]
        assert abs(top["label"].mean() - top["probability"].mean()) < 0.1, target
