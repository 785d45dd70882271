"""The feature pipeline: validated columns → the model's float64 matrix.

Derives the base features (:mod:`features.derive`), subtracts the fitted industry
medians for the industry-relative ones (:mod:`features.industry`), and lays them
out in catalog order. One record and a frame run the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from features.catalog import FEATURE_NAMES, FEATURES
from features.columns import Columns, FloatArray
from features.derive import (
    BASE_FEATURE_NAMES,
    ROW_BLOCK,
    FeatureRows,
    derive_features,
    derive_inputs,
    derive_rows,
)
from features.industries import division_index
from features.industry import IndustryBaseline, NotFittedError

__all__ = ["FeaturePipeline"]

_STATE_VERSION = 1
_RELATIVE_BY_NAME: tuple[tuple[str, str], ...] = tuple(
    (spec.name, spec.baseline_of) for spec in FEATURES if spec.baseline_of is not None
)
_RELATIVE_SOURCES: tuple[str, ...] = tuple(source for _, source in _RELATIVE_BY_NAME)
# Matrix columns of the base features, of the relative ones and of their sources.
_CATALOG_ROWS = FeatureRows.at({name: FEATURE_NAMES.index(name) for name in BASE_FEATURE_NAMES})
_RELATIVE_COLUMNS = np.array([FEATURE_NAMES.index(name) for name, _ in _RELATIVE_BY_NAME])
_RELATIVE_SOURCE_COLUMNS = np.array([FEATURE_NAMES.index(s) for s in _RELATIVE_SOURCES])


class FeaturePipeline:
    """Fit on training columns; transform any validated columns to the model matrix.

    Parameters
    ----------
    min_count : int, default 30
        Passed to :class:`~features.industry.IndustryBaseline`.

    Attributes
    ----------
    baseline : IndustryBaseline
        Industry medians of every base feature (fitted by :meth:`fit`).
    """

    def __init__(self, min_count: int = 30) -> None:
        self.min_count = min_count
        self.baseline = IndustryBaseline(min_count=min_count)

    @property
    def feature_names(self) -> list[str]:
        """Column names of the matrix, in catalog order."""
        return list(FEATURE_NAMES)

    @property
    def is_fitted(self) -> bool:
        """True once :meth:`fit` ran or the state was loaded."""
        return hasattr(self.baseline, "industry_medians_")

    def fit(self, columns: Columns) -> FeaturePipeline:
        """Learn the industry medians from training columns.

        Parameters
        ----------
        columns : Columns
            Validated training rows (they need ``industry``).

        Returns
        -------
        FeaturePipeline
            ``self``.
        """
        _require_industry(columns)
        self.baseline = IndustryBaseline(min_count=self.min_count)
        self.baseline.fit(derive_features(columns), columns["industry"])
        return self

    def transform(self, columns: Columns) -> FloatArray:
        """Return the (n_rows, n_features) float64 matrix, NaN where unknown.

        The matrix is column-major (Fortran order): each feature's values are
        contiguous, the layout it is computed in; LightGBM takes either order
        without copying.

        Raises
        ------
        NotFittedError
            Before :meth:`fit` (or :meth:`from_dict`).
        """
        if not self.is_fitted:
            raise NotFittedError(
                "This FeaturePipeline is not fitted yet: call fit(columns) on training "
                "data or load one with FeaturePipeline.from_dict"
            )
        _require_industry(columns)
        inputs = derive_inputs(columns)
        medians = self.baseline.median_table(_RELATIVE_SOURCES)
        division = division_index(columns["industry"])
        # Column-major: each feature is one contiguous row of ``out.T``, so a block
        # is copied in row by row, and LightGBM reads it without a copy.
        out = np.empty((len(FEATURE_NAMES), inputs.n)).T
        features = out.T
        # Block by block in one reused buffer, so every intermediate stays in cache;
        # each block is then copied into its columns of ``out``.
        buffer = np.empty((len(FEATURE_NAMES), min(inputs.n, ROW_BLOCK)))
        for start in range(0, inputs.n, ROW_BLOCK):
            stop = min(start + ROW_BLOCK, inputs.n)
            block = buffer if stop - start == buffer.shape[1] else buffer[:, : stop - start]
            derive_rows(inputs, start, stop, out=block, rows=_CATALOG_ROWS)
            # One gather of the rows' industry medians for every relative feature.
            block[_RELATIVE_COLUMNS] = (
                block[_RELATIVE_SOURCE_COLUMNS] - medians[:, division[start:stop]]
            )
            features[:, start:stop] = block
        return out

    def fit_transform(self, columns: Columns) -> FloatArray:
        """Fit, then transform the same columns."""
        return self.fit(columns).transform(columns)

    def medians_for(self, feature_name: str, industry_codes: npt.ArrayLike) -> FloatArray:
        """Industry medians of a feature; a relative feature gives its source's medians."""
        spec_source = dict(_RELATIVE_BY_NAME).get(feature_name, feature_name)
        return self.baseline.medians_for(spec_source, industry_codes)

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted state as JSON-ready data."""
        if not self.is_fitted:
            raise NotFittedError("This FeaturePipeline is not fitted yet: nothing to save")
        return {
            "kind": "FeaturePipeline",
            "version": _STATE_VERSION,
            "min_count": self.min_count,
            "feature_names": list(FEATURE_NAMES),
            "baseline": self.baseline.to_dict(),
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> FeaturePipeline:
        """Rebuild a fitted pipeline; refuses a state made for another feature list."""
        if state.get("kind") != "FeaturePipeline" or state.get("version") != _STATE_VERSION:
            raise ValueError(
                f"not a FeaturePipeline state of version {_STATE_VERSION}: "
                f"kind={state.get('kind')!r}, version={state.get('version')!r}"
            )
        names = list(state.get("feature_names", []))
        if names != list(FEATURE_NAMES):
            added = sorted(set(FEATURE_NAMES) - set(names))
            dropped = sorted(set(names) - set(FEATURE_NAMES))
            raise ValueError(
                "the saved feature list differs from this code's catalog "
                f"(missing here: {dropped}, new here: {added}, or a different order); "
                "refit the pipeline with this version"
            )
        pipeline = cls(min_count=int(state["min_count"]))
        pipeline.baseline = IndustryBaseline.from_dict(state["baseline"])
        return pipeline


def _require_industry(columns: Columns) -> None:
    if "industry" not in columns:
        raise ValueError("columns need an 'industry' column (canonical GB/T 4754 division codes)")
