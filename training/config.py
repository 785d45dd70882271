"""The settings of one training run: target, horizon, split, model and checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from training.labels import DEFAULT_HORIZON, target_tiers
from training.model import ModelConfig
from training.splits import SplitConfig

__all__ = ["TrainingConfig"]


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of one training run (the defaults are the product's)."""

    target: str = "srdi_sme"
    horizon: int = DEFAULT_HORIZON
    split: SplitConfig = field(default_factory=SplitConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    calibration_folds: int = 5
    heldout_provinces: tuple[str, ...] = ()
    """Provinces held out for the transfer check; empty chooses three automatically."""
    heldout_count: int = 3
    quantile_levels: int = 1001
    contribution_sample: int = 1500
    register: bool = True
    strict_columns: bool = False
    """Refuse financials with a column that matches no field (``srdi train --strict``)."""

    def __post_init__(self) -> None:
        target_tiers(self.target)  # raises on an unknown target
        if self.horizon < 1:
            raise ValueError(f"horizon must be at least 1 year, got {self.horizon}")
        if self.quantile_levels < 2:
            raise ValueError("quantile_levels must be at least 2")

    def params(self) -> dict[str, object]:
        """Flat parameters for MLflow."""
        out: dict[str, object] = {"target": self.target, "horizon": self.horizon}
        out.update({f"split.{k}": v for k, v in asdict(self.split).items()})
        out.update({f"lgbm.{k}": v for k, v in self.model.as_dict().items()})
        out["calibration_folds"] = self.calibration_folds
        out["heldout_count"] = self.heldout_count
        out["quantile_levels"] = self.quantile_levels
        return out
