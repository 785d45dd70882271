"""Batch scoring on a 2-worker LocalCluster equals the in-process scorer, row for row.

The reference is ``Scorer.score_frame`` — the code path of ``srdi score`` — run on
each input file in this process; the batch output must hold exactly one row per
valid input row, with the same numbers, and list the same bad rows with the same
reasons. Workers killed mid-run must not lose or duplicate a row.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pytest
from distributed import Client, WorkerPlugin
from typer.testing import CliRunner

from features.io import read_table
from serving.batch.run import score_parquet_dir
from serving.page.export import reasons_text
from serving.scoring.scorer import Scorer
from srdi.cli import build_app
from srdi.core.bundle import LoadedModel, load_registered_bundle
from tests.support.dask import local_cluster, write_parquet

pytestmark = [pytest.mark.dask, pytest.mark.timeout(300)]

# Worker processes cannot import this test module; ship its classes by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

PARTITION_ROWS = 300  # several units per file, so a file's rows cross partitions


@pytest.fixture(scope="module")
def model(trained_store: Any) -> LoadedModel:
    """The session's registered champion (tests/conftest.py)."""
    return load_registered_bundle(trained_store.settings())


@pytest.fixture(scope="module")
def scorer(model: LoadedModel, trained_store: Any) -> Scorer:
    """The in-process reference scorer."""
    return Scorer.from_loaded(model, settings=trained_store.settings())


def _inject_bad_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Break five rows in five ways the validator names (field and rule)."""
    bad = frame.copy()
    bad.loc[bad.index[3], "revenue"] = -5.0
    bad.loc[bad.index[10], "province"] = "Atlantis"
    bad.loc[bad.index[11], "company_id"] = None
    bad.loc[bad.index[40], "main_business_revenue"] = bad.loc[bad.index[40], "revenue"] * 2
    bad.loc[bad.index[41], "employees"] = 3.5
    return bad


@pytest.fixture(scope="module")
def panel(trained_store: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A Parquet panel of four files: plain, with bad rows, and two hive partitions.

    Returns the folder and, per relative file name, the records it holds as a frame
    (hive files hold no ``fiscal_year`` column: their folder name gives it).
    """
    financials = pd.read_parquet(trained_store.data_dir / "financials.parquet")
    # A third of the firms keeps the in-process reference quick; every year stays.
    firms = np.sort(financials["company_id"].unique())[::3]
    financials = financials[financials["company_id"].isin(firms)]
    root = tmp_path_factory.mktemp("panel")
    files: dict[str, pd.DataFrame] = {}
    early = financials[financials["fiscal_year"] <= 2022]
    files["earlier.parquet"] = early
    files["with_bad_rows.parquet"] = _inject_bad_rows(
        financials[financials["fiscal_year"] == 2023].reset_index(drop=True)
    )
    for year in (2024, 2025):
        files[f"fiscal_year={year}/part-0.parquet"] = financials[financials["fiscal_year"] == year]
    for name, frame in files.items():
        on_disk = frame.drop(columns=["fiscal_year"]) if "fiscal_year=" in name else frame
        write_parquet(on_disk, root / name, row_group_size=200)
    return {"root": root, "files": {k: v.reset_index(drop=True) for k, v in files.items()}}


def _reference(scorer: Scorer, files: dict[str, pd.DataFrame], explain: bool = False) -> Any:
    """Score each file in-process; return results and errors keyed by (file, row)."""
    results, errors = [], []
    for name, frame in files.items():
        ranked = scorer.score_frame(frame, explain=explain, top_reasons=3)
        for result in ranked.results():
            results.append({"source_file": name, "source_row": result["row"], **result})
        for error in ranked.errors:
            errors.append({"source_file": name, "source_row": error.row, **_fields(error)})
    reference = pd.DataFrame(results).sort_values(["source_file", "source_row"])
    return reference.reset_index(drop=True), pd.DataFrame(errors)


def _fields(error: Any) -> dict[str, Any]:
    return {"field": error.field, "value": error.value, "message": error.message}


def _read_output(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = pd.read_parquet(out / "scores").sort_values(["source_file", "source_row"])
    errors_dir = out / "errors"
    errors = pd.read_parquet(errors_dir) if any(errors_dir.iterdir()) else pd.DataFrame()
    return scores.reset_index(drop=True), errors


def _expected_rows(files: dict[str, pd.DataFrame], errors: pd.DataFrame) -> set[tuple[str, int]]:
    rejected = set(zip(errors["source_file"], errors["source_row"], strict=True))
    every = {(name, row) for name, frame in files.items() for row in range(len(frame))}
    return every - rejected


def test_batch_scores_equal_the_in_process_scorer(
    dask_client: Client,
    panel: dict[str, Any],
    model: LoadedModel,
    scorer: Scorer,
    trained_store: Any,
    tmp_path: Path,
) -> None:
    report = score_parquet_dir(
        panel["root"],
        tmp_path / "out",
        scheduler=dask_client,
        model=model,
        settings=trained_store.settings(),
        partition_rows=PARTITION_ROWS,
        progress=False,
    )
    scores, errors = _read_output(tmp_path / "out")
    reference, reference_errors = _reference(scorer, panel["files"])

    assert report.complete
    assert report.units > 2 * len(panel["files"]) - 1  # files really were cut into units
    assert report.rows_in == sum(len(f) for f in panel["files"].values())
    assert report.rows_rejected == 5
    assert report.rows_scored == len(scores) == len(reference)
    # One row per valid input row: same identities, no duplicate.
    assert not scores.duplicated(["source_file", "source_row"]).any()
    assert scores[["source_file", "source_row"]].equals(reference[["source_file", "source_row"]])
    assert scores["company_id"].tolist() == reference["company_id"].tolist()
    assert scores["fiscal_year"].tolist() == reference["fiscal_year"].tolist()
    np.testing.assert_allclose(
        scores["score"].to_numpy(float), reference["score"].to_numpy(float), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        scores["percentile"].to_numpy(float),
        reference["percentile"].to_numpy(float),
        rtol=1e-9,
        atol=1e-9,
    )
    assert scores["band"].fillna("").tolist() == reference["band"].fillna("").tolist()
    assert scores["status"].tolist() == reference["status"].tolist()
    assert set(scores["status"]) == {"candidate", "certified"}
    for scheme in reference["schemes"].iloc[0]:
        sid = scheme["scheme_id"]
        want = [next(s for s in r if s["scheme_id"] == sid) for r in reference["schemes"]]
        assert scores[f"{sid}_verdict"].astype(str).tolist() == [s["verdict"] for s in want]
        if f"{sid}_points" in scores.columns:
            points = [np.nan if s.get("points") is None else s["points"] for s in want]
            np.testing.assert_allclose(scores[f"{sid}_points"].to_numpy(float), points)

    # Bad rows: the same rows, fields and messages as the in-process validation.
    key = ["source_file", "source_row", "field"]
    got = errors.sort_values(key).reset_index(drop=True)
    want_errors = reference_errors.sort_values(key).reset_index(drop=True)
    assert got[key].astype(str).equals(want_errors[key].astype(str))
    assert got["message"].tolist() == want_errors["message"].tolist()
    assert set(got["source_file"]) == {"with_bad_rows.parquet"}
    assert got.loc[got["field"] == "province", "company_id"].notna().all()


def test_model_is_loaded_once_per_worker_not_per_partition(
    dask_client: Client, panel: dict[str, Any], model: LoadedModel, tmp_path: Path
) -> None:
    report = score_parquet_dir(
        panel["root"],
        tmp_path / "out",
        scheduler=dask_client,
        model=model,
        partition_rows=PARTITION_ROWS,
        progress=False,
    )
    assert report.units > len(report.model_loads)
    assert set(report.model_loads.values()) == {1}
    # The model leaves the workers with the run: nothing of it stays registered.
    plugins = dask_client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert not any(name.startswith("srdi-scorer") for names in plugins.values() for name in names)


def test_explain_adds_the_reasons_of_the_scorer(
    dask_client: Client, panel: dict[str, Any], model: LoadedModel, scorer: Scorer, tmp_path: Path
) -> None:
    files = {"with_bad_rows.parquet": panel["files"]["with_bad_rows.parquet"]}
    report = score_parquet_dir(
        panel["root"] / "with_bad_rows.parquet",
        tmp_path / "out",
        scheduler=dask_client,
        model=model,
        explain=True,
        top_reasons=3,
        progress=False,
    )
    scores, _ = _read_output(tmp_path / "out")
    reference, _ = _reference(scorer, files, explain=True)

    assert report.rows_scored == len(reference)
    assert scores["top_reasons"].tolist() == [reasons_text(r, 3) for r in reference["reasons"]]
    first = [r[0]["family"] if r else "" for r in reference["reasons"]]
    assert scores["reason_1_family"].fillna("").tolist() == first
    candidates = scores["status"] == "candidate"
    assert scores.loc[candidates, "top_reasons"].str.len().gt(0).all()


def test_csv_files_by_glob_keep_file_and_row(
    dask_client: Client, panel: dict[str, Any], model: LoadedModel, scorer: Scorer, tmp_path: Path
) -> None:
    bad = panel["files"]["with_bad_rows.parquet"]
    folder = tmp_path / "csv"
    folder.mkdir()
    bad.iloc[:60].to_csv(folder / "a.csv", index=False, encoding="utf-8-sig")
    bad.iloc[60:].to_csv(folder / "b.csv", index=False, encoding="gb18030")
    files = {name: read_table(folder / name) for name in ("a.csv", "b.csv")}

    report = score_parquet_dir(
        f"{folder}/*.csv",
        tmp_path / "out",
        scheduler=dask_client,
        model=model,
        progress=False,
    )
    scores, errors = _read_output(tmp_path / "out")
    reference, reference_errors = _reference(scorer, files)

    assert report.units == 2
    assert report.rows_rejected == 5 == errors.groupby(["source_file", "source_row"]).ngroups
    assert scores[["source_file", "source_row"]].equals(reference[["source_file", "source_row"]])
    np.testing.assert_allclose(scores["score"].to_numpy(float), reference["score"].to_numpy(float))
    assert sorted(zip(errors["source_file"], errors["source_row"], strict=True)) == sorted(
        zip(reference_errors["source_file"], reference_errors["source_row"], strict=True)
    )


def test_unreadable_and_all_bad_files_are_reported_and_the_others_scored(
    dask_client: Client, panel: dict[str, Any], model: LoadedModel, tmp_path: Path
) -> None:
    good = panel["files"]["fiscal_year=2025/part-0.parquet"]
    folder = tmp_path / "csv"
    folder.mkdir()
    good.to_csv(folder / "a.csv", index=False)
    (folder / "b.csv").write_text('company_id,revenue\n"unterminated,1\n', encoding="utf-8")
    all_bad = good.head(3).assign(revenue=-1.0)
    all_bad.to_csv(folder / "c.csv", index=False)

    report = score_parquet_dir(
        folder, tmp_path / "out", scheduler=dask_client, model=model, progress=False
    )
    scores, errors = _read_output(tmp_path / "out")

    assert report.complete
    assert report.unreadable == 1
    assert report.rows_scored == len(scores) == len(good)
    assert report.rows_rejected == 3
    assert set(scores["source_file"]) == {"a.csv"}
    unreadable = errors[errors["source_file"] == "b.csv"]
    assert len(unreadable) == 1 and unreadable["source_row"].isna().all()
    assert "'b.csv'" in unreadable["message"].iloc[0]
    # A partition of bad rows only is reported row by row; nothing of it is scored.
    rejected = errors[errors["source_file"] == "c.csv"]
    assert rejected["source_row"].tolist() == [0, 1, 2]
    assert set(rejected["field"]) == {"revenue"}


def test_an_earlier_run_is_kept_unless_overwrite(
    dask_client: Client, panel: dict[str, Any], model: LoadedModel, tmp_path: Path
) -> None:
    from serving.batch.output import BatchOutputError

    single = panel["root"] / "with_bad_rows.parquet"
    kwargs: dict[str, Any] = {"scheduler": dask_client, "model": model, "progress": False}
    first = score_parquet_dir(single, tmp_path / "out", **kwargs)
    with pytest.raises(BatchOutputError, match="earlier run"):
        score_parquet_dir(single, tmp_path / "out", **kwargs)
    again = score_parquet_dir(single, tmp_path / "out", overwrite=True, **kwargs)
    scores, _ = _read_output(tmp_path / "out")
    assert first.rows_scored == again.rows_scored == len(scores)


class KillOnce(WorkerPlugin):
    """Kills the worker process the first time a chosen task reaches a chosen state.

    ``executing``: the task has started, nothing is written yet. ``memory``: the task
    has written its parts and returned, but the worker dies before the scheduler can
    count the result, so the task runs again on another worker.
    """

    def __init__(self, marker: str, key_suffix: str, state: str) -> None:
        self.marker = marker
        self.key_suffix = key_suffix
        self.state = state

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        chosen = finish == self.state and str(key).endswith(self.key_suffix)
        if chosen and not os.path.exists(self.marker):
            Path(self.marker).write_text(f"killed at {key} {start}->{finish}")
            os._exit(1)


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[Client]:
    """A 2-worker cluster of its own for the tests that kill workers."""
    with local_cluster() as client:
        yield client


@pytest.mark.parametrize("state", ["executing", "memory"])
def test_worker_killed_mid_run_loses_and_duplicates_no_row(
    own_cluster: Client,
    panel: dict[str, Any],
    model: LoadedModel,
    tmp_path: Path,
    state: str,
) -> None:
    marker = tmp_path / "killed"
    own_cluster.register_plugin(KillOnce(str(marker), "-00002", state), name="kill-once")

    report = score_parquet_dir(
        panel["root"],
        tmp_path / "out",
        scheduler=own_cluster,
        model=model,
        partition_rows=PARTITION_ROWS,
        progress=False,
    )
    scores, errors = _read_output(tmp_path / "out")

    assert marker.exists(), "the worker was never killed: the test proves nothing"
    assert report.complete
    identities = list(zip(scores["source_file"], scores["source_row"], strict=True))
    assert len(identities) == len(set(identities))  # nothing twice
    assert set(identities) == _expected_rows(panel["files"], errors)  # nothing lost
    assert len(scores) == sum(len(f) for f in panel["files"].values()) - 5
    assert not any(p.name.startswith(".") for p in (tmp_path / "out" / "scores").iterdir())
    # The worker that replaced the dead one loaded the model once, like the others.
    assert set(report.model_loads.values()) == {1}


def test_score_batch_command_uses_the_champion_and_the_scheduler(
    dask_client: Client, panel: dict[str, Any], trained_store: Any, tmp_path: Path
) -> None:
    address = dask_client.scheduler.address
    result = CliRunner().invoke(
        build_app(),
        [
            "score-batch",
            str(panel["root"]),
            "-o",
            str(tmp_path / "out"),
            "--scheduler",
            address,
            "--partition-rows",
            str(PARTITION_ROWS),
        ],
        env=trained_store.env(),
    )
    assert result.exit_code == 0, result.output
    scores, _ = _read_output(tmp_path / "out")
    assert len(scores) == sum(len(f) for f in panel["files"].values()) - 5
    assert set(scores["model_version"]) == {trained_store.model_version}
    assert "5 bad rows" in result.output

    again = CliRunner().invoke(
        build_app(),
        ["score-batch", str(panel["root"]), "-o", str(tmp_path / "out"), "--scheduler", address],
        env=trained_store.env(),
    )
    assert again.exit_code == 2
    assert "--overwrite" in again.output
