"""The model bundle: everything needed to score a firm, and its prediction surface.

A :class:`ModelBundle` holds the booster, the calibrator, the fitted feature state
and the reference population's quantiles; it turns validated columns into the
feature matrix and the matrix into calibrated probabilities, TreeSHAP
contributions, percentiles and bands. Its files on disk are
:mod:`srdi.core.bundle.files`'s; loading the champion is
:mod:`srdi.core.bundle.registry`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np

from features.pipeline import FeaturePipeline
from srdi.core.bundle.attribution import attribution_weights, coverage
from srdi.core.bundle.errors import BundleFormatError
from srdi.core.bundle.reference import bands, check_quantiles, percentile_levels, percentiles
from srdi.core.calibrators import Calibrator
from srdi.core.drift import DriftReference

if TYPE_CHECKING:
    from features.columns import Columns

__all__ = ["ModelBundle"]


@dataclass(frozen=True, eq=False)
class ModelBundle:
    """A trained model with its calibrator, feature state and reference population.

    Parameters
    ----------
    booster : lightgbm.Booster
        Binary classifier on the feature matrix.
    calibrator : Calibrator
        Maps the booster's raw margin to a calibrated probability.
    pipeline : FeaturePipeline
        Fitted feature state; ``pipeline.transform(columns)`` gives the matrix.
    feature_names : list of str
        Column order of the feature matrix.
    reference_quantiles : numpy.ndarray
        Non-decreasing calibrated-probability quantiles of the reference population
        at evenly spaced levels from 0 to 1 (for example 1001 levels).
    ruleset_versions : dict
        Scheme id to rule-table version the training run used.
    target : str
        ``"srdi_sme"`` or ``"little_giant"``.
    horizon : int
        Years after the fiscal year within which certification counts.
    metadata : dict
        ``trained_at``, ``metrics``, ``run_id``, ``data_hash`` and the like.
    drift_reference : DriftReference, optional
        The training distribution of every feature, for input-drift monitoring
        (:mod:`srdi.core.drift`); ``None`` for bundles trained before it was kept.
    """

    booster: lgb.Booster
    calibrator: Calibrator
    pipeline: FeaturePipeline
    feature_names: list[str]
    reference_quantiles: np.ndarray
    ruleset_versions: dict[str, str]
    target: str
    horizon: int
    metadata: dict[str, Any] = field(default_factory=dict)
    drift_reference: DriftReference | None = None
    _levels: np.ndarray = field(init=False, repr=False)
    _weights: tuple[np.ndarray, str] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        quantiles = check_quantiles(self.reference_quantiles)
        object.__setattr__(self, "reference_quantiles", quantiles)
        object.__setattr__(self, "_levels", percentile_levels(quantiles))
        n_booster = int(self.booster.num_feature())
        if n_booster != len(self.feature_names):
            raise BundleFormatError(
                f"the booster expects {n_booster} features but the bundle lists "
                f"{len(self.feature_names)}"
            )

    # -- scoring ---------------------------------------------------------------------

    def transform(self, columns: Columns) -> np.ndarray:
        """Return the feature matrix of validated columns (the fitted pipeline)."""
        return np.asarray(self.pipeline.transform(columns), dtype=np.float64)

    def raw_margin(self, X: np.ndarray, *, num_threads: int = 1) -> np.ndarray:
        """Return the booster's raw margin (log-odds) for each row of ``X``."""
        out = self.booster.predict(X, raw_score=True, num_threads=num_threads)
        return np.asarray(out, dtype=np.float64)

    def predict(self, X: np.ndarray, *, num_threads: int = 1) -> np.ndarray:
        """Return the calibrated probability for each row of the feature matrix ``X``."""
        return self.calibrator.transform(self.raw_margin(X, num_threads=num_threads))

    def contributions(self, X: np.ndarray, *, num_threads: int = 1) -> np.ndarray:
        """Return TreeSHAP contributions to the raw margin, shape ``(n, features + 1)``.

        The last column is the expected margin (bias); each row sums to
        :meth:`raw_margin`.
        """
        out = self.booster.predict(X, pred_contrib=True, num_threads=num_threads)
        return np.asarray(out, dtype=np.float64)

    def attribution_weights(self) -> tuple[np.ndarray, str]:
        """Each feature's share of the model's attribution mass, and its basis in words.

        From the ``attribution`` metadata written at training time, else the booster's
        gain (:func:`srdi.core.bundle.attribution.attribution_weights`).
        """
        if self._weights is None:
            gain = np.asarray(self.booster.feature_importance(importance_type="gain"), float)
            weights = attribution_weights(self.metadata, self.feature_names, gain)
            object.__setattr__(self, "_weights", weights)
        assert self._weights is not None
        return self._weights

    def coverage(self, X: np.ndarray) -> np.ndarray:
        """Each row's share of the attribution mass on the features it reports (0–1)."""
        return coverage(X, self.attribution_weights()[0])

    def percentile(self, prob: np.ndarray) -> np.ndarray:
        """Return the percentile (0–100) of each probability in the reference population.

        See :func:`srdi.core.bundle.reference.percentiles`; NaN stays NaN.
        """
        return percentiles(prob, self.reference_quantiles, self._levels)

    @staticmethod
    def band(percentile: np.ndarray) -> np.ndarray:
        """Return the band of each percentile: A ≥ 95, B ≥ 80, C ≥ 50, else D (NaN: ``None``)."""
        return bands(percentile)

    # -- persistence (srdi.core.bundle.files) ------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """Return the ``manifest.json`` content."""
        from srdi.core.bundle.files import manifest_of

        return manifest_of(self)

    def save(self, directory: str | Path) -> None:
        """Write the bundle's five text files into ``directory`` (created if needed)."""
        from srdi.core.bundle.files import write_bundle

        write_bundle(self, directory)

    @classmethod
    def load(
        cls,
        directory: str | Path,
        *,
        expected_features: list[str] | None = None,
        expected_rulesets: Mapping[str, str] | None = None,
        check_code: bool = True,
    ) -> ModelBundle:
        """Read a bundle written by :meth:`save` (:func:`srdi.core.bundle.files.read_bundle`).

        Raises
        ------
        BundleFormatError
            A file is missing or malformed.
        BundleMismatchError
            The feature list or rule-table versions differ from what is expected.
        """
        from srdi.core.bundle.files import read_bundle

        return read_bundle(
            directory,
            expected_features=expected_features,
            expected_rulesets=expected_rulesets,
            check_code=check_code,
        )
