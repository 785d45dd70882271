"""The batch part's scores, scheme columns and Parquet layout, without a cluster.

``candidate_scores`` runs the model on candidates only; its arrays must equal
``Scorer.score_arrays`` on every row, certified firms included.

``scheme_columns`` builds the scheme columns of a scores part from the verdict codes;
they must be ``summary_frame``'s columns exactly (names, order, values, missing
points as null). A written part reads back as the table it was given, with text
typed ``string`` and statistics on the numbers readers filter on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.rules import evaluate_schemes
from features.validate import validate_frame
from serving.batch.output import SCORES_DIR, prepare_output, write_part
from serving.batch.table import candidate_scores, scheme_columns
from serving.scoring.scorer import Scorer
from srdi.core.bundle import load_registered_bundle
from tests.support.frames import firm_years


def _columns(n: int = 400) -> dict[str, np.ndarray]:
    frame = firm_years(n, seed=11)
    # Unknown inputs make undetermined verdicts and unknown points.
    frame.loc[frame.index[::7], ["rd_expense", "employees", "export_share"]] = np.nan
    validated = validate_frame(frame)
    assert validated.errors == []
    return dict(validated.columns)


def test_scheme_columns_are_the_summary_frames_columns() -> None:
    evaluation = evaluate_schemes(_columns())
    summary = evaluation.summary_frame().drop(columns=["company_id", "fiscal_year"])
    built = scheme_columns(evaluation)
    assert list(built) == list(summary.columns)
    verdicts = set()
    for name, values in built.items():
        expected = summary[name].to_numpy()
        if isinstance(summary[name].dtype, pd.Int64Dtype):  # whole numbers: years
            assert values.type == pa.int64(), name
            want = [None if pd.isna(v) else int(v) for v in summary[name]]
            assert values.to_pylist() == want, name
        elif name.endswith("_verdict") or expected.dtype == object:
            assert values.type == pa.string(), name
            assert values.to_pylist() == expected.tolist(), name
            verdicts.update(values.to_pylist())
        else:
            assert values.type == pa.float64(), name
            got = values.to_numpy(zero_copy_only=False)
            np.testing.assert_array_equal(got, expected, err_msg=name)
            assert values.null_count == int(np.isnan(expected).sum()), name
    # The sample reaches several verdicts, so the code → label lookup is exercised.
    assert {"eligible", "not_eligible", "undetermined"} <= verdicts


def test_a_part_reads_back_as_written_with_numeric_statistics(tmp_path: Path) -> None:
    evaluation = evaluate_schemes(_columns(120))
    table = pa.table(
        {
            "company_id": pa.array([f"id-{i}" for i in range(120)]),
            "score": pa.array(np.linspace(0, 1, 120)),
            **scheme_columns(evaluation),
        }
    )
    prepare_output(str(tmp_path), overwrite=False)
    path = write_part(table, str(tmp_path), SCORES_DIR, 4)
    assert Path(path).name == "part-00004.parquet"
    read = pq.read_table(path)
    assert read.equals(table)
    metadata = pq.ParquetFile(path).metadata.row_group(0)
    by_name = {
        metadata.column(j).path_in_schema: metadata.column(j) for j in range(len(table.schema))
    }
    assert by_name["score"].is_stats_set
    assert by_name["score"].statistics.min == 0.0 and by_name["score"].statistics.max == 1.0
    # Verdicts repeat a few labels: dictionary pages. Ids are all distinct: plain.
    assert "RLE_DICTIONARY" in by_name["cn_srdi_sme_verdict"].encodings
    assert "RLE_DICTIONARY" not in by_name["company_id"].encodings


def test_a_frame_part_is_still_written_as_before(tmp_path: Path) -> None:
    frame = pd.DataFrame({"field": [None, None], "value": ["a", "b"], "n": [1, 2]})
    prepare_output(str(tmp_path), overwrite=False)
    path = write_part(frame, str(tmp_path), SCORES_DIR, 0)
    read = pq.read_table(path)
    assert read.schema.field("field").type == pa.string()  # typed, though all missing
    assert read.column("value").to_pylist() == ["a", "b"]
    assert read.column("n").to_pylist() == [1, 2]


@pytest.fixture(scope="module")
def scorer(trained_store: Any) -> Scorer:
    """The session's registered champion (tests/conftest.py) as a scorer."""
    settings = trained_store.settings()
    return Scorer.from_loaded(load_registered_bundle(settings), settings=settings)


@pytest.mark.parametrize("certified_share", [0.0, 0.3, 1.0])
def test_candidate_scores_equal_score_arrays(scorer: Scorer, certified_share: float) -> None:
    columns = _columns(300)
    rng = np.random.default_rng(5)
    tiers = np.where(rng.random(300) < certified_share, "little_giant", "none").astype(object)
    columns["current_tier"] = tiers
    expected = scorer.score_arrays(columns)
    got = candidate_scores(scorer, columns)
    np.testing.assert_array_equal(got.certified, expected.certified)
    assert int(got.certified.sum()) == int((tiers == "little_giant").sum())
    np.testing.assert_array_equal(got.score, expected.score)
    np.testing.assert_array_equal(got.percentile, expected.percentile)
    assert got.band.tolist() == expected.band.tolist()
    if certified_share < 1.0:
        assert np.isfinite(got.score).any()
