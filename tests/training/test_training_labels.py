"""Point-in-time labels on hand-made certification histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.labels import make_labels, target_tiers

YEARS = np.arange(2014, 2026)


def certs(*rows: tuple[str, str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["company_id", "tier", "granted_year", "expires_year"])


def labels_for(firm_certs: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """Labels of one firm 'f' observed 2014–2025, as a frame indexed by year."""
    result = make_labels(
        np.array(["f"] * YEARS.size, dtype=object),
        YEARS.astype(float),
        firm_certs,
        last_year=2025,
        **kwargs,  # type: ignore[arg-type]
    )
    return pd.DataFrame(
        {"candidate": result.candidate, "complete": result.complete, "label": result.label},
        index=YEARS,
    )


def test_never_certified_firm_is_a_negative_candidate_every_complete_year() -> None:
    out = labels_for(certs(("other", "srdi_sme", 2016, 2019)))
    assert out["candidate"].all()
    assert (out.loc[:2023, "label"] == 0).all()
    assert out.loc[2024:, "label"].isna().all()


def test_label_is_one_in_the_h_years_before_the_grant_and_held_years_are_excluded() -> None:
    out = labels_for(certs(("f", "srdi_sme", 2018, 2021)))
    assert out.loc[2015, "label"] == 0  # grant in t+3
    assert out.loc[2016, "label"] == 1  # grant in t+2
    assert out.loc[2017, "label"] == 1  # grant in t+1
    assert not out.loc[[2018, 2019, 2020], "candidate"].any()
    assert out.loc[[2018, 2019, 2020], "label"].isna().all()


def test_firm_whose_status_expired_is_a_candidate_again() -> None:
    out = labels_for(certs(("f", "srdi_sme", 2017, 2020), ("f", "srdi_sme", 2022, 2025)))
    assert out.loc[2020, "candidate"] and out.loc[2021, "candidate"]
    assert out.loc[2020, "label"] == 1  # regained in 2022 = t+2
    assert out.loc[2021, "label"] == 1
    assert not out.loc[2022, "candidate"]


def test_renewal_in_the_expiry_year_keeps_the_firm_excluded() -> None:
    out = labels_for(certs(("f", "srdi_sme", 2018, 2021), ("f", "srdi_sme", 2021, 2024)))
    assert not out.loc[2018:2023, "candidate"].any()
    assert out.loc[2024, "candidate"]


def test_firm_certified_before_the_panel_starts_is_excluded_until_expiry() -> None:
    out = labels_for(certs(("f", "srdi_sme", 2012, 2015)))
    assert not out.loc[2014, "candidate"]
    assert out.loc[2015:, "candidate"].all()
    assert (out.loc[2015:2023, "label"] == 0).all()


def test_edge_years_only_complete_labels_are_usable() -> None:
    out = labels_for(certs(("f", "srdi_sme", 2025, 2028)))
    assert out.loc[2023, "complete"] and out.loc[2023, "label"] == 1
    assert not out.loc[2024, "complete"] and np.isnan(out.loc[2024, "label"])
    assert out.loc[2014, "complete"]


def test_higher_tier_counts_lower_tier_does_not() -> None:
    little_giant = labels_for(certs(("f", "little_giant", 2019, 2022)))
    assert little_giant.loc[2018, "label"] == 1
    assert not little_giant.loc[2019, "candidate"]
    innovative = labels_for(certs(("f", "innovative_sme", 2019, 2022)))
    assert (innovative.loc[:2023, "label"] == 0).all()
    assert innovative["candidate"].all()


def test_little_giant_target_keeps_provincial_holders_as_candidates() -> None:
    out = labels_for(
        certs(("f", "srdi_sme", 2016, 2019), ("f", "little_giant", 2019, 2022)),
        target="little_giant",
    )
    assert out.loc[2016, "candidate"] and out.loc[2017, "label"] == 1
    assert not out.loc[2019, "candidate"]


def test_little_giant_asks_provincial_firms_only() -> None:
    out = labels_for(
        certs(("f", "srdi_sme", 2016, 2019), ("f", "little_giant", 2019, 2022)),
        target="little_giant",
    )
    # Before the provincial grant and after the Little Giant status lapsed: not asked.
    assert not out.loc[[2014, 2015], "candidate"].any()
    assert not out.loc[2022:, "candidate"].any()
    assert out.loc[[2016, 2017, 2018], "candidate"].all()
    assert out.loc[2016, "label"] == 0 and out.loc[2018, "label"] == 1


def test_retention_asks_firms_whose_status_is_re_reviewed_within_h() -> None:
    # Provincial 2016–2019, confirmed at the 2019 re-review, lost at the 2022 one.
    out = labels_for(
        certs(("f", "srdi_sme", 2016, 2019), ("f", "srdi_sme", 2019, 2022)),
        target="retention",
    )
    assert not out.loc[2016, "candidate"]  # re-review in t+3
    assert out.loc[[2017, 2018], "label"].tolist() == [1.0, 1.0]
    assert out.loc[[2020, 2021], "label"].tolist() == [0.0, 0.0]
    assert not out.loc[[2014, 2015, 2019], "candidate"].any()
    assert not out.loc[2022:, "candidate"].any()  # holds nothing


def test_retention_counts_a_rise_to_little_giant_and_not_a_fall_to_provincial() -> None:
    raised = labels_for(
        certs(("f", "srdi_sme", 2016, 2019), ("f", "little_giant", 2018, 2021)),
        target="retention",
    )
    assert raised.loc[2017, "label"] == 1  # raised in 2018, before the 2019 re-review
    fallen = labels_for(
        certs(("f", "little_giant", 2016, 2019), ("f", "srdi_sme", 2019, 2022)),
        target="retention",
    )
    assert fallen.loc[[2017, 2018], "label"].tolist() == [0.0, 0.0]
    assert fallen.loc[[2020, 2021], "label"].tolist() == [0.0, 0.0]  # provincial lapsed
    innovative = labels_for(certs(("f", "innovative_sme", 2016, 2019)), target="retention")
    assert not innovative["candidate"].any()


def test_horizon_one_counts_only_the_next_year() -> None:
    out = labels_for(certs(("f", "srdi_sme", 2018, 2021)), horizon=1)
    assert out.loc[2016, "label"] == 0
    assert out.loc[2017, "label"] == 1
    assert out.loc[2024, "complete"] and not out.loc[2025, "complete"]


def test_unknown_target_and_bad_horizon_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown target 'giant'"):
        target_tiers("giant")
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        labels_for(certs(), horizon=0)


def _reference_label(
    t: int, grants: list[tuple[int, int]], horizon: int, last_year: int
) -> tuple[bool, float]:
    """Row-by-row definition from DESIGN.md, for comparison with the vectorized code."""
    candidate = not any(g <= t < e for g, e in grants)
    if not candidate or t + horizon > last_year:
        return candidate, float("nan")
    return candidate, float(any(t < g <= t + horizon for g, _ in grants))


grant = st.tuples(st.integers(2008, 2027), st.integers(1, 4)).map(lambda p: (p[0], p[0] + p[1]))
LEVELS = {"innovative_sme": 1, "srdi_sme": 2, "little_giant": 3}


def _ladder_reference(
    target: str, t: int, grants: list[tuple[str, int, int]], horizon: int
) -> tuple[bool, float]:
    """The module docstring's definitions, row by row (complete rows only)."""
    valid = [(LEVELS[tier], e) for tier, g, e in grants if g <= t < e]
    level = max((lv for lv, _ in valid), default=0)
    if target == "retention":
        expiry = max((e for lv, e in valid if lv == level), default=0)
        if level < 2 or not t < expiry <= t + horizon:
            return False, float("nan")
        kept = any(t < g <= expiry and LEVELS[tier] >= level for tier, g, _ in grants)
        return True, float(kept)
    goal = LEVELS[target]
    if not (2 if target == "little_giant" else 0) <= level < goal:
        return False, float("nan")
    return True, float(any(t < g <= t + horizon and LEVELS[tier] >= goal for tier, g, _ in grants))


tier_grant = st.tuples(st.sampled_from(sorted(LEVELS)), grant).map(lambda p: (p[0], *p[1]))


@settings(max_examples=60, deadline=None)
@given(
    grants=st.lists(st.lists(tier_grant, max_size=4), min_size=1, max_size=4),
    horizon=st.integers(1, 3),
    target=st.sampled_from(["srdi_sme", "little_giant", "retention"]),
)
def test_every_target_matches_its_row_by_row_definition(
    grants: list[list[tuple[str, int, int]]], horizon: int, target: str
) -> None:
    firms = [f"f{i}" for i in range(len(grants))]
    rows = [(firm, int(year)) for firm in firms for year in YEARS]
    table = certs(*[(f, *g) for f, gs in zip(firms, grants, strict=True) for g in gs])
    result = make_labels(
        np.array([r[0] for r in rows], dtype=object),
        np.array([r[1] for r in rows], dtype=float),
        table,
        target=target,
        horizon=horizon,
        last_year=2030,
    )
    for i, (firm, year) in enumerate(rows):
        candidate, label = _ladder_reference(target, year, grants[firms.index(firm)], horizon)
        assert result.candidate[i] == candidate, (firm, year)
        assert (np.isnan(label) and np.isnan(result.label[i])) or result.label[i] == label


@settings(max_examples=60, deadline=None)
@given(
    grants=st.lists(st.lists(grant, max_size=3), min_size=1, max_size=4),
    horizon=st.integers(1, 3),
)
def test_vectorized_labels_match_the_row_by_row_definition(
    grants: list[list[tuple[int, int]]], horizon: int
) -> None:
    firms = [f"f{i}" for i in range(len(grants))]
    rows = [(firm, int(year)) for firm in firms for year in YEARS]
    table = certs(
        *[(f, "srdi_sme", g, e) for f, gs in zip(firms, grants, strict=True) for g, e in gs]
    )
    result = make_labels(
        np.array([r[0] for r in rows], dtype=object),
        np.array([r[1] for r in rows], dtype=float),
        table,
        horizon=horizon,
        last_year=2025,
    )
    for i, (firm, year) in enumerate(rows):
        candidate, label = _reference_label(year, grants[firms.index(firm)], horizon, 2025)
        assert result.candidate[i] == candidate
        assert (np.isnan(label) and np.isnan(result.label[i])) or result.label[i] == label
