"""A backtest a fund manager reads: of the firms at the top of each year's list, how many
were certified within H years?

For each test year, the candidates of that year are ranked by the model's score and,
beside it, by the official points (the baseline a screener following the rules
would use). The table counts the certified firms among the top 50 and among the top
5 % of each ranking. Firms tied at the cut (the points are whole numbers, so ties are
common) count by their share of the places left: three tied firms, one of them
certified, competing for two places count 2 × 1/3 ≈ 0.7 — the expected count under a
random order, which no file order can flatter.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["TOP_K", "TOP_SHARE", "BacktestYear", "backtest_by_year", "top_hits"]

TOP_K = 50
TOP_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class BacktestYear:
    """One test year of the backtest.

    Attributes
    ----------
    year : int
        Fiscal year t of the ranked candidates.
    candidates, certified : int
        Candidate firms that year, and how many of them were certified in t+1..t+H.
    top_k : int
        Rows in the top-k cut (50, or every candidate when fewer).
    model_top_k, points_top_k : float
        Certified firms among the model's and the points' top ``top_k``.
    top_share_rows : int
        Rows in the top 5 % (``ceil(0.05 × candidates)``).
    model_top_share, points_top_share : float
        Certified firms among the model's and the points' top 5 %.
    """

    year: int
    candidates: int
    certified: int
    top_k: int
    model_top_k: float
    points_top_k: float
    top_share_rows: int
    model_top_share: float
    points_top_share: float

    def as_dict(self) -> dict[str, float | int]:
        """Plain values for JSON."""
        return asdict(self)


def top_hits(y: np.ndarray, score: np.ndarray, k: int) -> float:
    """Expected positives among the top ``k`` rows by score, ties at the cut shared.

    Parameters
    ----------
    y
        0/1 labels.
    score
        Scores; NaN ranks last.
    k
        Rows in the cut (at most ``len(y)``).
    """
    labels = np.asarray(y, dtype=np.float64)
    values = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf)
    k = min(k, labels.size)
    if k <= 0:
        return 0.0
    cut = np.sort(values)[::-1][k - 1]
    above = values > cut
    tied = values == cut
    places = k - int(above.sum())
    return float(labels[above].sum() + places * labels[tied].mean())


def backtest_by_year(
    year: np.ndarray,
    y: np.ndarray,
    model: np.ndarray,
    points: np.ndarray,
    *,
    top_k: int = TOP_K,
    share: float = TOP_SHARE,
) -> list[BacktestYear]:
    """Count the certified firms at the top of each year's ranking, model beside points.

    Parameters
    ----------
    year
        Fiscal year of each test row.
    y
        Certified within the horizon (0/1).
    model, points
        The model's score and the official points of each row (NaN points rank last).
    top_k, share
        The two cuts: the top ``top_k`` rows and the top ``share`` of the rows.

    Returns
    -------
    list of BacktestYear
        One per year, in order.
    """
    years = np.asarray(year)
    out = []
    for t in np.unique(years):
        rows = years == t
        labels = np.asarray(y, dtype=np.float64)[rows]
        n = int(rows.sum())
        k = min(top_k, n)
        k_share = max(1, math.ceil(share * n))
        out.append(
            BacktestYear(
                year=int(t),
                candidates=n,
                certified=int(labels.sum()),
                top_k=k,
                model_top_k=top_hits(labels, model[rows], k),
                points_top_k=top_hits(labels, points[rows], k),
                top_share_rows=k_share,
                model_top_share=top_hits(labels, model[rows], k_share),
                points_top_share=top_hits(labels, points[rows], k_share),
            )
        )
    return out
