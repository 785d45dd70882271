"""The scoring service: the scorer, the model holder and the FastAPI app.

Names are imported on first use, so ``import serving.page.export`` (the command line) or a
Dask worker importing :mod:`serving.scoring.scorer` does not pay for FastAPI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving.app import create_app
    from serving.scoring.intake import BatchScores
    from serving.scoring.model_holder import ModelHolder, ModelProvider, RegistryModelProvider
    from serving.scoring.ranking import RankedScores
    from serving.scoring.scorer import Scorer
    from serving.scoring.target import ScoreArrays, TargetModel

__all__ = [
    "BatchScores",
    "ModelHolder",
    "ModelProvider",
    "RankedScores",
    "RegistryModelProvider",
    "ScoreArrays",
    "Scorer",
    "TargetModel",
    "create_app",
]

_HOME = {
    "create_app": "serving.app",
    "ModelHolder": "serving.scoring.model_holder",
    "ModelProvider": "serving.scoring.model_holder",
    "RegistryModelProvider": "serving.scoring.model_holder",
    "BatchScores": "serving.scoring.intake",
    "RankedScores": "serving.scoring.ranking",
    "ScoreArrays": "serving.scoring.target",
    "Scorer": "serving.scoring.scorer",
    "TargetModel": "serving.scoring.target",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'serving' has no attribute {name!r}")
