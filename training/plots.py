"""Evaluation plots as PNG files.

Figures are built with :class:`matplotlib.figure.Figure` directly (Agg canvas), so
nothing touches pyplot's global state or needs a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

__all__ = [
    "plot_calibration",
    "plot_family_contributions",
    "plot_gain_lift",
    "plot_precision_recall",
    "plot_score_distribution",
]

DPI = 110


def _new_figure(width: float = 6.4, height: float = 4.4) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _finite(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    target = np.asarray(y, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    ok = ~np.isnan(target) & ~np.isnan(s)
    return target[ok], s[ok]


def plot_calibration(y: np.ndarray, prob: np.ndarray, path: Path, *, bins: int = 15) -> Path:
    """Observed rate against mean predicted probability in equal-count bins."""
    target, p = _finite(y, prob)
    order = np.argsort(p, kind="stable")
    chunks = [c for c in np.array_split(order, min(bins, max(1, p.size))) if c.size]
    mean_p = np.array([p[c].mean() for c in chunks])
    mean_y = np.array([target[c].mean() for c in chunks])
    figure = _new_figure()
    ax = figure.subplots()
    top = max(float(mean_p.max(initial=0.0)), float(mean_y.max(initial=0.0)), 0.05) * 1.05
    ax.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect calibration")
    ax.plot(mean_p, mean_y, marker="o", label=f"model ({len(chunks)} equal-count bins)")
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed certification rate",
        title="Calibration on the test years",
        xlim=(0, top),
        ylim=(0, top),
    )
    ax.legend(loc="upper left")
    return _save(figure, path)


def plot_precision_recall(y: np.ndarray, scores: Mapping[str, np.ndarray], path: Path) -> Path:
    """Precision-recall curves of several scorers on the same rows."""
    figure = _new_figure()
    ax = figure.subplots()
    base = float(np.nanmean(np.asarray(y, dtype=np.float64)))
    for name, score in scores.items():
        target, s = _finite(y, score)
        if target.size == 0 or target.sum() == 0:
            continue
        precision, recall, _ = precision_recall_curve(target, s)
        ax.step(recall, precision, where="post", label=name)
    ax.axhline(base, linestyle="--", color="grey", label=f"base rate {base:.3f}")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall, test years")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right")
    return _save(figure, path)


def _gain(target: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-s, kind="stable")
    captured = np.cumsum(target[order]) / max(target.sum(), 1.0)
    share = np.arange(1, target.size + 1) / target.size
    return share, captured


def plot_gain_lift(y: np.ndarray, scores: Mapping[str, np.ndarray], path: Path) -> Path:
    """Cumulative gain and lift against the share of firms screened."""
    figure = _new_figure(width=10.0, height=4.2)
    gain_ax, lift_ax = figure.subplots(1, 2)
    for name, score in scores.items():
        target, s = _finite(y, score)
        if target.size == 0 or target.sum() == 0:
            continue
        share, captured = _gain(target, s)
        gain_ax.plot(share, captured, label=name)
        lift = captured / share
        keep = share >= 0.01  # the first handful of rows make the lift curve spike
        lift_ax.plot(share[keep], lift[keep], label=name)
    gain_ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    gain_ax.set(xlabel="share of firms screened (by score)", ylabel="share of certified found")
    gain_ax.set_title("Cumulative gain")
    lift_ax.axhline(1.0, linestyle="--", color="grey")
    lift_ax.set(xlabel="share of firms screened (by score)", ylabel="lift over random")
    lift_ax.set_xscale("log")
    lift_ax.set_title("Lift")
    gain_ax.legend(loc="lower right")
    return _save(figure, path)


def plot_family_contributions(
    contributions: np.ndarray, families: Sequence[str], path: Path
) -> Path:
    """Mean absolute contribution to the margin per feature family (bias column dropped)."""
    contrib = np.asarray(contributions, dtype=np.float64)[:, : len(families)]
    fam = np.asarray(families, dtype=object)
    names = sorted(set(families))
    totals = np.array([np.abs(contrib[:, fam == name].sum(axis=1)).mean() for name in names])
    order = np.argsort(totals)
    figure = _new_figure(height=0.35 * len(names) + 1.5)
    ax = figure.subplots()
    ax.barh([names[i] for i in order], totals[order])
    ax.set(
        xlabel="mean |contribution to log-odds| per firm",
        title="Contributions by feature family, test years",
    )
    return _save(figure, path)


def plot_score_distribution(y: np.ndarray, prob: np.ndarray, path: Path) -> Path:
    """Histograms of the calibrated score for certified and not-certified rows."""
    target, p = _finite(y, prob)
    figure = _new_figure()
    ax = figure.subplots()
    low = max(float(p.min(initial=1.0)), 1e-4)
    edges = np.geomspace(low, 1.0, 40)
    for value, label in ((0.0, "not certified in H years"), (1.0, "certified in H years")):
        chosen = p[target == value]
        if chosen.size:
            ax.hist(
                np.clip(chosen, low, 1.0),
                bins=edges.tolist(),
                density=True,
                alpha=0.55,
                label=label,
            )
    ax.set_xscale("log")
    ax.set(xlabel="calibrated probability (log scale)", ylabel="density")
    ax.set_title("Score distribution by label, test years")
    ax.legend(loc="upper left")
    return _save(figure, path)
