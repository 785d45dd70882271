"""``srdi synth``: generate the synthetic SRDI world into a directory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from srdi.cli.support import fail

__all__ = ["register"]


def synth(
    firms: Annotated[
        int | None,
        typer.Option("--firms", help="Firms in the world (default: SRDI_SYNTH_FIRMS, 20000)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Random seed; the same seed gives the same files (default: 7)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: SRDI_DATA_DIR, data/world)."),
    ] = None,
    replicates: Annotated[
        int | None,
        typer.Option("--replicates", help="Oracle Monte Carlo replicas per firm-year (default 8)."),
    ] = None,
) -> None:
    """Generate the synthetic world: financials, certifications, oracle, latent traits."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from srdi.core.settings import load_settings
    from training.synth import (
        META_FILE,
        WorldError,
        generate_world,
        prepare_output_dir,
        write_world,
    )
    from training.synth.config import DEFAULT_ORACLE_REPLICATES

    err = Console(stderr=True)
    settings = load_settings()
    n_firms = settings.synth_firms if firms is None else firms
    world_seed = settings.synth_seed if seed is None else seed
    n_replicates = DEFAULT_ORACLE_REPLICATES if replicates is None else replicates
    if n_firms < 1:
        fail(f"--firms must be at least 1, got {n_firms}", code=2)
    if world_seed < 0:
        fail(f"--seed must be 0 or more, got {world_seed}", code=2)
    if n_replicates < 1:
        fail(f"--replicates must be at least 1, got {n_replicates}", code=2)
    out_dir = settings.resolve(settings.data_dir if out is None else out)
    try:
        prepare_output_dir(out_dir)
    except WorldError as exc:
        fail(str(exc), code=2)

    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(f"simulating {n_firms:,} firms", total=1.0)

        def report(stage: str, fraction: float) -> None:
            progress.update(task, completed=fraction, description=stage)

        world = generate_world(n_firms, world_seed, oracle_replicates=n_replicates, progress=report)
        progress.update(task, description="writing Parquet")
        try:
            write_world(world, out_dir)
        except WorldError as exc:
            fail(str(exc), code=2)
    seconds = time.perf_counter() - start

    figures = world.meta["calibration"]
    assert isinstance(figures, dict)

    def shown(name: str, spec: str, unit: str = "") -> str:
        value = figures.get(name)
        return "n/a" if value is None else f"{value:{spec}}{unit}"

    table = Table(title=f"Synthetic world in {out_dir} ({seconds:.1f} s)", show_header=False)
    table.add_row("firms, firm-years", f"{n_firms:,}, {world.financials.num_rows:,}")
    table.add_row(
        "grants, oracle rows", f"{world.certifications.num_rows:,}, {world.oracle.num_rows:,}"
    )
    for label, name, spec, unit in (
        ("Little Giants in 2025", "little_giant_share", ".1%", ""),
        ("provincial SRDI or higher in 2025", "provincial_or_higher_share", ".1%", ""),
        ("Little Giants: median R&D intensity", "lg_median_rd_intensity", ".1%", ""),
        ("Little Giants: manufacturing", "lg_manufacturing_share", ".0%", ""),
        ("Little Giants: median age", "lg_median_age", ".0f", " years"),
        ("Little Giants: median main-business share", "lg_median_main_business_share", ".0%", ""),
    ):
        table.add_row(label, shown(name, spec, unit))
    table.add_row("metadata", str(out_dir / META_FILE))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``synth`` verb to the ``srdi`` command line."""
    app.command("synth")(synth)
