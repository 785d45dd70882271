"""One response for every firm: its rung, its next step and every question that asks.

The three models here are small real bundles fitted on the same random records (each
labelled with its own target); what is tested is how the scorer composes them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.validate import validate_record
from serving.scoring.scorer import Scorer
from serving.scoring.target import TargetModel
from srdi.core.bundle import ModelBundle
from tests.support.api import ListProvider, fit_bundle, ladder_scorer, make_records

TARGETS = ("srdi_sme", "little_giant", "retention")


@pytest.fixture(scope="module")
def bundles(records: list[dict[str, Any]]) -> dict[str, ModelBundle]:
    return {
        target: fit_bundle(records, seed=seed, target=target)
        for seed, target in enumerate(TARGETS, start=1)
    }


@pytest.fixture(scope="module")
def ladder(bundles: dict[str, ModelBundle]) -> Scorer:
    return ladder_scorer(bundles)


def firm(**overrides: Any) -> dict[str, Any]:
    """A record of fiscal year 2024 with the given tier fields."""
    base = make_records(1, seed=9)[0]
    base.update(fiscal_year=2024, company_id=overrides.pop("company_id", "F1"))
    return {**base, **overrides}


RUNGS = {
    "none": firm(current_tier="none"),
    "innovative": firm(current_tier="innovative_sme", tier_since=2023),
    "provincial due": firm(current_tier="srdi_sme", tier_since=2023),  # re-review 2026
    "provincial later": firm(current_tier="srdi_sme", tier_since=2024),  # re-review 2027
    "giant due": firm(current_tier="little_giant", tier_since=2022),  # re-review 2025
    "giant later": firm(current_tier="little_giant", tier_since=2024),
    "giant unknown": firm(current_tier="little_giant"),
}
EXPECTED = {
    # name: (next step, questions asked, status)
    "none": ("srdi_sme", {"srdi_sme"}, "candidate"),
    "innovative": ("srdi_sme", {"srdi_sme"}, "candidate"),
    "provincial due": ("little_giant", {"little_giant", "retention"}, "candidate"),
    "provincial later": ("little_giant", {"little_giant"}, "candidate"),
    "giant due": ("retention", {"retention"}, "candidate"),
    "giant later": ("retention", set(), "certified"),
    "giant unknown": ("retention", {"retention"}, "candidate"),
}


@pytest.mark.parametrize("name", sorted(RUNGS))
def test_every_rung_gets_its_next_step_and_the_questions_that_ask(
    ladder: Scorer, bundles: dict[str, ModelBundle], name: str
) -> None:
    step, asked, status = EXPECTED[name]
    result = ladder.score_record(RUNGS[name], top_reasons=3)
    assert result["next_step"]["target"] == step
    assert result["next_step"]["rung"] == (RUNGS[name].get("current_tier") or "none")
    assert set(result["scores"]) == asked
    assert result["status"] == status
    columns = validate_record(RUNGS[name])
    for target, entry in result["scores"].items():
        bundle = bundles[target]
        expected = bundle.predict(bundle.transform(columns))[0]
        assert entry["score"] == pytest.approx(expected)
        assert entry["band"] in {"A", "B", "C", "D"} and 0 <= entry["percentile"] <= 100
        assert entry["status"] == "scored" and entry["error"] is None
        assert entry["model"]["name"] == ladder.models.served[target].name
        told = [r for r in entry["reasons"] if r["family"] != "unreported"]
        assert len(told) == 3  # the line summing unreported figures may follow, last
        assert 0 <= entry["coverage"] <= 1 and isinstance(entry["thin_data"], bool)
    if status == "candidate":
        top = result["scores"][step]
        assert (result["score"], result["band"], result["model"]) == (
            top["score"],
            top["band"],
            top["model"],
        )
        assert result["reasons"] == top["reasons"]
    else:
        assert result["score"] is None and result["reasons"] == []


def test_an_unknown_re_review_year_is_asked_and_says_what_was_assumed(ladder: Scorer) -> None:
    result = ladder.score_record(RUNGS["giant unknown"])
    assert result["next_step"]["re_review_year"] is None
    assert result["next_step"]["re_review_due"] is None
    assert "tier_since" in result["scores"]["retention"]["assumption"]
    due = ladder.score_record(RUNGS["giant due"])
    assert due["next_step"]["re_review_year"] == 2025 and due["next_step"]["re_review_due"]
    assert due["scores"]["retention"]["assumption"] is None


def test_a_missing_model_answers_not_trained_only_for_its_question(
    bundles: dict[str, ModelBundle],
) -> None:
    partial = ladder_scorer(
        {"srdi_sme": bundles["srdi_sme"], "retention": bundles["retention"]},
        missing=("little_giant",),
    )
    provincial = partial.score_record(RUNGS["provincial due"])
    assert provincial["status"] == "not_trained" and provincial["score"] is None
    entry = provincial["scores"]["little_giant"]
    assert entry["status"] == "not_trained" and entry["score"] is None
    assert entry["error"]["status"] == 503 and "srdi-little-giant" in entry["error"]["detail"]
    assert entry["model"] == {"name": "srdi-little-giant", "version": None}
    assert provincial["scores"]["retention"]["status"] == "scored"
    assert partial.score_record(RUNGS["none"])["status"] == "candidate"
    described = partial.describe()
    assert described["models"]["little_giant"]["status"] == "not_trained"
    assert described["models"]["retention"]["status"] == "in_service"


def test_models_sharing_a_feature_state_derive_features_once(
    ladder: Scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = TargetModel.features

    def counting(self: TargetModel, columns: Any) -> np.ndarray:
        calls.append(1)
        return original(self, columns)

    monkeypatch.setattr(TargetModel, "features", counting)
    ladder.score_columns(validate_record(RUNGS["provincial due"]))
    assert len(calls) == 1


def test_a_file_is_ranked_by_the_question_asked(
    ladder: Scorer, records: list[dict[str, Any]]
) -> None:
    frame = pd.DataFrame([*records[:60], *RUNGS.values()]).assign(
        company_id=lambda f: [f"R{i}" for i in range(len(f))]
    )
    for target in TARGETS:
        ranked = ladder.score_frame(frame, rank_by=target)
        results = ranked.results()
        scored = [r for r in results if r["rank"] is not None]
        numbers = [r["scores"][target]["score"] for r in scored]
        ascending = target == "retention"
        assert numbers == sorted(numbers, reverse=not ascending)
        assert [r["rank"] for r in scored] == list(range(1, len(scored) + 1))
        unranked = results[len(scored) :]
        assert all(target not in r["scores"] for r in unranked)
        assert ranked.n_candidates == len(scored) > 0
    with pytest.raises(ValueError, match="cannot rank by 'giant'"):
        ladder.score_frame(frame, rank_by="giant")


def test_the_api_answers_with_every_score_and_ranks_a_screen_by_target(
    ladder: Scorer, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(ListProvider(ladder))
    one = client.post("/v1/score", json=RUNGS["provincial due"])
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["next_step"]["target"] == "little_giant"
    assert set(body["scores"]) == {"little_giant", "retention"}
    described = client.get("/v1/model").json()
    assert set(described["models"]) == set(TARGETS)
    csv = pd.DataFrame(list(RUNGS.values())).assign(company_id=[f"S{i}" for i in range(len(RUNGS))])
    payload = csv.to_csv(index=False).encode()
    screen = client.post(
        "/v1/screen?target=retention",
        files={"file": ("firms.csv", io.BytesIO(payload), "text/csv")},
    )
    assert screen.status_code == 200, screen.text
    data = screen.json()
    assert data["rank_by"] == "retention"
    ranked = [r for r in data["rows"] if r["rank"] is not None]
    assert {r["company_id"] for r in ranked} == {"S2", "S4", "S6"}
    scores = [r["scores"]["retention"]["score"] for r in ranked]
    assert scores == sorted(scores)
    flat = client.post(
        "/v1/screen?target=little_giant",
        files={"file": ("firms.csv", io.BytesIO(payload), "text/csv")},
        headers={"Accept": "text/csv"},
    )
    table = pd.read_csv(io.StringIO(flat.content.decode("utf-8-sig")))
    for target in TARGETS:
        assert {f"{target}_score", f"{target}_percentile", f"{target}_band"} <= set(table)
    assert table.loc[table["rank"].notna(), "rung"].eq("srdi_sme").all()
    assert table["little_giant_score"].notna().sum() == 2


@pytest.mark.parametrize("name", [n for n in RUNGS if n != "none"])
def test_next_step_and_the_held_tiers_re_review_tell_the_same_year(
    ladder: Scorer, name: str
) -> None:
    """The ladder's re-review year and the rule table's are one definition."""
    result = ladder.score_record(RUNGS[name])
    reviews = [s["re_review"] for s in result["schemes"] if s.get("re_review")]
    assert len(reviews) == 1  # exactly the tier held
    (review,) = reviews
    step = result["next_step"]
    assert review["year"] == step["re_review_year"]
    assert review["due"] == step["re_review_due"]
    if step["re_review_year"] is not None:
        assert f"re-review {step['re_review_year']}" in review["text"]
