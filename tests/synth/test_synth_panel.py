"""The financial panel: one row per observed firm-year, values within the contract."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.fields import FIELDS, REQUIRED_FIELDS
from tests.support.synth import WorldOnDisk

SHARES = [f.name for f in FIELDS if f.kind == "share"]
MONEY_NON_NEGATIVE = [
    f.name for f in FIELDS if f.unit == "CNY" and f.minimum is not None and f.minimum >= 0
]
CUSTOMER = ["top5_customer_share", "repeat_customer_share", "avg_customer_tenure_years"]
MARKET = ["national_market_share", "world_market_share", "world_market_rank"]


def test_one_row_per_firm_year_inside_2014_2025(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials
    assert not fin.duplicated(["company_id", "fiscal_year"]).any()
    assert fin["fiscal_year"].between(2014, 2025).all()
    assert (fin["fiscal_year"] >= fin["founded_year"]).all()


def test_firms_enter_when_founded_and_leave_for_good(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials
    latent = synth_world.latent.set_index("company_id")
    years = fin.groupby("company_id")["fiscal_year"].agg(["min", "max", "count"])
    assert (years["max"] - years["min"] + 1 == years["count"]).all()  # no gaps
    founded = latent.loc[years.index, "founded_year"]
    assert (years["min"] == np.maximum(founded, 2014)).all()
    exit_year = latent.loc[years.index, "exit_year"]
    left = exit_year.notna()
    assert left.mean() > 0.05  # some firms exit
    assert (years.loc[left, "max"] == exit_year[left] - 1).all()
    assert (years.loc[~left, "max"] == 2025).all()
    assert (years["min"] > 2014).mean() > 0.02  # some firms are founded during the panel
    assert (latent["founded_year"] < 2014).mean() > 0.5  # most predate it


def test_shares_are_fractions_and_parts_do_not_exceed_wholes(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials
    for name in SHARES:
        values = fin[name].dropna()
        assert values.between(0.0, 1.0).all(), name
    for name in MONEY_NON_NEGATIVE:
        assert (fin[name].dropna() >= 0).all(), name
    for suffix in ("", "_prev", "_prev2"):
        main, revenue = fin[f"main_business_revenue{suffix}"], fin[f"revenue{suffix}"]
        both = main.notna() & revenue.notna()
        assert (main[both] <= revenue[both]).all(), suffix
    both = fin["rd_staff"].notna() & fin["employees"].notna()
    assert (fin.loc[both, "rd_staff"] <= fin.loc[both, "employees"]).all()
    assert (fin["gross_profit"].dropna() <= fin.loc[fin["gross_profit"].notna(), "revenue"]).all()
    assert fin["digital_level"].dropna().between(1, 4).all()
    assert (fin["world_market_rank"].dropna() >= 1).all()


def test_years_in_niche_grow_and_fit_within_the_firms_age(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials.sort_values(["company_id", "fiscal_year"])
    age = fin["fiscal_year"] - fin["founded_year"]
    niche = fin["years_in_niche"]
    assert (niche.dropna() <= age[niche.notna()]).all()
    step = niche.groupby(fin["company_id"]).diff().dropna()
    assert step.isin([0.0, 1.0]).all()  # grows by one a year once in the niche
    assert (step == 1.0).mean() > 0.8


def test_prior_year_fields_repeat_last_years_values(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials.sort_values(["company_id", "fiscal_year"])
    last = fin.groupby("company_id")[["revenue", "main_business_revenue", "rd_expense"]].shift(1)
    for current, prev in (
        ("revenue", "revenue_prev"),
        ("main_business_revenue", "main_business_revenue_prev"),
        ("rd_expense", "rd_expense_prev"),
    ):
        both = last[current].notna() & fin[prev].notna()
        assert both.sum() > 1000
        np.testing.assert_allclose(fin.loc[both, prev], last.loc[both, current], rtol=1e-12)
    # A firm in its founding year has no prior-year revenue.
    first_year = fin["fiscal_year"] == fin["founded_year"]
    assert first_year.any() and fin.loc[first_year, "revenue_prev"].isna().all()


def test_customer_and_market_fields_are_missing_most_others_rarely(
    synth_world: WorldOnDisk,
) -> None:
    missing = synth_world.financials.isna().mean()
    for name in CUSTOMER + MARKET:
        assert 0.30 <= missing[name] <= 0.60, (name, missing[name])
    structural = {"revenue_prev", "revenue_prev2", "main_business_revenue_prev",
                  "main_business_revenue_prev2", "rd_expense_prev"}  # fmt: skip
    for name in set(missing.index) - set(CUSTOMER + MARKET) - structural - {"tier_since"}:
        assert missing[name] <= 0.05, (name, missing[name])
    # tier_since dates a held tier: empty for firms holding none, rarely missing otherwise.
    fin = synth_world.financials
    held = fin["current_tier"] != "none"
    assert fin.loc[~held, "tier_since"].isna().all()
    assert fin.loc[held, "tier_since"].isna().mean() <= 0.05
    for name in REQUIRED_FIELDS:
        assert missing[name] == 0.0, name
    # Customer fields of one firm-year tend to go missing together.
    gone = synth_world.financials[CUSTOMER].isna()
    assert gone.all(axis=1).sum() > 0.8 * gone.any(axis=1).sum()


def test_latent_traits_drive_the_financials(synth_world: WorldOnDisk) -> None:
    fin = synth_world.financials[synth_world.financials["fiscal_year"] == 2025]
    latent = synth_world.latent.set_index("company_id").loc[fin["company_id"]]
    rd = np.log((fin["rd_expense"] / fin["revenue"]).to_numpy())
    main = (fin["main_business_revenue"] / fin["revenue"]).to_numpy()
    ok = np.isfinite(rd) & np.isfinite(main)
    capability = latent["capability"].to_numpy()[ok]
    focus = latent["focus"].to_numpy()[ok]
    assert np.corrcoef(capability, rd[ok])[0, 1] > 0.3
    assert np.corrcoef(focus, main[ok])[0, 1] > 0.5
    # Persistence: R&D intensity of one year predicts the next.
    panel = synth_world.financials.sort_values(["company_id", "fiscal_year"])
    intensity = np.log(panel["rd_expense"] / panel["revenue"])
    lagged = intensity.groupby(panel["company_id"]).shift(1)
    pair = pd.concat([intensity, lagged], axis=1).dropna()
    assert np.corrcoef(pair.iloc[:, 0], pair.iloc[:, 1])[0, 1] > 0.8


def test_published_financials_pass_the_input_validation(synth_world: WorldOnDisk) -> None:
    from features.validate import validate_frame

    validated = validate_frame(synth_world.financials)
    assert validated.errors == []
    assert len(validated.rows) == len(synth_world.financials)
