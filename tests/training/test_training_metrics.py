"""Evaluation metrics and calibration."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import average_precision_score, roc_auc_score

from srdi.core.calibrators import (
    CalibratorFormatError,
    IsotonicCalibrator,
    PlattCalibrator,
    calibrator_from_dict,
)
from training.calibration import choose_calibrator, fit_platt
from training.evaluate import (
    binary_metrics,
    expected_calibration_error,
    slice_metrics,
    top_share_metrics,
)

RNG = np.random.default_rng(20240607)


def test_top_5pct_precision_and_recall_on_a_hand_made_ranking() -> None:
    y = np.zeros(40)
    y[[0, 1, 10]] = 1
    score = -np.arange(40.0)  # row 0 scores highest
    precision, recall = top_share_metrics(y, score)  # top ceil(2) rows: 0 and 1
    assert precision == 1.0
    assert recall == pytest.approx(2 / 3)


def test_ece_of_a_known_binning() -> None:
    # Bin [0.1, 0.2): p = 0.1 twice, one positive -> |0.2 - 1| / 4 ... computed by hand.
    y = np.array([1.0, 0.0, 1.0, 1.0])
    p = np.array([0.1, 0.1, 0.95, 0.95])
    expected = (abs(0.2 - 1.0) + abs(1.9 - 2.0)) / 4
    assert expected_calibration_error(y, p) == pytest.approx(expected)


def test_metrics_agree_with_scikit_learn_and_are_nan_for_one_class() -> None:
    y = (RNG.random(500) < 0.2).astype(float)
    score = y * 0.5 + RNG.random(500)
    out = binary_metrics(y, score, calibrated=False)
    assert out["roc_auc"] == pytest.approx(roc_auc_score(y, score))
    assert out["pr_auc"] == pytest.approx(average_precision_score(y, score))
    assert "ece" not in out
    single = binary_metrics(np.zeros(10), RNG.random(10))
    assert math.isnan(single["roc_auc"]) and math.isnan(single["pr_auc"])
    assert math.isnan(single["recall_at_5pct"])


@settings(max_examples=50, deadline=None)
@given(
    p=arrays(np.float64, 64, elements=st.floats(0, 1)),
    flips=arrays(np.float64, 64, elements=st.floats(0, 1)),
)
def test_ece_is_between_zero_and_one_and_zero_for_a_perfect_bin(
    p: np.ndarray, flips: np.ndarray
) -> None:
    y = (flips < p).astype(float)
    assert 0.0 <= expected_calibration_error(y, p) <= 1.0
    # All rows at 0.25 with a quarter positive: perfectly calibrated.
    constant = np.full(8, 0.25)
    assert expected_calibration_error(np.array([1.0, 0, 0, 0, 1, 0, 0, 0]), constant) == 0.0


def test_slices_count_rows_and_positives_per_value() -> None:
    groups = np.array(["a", "a", "b", None, "b", "b"], dtype=object)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    prob = np.array([0.9, 0.1, 0.2, 0.5, 0.8, 0.3])
    result = {s.value: s for s in slice_metrics("letter", groups, y, prob)}
    assert result["b"].rows == 3 and result["b"].positives == 1
    assert result["a"].roc_auc == 1.0
    assert result["unknown"].rows == 1 and math.isnan(result["unknown"].roc_auc)


def test_platt_fit_recovers_a_known_logistic_map() -> None:
    margin = RNG.normal(0, 2, 20_000)
    y = (RNG.random(margin.size) < 1 / (1 + np.exp(-(0.5 * margin - 1.0)))).astype(float)
    fitted = fit_platt(margin, y)
    assert fitted.slope == pytest.approx(0.5, abs=0.05)
    assert fitted.intercept == pytest.approx(-1.0, abs=0.08)


def test_isotonic_is_chosen_for_a_step_shaped_miscalibration() -> None:
    margin = RNG.normal(0, 1, 6000)
    true_p = np.where(margin > 0.5, 0.6, 0.05)  # a step no sigmoid can follow
    y = (RNG.random(margin.size) < true_p).astype(float)
    choice = choose_calibrator(margin, y, np.arange(margin.size))
    assert choice.kind == "isotonic"
    assert choice.cv_brier["isotonic"] < choice.cv_brier["platt"]
    p = choice.calibrator.transform(np.array([-2.0, 2.0]))
    assert p[0] == pytest.approx(0.05, abs=0.02) and p[1] == pytest.approx(0.6, abs=0.05)


def test_calibration_refuses_one_class_labels() -> None:
    with pytest.raises(ValueError, match="both positive and negative"):
        choose_calibrator(np.zeros(10), np.zeros(10), np.arange(10))


@pytest.mark.parametrize(
    "calibrator",
    [
        PlattCalibrator(slope=0.8, intercept=-2.0),
        IsotonicCalibrator(np.array([-1.0, 0.0, 2.0]), np.array([0.01, 0.1, 0.7])),
    ],
)
def test_calibrators_round_trip_through_json(calibrator: PlattCalibrator) -> None:
    back = calibrator_from_dict(json.loads(json.dumps(calibrator.to_dict())))
    margin = np.array([-3.0, -0.5, 0.0, 1.0, 5.0, np.nan])
    np.testing.assert_array_equal(back.transform(margin), calibrator.transform(margin))
    assert np.isnan(back.transform(margin)[-1])


@settings(max_examples=40, deadline=None)
@given(margin=arrays(np.float64, 30, elements=st.floats(-30, 30)))
def test_calibrated_probabilities_are_monotone_in_the_margin(margin: np.ndarray) -> None:
    iso = IsotonicCalibrator(np.array([-1.0, 0.0, 2.0]), np.array([0.01, 0.1, 0.7]))
    for calibrator in (PlattCalibrator(0.8, -2.0), iso):
        ordered = calibrator.transform(np.sort(margin))
        assert np.all(np.diff(ordered) >= 0)
        assert np.all((ordered >= 0) & (ordered <= 1))


def test_malformed_calibrator_json_names_the_problem() -> None:
    with pytest.raises(CalibratorFormatError, match="unknown calibrator kind 'spline'"):
        calibrator_from_dict({"kind": "spline"})
    with pytest.raises(CalibratorFormatError, match="non-decreasing"):
        calibrator_from_dict({"kind": "isotonic", "thresholds": [0, 1], "values": [0.5, 0.1]})
    with pytest.raises(CalibratorFormatError, match="malformed"):
        calibrator_from_dict({"kind": "platt", "slope": 1.0})
