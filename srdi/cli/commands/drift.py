"""``srdi drift IN``: which features of a file moved away from the champion's training data.

The file's candidates (firms not yet holding the model's target tier, as in training)
are validated, turned into features and counted in the bins the champion kept of its
training rows (:mod:`srdi.core.drift`); the population-stability index per feature says
how far each moved: below 0.1 stable, 0.1 to 0.25 moderate, above 0.25 significant.
The same index the service shows on ``/metrics`` for the firms it scored lately.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from srdi.cli.support import ColumnMapOption, FirmYearsArgument, fail, parse_column_map

if TYPE_CHECKING:
    import numpy as np

    from serving.scoring.scorer import Scorer
    from srdi.core.drift import DriftReference

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``drift`` to the CLI."""
    app.command("drift")(drift)


@dataclass(frozen=True)
class _FileCounts:
    counts: np.ndarray
    firms: int
    rows: int
    refused: int
    certified: int


def drift(
    input_path: FirmYearsArgument,
    column_map: ColumnMapOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every feature, the stable ones too.")
    ] = False,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows read at a time.")] = 50_000,
) -> None:
    """Print which features of IN moved from the champion's training data, and by how much.

    PSI (population-stability index) per feature against the training distribution
    the champion keeps: < 0.1 stable, 0.1-0.25 moderate, > 0.25 significant.
    """
    from rich.console import Console

    from serving.scoring.scorer import Scorer
    from srdi.core.bundle import BundleError, NoChampionError, load_registered_bundle
    from srdi.core.settings import load_settings

    mapping = parse_column_map(column_map)
    if not input_path.is_file():
        fail(f"input file {str(input_path)!r} does not exist", code=2)
    settings = load_settings()
    try:
        loaded = load_registered_bundle(settings)
    except (NoChampionError, BundleError) as error:
        fail(str(error))
    reference = loaded.bundle.drift_reference
    if reference is None:
        fail(
            f"model {loaded.name} version {loaded.version} keeps no training distribution "
            "(it was trained before drift monitoring): retrain with `make train` to compare"
        )
    scorer = Scorer.from_loaded(loaded, settings=settings)
    counted = _count_file(scorer, reference, input_path, mapping, chunk_rows)
    _print_report(Console(), loaded.name, loaded.version, loaded.bundle.metadata, reference,
                  counted, input_path, show_all)  # fmt: skip


def _count_file(
    scorer: Scorer,
    reference: DriftReference,
    path: Path,
    mapping: dict[str, str] | None,
    chunk_rows: int,
) -> _FileCounts:
    import numpy as np

    from features.io import TableReadError, iter_table_chunks
    from features.validate import validate_frame

    counts = np.zeros((len(reference.feature_names), reference.n_bins), dtype=np.int64)
    firms = rows = refused = certified = 0
    try:
        for offset, frame in iter_table_chunks(path, chunk_rows):
            validated = validate_frame(frame, row_offset=offset, mapping=mapping)
            rows = max(rows, offset + len(frame))
            refused += len({e.row for e in validated.errors})
            if not len(validated.rows):
                continue
            holding = scorer.model.certified_mask(validated.columns)
            certified += int(holding.sum())
            X = scorer.model.features(validated.columns)[~holding]
            counts += reference.count(X)
            firms += len(X)
    except TableReadError as error:
        fail(str(error), code=2)
    return _FileCounts(counts, firms, rows, refused, certified)


def _print_report(
    console: object,
    name: str,
    version: str,
    metadata: dict[str, object],
    reference: DriftReference,
    counted: _FileCounts,
    path: Path,
    show_all: bool,
) -> None:
    from rich.console import Console
    from rich.table import Table

    from features.catalog import FEATURE_BY_NAME
    from srdi.core.drift import MODERATE_PSI, psi_reading

    assert isinstance(console, Console)
    trained = metadata.get("trained_at") or "unknown"
    console.print(
        f"{path}: {counted.firms:,} candidates compared ({counted.rows:,} rows read, "
        f"{counted.refused:,} refused by validation, {counted.certified:,} already holding "
        f"the target tier), against model {name} version {version} (trained {trained}, "
        f"{reference.n_reference:,} training rows)",
        highlight=False,
        soft_wrap=True,
    )
    if not counted.firms:
        fail("no candidate to compare: every row was refused or already holds the tier")
    values = reference.psi(counted.counts)
    order = sorted(range(len(values)), key=lambda j: -values[j])
    moved = [j for j in order if values[j] >= MODERATE_PSI]
    table = Table(title="Features that moved" if not show_all else "Every feature")
    for column in ("feature", "PSI", "reading", "not reported: training → file", "family"):
        table.add_column(column, justify="right" if column == "PSI" else "left")
    missing = reference.n_bins - 1
    now = counted.counts / counted.counts.sum(axis=1, keepdims=True)
    for j in order if show_all else moved:
        feature = reference.feature_names[j]
        spec = FEATURE_BY_NAME.get(feature)
        table.add_row(
            feature,
            f"{values[j]:.3f}",
            psi_reading(values[j]),
            f"{reference.shares[j, missing]:.0%} → {now[j, missing]:.0%}",
            spec.family if spec is not None else "",
        )
    if show_all or moved:
        console.print(table)
    stable = len(values) - len(moved)
    console.print(
        f"{len(moved)} of {len(values)} features moved (PSI ≥ {MODERATE_PSI}); {stable} stable. "
        "Reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 significant.",
        highlight=False,
        soft_wrap=True,
    )
