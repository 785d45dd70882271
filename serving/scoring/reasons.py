"""Reasons: TreeSHAP contributions grouped by feature family, in plain language.

LightGBM's ``pred_contrib`` splits each firm's log-odds into one additive part per
feature (plus the bias). Summing them by family (R&D intensity, margin, growth, …)
gives a handful of signed reasons; each names the features that drove it, with the
firm's value beside its industry median so a reader sees *why*, e.g.
"R&D intensity raises the score: R&D expense / revenue 7.2% (industry median 3.1%)".

Reasons are told from reported values only: a feature the firm did not report
(NaN) still moves the score — the trees send unknown values down a learned branch —
but that is the effect of a gap, not evidence about the firm, so it never makes a
family "raise the score". Those contributions are summed into one last line instead
(family ``unreported``): "9 figures not reported: together −0.30", with the
features behind it, so the reader sees how much of the score rests on what is
missing.

Grouping, ranking and the per-family feature order are vectorized over all rows;
only the final dict assembly walks the rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

__all__ = [
    "UNREPORTED",
    "FeatureDescription",
    "ReasonBuilder",
    "format_value",
    "unreported_text",
]

# Contributions smaller than this (in log-odds) say nothing worth a sentence.
_NEGLIGIBLE = 1e-9
UNREPORTED = "unreported"
"""The family id of the line that sums the contributions of unreported figures."""
_UNREPORTED_LABEL = "Figures not reported"


def unreported_text(count: int, total: float) -> str:
    """E.g. ``"9 figures not reported: together −0.30"`` (log-odds, a true minus sign)."""
    sign = "+" if total >= 0 else "−"
    noun = "figure" if count == 1 else "figures"
    return f"{count} {noun} not reported: together {sign}{abs(total):.2f}"


class FeatureDescription(Protocol):
    """What the reasons need to know about a feature (``features.catalog.FeatureSpec``)."""

    @property
    def name(self) -> str: ...

    @property
    def family(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def unit(self) -> str | None: ...

    @property
    def baseline_of(self) -> str | None: ...


def _money(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1e8:
        return f"{value / 1e8:.2f} 亿元 (CNY {value / 1e6:,.0f}M)"
    if magnitude >= 1e4:
        return f"{value / 1e4:,.0f} 万元 (CNY {value / 1e6:,.1f}M)"
    return f"CNY {value:,.0f}"


def format_value(value: float | None, unit: str | None) -> str:
    """Format a feature value for a sentence, in its catalog unit.

    Parameters
    ----------
    value
        The value; ``None`` or NaN means not reported.
    unit
        The catalog unit (:mod:`features.catalog`): ``"%"`` for fractions shown as
        percent, ``"pp"`` for differences of fractions, ``"log10 CNY"`` for
        log10(1 + yuan), ``"yes/no"``, ``"years"``, ``"count"``, ``"level"``,
        ``"rank"``, or any other label printed after the number.

    Returns
    -------
    str
    """
    if value is None or not math.isfinite(value):
        return "not reported"
    key = (unit or "").strip().lower()
    if key in {"%", "share"}:
        return f"{value * 100:.1f}%"
    if key == "pp":
        return f"{value * 100:+.1f} pp"
    if key in {"cny", "yuan"}:
        return _money(value)
    if key == "log10 cny":
        return _money(10.0**value - 1.0)
    if key == "log10 persons":
        return f"{10.0**value - 1.0:,.0f} persons"
    if key == "yes/no":
        return "yes" if value >= 0.5 else "no"
    if key == "years":
        return f"{value:.1f} years" if value % 1 else f"{value:.0f} years"
    if key == "level":
        return f"level {value:.0f}"
    if key == "rank":
        return f"#{value:.0f}"
    if key in {"count", ""}:
        return f"{value:g}" if value % 1 else f"{value:.0f}"
    return f"{value:.3g} {unit}"


@dataclass(frozen=True)
class _Family:
    id: str
    label: str
    columns: np.ndarray  # feature column indices of the family


class ReasonBuilder:
    """Turns contribution matrices into the ``reasons`` lists of score results.

    Parameters
    ----------
    feature_names
        Column order of the feature matrix (the bundle's).
    catalog
        Feature name to its description (family, label, unit); every name in
        ``feature_names`` must be present.
    family_labels
        Family id to its plain-language label; its order breaks ties.
    features_per_reason
        How many features (largest contributions first) each reason lists.
    """

    def __init__(
        self,
        feature_names: Sequence[str],
        catalog: Mapping[str, FeatureDescription],
        family_labels: Mapping[str, str],
        *,
        features_per_reason: int = 3,
    ) -> None:
        missing = [name for name in feature_names if name not in catalog]
        if missing:
            raise ValueError(
                f"features {missing[:5]} of the model are not in the feature catalog; "
                "the model does not match this code"
            )
        self.feature_names = list(feature_names)
        self.features_per_reason = features_per_reason
        self._specs = [catalog[name] for name in self.feature_names]
        order = {family: i for i, family in enumerate(family_labels)}
        present = sorted({s.family for s in self._specs}, key=lambda f: order.get(f, len(order)))
        self._families = [
            _Family(
                id=family,
                label=family_labels.get(family, family.replace("_", " ").capitalize()),
                columns=np.array(
                    [j for j, s in enumerate(self._specs) if s.family == family], dtype=np.intp
                ),
            )
            for family in present
        ]
        # An industry-relative feature ("R&D intensity minus the industry median") is
        # told in words through its source: the firm's R&D intensity beside the median.
        position = {name: j for j, name in enumerate(self.feature_names)}
        self._told_by = [
            position.get(getattr(spec, "baseline_of", None) or spec.name, j)
            for j, spec in enumerate(self._specs)
        ]

    @property
    def families(self) -> list[str]:
        """Family ids in the column order of :meth:`family_contributions`."""
        return [f.id for f in self._families]

    def family_contributions(self, contributions: np.ndarray) -> np.ndarray:
        """Sum feature contributions by family.

        Parameters
        ----------
        contributions
            ``pred_contrib`` output, shape ``(n, n_features + 1)`` (bias last) or
            ``(n, n_features)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, n_families)``; rows sum to the margin minus the bias.
        """
        per_feature = np.asarray(contributions, dtype=np.float64)[:, : len(self._specs)]
        # Added column by column, left to right: numpy's reductions (and BLAS) may
        # order the additions differently for different row counts, and a firm's
        # reasons must not depend on how many firms are scored with it.
        family = np.zeros((per_feature.shape[0], len(self._families)), dtype=np.float64)
        for k, fam in enumerate(self._families):
            for j in fam.columns.tolist():
                family[:, k] += per_feature[:, j]
        return family

    def build(
        self,
        contributions: np.ndarray,
        values: np.ndarray,
        medians: np.ndarray,
        *,
        top: int,
    ) -> list[list[dict[str, Any]]]:
        """Return each row's top ``top`` reasons, largest absolute contribution first.

        Parameters
        ----------
        contributions
            ``(n, n_features + 1)`` TreeSHAP contributions to the log-odds.
        values
            ``(n, n_features)`` feature matrix (the firm's values, NaN = unknown).
        medians
            ``(n, n_features)`` industry median of each feature for each row's
            industry (NaN where none is known).
        top
            Reasons per row; families with no contribution are left out.

        Returns
        -------
        list of list of dict
            The ``reasons`` of docs/architecture.md for each row: the top families,
            told from reported values only, then — when the firm left figures
            unreported — one line of family ``unreported`` summing their effect.
        """
        n_features = len(self._specs)
        everything = np.asarray(contributions, dtype=np.float64)[:, :n_features]
        n = everything.shape[0]
        if n == 0 or top <= 0:
            return [[] for _ in range(n)]
        x = np.asarray(values, dtype=np.float64)
        reported = np.isfinite(x)
        # Told from reported values only; what unknown values did is the last line.
        contrib = np.where(reported, everything, 0.0)
        gaps = everything - contrib
        family = self.family_contributions(contrib)
        k = min(top, len(self._families))
        # Stable sort on -|c| keeps the catalog's family order among ties.
        top_families = np.argsort(-np.abs(family), axis=1, kind="stable")[:, :k]
        per_family_order = [
            fam.columns[np.argsort(-np.abs(contrib[:, fam.columns]), axis=1, kind="stable")]
            for fam in self._families
        ]
        # Each reason is told through the feature that pushes hardest in the family's
        # direction: the largest single contribution may point the other way ("ROE
        # below its median" would not explain why financial health raises the score).
        toward = np.where(family >= 0, 1.0, -1.0)
        tellers = [
            fam.columns[np.argmax(contrib[:, fam.columns] * toward[:, [k]], axis=1)].tolist()
            for k, fam in enumerate(self._families)
        ]
        family_list = family.tolist()
        contrib_list = everything.tolist()
        reported_list = reported.tolist()
        values_list = x.tolist()
        medians_list = np.asarray(medians, dtype=np.float64).tolist()
        top_list = top_families.tolist()
        orders = [order.tolist() for order in per_family_order]
        gap_order = np.argsort(-np.abs(gaps), axis=1, kind="stable")[:, : self.features_per_reason]
        gap_total = gaps.sum(axis=1).tolist()
        # Figures not reported: distinct sources among the unknown features (an
        # industry-relative feature is the same figure as its source).
        sources = sorted(set(self._told_by))
        one_hot = np.zeros((n_features, len(sources)))
        one_hot[np.arange(n_features), [sources.index(t) for t in self._told_by]] = 1.0
        missing_figures = (((~reported).astype(np.float64) @ one_hot) > 0).sum(axis=1).tolist()

        out: list[list[dict[str, Any]]] = []
        for i in range(n):
            reasons = []
            for fam_index in top_list[i]:
                total = family_list[i][fam_index]
                if abs(total) < _NEGLIGIBLE:
                    continue
                fam = self._families[fam_index]
                features = [
                    self._feature(j, values_list[i][j], medians_list[i][j], contrib_list[i][j])
                    for j in orders[fam_index][i]
                    if reported_list[i][j]
                ][: self.features_per_reason]
                direction = "raises" if total > 0 else "lowers"
                told = self._told_by[tellers[fam_index][i]]
                spec = self._specs[told]
                text = _sentence(
                    fam.label,
                    direction,
                    spec.label,
                    spec.unit,
                    _finite_or_none(values_list[i][told]),
                    _finite_or_none(medians_list[i][told]),
                )
                reasons.append(
                    {
                        "family": fam.id,
                        "family_label": fam.label,
                        "contribution": total,
                        "direction": direction,
                        "text": text,
                        "features": features,
                    }
                )
            if missing_figures[i]:
                total = gap_total[i]
                reasons.append(
                    {
                        "family": UNREPORTED,
                        "family_label": _UNREPORTED_LABEL,
                        "contribution": total,
                        "direction": "raises" if total > 0 else "lowers",
                        "text": unreported_text(missing_figures[i], total),
                        "features": [
                            self._feature(j, math.nan, medians_list[i][j], contrib_list[i][j])
                            for j in gap_order[i].tolist()
                            if not reported_list[i][j]
                        ],
                    }
                )
            out.append(reasons)
        return out

    def _feature(self, j: int, value: float, median: float, contribution: float) -> dict[str, Any]:
        spec = self._specs[j]
        return {
            "name": spec.name,
            "label": spec.label,
            "unit": spec.unit,
            "value": _finite_or_none(value),
            "industry_median": _finite_or_none(median),
            "contribution": contribution,
        }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _sentence(
    family_label: str,
    direction: str,
    label: str,
    unit: str | None,
    value: float | None,
    median: float | None,
) -> str:
    """E.g. "R&D intensity raises the score: R&D / revenue 7.2% (industry median 3.1%)"."""
    shown = format_value(value, unit)
    beside = (
        f" (industry median {format_value(median, unit)})"
        if value is not None and median is not None
        else ""
    )
    return f"{family_label} {direction} the score: {label} {shown}{beside}"
