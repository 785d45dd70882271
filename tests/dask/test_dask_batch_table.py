"""The batch part's scores, scheme columns and Parquet layout, without a cluster.

``Scorer.steps`` derives features only for the firms some model asks about; each
question's numbers must equal those of the firms it asks, scored alone.

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

from features.columns import take_rows
from features.rules import evaluate_schemes
from features.validate import validate_frame
from serving.batch.output import SCORES_DIR, prepare_output, write_part
from serving.batch.table import scheme_columns
from serving.scoring.model_holder import RegistryModelProvider
from serving.scoring.scorer import Scorer
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
    """The session's registered champions (tests/conftest.py) as one scorer."""
    return RegistryModelProvider(trained_store.settings()).load()


@pytest.mark.parametrize("quiet_share", [0.0, 0.3, 1.0])
def test_steps_of_a_mix_equal_each_question_on_its_own_firms(
    scorer: Scorer, quiet_share: float
) -> None:
    columns = _columns(300)
    rng = np.random.default_rng(5)
    # Little Giants with no re-review due: no question asks about them.
    quiet = rng.random(300) < quiet_share
    rungs = np.array(["none", "srdi_sme", "little_giant"], dtype=object)[np.arange(300) % 3]
    columns["current_tier"] = np.where(quiet, "little_giant", rungs).astype(object)
    columns["tier_since"] = np.where(quiet, columns["fiscal_year"], columns["fiscal_year"] - 2)
    steps = scorer.steps(columns)
    assert set(steps.served) == {"srdi_sme", "little_giant", "retention"}
    assert int(scorer.certified_mask(columns).sum()) == int(quiet.sum())
    for target, numbers in steps.scores.items():
        asked = np.flatnonzero(steps.asked[target])
        np.testing.assert_array_equal(np.isnan(numbers.score), ~steps.asked[target])
        if asked.size:
            alone = scorer.steps(take_rows(columns, asked)).scores[target]
            np.testing.assert_array_equal(numbers.score[asked], alone.score)
            assert numbers.band[asked].tolist() == alone.band.tolist()
    top = steps.top()
    assert np.isnan(top.score[quiet]).all()
    if quiet_share < 1.0:
        assert np.isfinite(top.score).any()
