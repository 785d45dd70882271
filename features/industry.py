"""Industry medians of features, fitted on training data only.

:class:`IndustryBaseline` follows scikit-learn's estimator habits: ``__init__``
stores parameters, :meth:`~IndustryBaseline.fit` learns ``industry_medians_``
(per GB/T 4754 division, falling back to the section and then to all firms when a
division has fewer than ``min_count`` known values), and everything else refuses
to run before ``fit``. Its state is plain JSON for the model bundle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.columns import FloatArray
from features.industries import DIVISIONS, division_index

__all__ = ["IndustryBaseline", "NotFittedError"]

_STATE_VERSION = 1


class NotFittedError(ValueError, AttributeError):
    """Raised when a transformer is used before ``fit`` (as scikit-learn's)."""


class IndustryBaseline:
    """Per-industry medians of features, with section and global fallbacks.

    Parameters
    ----------
    min_count : int, default 30
        Known values a division needs for its own median; below it the section's
        median is used, and below it in the section too, the global median.

    Attributes
    ----------
    industry_medians_ : dict
        Feature → {division code → median} for divisions with enough values.
    section_medians_ : dict
        Feature → {section letter → median} for sections with enough values.
    global_medians_ : dict
        Feature → median over all training rows (NaN when none is known).
    """

    def __init__(self, min_count: int = 30) -> None:
        self.min_count = min_count

    # -- fitting --------------------------------------------------------------------

    def fit(
        self, features: Mapping[str, FloatArray], industries: npt.ArrayLike
    ) -> IndustryBaseline:
        """Learn the medians.

        Parameters
        ----------
        features : mapping of str to numpy.ndarray
            Feature name → values (NaN = unknown) of the training rows.
        industries : array_like
            Canonical division codes (``C39``) of the same rows.

        Returns
        -------
        IndustryBaseline
            ``self``.
        """
        if self.min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {self.min_count}")
        codes = np.asarray(industries, dtype=object)
        frame = pd.DataFrame(
            {name: np.asarray(v, dtype=np.float64) for name, v in features.items()}
        )
        if len(frame) != len(codes):
            raise ValueError(f"features have {len(frame)} rows but industries has {len(codes)}")
        index = division_index(codes)
        known = index >= 0
        division = np.array([d.code for d in DIVISIONS], dtype=object)[index[known]]
        section = np.array([d.section for d in DIVISIONS], dtype=object)[index[known]]
        rows = frame[known]
        self.industry_medians_ = _group_medians(rows, division, self.min_count)
        self.section_medians_ = _group_medians(rows, section, self.min_count)
        self.global_medians_ = {
            str(name): _nan_median(frame[name].to_numpy(dtype=np.float64)) for name in frame.columns
        }
        self._build_table()
        return self

    def _build_table(self) -> None:
        """Resolve the fallbacks once: one row per division plus one for unknown codes."""
        names: list[str] = list(self.global_medians_)
        table = np.empty((len(names), len(DIVISIONS) + 1))
        for i, name in enumerate(names):
            own, sections = self.industry_medians_[name], self.section_medians_[name]
            fallback = self.global_medians_[name]
            table[i, :-1] = [own.get(d.code, sections.get(d.section, fallback)) for d in DIVISIONS]
            table[i, -1] = fallback
        self._table = table
        self._row: dict[str, int] = {name: i for i, name in enumerate(names)}

    # -- using ----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "_table"):
            raise NotFittedError(
                "This IndustryBaseline is not fitted yet: call fit(features, industries) "
                "on training data, or load a fitted state with IndustryBaseline.from_dict"
            )

    @property
    def feature_names(self) -> list[str]:
        """Features with fitted medians, in fitting order."""
        self._check_fitted()
        return list(self._row)

    def medians_for(self, feature_name: str, industry_codes: npt.ArrayLike) -> FloatArray:
        """Return each row's industry median of one feature.

        Parameters
        ----------
        feature_name : str
            A fitted feature (see :attr:`feature_names`).
        industry_codes : array_like
            Canonical division codes; unknown or missing codes get the global median.

        Returns
        -------
        numpy.ndarray
            float64 medians, NaN where no training value was known.
        """
        self._check_fitted()
        row = self._row.get(feature_name)
        if row is None:
            raise KeyError(
                f"no industry median was fitted for {feature_name!r}; fitted: "
                + ", ".join(self._row)
            )
        index = division_index(industry_codes)
        medians: FloatArray = self._table[row, index]  # index -1 is the global column
        return medians

    def medians_matrix(
        self, feature_names: Sequence[str], industry_codes: npt.ArrayLike
    ) -> FloatArray:
        """Return the (n_rows, n_features) medians of several features at once."""
        return np.ascontiguousarray(self.median_rows(feature_names, industry_codes).T)

    def median_rows(
        self, feature_names: Sequence[str], industry_codes: npt.ArrayLike
    ) -> FloatArray:
        """Return the (n_features, n_rows) medians: one contiguous row per feature."""
        table: FloatArray = self.median_table(feature_names)[:, division_index(industry_codes)]
        return table

    def median_table(self, feature_names: Sequence[str]) -> FloatArray:
        """Return the (n_features, divisions + 1) medians of each division code.

        Column ``i`` holds the medians of division ``DIVISIONS[i]`` (its section's or
        the global one where it had too few values), the last column those of an
        unknown or missing code: ``table[:, division_index(codes)]`` are the rows'
        medians, one gather for all features.
        """
        self._check_fitted()
        try:
            rows = np.array([self._row[name] for name in feature_names], dtype=np.intp)
        except KeyError as exc:
            raise KeyError(f"no industry median was fitted for {exc.args[0]!r}") from exc
        table: FloatArray = self._table[rows]
        return table

    def transform(
        self, features: Mapping[str, FloatArray], industry_codes: npt.ArrayLike
    ) -> dict[str, FloatArray]:
        """Return ``value - industry median`` for every fitted feature given.

        Parameters
        ----------
        features : mapping of str to numpy.ndarray
            Feature values; names without a fitted median are skipped.
        industry_codes : array_like
            Canonical division codes of the rows.

        Returns
        -------
        dict of str to numpy.ndarray
        """
        self._check_fitted()
        index = division_index(industry_codes)
        return {
            name: np.asarray(values, dtype=np.float64) - self._table[self._row[name], index]
            for name, values in features.items()
            if name in self._row
        }

    # -- state ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted state as JSON-ready data (NaN as ``null``)."""
        self._check_fitted()
        return {
            "kind": "IndustryBaseline",
            "version": _STATE_VERSION,
            "min_count": self.min_count,
            "industry_medians": _jsonable(self.industry_medians_),
            "section_medians": _jsonable(self.section_medians_),
            "global_medians": {k: _json_float(v) for k, v in self.global_medians_.items()},
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> IndustryBaseline:
        """Rebuild a fitted baseline from :meth:`to_dict` output."""
        if state.get("kind") != "IndustryBaseline" or state.get("version") != _STATE_VERSION:
            raise ValueError(
                "not an IndustryBaseline state of version "
                f"{_STATE_VERSION}: kind={state.get('kind')!r}, version={state.get('version')!r}"
            )
        baseline = cls(min_count=int(state["min_count"]))
        baseline.industry_medians_ = _from_json(state["industry_medians"])
        baseline.section_medians_ = _from_json(state["section_medians"])
        baseline.global_medians_ = {
            k: math.nan if v is None else float(v) for k, v in state["global_medians"].items()
        }
        baseline._build_table()
        return baseline


def _nan_median(values: FloatArray) -> float:
    known = values[~np.isnan(values)]
    return float(np.median(known)) if known.size else math.nan


def _group_medians(
    frame: pd.DataFrame, groups: npt.NDArray[np.object_], min_count: int
) -> dict[str, dict[str, float]]:
    names = [str(c) for c in frame.columns]
    if frame.empty:
        return {name: {} for name in names}
    grouped = frame.groupby(groups, sort=True)
    medians = grouped.median()
    keys = [str(k) for k in medians.index]
    values = medians.to_numpy(dtype=np.float64)
    counts = grouped.count().to_numpy(dtype=np.int64)
    return {
        name: {keys[g]: float(values[g, j]) for g in range(len(keys)) if counts[g, j] >= min_count}
        for j, name in enumerate(names)
    }


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def _jsonable(medians: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float | None]]:
    return {
        name: {k: _json_float(v) for k, v in groups.items()} for name, groups in medians.items()
    }


def _from_json(data: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    return {
        name: {k: math.nan if v is None else float(v) for k, v in groups.items()}
        for name, groups in data.items()
    }
