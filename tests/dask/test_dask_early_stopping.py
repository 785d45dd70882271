"""The Dask trainer stops where LightGBM's own early-stopping callback would.

lightgbm.dask cannot early-stop, so ``training.dask_train`` applies the rule itself
to the validation loss after each tree; here its rule is held against the real
``lgb.early_stopping`` callback fed the same loss curve.
"""

from __future__ import annotations

from types import SimpleNamespace

import lightgbm as lgb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lightgbm.callback import CallbackEnv, EarlyStopException

from training.dask_booster import EarlyStopping


def lightgbm_stop(losses: list[float], patience: int) -> tuple[int, int]:
    """(iteration where LightGBM stops, its best iteration), both 0-based."""
    callback = lgb.early_stopping(patience, first_metric_only=True, verbose=False)
    model = SimpleNamespace(_train_data_name="training")
    for iteration, loss in enumerate(losses):
        env = CallbackEnv(
            model=model,  # type: ignore[arg-type]
            params={},
            iteration=iteration,
            begin_iteration=0,
            end_iteration=len(losses),
            evaluation_result_list=[lgb.EvalResult("valid", "binary_logloss", loss, False)],
        )
        try:
            callback(env)
        except EarlyStopException as stop:
            return iteration, stop.best_iteration
    raise AssertionError("LightGBM's callback always stops at the last iteration")


def ours(losses: list[float], patience: int) -> tuple[int, int]:
    stopper = EarlyStopping(patience)
    for iteration, loss in enumerate(losses):
        if stopper.update(iteration, loss):
            return iteration, stopper.best_iteration
    return len(losses) - 1, stopper.best_iteration


@settings(max_examples=150, deadline=None)
@given(
    losses=st.lists(
        st.floats(min_value=0.0, max_value=1.0, allow_nan=False).map(lambda x: round(x, 2)),
        min_size=1,
        max_size=60,
    ),
    patience=st.integers(min_value=1, max_value=8),
)
def test_stop_and_best_iteration_match_lightgbm(losses: list[float], patience: int) -> None:
    assert ours(losses, patience) == lightgbm_stop(losses, patience)


@pytest.mark.parametrize(
    ("losses", "patience", "expected"),
    [
        ([0.5, 0.4, 0.3, 0.35, 0.36, 0.37], 3, (5, 2)),  # stops 3 after the best
        ([0.5, 0.4, 0.4, 0.4], 2, (3, 1)),  # a tie is no improvement
        ([0.5, 0.4, 0.3], 5, (2, 2)),  # out of rounds before patience runs out
    ],
)
def test_examples(losses: list[float], patience: int, expected: tuple[int, int]) -> None:
    assert ours(losses, patience) == expected
