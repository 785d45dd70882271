"""The synthetic SRDI world: generate it, write it.

``generate_world(n_firms, seed)`` runs the simulator end to end — population,
financial panel, certification history, oracle — and returns the published
tables; ``write_world(world, out_dir)`` writes the panel contract of DESIGN.md:
``financials.parquet``, ``certifications.parquet``, ``oracle.parquet``,
``latent.parquet`` and ``world.json``. The same seed gives the same bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.rules import RULESET_VERSIONS
from training.synth.certification import NEW
from training.synth.config import (
    DEFAULT_CALIBRATION,
    DEFAULT_ORACLE_REPLICATES,
    FIRST_YEAR,
    GENERATOR_VERSION,
    LAST_YEAR,
    LITTLE_GIANT,
    SCHEME_OF_TIER,
    Calibration,
)
from training.synth.firms import draw_firms
from training.synth.oracle import OracleYear, oracle_year
from training.synth.panel import simulate_panel
from training.synth.publish import (
    ORACLE_SCHEMA,
    certifications_table,
    financials_table,
    latent_table,
    oracle_table,
)
from training.synth.summary import calibration_figures
from training.synth.timeline import simulate_history

__all__ = [
    "META_FILE",
    "TABLE_FILES",
    "World",
    "WorldError",
    "generate_world",
    "prepare_output_dir",
    "write_world",
]

TABLE_FILES = {
    "financials": "financials.parquet",
    "certifications": "certifications.parquet",
    "oracle": "oracle.parquet",
    "latent": "latent.parquet",
}
META_FILE = "world.json"

Progress = Callable[[str, float], None]
"""Called with the current stage and the fraction of the whole run done."""

# Share of the run each stage takes (for the progress bar only).
_STAGES = (
    ("population and financials", 0.05),
    ("certification", 0.07),
    ("oracle", 0.78),
    ("tables", 0.10),
)


class WorldError(ValueError):
    """A bad argument or an unwritable output directory."""


@dataclass(frozen=True)
class World:
    """The published tables of one world (Arrow, exact contract types) and its metadata."""

    financials: pa.Table
    certifications: pa.Table
    oracle: pa.Table
    latent: pa.Table
    meta: dict[str, object] = field(default_factory=dict)

    def frame(self, name: str) -> pd.DataFrame:
        """One table as a pandas DataFrame (``financials``, ``certifications``, ...)."""
        if name not in TABLE_FILES:
            raise KeyError(f"unknown table {name!r}; tables: {list(TABLE_FILES)}")
        frame: pd.DataFrame = getattr(self, name).to_pandas()
        return frame


def _check_arguments(n_firms: object, seed: object, replicates: object) -> None:
    if isinstance(n_firms, bool) or not isinstance(n_firms, int | np.integer) or n_firms < 1:
        raise WorldError(f"n_firms must be a whole number >= 1, got {n_firms!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise WorldError(f"seed must be a whole number >= 0, got {seed!r}")
    if (
        isinstance(replicates, bool)
        or not isinstance(replicates, int | np.integer)
        or replicates < 1
    ):
        raise WorldError(f"oracle_replicates must be a whole number >= 1, got {replicates!r}")


def generate_world(
    n_firms: int,
    seed: int,
    *,
    oracle_replicates: int = DEFAULT_ORACLE_REPLICATES,
    calibration: Calibration = DEFAULT_CALIBRATION,
    progress: Progress | None = None,
    oracle: bool = True,
) -> World:
    """Simulate a world of ``n_firms`` firms over the fiscal years 2014–2025.

    Parameters
    ----------
    n_firms
        Firms in the screening universe (observed in some year 2014–2025).
    seed
        Seed of every random stream; the same seed gives the same world.
    oracle_replicates
        Monte Carlo replicas per firm-year for the oracle's second year.
    calibration
        Calibration constants (see :mod:`training.synth.config`).
    progress
        Optional callback for a progress display.
    oracle
        Compute the oracle (most of the generation time); ``False`` leaves the
        oracle table empty, for evaluations that do not compare with it.

    Returns
    -------
    World

    Raises
    ------
    WorldError
        For a non-positive ``n_firms``, a negative ``seed`` or bad replicas.
    """
    _check_arguments(n_firms, seed, oracle_replicates)
    done = 0.0

    def report(stage: int, fraction: float) -> None:
        if progress is not None:
            name, weight = _STAGES[stage]
            progress(name, done + weight * fraction)

    # A seed sequence's n-th child does not depend on how many are spawned, so the
    # retention oracle's stream (added last) leaves the six others as they were.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(7)]
    rng_population, rng_panel, rng_exit, rng_cert, rng_missing, rng_oracle, rng_retention = streams

    report(0, 0.0)
    firms = draw_firms(int(n_firms), rng_population, calibration)
    states = simulate_panel(firms, FIRST_YEAR - 1, LAST_YEAR, rng_panel, calibration.dynamics)
    done += _STAGES[0][1]

    history = simulate_history(
        firms, states, calibration, rng_exit, rng_cert, lambda f: report(1, f)
    )
    done += _STAGES[1][1]

    oracle_years: dict[int, OracleYear] = {}
    for year in range(FIRST_YEAR, LAST_YEAR + 1) if oracle else ():
        snap = history.years[year]
        oracle_years[year] = oracle_year(
            year,
            states[year].take(snap.rows),
            firms.take(snap.rows),
            snap.level,
            snap.expiry,
            snap.reviews,
            history.cutoffs,
            int(oracle_replicates),
            rng_oracle,
            calibration,
            retention_rng=rng_retention,
        )
        report(2, (year - FIRST_YEAR + 1) / (LAST_YEAR - FIRST_YEAR + 1))
    done += _STAGES[2][1]

    report(3, 0.0)
    financials = financials_table(
        firms,
        states,
        history,
        rng_missing,
        calibration.missingness,
        calibration.certification.status_years,
    )
    certifications = certifications_table(firms, history, calibration.certification.status_years)
    oracle_rows = (
        oracle_table(firms, history, oracle_years) if oracle else ORACLE_SCHEMA.empty_table()
    )
    latent = latent_table(firms, history)
    new_little_giants = (history.grant_tier == LITTLE_GIANT) & (history.grant_kind == NEW)
    granted = {
        int(year): int((new_little_giants & (history.grant_year == year)).sum())
        for year in history.quotas
    }
    meta: dict[str, object] = {
        "generator": "srdi synthetic world",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "n_firms": int(n_firms),
        "years": [FIRST_YEAR, LAST_YEAR],
        "firm_years": financials.num_rows,
        "oracle_replicates": int(oracle_replicates) if oracle else 0,
        "oracle_horizon": 2,
        "rule_versions": {
            SCHEME_OF_TIER[t]: RULESET_VERSIONS[SCHEME_OF_TIER[t]] for t in SCHEME_OF_TIER
        },
        "little_giant_quotas": {str(y): q for y, q in history.quotas.items()},
        "little_giant_new_grants": {str(y): g for y, g in granted.items()},
        "rereviews": history.rereviews,
        # NaN (e.g. no Little Giant in a tiny world) is written as JSON null.
        "calibration": {
            name: None if np.isnan(value) else value
            for name, value in calibration_figures(financials.to_pandas()).items()
        },
    }
    report(3, 1.0)
    return World(financials, certifications, oracle_rows, latent, meta)


def prepare_output_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and check it can be written.

    Call it before :func:`generate_world` to fail fast on a bad ``--out``.

    Raises
    ------
    WorldError
        When the path is a file, cannot be created, or is not writable.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise WorldError(f"output path {out_dir} exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorldError(
            f"cannot create the output directory {out_dir}: {exc.strerror or exc}"
        ) from exc
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise WorldError(f"the output directory {out_dir} is not writable")
    return out_dir


def write_world(world: World, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the world's tables and ``world.json`` into ``out_dir``.

    Each file is written to a temporary name and renamed, so a reader never sees a
    half-written file and an interrupted run leaves the previous world intact.

    Parameters
    ----------
    world
        What :func:`generate_world` returned.
    out_dir
        Directory (created when missing).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    WorldError
        When ``out_dir`` cannot be created or written.
    """
    directory = prepare_output_dir(out_dir)
    written = []
    meta_text = (
        json.dumps(world.meta, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    )
    for name, file in (*TABLE_FILES.items(), ("meta", META_FILE)):
        target = directory / file
        partial = directory / f".{file}.partial"
        try:
            if name == "meta":
                partial.write_text(meta_text, encoding="utf-8")
            else:
                pq.write_table(getattr(world, name), partial, compression="zstd")
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise WorldError(f"cannot write {target}: {exc.strerror or exc}") from exc
        written.append(target)
    return written
