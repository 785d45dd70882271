"""A small, fast panel for the training tests.

Deliberately simpler than the product's simulator (``training.synth``): one latent
capability per firm drives R&D, focus and growth, and certification follows a
known yearly hazard, so the tests know the true probability (the oracle) and
which features must push the score up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from features.catalog import FEATURES
from features.pipeline import FeaturePipeline
from srdi.core.bundle import ModelBundle, code_ruleset_versions
from training.calibration import fit_platt
from training.dataset import Examples, build_examples, load_panel, subset_columns
from training.model import ModelConfig, monotone_constraints, train_booster
from training.splits import SplitConfig, make_time_split

FIRST_YEAR, LAST_YEAR = 2014, 2025
PROVINCES = ("Zhejiang", "Jiangsu", "Guangdong", "Shandong", "Sichuan", "Hubei", "Anhui", "Fujian")
INDUSTRIES = ("C39", "C35", "C34", "I65", "C26", "F51")


def _hazard(rd_intensity: np.ndarray, main_share: np.ndarray, capability: np.ndarray) -> np.ndarray:
    logit = -4.2 + 28.0 * (rd_intensity - 0.04) + 3.0 * (main_share - 0.7) + 0.6 * capability
    return 1.0 / (1.0 + np.exp(-logit))


def make_world(n_firms: int, seed: int) -> dict[str, pd.DataFrame]:
    """Return ``financials``, ``certifications`` and ``oracle`` frames."""
    rng = np.random.default_rng(seed)
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    n_years = years.size
    capability = rng.normal(0, 1, n_firms)
    focus = 0.5 * capability + rng.normal(0, 1, n_firms)
    founded = rng.integers(1995, 2012, n_firms)
    province = rng.choice(PROVINCES, n_firms)
    industry = rng.choice(INDUSTRIES, n_firms)

    # Yearly paths (firms × years), with two earlier years for the _prev fields.
    steps = n_years + 2
    log_rev = (
        17.0
        + 0.4 * capability[:, None]
        + np.cumsum(
            0.05 + 0.03 * capability[:, None] + rng.normal(0, 0.12, (n_firms, steps)), axis=1
        )
    )
    revenue = np.exp(log_rev)
    rd = np.clip(
        0.03 * np.exp(0.45 * capability[:, None] + rng.normal(0, 0.25, (n_firms, steps))), 0, 0.4
    )
    main_share = 1 / (
        1 + np.exp(-(1.2 + 0.9 * focus[:, None] + rng.normal(0, 0.3, (n_firms, steps))))
    )
    employees = np.round(revenue / 1.0e6 * np.exp(rng.normal(0, 0.2, (n_firms, steps)))) + 5
    hazard = _hazard(rd, main_share, capability[:, None])

    # Certification: a firm not holding the tier is granted it with the hazard of
    # its previous year's figures; the status runs three years.
    tier_held = np.zeros((n_firms, n_years), dtype=bool)
    records = []
    expires = np.full(n_firms, -1)
    pre = rng.random(n_firms) < 0.03  # certified before the panel starts
    expires[pre] = 2015
    records += [(f"F{i:05d}", "srdi_sme", 2012, 2015) for i in np.flatnonzero(pre)]
    for k, year in enumerate(years):
        holding = expires > year
        granted = ~holding & (rng.random(n_firms) < hazard[:, k + 1])  # uses year-1 figures
        expires[granted] = year + 3
        records += [
            (f"F{i:05d}", "srdi_sme", int(year), int(year) + 3) for i in np.flatnonzero(granted)
        ]
        tier_held[:, k] = expires > year
    lg = [(cid, "little_giant", g + 1, g + 4) for cid, _, g, _ in records[:3] if g + 1 <= LAST_YEAR]
    certifications = pd.DataFrame(
        records + lg, columns=["company_id", "tier", "granted_year", "expires_year"]
    )

    firm = np.repeat(np.arange(n_firms), n_years)
    col = np.tile(np.arange(n_years), n_firms) + 2  # position of year t in the path arrays
    rev_t = revenue[firm, col]
    financials = pd.DataFrame(
        {
            "company_id": [f"F{i:05d}" for i in firm],
            "fiscal_year": np.tile(years, n_firms),
            "province": province[firm],
            "industry": industry[firm],
            "founded_year": founded[firm],
            "revenue": rev_t,
            "revenue_prev": revenue[firm, col - 1],
            "revenue_prev2": revenue[firm, col - 2],
            "main_business_revenue": rev_t * main_share[firm, col],
            "main_business_revenue_prev": revenue[firm, col - 1] * main_share[firm, col - 1],
            "rd_expense": rev_t * rd[firm, col],
            "rd_expense_prev": revenue[firm, col - 1] * rd[firm, col - 1],
            "employees": employees[firm, col],
            "rd_staff": np.floor(employees[firm, col] * np.clip(rd[firm, col] * 2, 0, 0.9)),
            "gross_profit": rev_t * 0.25,
            "net_profit": rev_t * (0.05 + 0.02 * capability[firm]),
            "total_assets": rev_t * 1.1,
            "total_liabilities": rev_t * 0.5,
            "years_in_niche": np.tile(years, n_firms) - founded[firm] - 1.0,
            "current_tier": np.where(tier_held[firm, col - 2], "srdi_sme", "none"),
        }
    )
    # A little missingness, as in real panels.
    financials.loc[rng.random(len(financials)) < 0.1, "rd_expense_prev"] = np.nan

    # Oracle: P(granted in t+1 or t+2) given year-t figures (the hazard at t+1
    # uses year-t figures; year t+2 uses t+1, integrated over its noise roughly by
    # reusing year t's hazard).
    h = hazard[firm, col]
    oracle = pd.DataFrame(
        {
            "company_id": financials["company_id"],
            "fiscal_year": financials["fiscal_year"],
            "target": "srdi_sme",
            "horizon": 2,
            "probability": 1 - (1 - h) * (1 - hazard[firm, np.minimum(col + 1, steps - 1)]),
        }
    )
    return {"financials": financials, "certifications": certifications, "oracle": oracle}


def write_world(directory: Path, n_firms: int, seed: int) -> Path:
    """Write a world as Parquet files into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in make_world(n_firms, seed).items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    return directory


@dataclass(frozen=True)
class Trained:
    """A bundle trained without MLflow, with the examples it was trained on."""

    bundle: ModelBundle
    examples: Examples
    X: np.ndarray
    part: np.ndarray


def train_small(world: Path, *, rounds: int = 40, config: ModelConfig | None = None) -> Trained:
    """Train a few trees on a world directory (no MLflow)."""
    examples = build_examples(load_panel(world), target="srdi_sme", horizon=2)
    split = make_time_split(int(examples.year.min()), examples.last_year - 2, SplitConfig())
    part = split.assign(examples.year)
    pipeline = FeaturePipeline().fit(subset_columns(examples.columns, part == 0))
    X = pipeline.transform(examples.columns)
    config = replace(config or ModelConfig(), max_rounds=rounds, learning_rate=0.1, num_threads=1)
    trained = train_booster(
        X[part == 0],
        examples.y[part == 0],
        X[part == 1],
        examples.y[part == 1],
        feature_names=pipeline.feature_names,
        config=config,
        constraints=monotone_constraints(FEATURES),
    )
    margin = trained.booster.predict(X, raw_score=True)
    calibrator = fit_platt(margin[part == 1], examples.y[part == 1])
    prob = calibrator.transform(margin[part == 2])
    bundle = ModelBundle(
        booster=trained.booster,
        calibrator=calibrator,
        pipeline=pipeline,
        feature_names=pipeline.feature_names,
        reference_quantiles=np.quantile(prob, np.linspace(0, 1, 1001)),
        ruleset_versions=code_ruleset_versions(),
        target="srdi_sme",
        horizon=2,
        metadata={"run_id": None, "trained_at": "test"},
    )
    return Trained(bundle=bundle, examples=examples, X=X, part=part)
