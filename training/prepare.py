"""From a loaded panel to the training matrix: labels, time split, fitted features.

These two steps decide what the model may see, so the leakage test runs exactly
them: the feature state is fitted on the training years only, and a row of year t
is derived from that row alone (its ``_prev`` fields carry t-1 and t-2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.pipeline import FeaturePipeline
from training.dataset import Examples, Panel, build_examples, subset_columns
from training.splits import TEST, TRAIN, VALID, SplitConfig, TimeSplit, make_time_split

__all__ = ["Prepared", "TrainingDataError", "fit_features", "label_and_split", "split_examples"]


class TrainingDataError(ValueError):
    """The panel does not allow a training run (for example no positive label)."""


@dataclass(frozen=True)
class Prepared:
    """Labelled examples with their split code (0 train, 1 validate, 2 test)."""

    examples: Examples
    split: TimeSplit
    part: np.ndarray

    @property
    def train(self) -> np.ndarray:
        """Mask of the training rows."""
        return np.asarray(self.part == TRAIN)

    @property
    def valid(self) -> np.ndarray:
        """Mask of the validation rows."""
        return np.asarray(self.part == VALID)

    @property
    def test(self) -> np.ndarray:
        """Mask of the test rows."""
        return np.asarray(self.part == TEST)


def label_and_split(
    panel: Panel,
    *,
    target: str,
    horizon: int,
    split_config: SplitConfig,
    strict: bool = False,
) -> Prepared:
    """Build the labelled examples and assign each to train, validation or test.

    ``strict`` refuses financials with a column that matches no field.

    Raises
    ------
    TrainingDataError
        When a part of the split has no rows or only one class.
    features.firm_years.UnmatchedColumnsError
        With ``strict``, naming the unmatched columns.
    """
    examples = build_examples(panel, target=target, horizon=horizon, strict=strict)
    if len(examples) == 0:
        raise TrainingDataError(
            f"no candidate firm-year with a complete label in {panel.directory}"
        )
    return split_examples(examples, horizon=horizon, split_config=split_config)


def split_examples(examples: Examples, *, horizon: int, split_config: SplitConfig) -> Prepared:
    """Assign labelled examples to train, validation or test by fiscal year.

    :func:`label_and_split` calls it on the examples of a panel in memory;
    ``training.dask_train`` on examples built partition by partition on a cluster.

    Raises
    ------
    TrainingDataError
        When a part of the split has no rows or only one class.
    """
    split = make_time_split(int(examples.year.min()), examples.last_year - horizon, split_config)
    part = split.assign(examples.year)
    for code, name in ((TRAIN, "training"), (VALID, "validation"), (TEST, "test")):
        labels = examples.y[part == code]
        if labels.size == 0 or labels.min() == labels.max():
            raise TrainingDataError(
                f"the {name} years ({split.describe()}) need both certified and not-certified "
                f"candidates; found {labels.size} rows with {int(labels.sum())} certified. "
                "Use a longer panel or another split (--train-end, --valid-years, --test-years)"
            )
    return Prepared(examples=examples, split=split, part=part)


def fit_features(prepared: Prepared) -> tuple[FeaturePipeline, np.ndarray]:
    """Fit the feature state on the training rows; return it with the matrix of all rows."""
    columns = prepared.examples.columns
    pipeline = FeaturePipeline().fit(subset_columns(columns, prepared.train))
    return pipeline, np.asarray(pipeline.transform(columns), dtype=np.float64)
