"""The evaluation report: one Markdown file beside the run's PNG plots.

It states what was trained on which years, the run metrics next to the baselines
and the oracle, the product goals with pass/fail, calibration, slices, the
held-out-province result and the input rows that were left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from training.backtest import BacktestYear
from training.evaluate import SliceResult

__all__ = ["Goal", "ReportData", "goals", "render_report", "write_report"]


@dataclass(frozen=True)
class Goal:
    """One product goal: a measured value against its bound."""

    name: str
    value: float
    bound: float
    higher_is_better: bool

    @property
    def met(self) -> bool | None:
        """True / False, or None when the value cannot be computed."""
        if math.isnan(self.value) or math.isnan(self.bound):
            return None
        return self.value >= self.bound if self.higher_is_better else self.value <= self.bound


def goals(metrics: Mapping[str, float]) -> list[Goal]:
    """Return the product goals measurable from a run's metrics."""

    def get(key: str) -> float:
        return float(metrics.get(key, math.nan))

    return [
        Goal(
            "test_roc_auc ≥ 0.97 × oracle_roc_auc",
            get("test_roc_auc"),
            0.97 * get("oracle_roc_auc"),
            True,
        ),
        # The bar is the best possible score, not the points: on the synthetic world
        # the oracle itself is only 1.4 x the points baseline for srdi_sme.
        Goal(
            "test_pr_auc ≥ 0.9 × oracle_pr_auc",
            get("test_pr_auc"),
            0.9 * get("oracle_pr_auc"),
            True,
        ),
        Goal("test_ece ≤ 0.02", get("test_ece"), 0.02, False),
    ]


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows."""

    title: str
    run_id: str | None
    target: str
    horizon: int
    split: str
    data_dir: str
    data_hash: str
    counts: Mapping[str, int]
    metrics: Mapping[str, float]
    params: Mapping[str, object]
    calibration: Mapping[str, float]
    calibrator_kind: str
    slices: Sequence[SliceResult]
    heldout: Mapping[str, object]
    top_features: Sequence[tuple[str, float]]
    plots: Mapping[str, str]
    issues: Sequence[str] = field(default_factory=list)
    issue_count: int = 0
    backtest: Sequence[BacktestYear] = ()
    input_lines: Sequence[str] = ()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _provinces(heldout: Mapping[str, object]) -> str:
    provinces = heldout.get("provinces", [])
    return ", ".join(str(p) for p in provinces) if isinstance(provinces, list | tuple) else ""


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return lines


def _hits(value: float, rows: int) -> str:
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{shown} ({value / rows:.0%})" if rows else shown


def _backtest(data: ReportData) -> list[str]:
    if not data.backtest:
        return []
    lines = [
        "## Backtest: the top of each year's list",
        "",
        f"Each test year's candidates ranked by the model and by the official points; how many "
        f"of the firms at the top were certified within {data.horizon} years (share of the cut "
        "in brackets; firms tied at the cut count by their share of the places left).",
        "",
    ]
    rows = [
        [
            b.year,
            f"{b.candidates:,}",
            f"{b.certified:,}",
            _hits(b.model_top_k, b.top_k),
            _hits(b.points_top_k, b.top_k),
            f"{b.top_share_rows:,}",
            _hits(b.model_top_share, b.top_share_rows),
            _hits(b.points_top_share, b.top_share_rows),
        ]
        for b in data.backtest
    ]
    k = max(b.top_k for b in data.backtest)
    header = ["test year", "candidates", "certified", f"top {k}: model", f"top {k}: points"]
    header += ["top 5% rows", "top 5%: model", "top 5%: points"]
    return [*lines, *_table(header, rows), ""]


def render_report(data: ReportData) -> str:
    """Return the report as Markdown text."""
    m = data.metrics
    lines = [f"# {data.title}", ""]
    lines += [
        f"- run: `{data.run_id or 'not logged'}`",
        f"- target: `{data.target}`, horizon H = {data.horizon} years",
        f"- split: {data.split}",
        f"- panel: `{data.data_dir}` (sha256 `{data.data_hash[:16]}…`)",
        "- rows: "
        + ", ".join(f"{key.replace('_', ' ')} {value:,}" for key, value in data.counts.items()),
        "",
        "## Test metrics",
        "",
    ]
    scorers = [
        ("model (LightGBM, calibrated)", "test_"),
        ("baseline: official SRDI points", "baseline_points_"),
        ("baseline: logistic regression", "baseline_logreg_"),
        ("oracle (simulator's true probability)", "oracle_"),
    ]
    rows = []
    for label, prefix in scorers:
        values = [m.get(f"{prefix}{k}", math.nan) for k in ("roc_auc", "pr_auc")]
        extra = [m.get(f"{prefix}{k}", math.nan) for k in ("precision_at_5pct", "recall_at_5pct")]
        if not all(math.isnan(v) for v in values):
            rows.append([label, *values, *extra])
    lines += _table(["scorer", "ROC-AUC", "PR-AUC", "precision@5%", "recall@5%"], rows)
    lines += [
        "",
        f"Brier {_fmt(m.get('test_brier', math.nan))}, ECE {_fmt(m.get('test_ece', math.nan))} "
        f"(10 equal-width bins). Calibrator: **{data.calibrator_kind}** (cross-validated Brier on "
        "the validation years: "
        + ", ".join(f"{k} {v:.5f}" for k, v in data.calibration.items())
        + ").",
        "",
    ]
    lines += _backtest(data)
    lines += [
        "## Goals",
        "",
    ]
    goal_rows = []
    for goal in goals(m):
        verdict = {True: "met", False: "**missed**", None: "not measurable"}[goal.met]
        goal_rows.append([goal.name, goal.value, goal.bound, verdict])
    lines += _table(["goal", "value", "bound", "verdict"], goal_rows)
    lines += ["", "## Plots", ""]
    lines += [f"![{title}]({name})" for title, name in data.plots.items()]
    lines += ["", "## Held-out provinces", ""]
    if data.heldout:
        lines += [
            "A second model is trained without the provinces "
            f"{_provinces(data.heldout)} and scored on their test "
            "rows; the main model (which saw them in training) is scored on the same rows.",
            "",
        ]
        lines += _table(
            ["model", "ROC-AUC", "PR-AUC", "rows", "positives"],
            [
                [
                    "trained without these provinces",
                    data.heldout.get("heldout_roc_auc", math.nan),
                    data.heldout.get("heldout_pr_auc", math.nan),
                    data.heldout.get("rows", 0),
                    data.heldout.get("positives", 0),
                ],
                [
                    "main model",
                    data.heldout.get("main_roc_auc", math.nan),
                    data.heldout.get("main_pr_auc", math.nan),
                    data.heldout.get("rows", 0),
                    data.heldout.get("positives", 0),
                ],
            ],
        )
    else:
        lines.append("Not run (too few provinces).")
    lines += ["", "## Slices of the test years", ""]
    for dimension in dict.fromkeys(s.dimension for s in data.slices):
        lines += [f"### {dimension}", ""]
        lines += _table(
            ["value", "rows", "positives", "base rate", "mean score", "ROC-AUC", "PR-AUC"],
            [
                [s.value, s.rows, s.positives, s.base_rate, s.mean_score, s.roc_auc, s.pr_auc]
                for s in data.slices
                if s.dimension == dimension
            ],
        )
        lines.append("")
    lines += ["## Most used features (total gain)", ""]
    lines += _table(["feature", "share of gain"], [[n, g] for n, g in data.top_features])
    lines += ["", "## Parameters", ""]
    lines += _table(["parameter", "value"], [[k, v] for k, v in data.params.items()])
    lines += ["", "## How the financials were read", ""]
    lines += [f"- {line}" for line in data.input_lines] or ["Not recorded."]
    lines += ["", "## Input rows left out", ""]
    if data.issue_count:
        lines.append(f"{data.issue_count:,} row problem(s); the first {len(data.issues)}:")
        lines.append("")
        lines += [f"- {text}" for text in data.issues]
    else:
        lines.append("None: every input row passed validation.")
    lines.append("")
    return "\n".join(lines)


def write_report(path: Path, data: ReportData) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data), encoding="utf-8")
    return path
