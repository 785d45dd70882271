"""File screening: the fast flat path equals the full score results, row for row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.formats import input_format
from serving.page.export import export_frame
from serving.page.ranked_rows import iter_ranked_blocks
from serving.page.screen_file import count_data_rows, screen_file
from serving.scoring.scorer import Scorer
from srdi.core.bundle import load_registered_bundle

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "serving" / "page" / "sample_data"
SAMPLE = SAMPLE_DIR / "candidates.csv"
GBK_SAMPLE = SAMPLE_DIR / "candidates_gbk.csv"


@pytest.fixture(scope="module")
def scorer(trained_store) -> Scorer:
    settings = trained_store.settings()
    return Scorer.from_loaded(load_registered_bundle(settings), settings=settings)


@pytest.mark.slow
def test_flat_export_equals_the_full_results(scorer) -> None:
    frame = pd.read_csv(SAMPLE, dtype={"company_id": "string"})
    ranked = scorer.score_frame(frame, explain=True, top_reasons=3)
    expected = export_frame(ranked.results())

    screened = screen_file(scorer, SAMPLE)

    pd.testing.assert_frame_equal(screened.ranking, expected)
    assert screened.n_rows == screened.n_scored == 400
    assert screened.errors.empty


@pytest.mark.slow
def test_blocks_cover_every_firm_once_in_rank_order(scorer) -> None:
    frame = pd.read_csv(SAMPLE, dtype={"company_id": "string"}).head(130)
    ranked = scorer.score_frame(frame, explain=True)
    blocks = list(iter_ranked_blocks(ranked, block_rows=50))
    assert [len(b.results) for b in blocks] == [50, 50, 30]
    rows = [r["row"] for b in blocks for r in b.results]
    assert sorted(rows) == list(range(130))
    ranks = [r["rank"] for b in blocks for r in b.results if r["rank"] is not None]
    assert ranks == list(range(1, len(ranks) + 1))
    assert all(len(v) == len(b.results) for b in blocks for v in b.verdicts.values())
    with pytest.raises(ValueError, match="block_rows"):
        next(iter_ranked_blocks(ranked, block_rows=0))


@pytest.mark.slow
def test_progress_reports_rows_read_and_explained(scorer) -> None:
    seen: dict[str, int] = {}

    def progress(phase: str, n: int) -> None:
        seen[phase] = seen.get(phase, 0) + n

    screened = screen_file(
        scorer, GBK_SAMPLE, column_map={"技术人员数": "rd_staff"}, chunk_rows=25, progress=progress
    )
    assert seen == {"scored": 63, "explained": 60}
    assert screened.n_bad_rows == 3


def test_row_counts_for_the_progress_bar(tmp_path) -> None:
    assert count_data_rows(SAMPLE) == 400
    assert count_data_rows(GBK_SAMPLE) == 63
    frame = pd.read_csv(SAMPLE).head(7)
    frame.to_parquet(tmp_path / "c.parquet")
    frame.to_excel(tmp_path / "c.xlsx", index=False)
    assert count_data_rows(tmp_path / "c.parquet") == 7
    assert count_data_rows(tmp_path / "c.xlsx") == 7
    (tmp_path / "no-newline.csv").write_text("a,b\n1,2\n3,4", encoding="utf-8")
    assert count_data_rows(tmp_path / "no-newline.csv") == 2
    assert count_data_rows(tmp_path / "missing.csv") is None


def test_input_format_names_the_accepted_extensions() -> None:
    assert input_format("x.CSV") == "csv"
    assert input_format("x.pq") == "parquet"
    with pytest.raises(ValueError, match=r"\.csv .*\.xlsx or \.parquet"):
        input_format("x.json")
