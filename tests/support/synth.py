"""Helpers shared by the data tests (imported by their conftest and test modules)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from training.synth import World

SMALL_FIRMS = 2_500
SMALL_SEED = 11


@dataclass(frozen=True)
class WorldOnDisk:
    """A generated world, the directory it was written to, and its tables read back."""

    world: World
    directory: Path
    financials: pd.DataFrame
    certifications: pd.DataFrame
    oracle: pd.DataFrame
    latent: pd.DataFrame


def read_world(world: World, directory: Path) -> WorldOnDisk:
    """Read back the tables ``write_world`` put in ``directory``."""
    return WorldOnDisk(
        world=world,
        directory=directory,
        financials=pd.read_parquet(directory / "financials.parquet"),
        certifications=pd.read_parquet(directory / "certifications.parquet"),
        oracle=pd.read_parquet(directory / "oracle.parquet"),
        latent=pd.read_parquet(directory / "latent.parquet"),
    )
