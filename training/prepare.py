"""From a loaded panel to the training matrix: labels, time split, fitted features.

These two steps decide what the model may see, so the leakage test runs exactly
them: the feature state is fitted on the training years only, and a row of year t
is derived from that row alone (its ``_prev`` fields carry t-1 and t-2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from features.pipeline import FeaturePipeline
from training.dataset import (
    Examples,
    Panel,
    build_examples,
    examples_for,
    subset_columns,
    validate_financials,
)
from training.splits import TEST, TRAIN, VALID, SplitConfig, TimeSplit, make_time_split

__all__ = [
    "Prepared",
    "TrainingDataError",
    "fit_features",
    "fit_shared_features",
    "label_and_split",
    "prepare_targets",
    "split_examples",
]


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


def prepare_targets(
    panel: Panel,
    targets: Sequence[str],
    *,
    horizon: int,
    split_config: SplitConfig,
    strict: bool = False,
) -> dict[str, Prepared]:
    """Validate the financials once, then label and split them for each target.

    ``strict`` refuses financials with a column that matches no field.

    Raises
    ------
    TrainingDataError
        When a target has no labelled row, or a part of its split has no rows or
        only one class (the message names the target).
    features.firm_years.UnmatchedColumnsError
        With ``strict``, naming the unmatched columns.
    """
    rows = validate_financials(panel, strict=strict)
    out: dict[str, Prepared] = {}
    for target in targets:
        examples = examples_for(rows, panel, target=target, horizon=horizon)
        try:
            if len(examples) == 0:
                raise TrainingDataError(
                    f"no candidate firm-year with a complete label in {panel.directory}"
                )
            out[target] = split_examples(examples, horizon=horizon, split_config=split_config)
        except TrainingDataError as exc:
            raise TrainingDataError(f"{target}: {exc}") from exc
    return out


def fit_shared_features(
    prepared: Mapping[str, Prepared],
) -> tuple[FeaturePipeline, dict[str, np.ndarray]]:
    """One feature state for several targets, and each target's matrix.

    The state is fitted on the training rows of all the targets together (each
    firm-year once), so the targets' bundles share it and a server derives a
    firm's features once for all of them; the features are derived once per
    firm-year too. With one target this is :func:`fit_features`.

    Returns
    -------
    (FeaturePipeline, dict)
        The fitted state and, by target, the matrix of its examples (row order of
        ``prepared[target].examples``).
    """
    if len(prepared) == 1:
        ((target, only),) = prepared.items()
        pipeline, X = fit_features(only)
        return pipeline, {target: X}
    train = _union(
        [
            (p.examples.source_row[p.train], subset_columns(p.examples.columns, p.train))
            for p in prepared.values()
        ]
    )
    everything = _union([(p.examples.source_row, p.examples.columns) for p in prepared.values()])
    pipeline = FeaturePipeline().fit(train[1])
    X_all = np.asarray(pipeline.transform(everything[1]), dtype=np.float64)
    return pipeline, {
        target: X_all[np.searchsorted(everything[0], p.examples.source_row)]
        for target, p in prepared.items()
    }


def _union(
    parts: Sequence[tuple[np.ndarray, Mapping[str, np.ndarray]]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The rows of several subsets of one table, each source row once, in source order."""
    rows = np.concatenate([r for r, _ in parts])
    unique, first = np.unique(rows, return_index=True)
    names = parts[0][1].keys()
    columns = {
        name: np.concatenate([np.asarray(c[name]) for _, c in parts])[first] for name in names
    }
    return unique, columns
