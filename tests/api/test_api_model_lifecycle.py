"""Model lifecycle: the holder's atomic swap, refused bundles, the alias watch, coalescing."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from features.validate import validate_record
from serving.api.errors import ModelUnavailableError
from serving.scoring.coalesce import RecordCoalescer
from serving.scoring.model_holder import NOT_LOADED, ModelHolder, watch_champion
from serving.scoring.scorer import Scorer
from srdi.core.bundle import BundleMismatchError, ModelBundle
from tests.support.api import NO_CHAMPION, ListProvider


@pytest.fixture(scope="module")
def scorer_v2(other_bundle: ModelBundle) -> Scorer:
    return Scorer(other_bundle, model_name="srdi-potential", model_version="2")


def test_nothing_is_served_before_the_first_load(scorer: Scorer) -> None:
    holder = ModelHolder(ListProvider(scorer))
    assert not holder.ready and holder.serving_version is None
    with pytest.raises(ModelUnavailableError, match=NOT_LOADED):
        holder.current()


def test_no_champion_leaves_the_holder_unready_with_the_how_to(scorer: Scorer) -> None:
    holder = ModelHolder(ListProvider(fail_with=NO_CHAMPION))
    outcome = holder.reload()
    assert not outcome.swapped and outcome.model is None
    assert not holder.ready
    with pytest.raises(ModelUnavailableError, match=r"make train.*srdi train --data DIR"):
        holder.current()


def test_reload_swaps_and_reports_both_versions(scorer: Scorer, scorer_v2: Scorer) -> None:
    holder = ModelHolder(ListProvider(scorer, scorer_v2))
    first = holder.reload()
    assert first.swapped and first.model == {"name": "srdi-potential", "version": "1"}
    assert first.previous is None
    taken = holder.current()
    second = holder.reload()
    assert second.swapped and second.model["version"] == "2" and second.previous["version"] == "1"
    # A request that took the old scorer keeps it; new requests get the new one.
    assert taken is scorer and holder.current() is scorer_v2
    assert holder.problem is None


def test_a_refused_bundle_keeps_the_old_model_and_says_why(scorer: Scorer) -> None:
    provider = ListProvider(scorer)
    holder = ModelHolder(provider)
    holder.reload()
    provider.fail_with = BundleMismatchError(
        "model bundle /x does not match this code: rule-table versions differ"
    )
    outcome = holder.reload()
    assert not outcome.swapped
    assert holder.current() is scorer
    assert holder.problem is not None and "refused" in holder.problem
    assert "rule-table versions differ" in holder.problem


def test_a_refused_bundle_at_start_up_is_reported(scorer: Scorer) -> None:
    mismatch = BundleMismatchError("feature list differs from the code (missing ['roe'])")
    holder = ModelHolder(ListProvider(fail_with=mismatch))
    holder.reload()
    with pytest.raises(ModelUnavailableError, match=r"refused.*missing \['roe'\]"):
        holder.current()


def test_the_alias_watch_reloads_when_the_champion_moves(scorer: Scorer, scorer_v2: Scorer) -> None:
    provider = ListProvider(scorer, scorer_v2)
    holder = ModelHolder(provider)
    holder.reload()

    async def watch_briefly() -> None:
        task = asyncio.create_task(watch_champion(holder, 0.01))
        for _ in range(300):
            await asyncio.sleep(0.01)
            if holder.serving_version == "2":
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(watch_briefly())
    assert holder.serving_version == "2"


def test_concurrent_records_are_scored_in_one_call(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    coalescer = RecordCoalescer()
    sample = records[:12]

    async def score_all() -> list[dict[str, Any]]:
        return await asyncio.gather(
            *(
                coalescer.score(scorer, validate_record(r), explain=True, top_reasons=5)
                for r in sample
            )
        )

    together = asyncio.run(score_all())
    assert coalescer.calls == 1 and coalescer.records == 12
    alone = [scorer.score_record(r) for r in sample]
    assert orjson.dumps(together) == orjson.dumps(alone)


def test_coalescing_keeps_models_and_options_apart(
    scorer: Scorer, scorer_v2: Scorer, records: list[dict[str, Any]]
) -> None:
    coalescer = RecordCoalescer(max_batch=3)
    columns = [validate_record(r) for r in records[:8]]

    async def score_all() -> list[dict[str, Any]]:
        calls = [coalescer.score(scorer, c, explain=False, top_reasons=5) for c in columns[:4]]
        calls += [coalescer.score(scorer_v2, c, explain=False, top_reasons=5) for c in columns[4:6]]
        calls += [coalescer.score(scorer, c, explain=True, top_reasons=2) for c in columns[6:]]
        return await asyncio.gather(*calls)

    results = asyncio.run(score_all())
    # 4 records in batches of at most 3, then one call per other model and options.
    assert coalescer.calls == 4
    assert [r["model"]["version"] for r in results] == ["1"] * 4 + ["2"] * 2 + ["1"] * 2
    assert all(r["reasons"] == [] for r in results[:6])
    assert all(
        1 <= len([x for x in r["reasons"] if x["family"] != "unreported"]) <= 2 for r in results[6:]
    )
    assert results[4]["score"] == scorer_v2.score_record(records[4])["score"]


def test_a_failing_call_fails_each_waiting_request(records: list[dict[str, Any]]) -> None:
    class Broken:
        def score_columns(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            raise RuntimeError("scoring failed")

    coalescer = RecordCoalescer()
    broken: Any = Broken()

    async def score_all() -> list[Any]:
        calls = [
            coalescer.score(broken, validate_record(r), explain=False, top_reasons=1)
            for r in records[:3]
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = asyncio.run(score_all())
    assert [str(o) for o in outcomes] == ["scoring failed"] * 3


def test_an_unreadable_bundle_or_registry_does_not_stop_the_service(scorer: Scorer) -> None:
    holder = ModelHolder(ListProvider(fail_with=OSError("connection refused by the registry")))
    outcome = holder.reload()
    assert not outcome.swapped and not holder.ready
    with pytest.raises(ModelUnavailableError, match="OSError: connection refused"):
        holder.current()
