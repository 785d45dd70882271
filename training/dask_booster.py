"""The booster grown on a Dask cluster, early-stopped as ``lgb.early_stopping`` would.

``lightgbm.dask`` has no early stopping (LightGBM issue #3712), so
:func:`train_booster_on_dask` grows the booster in blocks of
``early_stopping_rounds`` trees, each block continuing the last, and
:class:`EarlyStopping` applies LightGBM's rule to the validation loss after every
tree; the model is cut at the best iteration.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from training.model import ModelConfig, TrainedBooster

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["EarlyStopping", "train_booster_on_dask"]


def train_booster_on_dask(
    client: Client,
    X_train: Any,
    y_train: Any,
    X_valid: np.ndarray,
    y_valid: np.ndarray,
    *,
    feature_names: list[str],
    config: ModelConfig,
    constraints: list[int] | None = None,
) -> TrainedBooster:
    """Train the binary LightGBM model across the workers, early-stopping on validation rows.

    Parameters
    ----------
    client
        A client of the cluster.
    X_train, y_train
        Dask arrays of the training rows and 0/1 labels.
    X_valid, y_valid
        Validation rows (here, on the client): the loss after each tree decides the
        stop, with the rule and patience of ``lgb.early_stopping``
        (``config.early_stopping_rounds``) on the binary log loss, the run's first
        metric.
    feature_names
        Column names stored in the booster.
    config
        LightGBM settings of the run (``training.model.ModelConfig``).
    constraints
        Monotone constraint per feature.

    Returns
    -------
    training.model.TrainedBooster
        The booster cut at the best iteration.
    """
    import lightgbm as lgb
    from lightgbm.dask import DaskLGBMClassifier

    params = config.params(constraints)
    params.pop("metric")  # the validation loss is computed here, on all validation rows
    params.pop("num_threads")  # each worker uses its own threads
    names = [str(n) for n in feature_names]
    block = max(1, config.early_stopping_rounds)
    margin = np.zeros(len(y_valid), dtype=np.float64)
    stopper = EarlyStopping(config.early_stopping_rounds)
    booster: lgb.Booster | None = None
    grown = 0
    while grown < config.max_rounds and not stopper.stopped:
        rounds = min(block, config.max_rounds - grown)
        # A new seed per block, so bagging does not replay the same row samples.
        model = DaskLGBMClassifier(
            client=client, n_estimators=rounds, **{**params, "seed": config.seed + grown}
        )
        model.fit(X_train, y_train, feature_name=names, init_model=booster)
        booster = model.booster_
        for tree in range(grown, grown + rounds):
            margin += booster.predict(
                X_valid, raw_score=True, start_iteration=tree, num_iteration=1
            )
            if stopper.update(tree, _log_loss(y_valid, margin)):
                break
        grown += rounds
    assert booster is not None  # max_rounds >= 1
    best = stopper.best_iteration + 1
    if best < booster.current_iteration():
        # Keep only the trees up to the best iteration so the text model is what is scored.
        booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    return TrainedBooster(
        booster=booster, best_iteration=best, valid_scores={"binary_logloss": stopper.best_loss}
    )


class EarlyStopping:
    """The stopping rule of ``lgb.early_stopping`` for a loss (lower is better).

    The best iteration is the first with the lowest loss so far; training stops at
    the first iteration ``patience`` or more iterations after the best.

    Parameters
    ----------
    patience
        ``early_stopping_rounds``.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_iteration = -1
        self.best_loss = math.inf
        self.stopped = False

    def update(self, iteration: int, loss: float) -> bool:
        """Record the loss after ``iteration`` (0-based); return True when training must stop."""
        if self.best_iteration < 0 or loss < self.best_loss:
            self.best_iteration, self.best_loss = iteration, loss
        elif iteration - self.best_iteration >= self.patience:
            self.stopped = True
        return self.stopped


def _log_loss(y: np.ndarray, margin: np.ndarray) -> float:
    """Mean binary log loss of raw margins, computed without overflow."""
    return float(np.mean(np.logaddexp(0.0, margin) - y * margin))
