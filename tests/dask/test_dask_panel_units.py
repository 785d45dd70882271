"""Planning batch units: every input row lands in exactly one unit, with its identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.batch.output import (
    ERRORS_DIR,
    SCORES_DIR,
    BatchOutputError,
    prepare_output,
    remove_temporaries,
    write_part,
)
from srdi.core.panel_units import (
    PanelInputError,
    _slices,
    plan_units,
    read_unit,
    unit_source_rows,
)


def _write(path: Path, rows: range, row_group_size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {"company_id": [f"c{i}" for i in rows], "revenue": np.asarray(rows, dtype=float)}
    )
    pq.write_table(pa.Table.from_pandas(frame), path, row_group_size=row_group_size)


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=50), min_size=0, max_size=12),
    target=st.integers(min_value=1, max_value=30),
)
def test_slices_cover_every_row_once_in_order(sizes: list[int], target: int) -> None:
    covered: list[int] = []
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    for row_groups, offset, length, first_row in _slices(sizes, target):
        rows = np.concatenate([np.arange(starts[g], starts[g + 1]) for g in row_groups])
        rows = rows[offset:] if length is None else rows[offset : offset + length]
        assert rows.size == 0 or rows[0] == first_row
        covered.extend(rows.tolist())
    assert covered == list(range(sum(sizes)))


def test_slices_bound_unit_size_unless_one_group_is_already_bigger() -> None:
    sizes = [10, 10, 10, 95, 10, 10]
    units = _slices(sizes, 25)
    lengths = []
    for groups, offset, length, _ in units:
        read = sum(sizes[g] for g in groups)
        lengths.append(read - offset if length is None else length)
    assert sum(lengths) == sum(sizes)
    assert max(lengths) <= 2 * 25
    # The 95-row group is sliced into partition-sized pieces, not read as one unit.
    assert [length for (groups, _, length, _) in units if groups == (3,)] == [25, 25, 25, 20]


def test_plan_reads_hive_folder_with_identity_and_partition_keys(tmp_path: Path) -> None:
    _write(tmp_path / "panel" / "fiscal_year=2024" / "a.parquet", range(0, 70), 10)
    _write(tmp_path / "panel" / "fiscal_year=2025" / "b.parquet", range(70, 95), 25)
    (tmp_path / "panel" / "_SUCCESS").write_text("")
    (tmp_path / "panel" / ".hidden.parquet").write_text("not parquet")

    units = plan_units(tmp_path / "panel", partition_rows=30)

    assert [u.index for u in units] == list(range(len(units)))
    frames = []
    for unit in units:
        frame = read_unit(unit, contract_columns_only=False)
        frame["source_file"] = unit.source_file
        frame["source_row"] = unit_source_rows(unit, len(frame))
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    assert rows["company_id"].tolist() == [f"c{i}" for i in range(95)]
    assert set(rows["source_file"]) == {"fiscal_year=2024/a.parquet", "fiscal_year=2025/b.parquet"}
    in_a = rows["source_file"] == "fiscal_year=2024/a.parquet"
    assert rows.loc[in_a, "source_row"].tolist() == list(range(70))
    assert rows.loc[~in_a, "source_row"].tolist() == list(range(25))
    assert rows.loc[in_a, "fiscal_year"].unique().tolist() == [2024]
    assert rows.loc[~in_a, "fiscal_year"].unique().tolist() == [2025]


def test_plan_prefers_the_synth_panel_file(tmp_path: Path) -> None:
    _write(tmp_path / "world" / "financials.parquet", range(5), 5)
    _write(tmp_path / "world" / "certifications.parquet", range(3), 5)
    units = plan_units(tmp_path / "world", partition_rows=100)
    assert [u.source_file for u in units] == ["financials.parquet"]


def test_plan_glob_of_csv_files_one_unit_per_file(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv", "notes.md"):
        (tmp_path / name).write_text("company_id,revenue\nx,1\n", encoding="utf-8")
    units = plan_units(f"{tmp_path}/*.csv", partition_rows=10)
    assert [(u.source_file, u.fmt) for u in units] == [("a.csv", "csv"), ("b.csv", "csv")]


@pytest.mark.parametrize("target", ["missing-folder", "empty", "*.parquet"])
def test_plan_refuses_input_without_rows(tmp_path: Path, target: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(PanelInputError, match=r"no Parquet or CSV|does not exist"):
        plan_units(f"{tmp_path}/{target}", partition_rows=10)


def test_plan_names_the_file_with_a_broken_footer(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(PanelInputError, match=r"broken\.parquet"):
        plan_units(tmp_path, partition_rows=10)


def test_write_part_replaces_instead_of_duplicating(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    prepare_output(out, overwrite=False)
    first = pd.DataFrame({"company_id": ["a", "b"], "score": [0.1, 0.2]})
    write_part(first, out, SCORES_DIR, 3)
    write_part(first, out, SCORES_DIR, 3)  # a retried task writes its part again

    files = sorted(p.name for p in (tmp_path / "out" / SCORES_DIR).iterdir())
    assert files == ["part-00003.parquet"]
    assert pd.read_parquet(tmp_path / "out" / SCORES_DIR)["company_id"].tolist() == ["a", "b"]


def test_prepare_output_refuses_a_previous_run_unless_overwrite(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    prepare_output(out, overwrite=False)
    write_part(pd.DataFrame({"x": [1]}), out, ERRORS_DIR, 0)
    with pytest.raises(BatchOutputError, match="already holds 1 file"):
        prepare_output(out, overwrite=False)
    prepare_output(out, overwrite=True)
    assert list((tmp_path / "out" / ERRORS_DIR).iterdir()) == []


def test_remove_temporaries_keeps_finished_parts(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    prepare_output(out, overwrite=False)
    write_part(pd.DataFrame({"x": [1]}), out, SCORES_DIR, 0)
    (tmp_path / "out" / SCORES_DIR / ".tmp-dead-part-00001.parquet").write_bytes(b"partial")
    assert remove_temporaries(out) == 1
    assert [p.name for p in (tmp_path / "out" / SCORES_DIR).iterdir()] == ["part-00000.parquet"]


def test_parts_with_empty_text_columns_read_as_one_dataset(tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    prepare_output(out, overwrite=False)
    known = pd.DataFrame({"source_row": [0], "field": ["revenue"], "value": pd.array([1.5])})
    unknown = pd.DataFrame({"source_row": [None], "field": [None], "value": pd.array([None])})
    write_part(unknown, out, ERRORS_DIR, 0)  # first part: the column would be typed null
    write_part(known, out, ERRORS_DIR, 1)

    both = pd.read_parquet(tmp_path / "out" / ERRORS_DIR)
    assert both["field"].tolist()[1] == "revenue"
    assert pd.isna(both["field"].tolist()[0])
