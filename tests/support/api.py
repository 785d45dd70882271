"""Helpers of the API tests: records, small real models, model providers.

Models: ``bundle`` is a small real LightGBM model fitted on random records, wrapped in
a real :class:`srdi.core.bundle.ModelBundle` (fast; for unit tests); ``other_bundle`` a
second one that scores differently (for reload tests).
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.pipeline import FeaturePipeline
from features.validate import validate_frame
from serving.scoring.scorer import Scorer
from srdi.core.bundle import ModelBundle, NoChampionError, code_ruleset_versions
from srdi.core.calibrators import PlattCalibrator
from srdi.core.drift import DriftReference
from srdi.core.settings import Settings, load_settings

API_KEY = "test-key-0123456789"
PROVINCES = ["Zhejiang", "Jiangsu", "Guangdong", "Beijing", "Shandong", "Sichuan"]
INDUSTRIES = ["C39", "C35", "C34", "C26", "I65", "C38"]
TIERS = ["none", "innovative_sme", "none", "innovative_sme", "srdi_sme"]


def make_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` plausible input records (some fields missing, as in real data)."""
    rng = np.random.default_rng(seed)
    revenue = 10 ** rng.uniform(6.5, 9.3, n)
    growth = rng.normal(0.12, 0.15, (2, n)).clip(-0.5, 1.0)
    revenue_prev = revenue / (1 + growth[0])
    revenue_prev2 = revenue_prev / (1 + growth[1])
    focus = rng.uniform(0.4, 1.0, n)
    employees = rng.integers(20, 800, n)
    rd_intensity = rng.uniform(0.0, 0.15, n)
    assets = revenue * rng.uniform(0.8, 2.0, n)
    records = []
    for i in range(n):
        record: dict[str, Any] = {
            "company_id": f"TEST{seed:02d}{i:05d}",
            "name": f"测试企业{i}",
            "fiscal_year": int(rng.integers(2021, 2025)),
            "founded_year": int(rng.integers(1995, 2019)),
            "province": PROVINCES[i % len(PROVINCES)],
            "industry": INDUSTRIES[(i // 2) % len(INDUSTRIES)],
            "revenue": float(revenue[i]),
            "revenue_prev": float(revenue_prev[i]),
            "revenue_prev2": float(revenue_prev2[i]),
            "main_business_revenue": float(revenue[i] * focus[i]),
            "main_business_revenue_prev": float(revenue_prev[i] * focus[i]),
            "years_in_niche": float(rng.integers(0, 20)),
            "rd_expense": float(revenue[i] * rd_intensity[i]),
            "rd_expense_prev": float(revenue_prev[i] * rd_intensity[i] * 0.9),
            "employees": int(employees[i]),
            "rd_staff": int(employees[i] * rng.uniform(0.02, 0.4)),
            "gross_profit": float(revenue[i] * rng.uniform(0.05, 0.5)),
            "net_profit": float(revenue[i] * rng.uniform(-0.1, 0.2)),
            "total_assets": float(assets[i]),
            "total_liabilities": float(assets[i] * rng.uniform(0.2, 0.8)),
            "export_share": float(rng.uniform(0, 0.6)),
            "invention_patents": int(rng.integers(0, 30)),
            "class1_ip": int(rng.integers(0, 40)),
            "class2_ip": int(rng.integers(0, 40)),
            "rd_institution": ["none", "municipal", "provincial", "national"][i % 4],
            "digital_level": int(rng.integers(1, 5)),
            "quality_certification": bool(rng.random() < 0.7),
            "own_brand": bool(rng.random() < 0.6),
            "standards_drafted": int(rng.integers(0, 4)),
            "strategic_emerging": bool(rng.random() < 0.5),
            "current_tier": TIERS[i % len(TIERS)],
        }
        if i % 3:  # customer and market fields are often missing in real data
            record["top5_customer_share"] = float(rng.uniform(0.1, 0.9))
            record["national_market_share"] = float(rng.uniform(0.0, 0.3))
            record["world_market_rank"] = int(rng.integers(1, 50))
        records.append(record)
    return records


def fit_bundle(
    records: list[dict[str, Any]], *, seed: int, trees: int = 25, target: str = "srdi_sme"
) -> ModelBundle:
    """A real bundle: a small LightGBM model fitted on the records' features.

    ``target`` names the question it answers (the fit is the same for every target).
    """
    validated = validate_frame(pd.DataFrame.from_records(records))
    assert not validated.errors, validated.errors[:3]
    pipeline = FeaturePipeline(min_count=5).fit(validated.columns)
    X = pipeline.transform(validated.columns)
    rng = np.random.default_rng(seed)
    signal = np.nan_to_num(X[:, pipeline.feature_names.index("rd_intensity")]) * 20
    y = (signal + rng.normal(0, 1, len(X)) > 1.5).astype(float)
    params = {"objective": "binary", "num_leaves": 7, "min_data_in_leaf": 5, "verbose": -1}
    params["seed"] = seed
    booster = lgb.train(params, lgb.Dataset(X, y, feature_name=pipeline.feature_names), trees)
    calibrator = PlattCalibrator(slope=1.0, intercept=0.0)
    scores = calibrator.transform(booster.predict(X, raw_score=True))
    return ModelBundle(
        booster=booster,
        calibrator=calibrator,
        pipeline=pipeline,
        feature_names=pipeline.feature_names,
        reference_quantiles=np.quantile(scores, np.linspace(0, 1, 101)),
        ruleset_versions=code_ruleset_versions(),
        target=target,
        horizon=2,
        metadata={"trained_at": "2026-01-01T00:00:00+00:00", "metrics": {"test_roc_auc": 0.9}},
        drift_reference=DriftReference.from_matrix(X, pipeline.feature_names),
    )


def ladder_scorer(
    bundles: dict[str, ModelBundle], *, missing: tuple[str, ...] = (), version: str = "1"
) -> Scorer:
    """A scorer of several targets' bundles; ``missing`` targets are offered untrained."""
    from serving.scoring.steps import MissingModel, ModelSet, ServedModel
    from serving.scoring.target import TargetModel

    names = load_settings(api_key=None)
    served = [ServedModel(TargetModel(b), names.model_name(t), version) for t, b in bundles.items()]
    absent = [
        MissingModel(t, names.model_name(t), f"no champion of {names.model_name(t)}")
        for t in missing
    ]
    return Scorer.from_models(ModelSet.of(served, absent))


class ListProvider:
    """A model provider handing out the given scorers in turn, one per load.

    ``fail_with`` makes loads raise instead (e.g. ``NoChampionError``).
    """

    def __init__(self, *scorers: Scorer, fail_with: Exception | None = None) -> None:
        self.scorers = list(scorers)
        self.fail_with = fail_with
        self.loads = 0

    def champion_version(self) -> str | None:
        if self.fail_with is not None or not self.scorers:
            return None
        return self.scorers[self.loads % len(self.scorers)].model_version

    def load(self) -> Scorer:
        if self.fail_with is not None:
            raise self.fail_with
        scorer = self.scorers[self.loads % len(self.scorers)]
        self.loads += 1
        return scorer


NO_CHAMPION = NoChampionError(
    "no registered model 'srdi-potential' alias @champion in the MLflow store sqlite:///x; "
    "train one with `make train` (or `srdi train --data DIR`)"
)


def settings_for(**overrides: Any) -> Settings:
    """Settings for tests: environment ignored where it matters."""
    base: dict[str, Any] = {"api_key": None, "reload_interval_s": 0.0}
    base.update(overrides)
    return load_settings(**base)
