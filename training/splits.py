"""Time splits: train on early years, validate on the next, test on the latest.

Rows are assigned by fiscal year only, never at random, so no firm's later years
inform the scores of its earlier ones. With the panel 2014–2025 and H = 2 the last
year with complete labels is 2023, and the default split is train ≤ 2020,
validate 2021 (early stopping and calibration), test 2022–2023.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SplitConfig", "TimeSplit", "make_time_split"]

TRAIN, VALID, TEST, UNUSED = 0, 1, 2, -1


@dataclass(frozen=True)
class SplitConfig:
    """How many years go to validation and test, or where training ends.

    Attributes
    ----------
    valid_years, test_years : int
        Numbers of consecutive years for validation and test.
    train_end : int, optional
        Last training year. By default the test years are the latest years with
        complete labels and validation comes just before them.
    """

    valid_years: int = 1
    test_years: int = 2
    train_end: int | None = None


@dataclass(frozen=True)
class TimeSplit:
    """Years of each part of a time split."""

    train_years: tuple[int, ...]
    valid_years: tuple[int, ...]
    test_years: tuple[int, ...]

    def assign(self, years: np.ndarray) -> np.ndarray:
        """Return 0 (train), 1 (validate), 2 (test) or -1 (unused) for each year."""
        y = np.asarray(years, dtype=np.float64)
        out = np.full(y.shape, UNUSED, dtype=np.int8)
        out[np.isin(y, self.train_years)] = TRAIN
        out[np.isin(y, self.valid_years)] = VALID
        out[np.isin(y, self.test_years)] = TEST
        return out

    def describe(self) -> str:
        """Return e.g. ``"train 2014–2020, validate 2021, test 2022–2023"``."""

        def span(years: tuple[int, ...]) -> str:
            return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"

        return (
            f"train {span(self.train_years)}, validate {span(self.valid_years)}, "
            f"test {span(self.test_years)}"
        )


def make_time_split(first_year: int, last_label_year: int, config: SplitConfig) -> TimeSplit:
    """Choose the split years for labelled years ``first_year .. last_label_year``.

    Parameters
    ----------
    first_year : int
        Earliest fiscal year with labels.
    last_label_year : int
        Latest fiscal year whose labels are complete (last panel year minus H).
    config : SplitConfig

    Returns
    -------
    TimeSplit

    Raises
    ------
    ValueError
        When the years do not leave at least one year for each part.
    """
    if config.valid_years < 1 or config.test_years < 1:
        raise ValueError("valid_years and test_years must each be at least 1")
    if config.train_end is None:
        test_start = last_label_year - config.test_years + 1
        train_end = test_start - config.valid_years - 1
    else:
        train_end = config.train_end
        test_start = train_end + config.valid_years + 1
    test_end = min(last_label_year, test_start + config.test_years - 1)
    if train_end < first_year:
        raise ValueError(
            f"labelled years {first_year}–{last_label_year} leave no training year before "
            f"{config.valid_years} validation and {config.test_years} test year(s); "
            "use fewer validation/test years or a longer panel"
        )
    if test_start > test_end:
        raise ValueError(
            f"train_end={train_end} leaves no test year with complete labels "
            f"(last is {last_label_year}); choose an earlier train_end"
        )
    return TimeSplit(
        train_years=tuple(range(first_year, train_end + 1)),
        valid_years=tuple(range(train_end + 1, train_end + config.valid_years + 1)),
        test_years=tuple(range(test_start, test_end + 1)),
    )
