"""The synthetic SRDI world: a simulator of firms, financials and certification.

``generate_world(n_firms, seed)`` simulates the screening universe 2014–2025 and
``write_world(world, out_dir)`` writes the panel contract (``srdi synth``). See
``docs/synthetic-world.md``.
"""

from training.synth.config import DEFAULT_CALIBRATION, GENERATOR_VERSION, Calibration
from training.synth.summary import calibration_figures, realized_labels, roc_auc
from training.synth.world import (
    META_FILE,
    TABLE_FILES,
    World,
    WorldError,
    generate_world,
    prepare_output_dir,
    write_world,
)

__all__ = [
    "DEFAULT_CALIBRATION",
    "GENERATOR_VERSION",
    "META_FILE",
    "TABLE_FILES",
    "Calibration",
    "World",
    "WorldError",
    "calibration_figures",
    "generate_world",
    "prepare_output_dir",
    "realized_labels",
    "roc_auc",
    "write_world",
]
