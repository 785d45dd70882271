"""The scorer: one code path for a record, a batch and a file, with the same numbers."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.rules import evaluate_schemes, schemes_json
from features.validate import RecordValidationError, validate_frame, validate_record
from serving.scoring.scorer import Scorer
from srdi.core.bundle import ModelBundle

RESULT_KEYS = {
    "company_id",
    "name",
    "fiscal_year",
    "province",
    "industry",
    "status",
    "score",
    "percentile",
    "band",
    "coverage",
    "thin_data",
    "reasons",
    "schemes",
    "model",
    "next_step",
    "scores",
}


def by_id(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["company_id"]: r for r in results}


def test_a_record_gets_the_full_score_result(scorer: Scorer, records: list[dict[str, Any]]) -> None:
    candidate = next(r for r in records if r["current_tier"] == "none")
    result = scorer.score_record(candidate)

    assert set(result) == RESULT_KEYS
    assert result["status"] == "candidate"
    assert 0.0 < result["score"] < 1.0
    assert 0.0 <= result["percentile"] <= 100.0
    expected_band = (
        "A"
        if result["percentile"] >= 95
        else "B"
        if result["percentile"] >= 80
        else ("C" if result["percentile"] >= 50 else "D")
    )
    assert result["band"] == expected_band
    assert result["model"] == {"name": "srdi-potential", "version": "1"}
    assert result["province"] == candidate["province"]
    assert result["fiscal_year"] == candidate["fiscal_year"]
    told = [r for r in result["reasons"] if r["family"] != "unreported"]
    assert 1 <= len(told) <= 5 and len(result["reasons"]) - len(told) <= 1
    assert 0.0 <= result["coverage"] <= 1.0
    assert result["thin_data"] is (result["coverage"] < 0.6)
    assert [s["scheme_id"] for s in result["schemes"]] == list(
        evaluate_schemes(validate_record(candidate)).scheme_ids
    )


def test_reasons_add_up_to_the_margin(
    scorer: Scorer, bundle: ModelBundle, records: list[dict[str, Any]]
) -> None:
    candidate = next(r for r in records if r["current_tier"] == "none")
    result = scorer.score_record(candidate, top_reasons=10)
    X = bundle.transform(validate_record(candidate))
    margin = bundle.raw_margin(X)[0]
    bias = bundle.contributions(X)[0, -1]
    # Every family with a contribution is listed when asking for all ten.
    assert sum(r["contribution"] for r in result["reasons"]) == pytest.approx(margin - bias)
    assert bundle.calibrator.transform(np.array([margin]))[0] == pytest.approx(result["score"])


def test_a_certified_firm_is_reported_not_scored(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    holder = next(r for r in records if r["current_tier"] == "srdi_sme")
    result = scorer.score_record(holder)
    assert result["status"] == "certified"
    assert result["score"] is None and result["percentile"] is None and result["band"] is None
    assert result["reasons"] == []
    srdi = next(s for s in result["schemes"] if s["scheme_id"] == "cn_srdi_sme")
    assert srdi["verdict"] == "certified"


def test_explain_and_schemes_can_be_skipped(scorer: Scorer, records: list[dict[str, Any]]) -> None:
    full = scorer.score_record(records[0])
    bare = scorer.score_record(records[0], explain=False, schemes=False)
    assert bare["reasons"] == [] and bare["schemes"] == []
    assert bare["score"] == full["score"] and bare["percentile"] == full["percentile"]


def test_an_invalid_record_names_field_and_rule(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    bad = {**records[0], "main_business_revenue": records[0]["revenue"] * 2}
    with pytest.raises(RecordValidationError, match=r"main_business_revenue .* exceeds revenue"):
        scorer.score_record(bad)


def test_record_batch_and_frame_give_the_same_numbers(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    sample = records[:60]
    single = [scorer.score_record(r) for r in sample]
    batch = scorer.score_records(sample)
    frame = by_id(scorer.score_frame(pd.DataFrame(sample), explain=True).results())
    assert [r["index"] for r in batch.results] == list(range(60))
    for one, many in zip(single, batch.results, strict=True):
        ranked = frame[one["company_id"]]
        assert many["score"] == one["score"] == ranked["score"]
        assert many["percentile"] == one["percentile"] == ranked["percentile"]
        assert orjson.dumps(many["reasons"]) == orjson.dumps(one["reasons"])
        assert orjson.dumps(ranked["schemes"]) == orjson.dumps(one["schemes"])


def test_a_batch_keeps_input_order_and_reports_bad_records(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    bad_share = {**records[1], "export_share": 1.7}
    missing = {k: v for k, v in records[3].items() if k != "revenue"}
    batch = scorer.score_records([records[0], bad_share, records[2], missing, records[4]])

    assert [r["index"] for r in batch.results] == [0, 2, 4]
    assert [r["company_id"] for r in batch.results] == [
        records[0]["company_id"],
        records[2]["company_id"],
        records[4]["company_id"],
    ]
    assert batch.n_refused == 2
    assert {(e["index"], e["field"]) for e in batch.errors} == {(1, "export_share"), (3, "revenue")}
    assert all(e["message"] for e in batch.errors)


def test_an_empty_batch_is_fine(scorer: Scorer) -> None:
    batch = scorer.score_records([])
    assert batch.results == [] and batch.errors == [] and batch.n_refused == 0


def test_the_ranking_puts_candidates_by_score_then_certified_firms(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    frame = pd.DataFrame(records[:120])
    frame["revenue"] = frame["revenue"].astype(object)
    frame.loc[7, "revenue"] = "not a number"
    ranked = scorer.score_frame(frame, explain=False)
    results = ranked.results()

    assert ranked.n_rows == 120 and ranked.n_scored == 119
    assert [e.row for e in ranked.errors] == [7] and ranked.errors[0].field == "revenue"
    candidates = [r for r in results if r["status"] == "candidate"]
    certified = [r for r in results if r["status"] == "certified"]
    assert results == candidates + certified
    assert [r["rank"] for r in candidates] == list(range(1, len(candidates) + 1))
    scores = [r["score"] for r in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(r["rank"] is None for r in certified)
    assert [r["row"] for r in certified] == sorted(r["row"] for r in certified)
    # Each result points back at its own row of the file.
    for result in results:
        assert records[result["row"]]["company_id"] == result["company_id"]


@settings(max_examples=8, deadline=None)
@given(chunk_rows=st.integers(1, 70), seed=st.integers(0, 1000))
def test_chunking_and_row_order_do_not_change_the_ranking(
    scorer: Scorer, records: list[dict[str, Any]], chunk_rows: int, seed: int
) -> None:
    sample = pd.DataFrame(records[:70])
    reference = scorer.score_frame(sample, explain=False, chunk_rows=1000).results()
    shuffled = sample.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    again = scorer.score_frame(shuffled, explain=False, chunk_rows=chunk_rows).results()
    assert len(again) == len(reference)
    scores = by_id(reference)
    for result in again:
        assert result["score"] == scores[result["company_id"]]["score"]
    # Ties aside, the order of candidates is the same.
    ref_scores = [r["score"] for r in reference]
    assert [r["score"] for r in again] == ref_scores


def test_blocks_cover_every_row_once(scorer: Scorer, records: list[dict[str, Any]]) -> None:
    ranked = scorer.score_frame(pd.DataFrame(records[:50]), explain=False)
    blocks = list(ranked.iter_blocks(block_rows=7))
    assert [len(b) for b in blocks] == [7] * 7 + [1]
    rows = [r["row"] for block in blocks for r in block]
    assert sorted(rows) == list(range(50))


def test_scheme_json_equals_the_rule_engines_firm_view(records: list[dict[str, Any]]) -> None:
    validated = validate_frame(pd.DataFrame(records[:80]))
    evaluation = evaluate_schemes(validated.columns)
    fast = schemes_json(validated.columns)
    assert len(fast) == evaluation.n_rows
    for i in range(evaluation.n_rows):
        # orjson renders NaN as null on both sides, so the JSON bytes compare exactly.
        assert orjson.dumps(fast[i]) == orjson.dumps(evaluation.firm(i))


def test_describe_reports_the_model(scorer: Scorer, bundle: ModelBundle) -> None:
    description = scorer.describe()
    assert description["name"] == "srdi-potential" and description["version"] == "1"
    assert description["target"] == "srdi_sme" and description["horizon"] == 2
    assert description["trained_at"] == "2026-01-01T00:00:00+00:00"
    assert description["metrics"] == {"test_roc_auc": 0.9}
    assert [f["name"] for f in description["features"]] == bundle.feature_names
    assert all(f["family_label"] and f["label"] for f in description["features"])
    assert description["ruleset_versions"] == bundle.ruleset_versions


def test_an_empty_table_ranks_to_nothing(scorer: Scorer, records: list[dict[str, Any]]) -> None:
    ranked = scorer.score_frame(pd.DataFrame(records[:0]))
    assert ranked.results() == [] and ranked.errors == []
    assert ranked.n_rows == 0 and ranked.n_scored == 0


def test_a_model_for_an_unknown_tier_is_refused(bundle: ModelBundle) -> None:
    from dataclasses import replace

    odd = replace(bundle, target="platinum")
    with pytest.raises(ValueError, match="target 'platinum' is unknown"):
        Scorer(odd, model_name="srdi-potential", model_version="9")
