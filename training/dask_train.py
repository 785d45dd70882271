"""Training on a Dask cluster: the run of ``srdi train`` with its heavy steps distributed.

Stage by stage (the names are the local run's, so the command line shows the same list):

- *load panel*: the financials are planned into units (``srdi.core.panel_units``: row
  groups of each file, each row keeping its file and row number); certifications and
  the oracle are small tables, read once here and broadcast.
- *labels and split*: every worker validates and labels its units with the local
  code (``training.dataset.build_examples``), against the last year of the whole
  panel; the labelled examples come back here, in the local run's canonical order,
  and are split by year (``training.prepare.split_examples``).
- *features*: the feature state (industry medians) is fitted here on the training
  rows, as the local run does; workers transform their units.
- *train LightGBM*: ``lightgbm.dask.DaskLGBMClassifier`` trains on the training rows
  where they sit. lightgbm.dask has no early stopping (LightGBM issue #3712), so the
  booster grows in blocks of ``early_stopping_rounds`` trees, each block continuing
  the last, and the validation loss after every tree decides when to stop exactly
  as ``lgb.early_stopping`` would; the model is cut at the best iteration
  (:mod:`training.dask_booster`).
- everything after — calibration, baselines, evaluation, held-out provinces, report,
  MLflow logging, registration and the promotion gate — is the local run's own code
  (``training.pipeline.finish_training``), so a Dask-trained model is registered,
  gated and served exactly like a local one.

The client holds the labelled examples and their feature matrix (about 60 floats per
firm-year: 1 GB per 2 million) because the evaluation stages need them; what the
cluster takes off the client is reading and validating the raw panel, labelling,
deriving features and fitting the booster.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from srdi.core.panel_units import PanelUnit, plan_units, read_unit
from training.dataset import (
    Examples,
    Panel,
    PanelError,
    PanelIssue,
    build_examples,
    clean_certifications,
    data_hash,
    duplicate_firm_year,
    find_table,
    read_panel_table,
    subset_columns,
)
from training.splits import TRAIN, TimeSplit

if TYPE_CHECKING:
    from distributed import Client, Future

    from features.pipeline import FeaturePipeline
    from srdi.core.settings import Settings
    from training.config import TrainingConfig
    from training.pipeline import StageReporter, TrainingResult
    from training.prepare import Prepared

__all__ = [
    "DaskTrainingData",
    "prepare_on_dask",
    "run_dask_training",
]


@dataclass(frozen=True)
class DaskTrainingData:
    """What the distributed stages produced.

    Attributes
    ----------
    prepared
        The labelled examples (here, on the client) and their time split.
    pipeline
        The feature state fitted on the training rows.
    X
        The feature matrix of every example (rows of ``prepared.examples``).
    X_train, y_train
        The training rows as Dask arrays, chunked by unit, held by the workers.
    data_hash
        SHA-256 of the financials and certifications files.
    """

    prepared: Prepared
    pipeline: FeaturePipeline
    X: np.ndarray
    X_train: Any
    y_train: Any
    data_hash: str


def run_dask_training(
    settings: Settings,
    data_dir: Path | None = None,
    config: TrainingConfig | None = None,
    reporter: StageReporter | None = None,
    *,
    scheduler: str | Client | None = None,
) -> TrainingResult:
    """Train, evaluate, log, register and gate one model, with Dask doing the heavy steps.

    Parameters
    ----------
    settings
        Store location, registry name, project root, Dask scheduler and partition size.
    data_dir
        Panel directory; default ``settings.data_dir``.
    config
        The run's settings, as for :func:`training.pipeline.run_training`.
    reporter
        Progress display; silent by default.
    scheduler
        Scheduler address or live client; default ``settings.dask_scheduler``, else a
        LocalCluster sized to the machine for the run.

    Returns
    -------
    training.pipeline.TrainingResult
        As the local run's; the booster was trained by ``lightgbm.dask``.
    """
    from srdi.core.dask_cluster import dask_client
    from training.config import TrainingConfig
    from training.dask_booster import train_booster_on_dask
    from training.model import catalog_constraints
    from training.pipeline import SilentReporter, finish_training

    config = config or TrainingConfig()
    reporter = reporter or SilentReporter()
    directory = settings.resolve(Path(data_dir) if data_dir is not None else settings.data_dir)
    with dask_client(scheduler or settings.dask_scheduler) as client:
        data = prepare_on_dask(
            client,
            directory,
            config,
            partition_rows=settings.dask_partition_rows,
            reporter=reporter,
        )
        workers = len(client.scheduler_info()["workers"])
        constraints = catalog_constraints(data.pipeline.feature_names)
        valid = data.prepared.valid
        with reporter.stage("train LightGBM"):
            trained = train_booster_on_dask(
                client,
                data.X_train,
                data.y_train,
                data.X[valid],
                data.prepared.examples.y[valid],
                feature_names=data.pipeline.feature_names,
                config=config.model,
                constraints=constraints,
            )
    return finish_training(
        settings,
        directory,
        config,
        reporter,
        data_hash=data.data_hash,
        prepared=data.prepared,
        pipeline=data.pipeline,
        X=data.X,
        constraints=constraints,
        trained=trained,
        extra_params={"trainer": "lightgbm.dask", "dask_workers": workers},
    )


def prepare_on_dask(
    client: Client,
    directory: Path,
    config: TrainingConfig,
    *,
    partition_rows: int,
    reporter: StageReporter,
) -> DaskTrainingData:
    """Load, label, split and derive features with the panel spread over the workers.

    Parameters
    ----------
    client
        A client of the cluster.
    directory
        Panel directory (``financials`` and ``certifications``, optional ``oracle``).
    config
        Target, horizon and split of the run.
    partition_rows
        Target rows per unit of the financials.
    reporter
        Receives the stages ``load panel``, ``labels and split`` and ``features``.

    Returns
    -------
    DaskTrainingData

    Raises
    ------
    training.dataset.PanelError
        When the directory or a required table is missing.
    training.prepare.TrainingDataError
        When the split has a part without both classes.
    """
    from features.pipeline import FeaturePipeline
    from training.prepare import TrainingDataError, split_examples

    with reporter.stage("load panel"):
        if not directory.is_dir():
            raise PanelError(
                f"panel directory {directory} does not exist; generate the synthetic world "
                "with `srdi synth --out DIR` or point --data at your own panel"
            )
        financials = find_table(directory, "financials")
        certifications_path = find_table(directory, "certifications")
        if financials is None or certifications_path is None:
            missing = "financials" if financials is None else "certifications"
            raise PanelError(f"{directory} has no {missing}.parquet or {missing}.csv")
        units = plan_units(directory, partition_rows=partition_rows)
        certifications, cert_issues = clean_certifications(read_panel_table(certifications_path))
        oracle_path = find_table(directory, "oracle")
        oracle = read_panel_table(oracle_path) if oracle_path is not None else None
        # Sent once to every worker instead of once per task.
        shared = client.scatter([certifications, oracle], broadcast=True)
        digest = data_hash([financials, certifications_path])

    with reporter.stage("labels and split"):
        last_years = client.gather(client.map(_unit_last_year, units, pure=False))
        observed = [year for year in last_years if not math.isnan(year)]
        if not observed:
            raise PanelError("the financials have no valid row with a fiscal_year")
        parts = client.map(
            _unit_examples,
            units,
            certifications=shared[0],
            oracle=shared[1],
            target=config.target,
            horizon=config.horizon,
            last_year=int(max(observed)),
            directory=directory,
            pure=False,
        )
        local_parts: list[Examples] = client.gather(parts)
        # A unit drops its own repeated firm-years; one repeated in a later file or
        # row group is dropped here, the first kept, as the local run does.
        keeps, repeated_issues = _first_of_each_firm_year(local_parts)
        for i, keep in enumerate(keeps):
            if keep is not None:
                parts[i] = client.submit(_keep_rows, parts[i], keep, pure=False)
                local_parts[i] = _keep_rows(local_parts[i], keep)
        gathered = _concat_examples(local_parts, [*cert_issues, *repeated_issues])
        if len(gathered) == 0:
            raise TrainingDataError(f"no candidate firm-year with a complete label in {directory}")
        order = _canonical_order(gathered)
        prepared = split_examples(
            gathered.subset(order), horizon=config.horizon, split_config=config.split
        )

    with reporter.stage("features"):
        pipeline = FeaturePipeline().fit(subset_columns(prepared.examples.columns, prepared.train))
        state, split = client.scatter([pipeline, prepared.split], broadcast=True)
        matrices = client.map(_unit_matrix, parts, pipeline=state, pure=False)
        X_train, y_train = _training_arrays(
            client, parts, matrices, local_parts, split, prepared.split, len(pipeline.feature_names)
        )
        X = np.concatenate(client.gather(matrices))[order]
    return DaskTrainingData(prepared, pipeline, X, X_train, y_train, digest)


# -- tasks (run on the workers) ----------------------------------------------------------


def _unit_last_year(unit: PanelUnit) -> float:
    """Latest valid fiscal year in a unit (NaN when it has none)."""
    from features.validate import validate_frame

    years = validate_frame(read_unit(unit)).columns.get("fiscal_year")
    return float(np.nanmax(years)) if years is not None and np.isfinite(years).any() else math.nan


def _unit_examples(
    unit: PanelUnit,
    *,
    certifications: pd.DataFrame,
    oracle: pd.DataFrame | None,
    target: str,
    horizon: int,
    last_year: int,
    directory: Path,
) -> Examples:
    """Labelled examples of one unit, with file-level row numbers."""
    panel = Panel(
        directory=directory,
        financials=read_unit(unit),
        certifications=certifications,
        oracle=oracle,
        issues=[],
        data_hash="",
    )
    examples = build_examples(panel, target=target, horizon=horizon, last_year=last_year)
    issues = [dataclasses.replace(i, row=i.row + unit.first_row) for i in examples.issues]
    return dataclasses.replace(
        examples, source_row=examples.source_row + unit.first_row, issues=issues
    )


def _unit_matrix(examples: Examples, *, pipeline: FeaturePipeline) -> np.ndarray:
    """Feature matrix of a unit's examples."""
    return np.asarray(pipeline.transform(examples.columns), dtype=np.float64)


def _keep_rows(examples: Examples, keep: np.ndarray) -> Examples:
    """The examples where ``keep`` holds, their counts reduced by the rows dropped."""
    dropped = ~keep
    n_dropped = int(dropped.sum())
    counts = dict(examples.counts)
    for key in ("candidate_rows", "labelled_rows"):
        counts[key] = counts.get(key, 0) - n_dropped
    counts["positives"] = counts.get("positives", 0) - int(np.nansum(examples.y[dropped]))
    return dataclasses.replace(examples.subset(keep), counts=counts)


def _train_rows(X: np.ndarray, examples: Examples, split: TimeSplit) -> np.ndarray:
    """The rows of ``X`` that belong to the training years."""
    return np.asarray(X[split.assign(examples.year) == TRAIN])


def _train_labels(examples: Examples, split: TimeSplit) -> np.ndarray:
    """Labels of a unit's training rows."""
    return np.asarray(examples.y[split.assign(examples.year) == TRAIN], dtype=np.float64)


# -- client side -----------------------------------------------------------------------


def _training_arrays(
    client: Client,
    parts: list[Future[Examples]],
    matrices: list[Future[np.ndarray]],
    local_parts: list[Examples],
    split: Future[TimeSplit],
    local_split: TimeSplit,
    n_features: int,
) -> tuple[Any, Any]:
    """Dask arrays of the training rows and labels, one chunk per unit that has any."""
    import dask.array as da

    X_chunks, y_chunks = [], []
    for part, matrix, local in zip(parts, matrices, local_parts, strict=True):
        n_train = int((local_split.assign(local.year) == TRAIN).sum())
        if n_train == 0:
            continue
        rows = client.submit(_train_rows, matrix, part, split, pure=False)
        labels = client.submit(_train_labels, part, split, pure=False)
        X_chunks.append(da.from_delayed(rows, shape=(n_train, n_features), dtype=np.float64))
        y_chunks.append(da.from_delayed(labels, shape=(n_train,), dtype=np.float64))
    return da.concatenate(X_chunks), da.concatenate(y_chunks)


def _first_of_each_firm_year(
    parts: list[Examples],
) -> tuple[list[np.ndarray | None], list[PanelIssue]]:
    """Per unit, which examples to keep (``None``: all) and an issue per repeat dropped.

    Units are in file order, so the first occurrence of a (company, year) is the one
    the local run keeps; the issue has the local run's wording.
    """
    company = np.concatenate([p.company_id for p in parts])
    year = np.concatenate([p.year for p in parts]).astype(np.float64)
    repeated = pd.DataFrame({"c": company, "y": year}).duplicated().to_numpy()
    if not repeated.any():
        return [None] * len(parts), []
    source_row = np.concatenate([p.source_row for p in parts])
    issues = [
        duplicate_firm_year(int(source_row[i]), year[i], company[i])
        for i in np.flatnonzero(repeated)
    ]
    bounds = np.cumsum([0, *(len(p) for p in parts)])
    keeps: list[np.ndarray | None] = []
    for start, stop in itertools.pairwise(bounds.tolist()):
        unit_repeated = repeated[start:stop]
        keeps.append(~unit_repeated if unit_repeated.any() else None)
    return keeps, issues


def _concat_examples(parts: list[Examples], cert_issues: list[PanelIssue]) -> Examples:
    """One set of examples from the units' (in unit order)."""
    first = parts[0]
    oracles = [p.oracle for p in parts]
    issues = [*cert_issues, *(issue for p in parts for issue in p.issues)]
    counts = {key: sum(p.counts.get(key, 0) for p in parts) for key in first.counts}
    counts["bad_rows"] = len(issues)
    return Examples(
        columns={name: np.concatenate([p.columns[name] for p in parts]) for name in first.columns},
        y=np.concatenate([p.y for p in parts]),
        year=np.concatenate([p.year for p in parts]),
        company_id=np.concatenate([p.company_id for p in parts]),
        source_row=np.concatenate([p.source_row for p in parts]),
        oracle=None if any(o is None for o in oracles) else np.concatenate(oracles),  # type: ignore[arg-type]
        last_year=first.last_year,
        issues=issues,
        counts=counts,
    )


def _canonical_order(examples: Examples) -> np.ndarray:
    """Year, then firm: the order ``build_examples`` gives a whole panel."""
    return np.lexsort((examples.company_id.astype(str), examples.year))
