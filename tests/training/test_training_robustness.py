"""The robustness evaluation: perturbed worlds scored by the default world's model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from training.robustness import (
    FAMILY_EFFECTS,
    GOALS,
    PERTURBATIONS,
    evaluate_robustness,
    render,
)
from training.synth.config import DEFAULT_CALIBRATION, Dynamics

pytestmark = pytest.mark.slow


def test_every_family_has_effects_and_every_perturbation_changes_the_world() -> None:
    fields = {f.name for f in dataclasses.fields(Dynamics)}
    from features.catalog import FAMILIES

    assert set(FAMILY_EFFECTS) == set(FAMILIES)
    for family, names in FAMILY_EFFECTS.items():
        assert names and set(names) <= fields, family
    assert len(PERTURBATIONS) == 2 * len(FAMILY_EFFECTS) + 4
    for perturbation in PERTURBATIONS:
        assert perturbation.apply(DEFAULT_CALIBRATION) != DEFAULT_CALIBRATION, perturbation.name
    plus = next(p for p in PERTURBATIONS if p.name == "rd_intensity +30%")
    changed = plus.apply(DEFAULT_CALIBRATION).dynamics
    assert changed.rd_capability == pytest.approx(1.3 * DEFAULT_CALIBRATION.dynamics.rd_capability)


def test_a_small_evaluation_reports_each_world_against_the_goals() -> None:
    chosen = [p for p in PERTURBATIONS if p.name in ("review noise x3", "margin -30%")]
    lines: list[str] = []
    rows = evaluate_robustness(
        n_firms=1500, seed=3, perturbations=chosen, progress=lines.append, rounds=60
    )
    assert [r.name for r in rows] == ["default world", "margin -30%", "review noise x3"]
    for row in rows:
        assert row.rows > 500 and row.positives > 20
        for value in (row.roc_ratio, row.pr_ratio):
            assert np.isfinite(value) and 0.5 < value < 1.5
        assert row.roc_transfer > 0.8 and row.roc_in_world > 0.8
        assert row.met == (row.roc_ratio >= GOALS["roc_auc"] and row.pr_ratio >= GOALS["pr_auc"])
    report = render(rows, target="srdi_sme", n_firms=1500, seed=3)
    assert "| margin -30% |" in report and "ROC-AUC ratio" in report
    assert len(lines) == 4  # the default world, then one line per world
