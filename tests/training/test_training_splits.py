"""Time splits."""

from __future__ import annotations

import numpy as np
import pytest

from training.splits import SplitConfig, make_time_split


def test_default_split_of_the_2014_2025_panel_with_h2() -> None:
    split = make_time_split(2014, 2023, SplitConfig())
    assert split.train_years == tuple(range(2014, 2021))
    assert split.valid_years == (2021,)
    assert split.test_years == (2022, 2023)
    assert split.describe() == "train 2014–2020, validate 2021, test 2022–2023"


def test_train_end_moves_validation_and_test() -> None:
    split = make_time_split(2014, 2023, SplitConfig(train_end=2018, valid_years=2, test_years=2))
    assert split.train_years[-1] == 2018
    assert split.valid_years == (2019, 2020)
    assert split.test_years == (2021, 2022)


def test_assign_codes_every_year_and_never_mixes_parts() -> None:
    split = make_time_split(2014, 2023, SplitConfig())
    codes = split.assign(np.array([2014, 2020, 2021, 2022, 2023, 2024]))
    assert codes.tolist() == [0, 0, 1, 2, 2, -1]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (SplitConfig(valid_years=5, test_years=6), "leave no training year"),
        (SplitConfig(train_end=2022), "leaves no test year"),
        (SplitConfig(valid_years=0), "at least 1"),
    ],
)
def test_impossible_splits_are_refused_with_the_reason(config: SplitConfig, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_time_split(2014, 2023, config)
