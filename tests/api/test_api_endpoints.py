"""Every endpoint in-process: answers, errors, API key, limits, the no-model 503."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import orjson
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.scoring.scorer import Scorer
from tests.support.api import API_KEY, NO_CHAMPION, ListProvider, settings_for
from tests.support.servers import wait_until


def csv_bytes(records: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    return pd.DataFrame(records).to_csv(index=False).encode(encoding)


# -- scoring ------------------------------------------------------------------------------


def test_score_answers_the_contract(client: TestClient, records: list[dict[str, Any]]) -> None:
    response = client.post("/v1/score", json=records[0])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["company_id"] == records[0]["company_id"]
    assert body["model"] == {"name": "srdi-potential", "version": "1"}
    assert body["reasons"] and body["schemes"]
    reason = body["reasons"][0]
    assert {"family", "family_label", "contribution", "direction", "text", "features"} <= set(
        reason
    )
    feature = reason["features"][0]
    assert {"name", "label", "unit", "value", "industry_median", "contribution"} <= set(feature)
    criterion = body["schemes"][0]["criteria"][0]
    assert {"id", "label", "verdict", "value", "threshold", "gap", "gap_text"} <= set(criterion)


def test_score_matches_the_scorer(
    client: TestClient, scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    served = client.post("/v1/score", json=records[5]).json()
    direct = scorer.score_record(records[5])
    assert orjson.dumps(served) == orjson.dumps(direct)


def test_explain_false_skips_reasons_only(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    full = client.post("/v1/score", json=records[0]).json()
    fast = client.post("/v1/score?explain=false", json=records[0]).json()
    bare = client.post("/v1/score?explain=false&schemes=false", json=records[0]).json()
    assert fast["reasons"] == [] and fast["schemes"] == full["schemes"]
    assert bare["schemes"] == [] and bare["score"] == full["score"]
    few = client.post("/v1/score?top_reasons=2", json=records[0]).json()
    told = [r for r in few["reasons"] if r["family"] != "unreported"]
    assert len(told) == 2  # the line summing unreported figures comes in addition, last
    assert [r["family"] for r in few["reasons"][2:]] in ([], ["unreported"])
    assert 0.0 <= full["coverage"] <= 1.0 and full["thin_data"] == (full["coverage"] < 0.6)


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"revenue": -5}, "revenue", "greater_than_equal"),
        ({"export_share": 1.5}, "export_share", "less_than_equal"),
        ({"revenue": "lots"}, "revenue", "float_type"),
        ({"revenue": "5"}, "revenue", "float_type"),
        ({"rd_institution": "galactic"}, "rd_institution", "literal_error"),
        ({"unknown_field": 1}, "unknown_field", "extra_forbidden"),
    ],
)
def test_a_bad_field_gets_422_naming_field_and_rule(
    client: TestClient, records: list[dict[str, Any]], change: dict[str, Any], field: str, rule: str
) -> None:
    response = client.post("/v1/score", json={**records[0], **change})
    assert response.status_code == 422
    body = response.json()
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [(field, rule)]
    assert field in body["detail"]
    assert "Traceback" not in response.text and "properties" not in response.text


def test_a_missing_required_field_is_named(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    record = {k: v for k, v in records[0].items() if k != "industry"}
    body = client.post("/v1/score", json=record).json()
    assert body["errors"][0]["field"] == "industry" and body["errors"][0]["rule"] == "missing"


def test_a_cross_field_rule_gets_422_with_the_contracts_message(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    record = {**records[0], "rd_staff": 10_000, "employees": 50}
    response = client.post("/v1/score", json=record)
    assert response.status_code == 422
    (problem,) = response.json()["errors"]
    assert problem["field"] == "rd_staff" and problem["rule"] == "input_contract"
    assert "employees" in problem["message"] and problem["value"] == "10000"


def test_malformed_json_is_a_422_not_a_500(client: TestClient) -> None:
    response = client.post(
        "/v1/score", content=b'{"company_id": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "json_invalid"


def test_batch_keeps_order_and_reports_bad_records(
    client: TestClient, scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    bad = {**records[2], "top5_customer_share": 3}
    body = client.post(
        "/v1/score/batch", json={"records": [records[0], records[1], bad, records[3]]}
    ).json()
    assert [r["index"] for r in body["results"]] == [0, 1, 3]
    assert body["n_scored"] == 3 and body["n_errors"] == 1
    # Refused by the record model of POST /v1/score, in its words.
    assert body["errors"] == [
        {
            "index": 2,
            "field": "top5_customer_share",
            "message": "Input should be less than or equal to 1",
            "value": 3,
        }
    ]
    assert body["model"] == {"name": "srdi-potential", "version": "1"}
    assert body["results"][2]["score"] == scorer.score_record(records[3])["score"]
    # Reasons only on request in a batch.
    assert all(r["reasons"] == [] for r in body["results"])
    explained = client.post("/v1/score/batch?explain=true", json={"records": records[:2]}).json()
    assert explained["results"][1]["reasons"] == scorer.score_record(records[1])["reasons"]


def test_batch_longer_than_the_limit_is_refused_naming_it(
    make_client: Callable[..., TestClient], scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    client = make_client(ListProvider(scorer), max_batch_records=3)
    response = client.post("/v1/score/batch", json={"records": records[:4]})
    assert response.status_code == 422
    assert "max_batch_records" in response.json()["detail"]
    assert "SRDI_MAX_BATCH_RECORDS" in response.json()["detail"]
    assert client.post("/v1/score/batch", json={"records": records[:3]}).status_code == 200


def test_a_body_over_the_limit_is_refused_naming_it(
    make_client: Callable[..., TestClient], scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    client = make_client(ListProvider(scorer), max_body_bytes=4096)
    response = client.post("/v1/score/batch", json={"records": records[:20]})
    assert response.status_code == 413
    assert "max_body_bytes" in response.json()["detail"]
    # Without Content-Length (chunked), the body is counted as it arrives.
    chunks = iter(
        [orjson.dumps({"records": records[:20]})[i : i + 1000] for i in range(0, 20_000, 1000)]
    )
    streamed = client.post(
        "/v1/score/batch", content=chunks, headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413 and "max_body_bytes" in streamed.json()["detail"]
    assert client.post("/v1/score", json=records[0]).status_code == 200


# -- screening ------------------------------------------------------------------------------


def test_screen_ranks_a_csv_and_reports_bad_rows(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    rows = [dict(r) for r in records[:30]]
    rows[4]["revenue"] = "n/a"
    response = client.post("/v1/screen", files={"file": ("firms.csv", csv_bytes(rows), "text/csv")})
    assert response.status_code == 200
    body = response.json()
    assert body["n_rows"] == 30 and body["n_scored"] == 29
    assert body["errors"] == [
        {"row": 4, "field": "revenue", "value": "n/a", "message": body["errors"][0]["message"]}
    ]
    ranks = [r["rank"] for r in body["rows"] if r["status"] == "candidate"]
    assert ranks == list(range(1, len(ranks) + 1))
    scores = [r["score"] for r in body["rows"] if r["status"] == "candidate"]
    assert scores == sorted(scores, reverse=True)
    assert all(rows[r["row"]]["company_id"] == r["company_id"] for r in body["rows"])
    assert body["rows"][0]["reasons"]
    assert response.headers["x-srdi-row-errors"] == "1"


def test_screen_reads_gbk_with_chinese_headers_and_a_column_map(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    frame = pd.DataFrame(records[:10]).rename(
        columns={"company_id": "统一社会信用代码", "revenue": "营业收入", "rd_expense": "研发费用"}
    )
    frame = frame.rename(columns={"province": "所在地"})
    data = frame.to_csv(index=False).encode("gbk")
    column_map = orjson.dumps({"所在地": "province"}).decode()
    response = client.post(
        "/v1/screen", params={"column_map": column_map}, files={"file": ("名单.csv", data)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["n_scored"] == 10 and body["errors"] == []
    assert {r["company_id"] for r in body["rows"]} == {r["company_id"] for r in records[:10]}


def test_screen_reads_parquet_and_xlsx_alike(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    frame = pd.DataFrame(records[:15])
    parquet, xlsx = io.BytesIO(), io.BytesIO()
    frame.to_parquet(parquet, index=False)
    frame.to_excel(xlsx, index=False)
    csv = client.post("/v1/screen", files={"file": ("f.csv", csv_bytes(records[:15]))}).json()
    for name, data in (("f.parquet", parquet.getvalue()), ("f.xlsx", xlsx.getvalue())):
        body = client.post("/v1/screen", files={"file": (name, data)}).json()
        assert [(r["company_id"], r["score"]) for r in body["rows"]] == [
            (r["company_id"], r["score"]) for r in csv["rows"]
        ]


def test_screen_as_csv_gives_the_flat_ranked_table(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    response = client.post(
        "/v1/screen",
        files={"file": ("f.csv", csv_bytes(records[:20]))},
        headers={"Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    assert list(table.columns[:8]) == [
        "rank", "company_id", "name", "province", "industry", "score", "percentile", "band"
    ]  # fmt: skip
    assert "cn_srdi_sme" in table.columns and "top_reasons" in table.columns
    as_json = client.post("/v1/screen", files={"file": ("f.csv", csv_bytes(records[:20]))}).json()
    assert list(table["company_id"]) == [r["company_id"] for r in as_json["rows"]]


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("notes.pdf", b"%PDF-1.4", 415, ".csv"),
        ("broken.parquet", b"not parquet at all", 422, "parquet"),
        ("broken.xlsx", b"not a zip", 422, "xlsx"),
    ],
)
def test_screen_refuses_files_it_cannot_read(
    client: TestClient, name: str, data: bytes, status: int, words: str
) -> None:
    response = client.post("/v1/screen", files={"file": (name, data)})
    assert response.status_code == status
    assert words in response.json()["detail"].lower()


@pytest.mark.parametrize(
    ("column_map", "words"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "JSON object"),
        ('{"x": "turnover"}', "'turnover' is not a contract field"),
    ],
)
def test_screen_refuses_a_bad_column_map(
    client: TestClient, records: list[dict[str, Any]], column_map: str, words: str
) -> None:
    response = client.post(
        "/v1/screen",
        params={"column_map": column_map},
        files={"file": ("f.csv", csv_bytes(records[:3]))},
    )
    assert response.status_code == 422
    assert words in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "column_map"


def test_upload_limits_are_named(
    make_client: Callable[..., TestClient], scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    client = make_client(ListProvider(scorer), max_upload_bytes=4096, max_upload_rows=5)
    big = client.post("/v1/screen", files={"file": ("f.csv", csv_bytes(records[:40]))})
    assert big.status_code == 413 and "max_upload_bytes" in big.json()["detail"]
    many = client.post("/v1/screen", files={"file": ("f.csv", csv_bytes(records[:6]))})
    assert many.status_code == 413 and "max_upload_rows" in many.json()["detail"]
    ok = client.post("/v1/screen", files={"file": ("f.csv", csv_bytes(records[:5]))})
    assert ok.status_code == 200 and ok.json()["n_rows"] == 5


# -- meta ----------------------------------------------------------------------------------


def test_model_schemes_and_schema(client: TestClient) -> None:
    model = client.get("/v1/model").json()
    assert model["name"] == "srdi-potential" and model["version"] == "1"
    assert model["features"] and model["ruleset_versions"]["cn_srdi_sme"] == "cn-2022"
    schemes = client.get("/v1/schemes").json()["schemes"]
    assert {"cn_srdi_sme", "de_hidden_champion"} <= {s["scheme_id"] for s in schemes}
    schema = client.get("/v1/schema").json()
    assert "revenue" in schema["json_schema"]["properties"]
    assert set(schema["required"]) == {
        "company_id",
        "fiscal_year",
        "province",
        "industry",
        "revenue",
    }
    assert schema["csv_template"].splitlines()[0].startswith("company_id,")
    assert {f["name"] for f in schema["fields"]} >= set(schema["required"])


def test_health_readiness_and_metrics(client: TestClient, records: list[dict[str, Any]]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model"]["version"] == "1"
    client.post("/v1/score", json=records[0])
    client.post("/v1/score", json={**records[0], "revenue": -1})
    text = client.get("/metrics").text
    assert 'srdi_http_requests_total{method="POST",route="/v1/score",status="200"} 1.0' in text
    assert 'srdi_http_requests_total{method="POST",route="/v1/score",status="422"} 1.0' in text
    assert 'srdi_score_count{endpoint="score"} 1.0' in text
    assert 'srdi_model_info{name="srdi-potential",version="1"} 1.0' in text
    assert "srdi_http_request_duration_seconds_bucket" in text


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/v1/score", "/v1/score/batch", "/v1/screen", "/v1/model", "/v1/schemes"} <= set(
        spec["paths"]
    )
    score = spec["paths"]["/v1/score"]["post"]
    assert score["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ScoreResult"
    )
    assert spec["components"]["schemas"]["CompanyRecord"]["examples"]


# -- no model ----------------------------------------------------------------------------------


def test_without_a_champion_the_app_starts_and_says_how_to_train(
    make_client: Callable[..., TestClient], records: list[dict[str, Any]]
) -> None:
    client = make_client(ListProvider(fail_with=NO_CHAMPION))
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and not ready.json()["ready"]
    assert "make train" in ready.json()["problem"]
    for method, path, kwargs in [
        ("post", "/v1/score", {"json": records[0]}),
        ("post", "/v1/score/batch", {"json": {"records": records[:2]}}),
        ("post", "/v1/screen", {"files": {"file": ("f.csv", csv_bytes(records[:2]))}}),
        ("get", "/v1/model", {}),
    ]:
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 503, path
        detail = response.json()["detail"]
        assert detail.startswith("No champion model is registered: ")
        assert "make train" in detail and "srdi train --data DIR" in detail
    # The input contract and the rules need no model.
    assert client.get("/v1/schema").status_code == 200
    assert client.get("/v1/schemes").status_code == 200


# -- API key ------------------------------------------------------------------------------------


def test_with_an_api_key_every_v1_route_needs_it(
    make_client: Callable[..., TestClient], scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    client = make_client(ListProvider(scorer), api_key=API_KEY)
    for path in ("/v1/model", "/v1/schemes", "/v1/schema"):
        assert client.get(path).status_code == 401, path
        wrong = client.get(path, headers={"X-API-Key": "wrong-key-0000000"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid API key"
        assert client.get(path, headers={"X-API-Key": API_KEY}).status_code == 200
        bearer = client.get(path, headers={"Authorization": f"Bearer {API_KEY}"})
        assert bearer.status_code == 200
    refused = client.post("/v1/score", json=records[0])
    assert refused.status_code == 401 and "X-API-Key" in refused.json()["detail"]
    assert (
        client.post("/v1/score", json=records[0], headers={"X-API-Key": API_KEY}).status_code == 200
    )
    # Operations endpoints and the page stay open.
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_without_an_api_key_admin_is_refused_with_how_to(client: TestClient) -> None:
    response = client.post("/v1/admin/reload")
    assert response.status_code == 403
    assert "SRDI_API_KEY" in response.json()["detail"]


def test_admin_reload_needs_the_key_and_swaps(
    make_client: Callable[..., TestClient],
    scorer: Scorer,
    other_bundle: Any,
    records: list[dict[str, Any]],
) -> None:
    v2 = Scorer(other_bundle, model_name="srdi-potential", model_version="2")
    client = make_client(ListProvider(scorer, v2), api_key=API_KEY)
    headers = {"X-API-Key": API_KEY}
    assert client.post("/v1/admin/reload").status_code == 401
    response = client.post("/v1/admin/reload", headers=headers)
    assert response.status_code == 200
    body = response.json()
    workers = body.pop("workers")
    assert body == {
        "swapped": True,
        "model": {"name": "srdi-potential", "version": "2"},
        "previous": {"name": "srdi-potential", "version": "1"},
        "problem": None,
    }
    # One process here: the only worker is this one, serving version 2.
    assert [w["model"] for w in workers] == [{"name": "srdi-potential", "version": "2"}]
    served = client.post("/v1/score", json=records[0], headers=headers).json()
    assert served["model"]["version"] == "2"
    assert served["score"] == v2.score_record(records[0])["score"]


def test_a_failed_reload_keeps_serving_and_answers_503(
    make_client: Callable[..., TestClient], scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    provider = ListProvider(scorer)
    client = make_client(provider, api_key=API_KEY)
    headers = {"X-API-Key": API_KEY}
    provider.fail_with = NO_CHAMPION
    response = client.post("/v1/admin/reload", headers=headers)
    assert response.status_code == 503
    assert response.json()["swapped"] is False and "make train" in response.json()["problem"]
    assert client.post("/v1/score", json=records[0], headers=headers).status_code == 200


def test_an_internal_failure_is_a_500_without_a_trace(
    scorer: Scorer, records: list[dict[str, Any]]
) -> None:
    class Failing(Scorer):
        def score_columns(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            raise RuntimeError("secret internal state")

    failing = Failing(scorer.bundle, model_name="srdi-potential", model_version="1")
    app = create_app(settings_for(), model_provider=ListProvider(failing))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/score", json=records[0])
    assert response.status_code == 500
    assert response.json() == {
        "detail": "internal error while handling the request; see the server log"
    }
    assert "secret" not in response.text and "Traceback" not in response.text


def test_the_alias_watch_swaps_in_a_new_champion_by_itself(
    make_client: Callable[..., TestClient], scorer: Scorer, other_bundle: Any
) -> None:
    v2 = Scorer(other_bundle, model_name="srdi-potential", model_version="2")
    client = make_client(ListProvider(scorer, v2), reload_interval_s=0.05)

    def serving_v2() -> bool:
        return bool(client.get("/readyz").json()["model"]["version"] == "2")

    # The watch runs in the app's event loop and announces nothing: poll its effect.
    wait_until(serving_v2, timeout_s=30, what="the watch swapping in version 2")


def test_the_document_declares_the_api_key_only_when_configured(
    make_client: Callable[..., TestClient], scorer: Scorer
) -> None:
    open_spec = make_client(ListProvider(scorer)).get("/openapi.json").json()
    assert "security" not in open_spec["paths"]["/v1/score"]["post"]
    assert open_spec["paths"]["/v1/admin/reload"]["post"]["security"]
    keyed = make_client(ListProvider(scorer), api_key=API_KEY)
    spec = keyed.get("/openapi.json").json()
    assert spec["paths"]["/v1/score"]["post"]["security"] == [
        {"APIKeyHeader": []},
        {"HTTPBearer": []},
    ]
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert "security" not in spec["paths"]["/healthz"]["get"]
