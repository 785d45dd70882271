"""Probability calibrators: raw LightGBM margin in, calibrated probability out.

They live beside the model bundle (not in ``training``) because serving needs to
rebuild them from JSON; fitting and choosing one is ``training.calibration``'s job.
Both kinds are plain numbers in JSON, never pickles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy.special import expit

__all__ = [
    "Calibrator",
    "CalibratorFormatError",
    "IsotonicCalibrator",
    "PlattCalibrator",
    "calibrator_from_dict",
]


class CalibratorFormatError(ValueError):
    """A calibrator's JSON does not describe a known, well-formed calibrator."""


class Calibrator(Protocol):
    """Maps raw margins (log-odds) to calibrated probabilities."""

    @property
    def kind(self) -> str:
        """Short name stored in the JSON (``"platt"`` or ``"isotonic"``)."""
        ...

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the calibrated probability of each margin (NaN stays NaN)."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serializable description, read back by :func:`calibrator_from_dict`."""
        ...


@dataclass(frozen=True)
class PlattCalibrator:
    """Logistic recalibration ``p = sigmoid(slope * margin + intercept)``."""

    slope: float
    intercept: float
    kind: str = "platt"

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return ``sigmoid(slope * margin + intercept)``."""
        z = self.slope * np.asarray(margin, dtype=np.float64) + self.intercept
        return np.asarray(expit(z), dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"kind": "platt", "slope": ..., "intercept": ...}``."""
        return {"kind": self.kind, "slope": float(self.slope), "intercept": float(self.intercept)}


@dataclass(frozen=True, eq=False)
class IsotonicCalibrator:
    """Monotone step-wise map from margin to probability, interpolated linearly.

    ``thresholds`` are increasing margins and ``values`` the non-decreasing
    probabilities at those margins; margins outside the range take the end values.
    """

    thresholds: np.ndarray
    values: np.ndarray
    kind: str = "isotonic"

    def __post_init__(self) -> None:
        x = np.asarray(self.thresholds, dtype=np.float64)
        y = np.asarray(self.values, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape or x.size == 0:
            raise CalibratorFormatError(
                "isotonic calibrator needs 'thresholds' and 'values' as equal-length, "
                f"non-empty lists (got {x.shape} and {y.shape})"
            )
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise CalibratorFormatError("isotonic calibrator thresholds and values must be finite")
        if np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
            raise CalibratorFormatError(
                "isotonic calibrator thresholds and values must both be non-decreasing"
            )
        if y[0] < 0.0 or y[-1] > 1.0:
            raise CalibratorFormatError("isotonic calibrator values must lie in [0, 1]")
        object.__setattr__(self, "thresholds", x)
        object.__setattr__(self, "values", y)

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Interpolate the calibrated probability; NaN margins give NaN."""
        m = np.asarray(margin, dtype=np.float64)
        out = np.interp(m, self.thresholds, self.values)
        return np.where(np.isnan(m), np.nan, out)

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"kind": "isotonic", "thresholds": [...], "values": [...]}``."""
        return {
            "kind": self.kind,
            "thresholds": self.thresholds.tolist(),
            "values": self.values.tolist(),
        }


def calibrator_from_dict(data: dict[str, Any]) -> Calibrator:
    """Rebuild a calibrator from :meth:`Calibrator.to_dict` output.

    Parameters
    ----------
    data : dict
        The JSON object; ``kind`` selects the calibrator.

    Returns
    -------
    Calibrator

    Raises
    ------
    CalibratorFormatError
        When ``kind`` is unknown or a required number is missing.
    """
    kind = data.get("kind")
    try:
        if kind == "platt":
            return PlattCalibrator(slope=float(data["slope"]), intercept=float(data["intercept"]))
        if kind == "isotonic":
            return IsotonicCalibrator(
                thresholds=np.asarray(data["thresholds"], dtype=np.float64),
                values=np.asarray(data["values"], dtype=np.float64),
            )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CalibratorFormatError):
            raise
        raise CalibratorFormatError(f"calibrator of kind {kind!r} is malformed: {exc}") from exc
    raise CalibratorFormatError(f"unknown calibrator kind {kind!r}; expected 'platt' or 'isotonic'")
