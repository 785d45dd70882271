"""The API's contract over real HTTP: the probes of issue 15 (findings 5, 6, 7) and 16.

Each test sends the probe's input to a real uvicorn server on loopback (a small real
model, served through the app factory) and checks the answer: the status, the field
named, and that the connection and the other records survive.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.industries import normalize_industry_value
from features.provinces import PROVINCE_NAMES, normalize_province_value
from features.spellings import industry_pattern, province_pattern, province_spellings
from serving.app import create_app
from serving.scoring.scorer import Scorer
from tests.support.api import API_KEY, ListProvider, make_records, settings_for
from tests.support.servers import live_server

pytestmark = pytest.mark.slow

GOOD = make_records(3, seed=5)


@pytest.fixture(scope="module")
def served(scorer: Scorer) -> Iterator[str]:
    app = create_app(settings_for(api_key=API_KEY), model_provider=ListProvider(scorer))
    with live_server(app) as url:
        yield url


@pytest.fixture()
def api(served: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served, headers={"X-API-Key": API_KEY}, timeout=60) as client:
        yield client


def _fields(response: httpx.Response) -> list[str]:
    return [problem["field"] for problem in response.json()["errors"]]


# ---------------------------------------------------------------- finding 5: export


def _export(rows: list[dict[str, Any]]) -> tuple[str, bytes, str]:
    return ("rows.json", json.dumps({"rows": rows}).encode(), "application/json")


@pytest.mark.parametrize(
    ("row", "field", "rule"),
    [
        ({"company_id": "A", "rank": 2**63}, "rows.0.rank", "less_than_equal"),
        ({"company_id": "A", "rank": 2**64 + 1}, "rows.0.rank", "less_than_equal"),
        ({"company_id": "A", "rank": -(2**63) - 1}, "rows.0.rank", "greater_than_equal"),
        ({"company_id": "A", "rank": 0}, "rows.0.rank", "greater_than_equal"),
        ({"company_id": "A", "rank": "1"}, "rows.0.rank", "int_type"),
        ({"company_id": "A", "score": 1e400}, "rows.0.score", "finite_number"),
        ({"company_id": "A", "reasons": [{"contribution": 1e300}]}, "rows.0.reasons.0.contribution",
         "less_than_equal"),
        ({"company_id": "A", "extra": 1}, "rows.0.extra", "extra_forbidden"),
    ],
)  # fmt: skip
def test_export_refuses_out_of_range_numbers_naming_the_field_and_keeps_the_connection(
    served: str, row: dict[str, Any], field: str, rule: str
) -> None:
    body = json.dumps({"rows": [row]}).replace("Infinity", "1e400")
    boundary = "srdi-test-boundary"
    payload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="rows"; filename="rows.json"\r\n'
        f"Content-Type: application/json\r\n\r\n{body}\r\n--{boundary}--\r\n"
    ).encode()
    address = urlsplit(served)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-API-Key": API_KEY,
    }
    try:
        connection.request("POST", "/v1/export?format=csv", body=payload, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        socket_before = connection.sock
        assert response.status == 422, answer
        assert {p["field"]: p["rule"] for p in answer["errors"]}[field] == rule
        assert response.getheader("connection", "").lower() != "close"
        # The same connection serves the next request: nothing was reset.
        connection.request("GET", "/healthz")
        follow_up = connection.getresponse()
        assert follow_up.status == 200
        follow_up.read()
        assert connection.sock is socket_before
    finally:
        connection.close()


def test_export_of_a_valid_list_still_works(api: httpx.Client) -> None:
    rows = [{"company_id": "A", "rank": 1, "name": "甲\x05公司", "score": 0.5}]
    for fmt in ("csv", "xlsx"):
        response = api.post(f"/v1/export?format={fmt}", files={"rows": _export(rows)})
        assert response.status_code == 200, response.text
    # The page's own request (a JSON part without a file name) is the same upload.
    response = api.post("/v1/export", files={"rows": (None, json.dumps({"rows": rows}))})
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------- finding 6: batch


def test_batch_uses_the_single_record_model_and_scores_the_good_records(
    api: httpx.Client,
) -> None:
    long_id = {**GOOD[1], "company_id": "X" * 1_000_000}
    unknown = {**GOOD[2], "revenu": 1.0}
    records: list[Any] = [GOOD[0], long_id, 42, unknown, None, ["a"], GOOD[2]]
    response = api.post("/v1/score/batch", json={"records": records})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert [r["index"] for r in body["results"]] == [0, 6]
    assert body["n_scored"] == 2
    assert body["n_errors"] == 5
    by_index = {e["index"]: e for e in body["errors"]}
    assert set(by_index) == {1, 2, 3, 4, 5}
    assert by_index[2]["field"] == "record" and "a number" in by_index[2]["message"]
    assert by_index[4]["field"] == "record" and "null" in by_index[4]["message"]
    assert by_index[5]["field"] == "record" and "an array" in by_index[5]["message"]
    # The same words as POST /v1/score for the same record.
    for index, record in ((1, long_id), (3, unknown)):
        single = api.post("/v1/score", json=record)
        assert single.status_code == 422
        problem = single.json()["errors"][0]
        assert (by_index[index]["field"], by_index[index]["message"]) == (
            problem["field"],
            problem["message"],
        )
        assert len(str(by_index[index]["value"])) <= 120  # echoed, never at length


def test_batch_longer_than_the_limit_is_refused_as_the_document_says(
    served: str, scorer: Scorer
) -> None:
    app = create_app(settings_for(max_batch_records=3), model_provider=ListProvider(scorer))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        document = client.get("/openapi.json").json()
        records = document["components"]["schemas"]["BatchRequest"]["properties"]["records"]
        assert records["maxItems"] == 3
        response = client.post("/v1/score/batch", json={"records": GOOD + GOOD[:1]})
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "max_batch_records"


def test_the_document_bounds_every_text_of_a_record(api: httpx.Client) -> None:
    record = api.get("/openapi.json").json()["components"]["schemas"]["CompanyRecord"]
    for name, schema in record["properties"].items():
        branches = schema.get("anyOf", [schema])
        for branch in branches:
            if branch.get("type") == "string" and "enum" not in branch:
                assert branch.get("maxLength") == 200, name


# ---------------------------------------------------------------- finding 7: headers


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/healthz", "api"),
        ("GET", "/v1/model", "api"),
        ("GET", "/v1/nothing-here", "api"),
        ("POST", "/v1/score", "api"),  # 422: an empty body
        ("GET", "/", "page"),
        ("GET", "/static/app.js", "page"),
        ("GET", "/docs", "docs"),
        ("GET", "/redoc", "docs"),
        ("GET", "/docs/assets/swagger-ui-bundle.js", "docs"),
    ],
)
def test_every_response_carries_the_security_headers(
    api: httpx.Client, method: str, path: str, kind: str
) -> None:
    response = api.request(method, path, headers={"Content-Type": "application/json"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    if kind == "api":
        assert policy.startswith("default-src 'none'")
    else:
        assert "script-src 'self';" in policy  # no inline or foreign script


def test_a_refused_oversized_body_carries_them_too(served: str) -> None:
    response = httpx.post(
        f"{served}/v1/score",
        content=b"{" + b" " * 6_000_000 + b"}",
        headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
        timeout=60,
    )
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_docs_load_their_assets_from_the_service(api: httpx.Client) -> None:
    for page in ("/docs", "/redoc"):
        html = api.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(s.startswith("/") for s in sources), sources
        assert "<script>" not in html  # no inline script: the CSP forbids them
        for source in sources:
            asset = api.get(source)
            assert asset.status_code == 200, source
    bundle = api.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in bundle.content
    assert b"Redoc" in api.get("/docs/assets/redoc.standalone.js").content
    assert api.get("/docs/assets/..%2Fdocs.py").status_code == 404


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v1/score", "text/plain"),
        ("/v1/score", "application/x-www-form-urlencoded"),
        ("/v1/score", None),
        ("/v1/score/batch", "text/plain"),
        ("/v1/screen", "application/json"),
        ("/v1/export", "text/plain"),
    ],
)
def test_bodies_of_another_media_type_are_refused_with_415(
    api: httpx.Client, path: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps(GOOD[0]).encode()
    response = api.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert "Content-Type" in response.json()["detail"] or "multipart" in response.json()["detail"]


# ---------------------------------------------------------------- issue 16: strictness


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"staff_turnover": "0.08"}, "staff_turnover", "float_type"),
        ({"employees": "120"}, "employees", "int_type"),
        ({"employees": 120.5}, "employees", "int_type"),
        ({"own_brand": "yes"}, "own_brand", "bool_type"),
        ({"province": "ZHEJIANG"}, "province", "province_spelling"),
        ({"province": "Atlantis"}, "province", "province_spelling"),
        ({"industry": "B39"}, "industry", "industry_spelling"),
        ({"industry": "C39 计算机"}, "industry", "industry_spelling"),
        ({"company_id": "  NA "}, "company_id", "identifier_blank"),
    ],
)
def test_the_single_route_refuses_what_the_schema_forbids(
    api: httpx.Client, change: dict[str, Any], field: str, rule: str
) -> None:
    response = api.post("/v1/score", json={**GOOD[0], **change})
    assert response.status_code == 422, response.text
    assert {p["field"]: p["rule"] for p in response.json()["errors"]}[field] == rule


def test_a_near_miss_spelling_is_told_its_canonical_form(api: httpx.Client) -> None:
    response = api.post("/v1/score", json={**GOOD[0], "province": "ZHEJIANG"})
    assert "write 'Zhejiang'" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"province": "浙江省"},
        {"province": "33"},
        {"province": "330000"},
        {"province": "浙"},
        {"province": "Tibet"},
        {"industry": "c39"},
        {"industry": "39"},
        {"industry": "C3911"},
        {"industry": "计算机、通信和其他电子设备制造业"},
        {"fiscal_year": 2024.0},
        {"name": None},
    ],
)
def test_the_single_route_accepts_what_the_schema_allows(
    api: httpx.Client, change: dict[str, Any]
) -> None:
    response = api.post("/v1/score?explain=false", json={**GOOD[0], **change})
    assert response.status_code == 200, response.text
    assert response.json()["province"] in PROVINCE_NAMES


def test_unknown_and_repeated_query_parameters_are_refused(api: httpx.Client) -> None:
    typo = api.post("/v1/score?explian=false", json=GOOD[0])
    assert typo.status_code == 422
    assert typo.json()["errors"][0]["field"] == "explian"
    twice = api.post("/v1/score?explain=false&explain=true", json=GOOD[0])
    assert twice.status_code == 422


def test_upload_parts_are_those_the_document_lists(api: httpx.Client) -> None:
    csv = b"company_id,fiscal_year,province,industry,revenue\nA1,2024,Zhejiang,C39,1e8\n"
    ok = api.post("/v1/screen", files={"file": ("firms.csv", csv, "text/csv")})
    assert ok.status_code == 200
    # No extension: the part's media type says CSV.
    by_type = api.post("/v1/screen", files={"file": ("upload", csv, "text/csv")})
    assert by_type.status_code == 200
    assert by_type.json()["n_scored"] == 1
    extra = api.post(
        "/v1/screen", files={"file": ("firms.csv", csv, "text/csv")}, data={"colum_map": "{}"}
    )
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["field"] == "colum_map"
    unknown = api.post("/v1/screen", files={"file": ("upload", csv, "application/pdf")})
    assert unknown.status_code == 415


def test_the_page_screen_links_to_its_rows(api: httpx.Client, served: str) -> None:
    document = api.get("/openapi.json").json()
    links = document["paths"]["/v1/screen/page"]["post"]["responses"]["200"]["links"]
    (link,) = links.values()
    assert link["operationId"] == "screen_page_row"
    assert link["parameters"] == {
        "token": "$response.body#/token",
        "row": "$response.body#/rows/0/row",
        "header.X-SRDI-Session": "$response.header.X-SRDI-Session",
    }
    csv = b"company_id,fiscal_year,province,industry,revenue\nA1,2024,Zhejiang,C39,1e8\n"
    files = {"file": ("f.csv", csv, "text/csv")}
    # Followed as a client that keeps no cookies would: the runtime expressions only.
    with httpx.Client(base_url=served, headers={"X-API-Key": API_KEY}, timeout=60) as bare:
        screen = bare.post("/v1/screen/page", files=files)
        bare.cookies.clear()
        session = screen.headers["X-SRDI-Session"]
        body = screen.json()
        path = f"/v1/screen/page/{body['token']}/rows/{body['rows'][0]['row']}"
        assert bare.get(path).status_code == 404  # the token alone opens nothing
        detail = bare.get(path, headers={"X-SRDI-Session": session})
        assert detail.status_code == 200
        assert detail.json()["company_id"] == "A1"
        malformed = bare.get(path, headers={"X-SRDI-Session": "not-a-session"})
        assert malformed.status_code == 422


# ---------------------------------------------------------------- spellings = normalizer


def test_every_listed_province_spelling_is_read_by_the_file_normalizer() -> None:
    pattern = re.compile(province_pattern())
    for spelling in province_spellings():
        assert pattern.search(spelling), spelling
        assert normalize_province_value(spelling) is not None, spelling


@settings(max_examples=300, deadline=None)
@given(st.from_regex(industry_pattern()))
def test_every_industry_the_pattern_accepts_is_a_division(value: str) -> None:
    assert normalize_industry_value(value) is not None


@settings(max_examples=300, deadline=None)
@given(st.from_regex(province_pattern()))
def test_every_province_the_pattern_accepts_is_a_division(value: str) -> None:
    assert normalize_province_value(value) is not None


# ---------------------------------------------------------------- examples = schemas


def _examples(document: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) for every example the document gives."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                for name, example in body.get("examples", {}).items():
                    yield f"{method} {path} {media} {name}", example["value"], body["schema"]
            for parameter in operation.get("parameters", []):
                for body in parameter.get("content", {}).values():
                    if "example" in body:
                        where = f"{method} {path} {parameter['name']}"
                        yield where, body["example"], body["schema"]
    for name, schema in document["components"]["schemas"].items():
        for k, example in enumerate(schema.get("examples", [])):
            yield f"{name} example {k}", example, {"$ref": f"#/components/schemas/{name}"}
        for field, subschema in schema.get("properties", {}).items():
            for example in subschema.get("examples", []):
                yield f"{name}.{field}", example, subschema


def test_every_example_of_the_document_validates_against_its_schema(api: httpx.Client) -> None:
    from jsonschema import Draft202012Validator

    document = api.get("/openapi.json").json()
    checked = 0
    for where, example, schema in _examples(document):
        # The components beside the schema: its "#/components/..." references resolve.
        validator = Draft202012Validator({**schema, "components": document["components"]})
        errors = [e.message[:200] for e in validator.iter_errors(example)]
        assert errors == [], where
        checked += 1
    assert checked > 50
