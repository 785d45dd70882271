"""Calibration figures of a world, computed from its published tables.

These are the figures CRITERIA.md §2 publishes for real certified firms; the data
tests assert them within tolerances and ``world.json`` records them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from training.synth.config import HORIZON, LAST_YEAR

__all__ = ["calibration_figures", "realized_labels", "roc_auc"]

_PROVINCIAL_OR_HIGHER = ("srdi_sme", "little_giant")


def calibration_figures(financials: pd.DataFrame, year: int = LAST_YEAR) -> dict[str, float]:
    """The published figures of the firms observed in ``year``.

    Parameters
    ----------
    financials
        The published panel (``financials.parquet``).
    year
        Fiscal year to describe (tiers held at its end).

    Returns
    -------
    dict
        ``firms``, ``little_giant_share``, ``provincial_or_higher_share``,
        ``innovative_share``, and among Little Giants ``lg_median_rd_intensity``,
        ``lg_manufacturing_share``, ``lg_median_age``,
        ``lg_median_main_business_share``; plus ``provincial_stock_ratio_2021``
        (provincial-or-higher firms in 2021 / in ``year``).
    """
    rows = financials[financials["fiscal_year"] == year]
    tier = rows["current_tier"]
    lg = rows[tier == "little_giant"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rd = (lg["rd_expense"] / lg["revenue"]).replace([np.inf, -np.inf], np.nan)
        main = (lg["main_business_revenue"] / lg["revenue"]).replace([np.inf, -np.inf], np.nan)
    in_2021 = financials.loc[financials["fiscal_year"] == 2021, "current_tier"]
    provincial = int(tier.isin(_PROVINCIAL_OR_HIGHER).sum())
    return {
        "firms": float(len(rows)),
        "little_giant_share": float((tier == "little_giant").mean()),
        "provincial_or_higher_share": float(tier.isin(_PROVINCIAL_OR_HIGHER).mean()),
        "innovative_share": float((tier == "innovative_sme").mean()),
        "lg_median_rd_intensity": float(rd.median()),
        "lg_manufacturing_share": float(lg["industry"].str.startswith("C").mean()),
        "lg_median_age": float((year - lg["founded_year"]).median()),
        "lg_median_main_business_share": float(main.median()),
        "provincial_stock_ratio_2021": (
            float(in_2021.isin(_PROVINCIAL_OR_HIGHER).sum() / provincial)
            if provincial
            else float("nan")
        ),
    }


def realized_labels(
    oracle: pd.DataFrame, certifications: pd.DataFrame, horizon: int = HORIZON
) -> pd.Series:
    """The realized label of each oracle row: granted the target tier in t+1..t+H.

    For ``retention`` rows: the status held at t was kept at its re-review (or
    raised before it), as ``training.labels.make_labels`` counts it.

    Parameters
    ----------
    oracle
        ``oracle.parquet`` rows (``company_id``, ``fiscal_year``, ``target``).
    certifications
        ``certifications.parquet``.
    horizon
        Years after t that count.

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``oracle``'s index.
    """
    grants = certifications.rename(columns={"tier": "target"})[
        ["company_id", "target", "granted_year"]
    ]
    keys = oracle[["company_id", "target", "fiscal_year"]].reset_index()
    merged = keys.merge(grants, on=["company_id", "target"], how="inner")
    delta = merged["granted_year"] - merged["fiscal_year"]
    hit = merged.loc[(delta >= 1) & (delta <= horizon), "index"].unique()
    label = pd.Series(oracle.index.isin(hit), index=oracle.index, name="label")
    retention = (oracle["target"] == "retention").to_numpy()
    if retention.any():
        from training.labels import make_labels

        rows = oracle.loc[retention]
        kept = make_labels(
            rows["company_id"].to_numpy(dtype=object),
            rows["fiscal_year"].to_numpy(dtype=np.float64),
            certifications,
            target="retention",
            horizon=horizon,
            last_year=int(rows["fiscal_year"].max()) + horizon,
        )
        label[retention] = kept.label == 1.0
    return label


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (ties averaged); ``NaN`` if one class is absent."""
    y = np.asarray(labels, dtype=bool)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
