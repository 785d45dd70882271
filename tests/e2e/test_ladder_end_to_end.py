"""The whole ladder end to end: three models trained on a small world, served, asked.

The session's ``trained_store`` trains the three targets together on a synthetic world
(``training.pipeline.run_targets``: one MLflow run and one registered champion each).
Here the app loads them from the registry on a real uvicorn and scores, in one batch,
firms of the world's latest year on every rung; each model also serves as the MLflow
pyfunc it was logged as.
"""

from __future__ import annotations

from typing import Any

import httpx
import mlflow
import numpy as np
import pandas as pd
import pytest

from features.ladder import applies, re_review_due
from features.validate import validate_frame
from serving.app import create_app
from tests.support.servers import live_server
from training.registry import tracking

pytestmark = pytest.mark.slow

# rung: (next step, questions asked when the re-review is due / not due)
LADDER = {
    "none": ("srdi_sme", {"srdi_sme"}, {"srdi_sme"}),
    "innovative_sme": ("srdi_sme", {"srdi_sme"}, {"srdi_sme"}),
    "srdi_sme": ("little_giant", {"little_giant", "retention"}, {"little_giant"}),
    "little_giant": ("retention", {"retention"}, set()),
}


def _firms_on_every_rung(trained_store: Any) -> pd.DataFrame:
    panel = pd.read_parquet(trained_store.data_dir / "financials.parquet")
    year = panel[panel["fiscal_year"] == panel["fiscal_year"].max()]
    columns = {"current_tier": year["current_tier"].to_numpy(dtype=object)}
    columns["tier_since"] = year["tier_since"].to_numpy(dtype=np.float64)
    columns["fiscal_year"] = year["fiscal_year"].to_numpy(dtype=np.float64)
    due = pd.Series(re_review_due(columns, 2) == 1.0, index=year.index)
    picks = []
    for rung in LADDER:
        on_rung = year[year["current_tier"] == rung]
        if rung in ("srdi_sme", "little_giant"):
            picks += [on_rung[due[on_rung.index]].head(3), on_rung[~due[on_rung.index]].head(3)]
        else:
            picks.append(on_rung.head(3))
    firms = pd.concat(picks)
    assert set(firms["current_tier"]) == set(LADDER)
    return firms


def test_three_champions_served_answer_every_rung(trained_store: Any) -> None:
    firms = _firms_on_every_rung(trained_store)
    records = [
        {k: v for k, v in r.items() if v is not None and not (isinstance(v, float) and v != v)}
        for r in firms.to_dict(orient="records")
    ]
    with live_server(create_app(trained_store.settings()), startup_timeout_s=120.0) as url:
        ready = httpx.get(f"{url}/readyz", timeout=60).json()
        assert ready["ready"] and ready["model"]["name"] == "srdi-potential"
        described = httpx.get(f"{url}/v1/model", timeout=60).json()
        assert {t: m["status"] for t, m in described["models"].items()} == {
            "srdi_sme": "in_service",
            "little_giant": "in_service",
            "retention": "in_service",
        }
        response = httpx.post(
            f"{url}/v1/score/batch?explain=true", json={"records": records}, timeout=120
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["errors"] == [] and body["n_scored"] == len(records)
    for result, record in zip(body["results"], records, strict=True):
        rung = record["current_tier"]
        step, asked_due, asked_later = LADDER[rung]
        due = record["fiscal_year"] + 2 >= record.get("tier_since", -99) + 3
        asked = asked_due if due or "tier_since" not in record else asked_later
        assert result["next_step"]["rung"] == rung and result["next_step"]["target"] == step
        assert set(result["scores"]) == asked, (rung, record.get("tier_since"))
        for target, entry in result["scores"].items():
            assert entry["status"] == "scored" and 0.0 <= entry["score"] <= 1.0
            assert entry["model"]["version"] == trained_store.versions[target]
            assert entry["reasons"], target
        if step in asked:
            assert result["status"] == "candidate"
            assert result["score"] == result["scores"][step]["score"]
        else:
            assert result["status"] == "certified" and result["score"] is None


@pytest.mark.parametrize("target", ["srdi_sme", "little_giant", "retention"])
def test_each_champion_serves_as_its_pyfunc(trained_store: Any, target: str) -> None:
    settings = trained_store.settings()
    frame = _firms_on_every_rung(trained_store).reset_index(drop=True)
    with tracking(settings):
        model = mlflow.pyfunc.load_model(f"models:/{settings.model_name(target)}@champion")
    out = model.predict(frame)
    asked = applies(target, dict(validate_frame(frame).columns), 2)
    assert (out["status"] == "candidate").to_numpy().tolist() == asked.tolist()
    assert set(out.loc[~asked, "status"]) <= {"certified", "not_asked"}
    scores = out["score"].astype(float).to_numpy()
    assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()
