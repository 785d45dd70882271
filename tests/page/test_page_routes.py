"""The page's own endpoints: assets, sample, template, preview, page screen, detail, export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.rules import SCHEME_IDS
from serving.app import create_app
from serving.page.export import export_columns
from srdi.core.bundle import NoChampionError
from srdi.core.settings import load_settings

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "serving" / "page" / "sample_data"
SAMPLE = SAMPLE_DIR / "candidates.csv"
GBK_SAMPLE = SAMPLE_DIR / "candidates_gbk.csv"


class NoModel:
    """A model provider with no champion: the page and its helpers still work."""

    def champion_version(self) -> None:
        return None

    def load(self) -> None:
        raise NoChampionError("no champion in this test; train one with `make train`")


@pytest.fixture(scope="module")
def bare_client():
    settings = load_settings(api_key=None, reload_interval_s=0.0, max_upload_rows=500)
    with TestClient(create_app(settings, model_provider=NoModel())) as client:
        yield client


def test_page_and_assets_are_served_locally(bare_client) -> None:
    page = bare_client.get("/")
    assert page.status_code == 200
    assert "SRDI screening" in page.text
    assert 'src="/static/app.js"' in page.text
    script = bare_client.get("/static/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert bare_client.get("/static/app.css").headers["content-type"].startswith("text/css")
    assert bare_client.get("/static/../routes/page.py").status_code == 404
    assert bare_client.get("/static/nothing.js").status_code == 404


def test_assets_reference_nothing_outside_the_app() -> None:
    static = Path(__file__).resolve().parents[2] / "serving" / "page" / "static"
    for path in static.iterdir():
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "http://" in line or "https://" in line:
                assert "www.w3.org/2000/svg" in line, f"{path.name}: {line.strip()}"


def test_sample_and_template_downloads(bare_client) -> None:
    sample = bare_client.get("/v1/sample")
    assert sample.status_code == 200
    frame = pd.read_csv(io.BytesIO(sample.content))
    assert len(frame) == 400
    # Firms on every rung of the ladder, as a fund manager's list mixes them.
    assert set(frame["current_tier"]) == {"none", "innovative_sme", "srdi_sme", "little_giant"}
    assert frame["fiscal_year"].nunique() == 1
    template = bare_client.get("/v1/template.csv")
    assert template.status_code == 200
    header = template.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert {"company_id", "fiscal_year", "province", "industry", "revenue"} <= set(header)


def test_preview_of_a_gbk_vendor_file(bare_client) -> None:
    with GBK_SAMPLE.open("rb") as handle:
        response = bare_client.post(
            "/v1/screen/preview", files={"file": ("vendor.csv", handle, "text/csv")}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "csv"
    assert body["n_rows"] == 63
    assert body["headers"][0] == "统一社会信用代码"
    assert body["suggested"]["统一社会信用代码"] == "company_id"
    assert body["suggested"]["营业收入"] == "revenue"
    assert body["suggested"]["主营业务收入"] == "main_business_revenue"
    assert body["suggested"]["资产负债率"] == "debt_ratio"
    assert body["suggested"]["技术人员数"] is None
    assert len(body["rows"]) == 5
    assert body["rows"][0][body["headers"].index("省份")].endswith("省")
    fields = [f["name"] for f in body["fields"]]
    assert fields[:5] == [f["name"] for f in body["fields"] if f["required"]]
    assert "debt_ratio" in fields


def test_preview_reads_units_in_headers_xlsx_parquet_and_a_truncated_head(bare_client) -> None:
    frame = pd.read_csv(SAMPLE, dtype={"company_id": "string"}).head(20)
    vendor = frame.rename(columns={"revenue": "营业收入(万元)"})
    data = vendor.to_csv(index=False).encode("utf-8")
    body = bare_client.post("/v1/screen/preview", files={"file": ("v.csv", data)}).json()
    assert body["suggested"]["营业收入(万元)"] == "revenue"
    assert body["scales"] == {"营业收入(万元)": 10000.0}

    for suffix, writer in (("xlsx", frame.to_excel), ("parquet", frame.to_parquet)):
        buffer = io.BytesIO()
        writer(buffer, index=False)
        body = bare_client.post(
            "/v1/screen/preview", files={"file": (f"c.{suffix}", buffer.getvalue())}
        ).json()
        assert body["format"] == suffix
        assert body["n_rows"] == 20
        assert body["suggested"]["company_id"] == "company_id"

    head = SAMPLE.read_bytes()[:5000]  # cut in the middle of a line
    body = bare_client.post(
        "/v1/screen/preview?truncated=true", files={"file": ("big.csv", head)}
    ).json()
    assert body["truncated"] is True
    assert body["n_rows"] is None
    assert 5 < body["head_rows"] < 40  # the complete lines of the first 5,000 bytes
    assert all(len(row) == len(body["headers"]) for row in body["rows"])


def test_preview_of_an_unreadable_file_names_it(bare_client) -> None:
    response = bare_client.post(
        "/v1/screen/preview", files={"file": ("broken.parquet", b"PAR1 not really")}
    )
    assert response.status_code == 422
    assert "broken.parquet" in response.json()["detail"]


def _export_rows() -> list[dict]:
    return [
        {
            "rank": 1,
            "company_id": "A1",
            "name": "杭州精工机械有限公司",
            "province": "Zhejiang",
            "industry": "C34",
            "score": 0.4,
            "percentile": 99.0,
            "band": "A",
            "schemes": [{"scheme_id": "cn_srdi_sme", "verdict": "eligible"}],
            "reasons": [{"text": "R&D 7% of revenue", "contribution": 0.5}],
        },
        {"rank": 2, "company_id": "B2", "score": 0.1, "band": "C", "schemes": [], "reasons": []},
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_writes_the_cli_columns(bare_client, fmt) -> None:
    payload = json.dumps({"rows": _export_rows()}).encode()
    response = bare_client.post(f"/v1/export?format={fmt}", files={"rows": ("rows.json", payload)})
    assert response.status_code == 200, response.text
    assert f"srdi-screen.{fmt}" in response.headers["content-disposition"]
    if fmt == "csv":
        frame = pd.read_csv(io.BytesIO(response.content), encoding="utf-8-sig")
    else:
        frame = pd.read_excel(io.BytesIO(response.content))
    assert list(frame.columns) == export_columns()
    assert frame["company_id"].tolist() == ["A1", "B2"]
    assert frame.loc[0, "name"] == "杭州精工机械有限公司"
    assert frame.loc[0, "cn_srdi_sme"] == "eligible"
    assert frame.loc[0, "top_reasons"] == "R&D 7% of revenue"


def test_export_refuses_bad_rows_and_too_many(bare_client) -> None:
    bad = json.dumps({"rows": [{"company_id": "A1", "score": 3.0}]}).encode()
    response = bare_client.post("/v1/export", files={"rows": ("rows.json", bad)})
    assert response.status_code == 422
    assert "rows.0.score" in response.json()["detail"]
    many = json.dumps({"rows": [{"company_id": f"X{i}"} for i in range(501)]}).encode()
    response = bare_client.post("/v1/export", files={"rows": ("rows.json", many)})
    assert response.status_code == 413
    assert "max_upload_rows" in response.json()["detail"]


def test_page_screen_without_a_model_answers_503(bare_client) -> None:
    with SAMPLE.open("rb") as handle:
        response = bare_client.post("/v1/screen/page", files={"file": ("s.csv", handle)})
    assert response.status_code == 503
    assert "train" in response.json()["detail"]


# -- with a trained champion ---------------------------------------------------------


@pytest.fixture(scope="module")
def model_client(trained_store):
    with TestClient(create_app(trained_store.settings())) as client:
        yield client


@pytest.mark.slow
def test_page_screen_is_the_api_screen_in_compact_form(model_client) -> None:
    with SAMPLE.open("rb") as handle:
        page = model_client.post("/v1/screen/page", files={"file": ("s.csv", handle)})
    assert page.status_code == 200, page.text
    body = page.json()
    scheme_ids = [s["scheme_id"] for s in body["schemes"]]
    assert scheme_ids == list(SCHEME_IDS)
    assert body["n_rows"] == body["n_scored"] == 400
    rows = body["rows"]
    # Ranked by the first question: the firms below the provincial tier.
    below = pd.read_csv(SAMPLE)["current_tier"].isin(["none", "innovative_sme"]).sum()
    assert [r["rank"] for r in rows if r["rank"]] == list(range(1, below + 1))
    assert body["rank_by"] == "srdi_sme"
    assert [q["target"] for q in body["questions"]] == ["srdi_sme", "little_giant", "retention"]
    assert {r["rung"] for r in rows} == {"none", "innovative_sme", "srdi_sme", "little_giant"}
    provincial = next(r for r in rows if r["rung"] == "srdi_sme")
    assert provincial["next_step"] == "little_giant" and "little_giant" in provincial["scores"]
    assert all(len(r["verdicts"]) == 8 for r in rows)
    assert all("features" not in reason for r in rows for reason in r["reasons"])

    with SAMPLE.open("rb") as handle:
        full = model_client.post("/v1/screen", files={"file": ("s.csv", handle)}).json()
    by_row = {r["row"]: r for r in full["rows"]}
    for compact in rows[:20]:
        reference = by_row[compact["row"]]
        assert compact["score"] == reference["score"]
        assert compact["verdicts"] == [s["verdict"] for s in reference["schemes"]]
        assert [r["text"] for r in compact["reasons"]] == [r["text"] for r in reference["reasons"]]
        # The held tier's re-review and the assumptions are those of the full JSON.
        reviews = [s["re_review"] for s in reference["schemes"] if s.get("re_review")]
        assert compact["re_review"] == (reviews[0] if reviews else None)
        assert compact["assumptions"] == [
            {"scheme_id": s["scheme_id"], "text": text}
            for s in reference["schemes"]
            for text in s.get("assumptions") or ()
        ]

    top = rows[0]
    detail = model_client.get(f"/v1/screen/page/{body['token']}/rows/{top['row']}")
    assert detail.status_code == 200
    firm = detail.json()
    assert firm["company_id"] == top["company_id"]
    assert firm["rank"] == 1
    assert firm["score"] == top["score"]
    assert len(firm["reasons"]) >= len(top["reasons"])
    assert all(r["features"] for r in firm["reasons"])
    assert sum(len(s["criteria"]) for s in firm["schemes"]) > 20

    assert model_client.get(f"/v1/screen/page/{body['token']}/rows/99999").status_code == 404
    missing = model_client.get("/v1/screen/page/expired-token/rows/0")
    assert missing.status_code == 404
    assert "upload the file again" in missing.json()["detail"]


@pytest.mark.slow
def test_page_screen_applies_the_column_map_and_reports_bad_rows(model_client) -> None:
    mapping = json.dumps({"技术人员数": "rd_staff"})
    with GBK_SAMPLE.open("rb") as handle:
        response = model_client.post(
            "/v1/screen/page", params={"column_map": mapping}, files={"file": ("v.csv", handle)}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["n_rows"] == 63
    assert body["n_scored"] == 60
    assert sorted({e["row"] for e in body["errors"]}) == [60, 61, 62]

    # "" ignores a header the alias table would match: no revenue, every row refused.
    ignore = json.dumps({"营业收入": ""})
    with GBK_SAMPLE.open("rb") as handle:
        body = model_client.post(
            "/v1/screen/page", params={"column_map": ignore}, files={"file": ("v.csv", handle)}
        ).json()
    assert body["n_scored"] == 0
    assert {e["field"] for e in body["errors"]} >= {"revenue"}

    bad = json.dumps({"营业收入": "turnover"})
    with GBK_SAMPLE.open("rb") as handle:
        response = model_client.post(
            "/v1/screen/page", params={"column_map": bad}, files={"file": ("v.csv", handle)}
        )
    assert response.status_code == 422
    assert "turnover" in response.json()["detail"]
