"""The page's screen store: what a firm's detail reads back, sessions, budgets, expiry."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

from serving.page.session import firm_detail
from serving.page.store import ScreenStore, ScreenTooLargeError
from serving.scoring.scorer import RankedScores, Scorer
from tests.support.api import fit_bundle, make_records


@pytest.fixture(scope="module")
def ranked() -> RankedScores:
    records = make_records(120, seed=11)
    scorer = Scorer(fit_bundle(records, seed=11), model_name="srdi-potential", model_version="7")
    frame = pd.DataFrame.from_records(records[:40])
    frame.loc[3, "export_share"] = 2.0  # one bad row: not kept, not found
    return scorer.score_frame(frame, explain=True)


def _store(directory: Path, **budgets: int) -> ScreenStore:
    values = {"max_session_bytes": 10**9, "max_total_bytes": 10**9, **budgets}
    return ScreenStore(directory, ttl_s=60.0, **values)


def test_a_kept_firm_scores_as_in_the_ranking(ranked: RankedScores, tmp_path: Path) -> None:
    store = _store(tmp_path)
    token = store.put("session-a", ranked)
    for expected in ranked.results()[:5] + ranked.results()[-3:]:
        firm = store.get("session-a", token, expected["row"])
        assert firm is not None and firm.model == {"name": "srdi-potential", "version": "7"}
        detail = firm_detail(ranked.scorer, firm, top_reasons=ranked.top_reasons)
        assert detail == expected
    assert store.get("session-a", token, 3) is None  # refused by validation
    with pytest.raises(KeyError):
        store.get("session-b", token, 0)
    for forged in ("../../etc/passwd", token[:-1], token + "A"):
        with pytest.raises(KeyError):
            store.get("session-a", forged, 0)


def test_screens_expire_and_an_oversized_one_is_not_kept(
    ranked: RankedScores, tmp_path: Path
) -> None:
    store = _store(tmp_path)
    old = store.put("s", ranked)
    (path,) = tmp_path.glob(f"*{old}.arrow")
    stale = time.time() - 120
    os.utime(path, (stale, stale))
    with pytest.raises(KeyError):
        store.get("s", old, 0)
    assert not path.exists()

    tiny = _store(tmp_path / "tiny", max_session_bytes=1_024)
    with pytest.raises(ScreenTooLargeError, match="SRDI_MAX_SCREEN_BYTES_PER_SESSION"):
        tiny.put("s", ranked)
    assert [p.name for p in (tmp_path / "tiny").iterdir()] == []  # not even a temporary
