"""The tier ladder: one order, and "at or above a tier" read from it everywhere."""

from __future__ import annotations

import pytest

from features.derive import TIER_LEVELS as DERIVE_LEVELS
from features.fields import FIELD_BY_NAME
from features.tiers import CERTIFIED_TIERS, TIER_CHOICES, TIER_LEVELS, tier_level, tiers_at_or_above
from training.labels import target_tiers


def test_the_ladder_runs_from_none_to_little_giant() -> None:
    assert TIER_CHOICES == ("none", "innovative_sme", "srdi_sme", "little_giant")
    assert TIER_CHOICES[1:] == CERTIFIED_TIERS
    assert [tier_level(t) for t in TIER_CHOICES] == [0, 1, 2, 3]
    assert dict(TIER_LEVELS) == {
        "none": 0.0,
        "innovative_sme": 1.0,
        "srdi_sme": 2.0,
        "little_giant": 3.0,
    }


@pytest.mark.parametrize(
    ("tier", "holders"),
    [
        ("innovative_sme", ("innovative_sme", "srdi_sme", "little_giant")),
        ("srdi_sme", ("srdi_sme", "little_giant")),
        ("little_giant", ("little_giant",)),
    ],
)
def test_a_higher_tier_holds_every_lower_one(tier: str, holders: tuple[str, ...]) -> None:
    assert tiers_at_or_above(tier) == holders
    assert all(tier_level(h) >= tier_level(tier) for h in holders)


@pytest.mark.parametrize("tier", ["none", "platinum", ""])
def test_only_a_certified_tier_has_holders(tier: str) -> None:
    with pytest.raises(ValueError, match="unknown certification tier"):
        tiers_at_or_above(tier)


def test_unknown_tier_has_no_level() -> None:
    with pytest.raises(ValueError, match="unknown tier 'gold'"):
        tier_level("gold")


def test_contract_features_and_labels_read_the_same_ladder() -> None:
    assert FIELD_BY_NAME["current_tier"].choices == TIER_CHOICES
    assert DERIVE_LEVELS is TIER_LEVELS
    assert target_tiers("srdi_sme") == tiers_at_or_above("srdi_sme")
    assert target_tiers("little_giant") == tiers_at_or_above("little_giant")
