"""Hostile uploads and exports over real HTTP (uvicorn on loopback): the probes of issue 15.

Each test sends what an attacker (or a careless tool) would: spreadsheet formulas in
names, XLSX decompression bombs, sheets with row gaps, many uploads from many
sessions, files full of bad rows, unreadable files. Bombs and gaps are generated in
the tests (tests/support/uploads.py), small and fast.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from openpyxl import load_workbook

from serving.app import create_app
from serving.scoring.scorer import Scorer
from tests.support.api import ListProvider, make_records, settings_for
from tests.support.servers import live_server
from tests.support.uploads import ratio_bomb, shared_string_bomb, sheet_xml, xlsx_file

FORMULAS = {
    "company_id": "=1+2",
    "name": '=HYPERLINK("http://x","click")',
    "province": "\t=cmd|' /C calc'!A0",
    "industry": "@SUM(A1)",
}


@pytest.fixture(scope="module")
def served(scorer: Scorer) -> Iterator[str]:
    """The app with default limits, on a real uvicorn server."""
    with live_server(create_app(settings_for(), model_provider=ListProvider(scorer))) as url:
        yield url


def _csv_upload(records: list[dict[str, Any]]) -> bytes:
    return pd.DataFrame.from_records(records).to_csv(index=False).encode("utf-8")


def _csv_cells(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# -- 1: spreadsheet formula injection (CWE-1236) -----------------------------------------


def test_export_neutralises_formulas_in_csv_and_xlsx(served: str) -> None:
    rows = [
        {
            **FORMULAS,
            "rank": 1,
            "score": 0.5,
            "percentile": 97.5,
            "band": "A",
            "reasons": [{"text": "-2+3+cmd|' /C calc'!A0"}],
        },
        {"rank": 2, "company_id": "-5", "name": "plain name", "score": 0.25},
    ]
    payload = json.dumps({"rows": rows}).encode()
    with httpx.Client(base_url=served, timeout=30) as http:
        as_csv = http.post("/v1/export?format=csv", files={"rows": ("rows.json", payload)})
        as_xlsx = http.post("/v1/export?format=xlsx", files={"rows": ("rows.json", payload)})
    assert as_csv.status_code == 200 and as_xlsx.status_code == 200

    first, second = _csv_cells(as_csv.content)
    for field, text in FORMULAS.items():
        assert first[field] == "'" + text
    assert first["top_reasons"] == "'-2+3+cmd|' /C calc'!A0"
    assert first["score"] == "0.5" and first["rank"] == "1"  # numbers stay numbers
    assert second["company_id"] == "-5" and second["name"] == "plain name"

    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    header = [cell.value for cell in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    for field, text in FORMULAS.items():
        assert cells[field].data_type == "s" and cells[field].value == "'" + text
    assert cells["score"].data_type == "n" and cells["score"].value == 0.5
    assert cells["rank"].value == 1


def test_screen_csv_neutralises_uploaded_names(served: str) -> None:
    records = make_records(6, seed=4)
    records[0]["name"] = FORMULAS["name"]
    records[1]["company_id"] = "@evil"
    records[2]["name"] = "+1+cmd|' /C calc'!A0"
    with httpx.Client(base_url=served, timeout=60) as http:
        response = http.post(
            "/v1/screen",
            files={"file": ("firms.csv", _csv_upload(records))},
            headers={"Accept": "text/csv"},
        )
    assert response.status_code == 200, response.text
    cells = {row["company_id"]: row for row in _csv_cells(response.content)}
    assert cells[records[0]["company_id"]]["name"] == "'" + FORMULAS["name"]
    assert "'@evil" in cells
    assert cells[records[2]["company_id"]]["name"] == "'+1+cmd|' /C calc'!A0"
    assert all(float(row["score"]) >= 0 for row in cells.values() if row["score"])


# -- 2, 3: XLSX decompression bombs and row gaps -----------------------------------------


def _post_everywhere(http: httpx.Client, name: str, data: bytes) -> list[httpx.Response]:
    """The same upload to every route that reads a table."""
    return [
        http.post(path, files={"file": (name, data)})
        for path in ("/v1/screen", "/v1/screen/page", "/v1/screen/preview")
    ]


def test_xlsx_bombs_are_refused_from_the_zip_directory(served: str) -> None:
    records = make_records(3, seed=5)
    bomb = ratio_bomb(records, padding_bytes=4_000_000)
    strings = shared_string_bomb(records, string_bytes=4_000_000)
    assert len(bomb) < 10_000 and len(strings) < 10_000
    with httpx.Client(base_url=served, timeout=60) as http:
        for response in _post_everywhere(http, "bomb.xlsx", bomb):
            assert response.status_code == 413, response.text
            detail = response.json()["detail"]
            assert "'bomb.xlsx'" in detail and "sheet1.xml" in detail
            assert "max_xlsx_ratio" in detail and "SRDI_MAX_XLSX_RATIO" in detail
        for response in _post_everywhere(http, "strings.xlsx", strings):
            assert response.status_code == 413, response.text
            assert "sharedStrings.xml" in response.json()["detail"]
        # The service is unharmed and still scores.
        assert http.post("/v1/score", json=records[0]).status_code == 200


def test_xlsx_unpacked_size_is_limited(scorer: Scorer) -> None:
    records = make_records(40, seed=6)
    header = list(records[0])
    rows = {1: header, **{i + 2: [r.get(k) for k in header] for i, r in enumerate(records)}}
    sheet = xlsx_file(sheet_xml(rows))
    settings = settings_for(max_xlsx_unpacked_bytes=8_192)
    app = create_app(settings, model_provider=ListProvider(scorer))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        for response in _post_everywhere(http, "firms.xlsx", sheet):
            assert response.status_code == 413, response.text
            detail = response.json()["detail"]
            assert "max_xlsx_unpacked_bytes" in detail
            assert "SRDI_MAX_XLSX_UNPACKED_BYTES" in detail


def test_xlsx_row_gaps_cost_nothing_and_count_against_the_row_limit(scorer: Scorer) -> None:
    record = make_records(1, seed=7)[0]
    header = list(record)
    values = [record[k] for k in header]
    app = create_app(settings_for(max_upload_rows=1_000), model_provider=ListProvider(scorer))
    probes = {
        # The probe: 5 kB, dimension A1:XFD30000, one cell at row 30,000.
        "wide.xlsx": (sheet_xml({1: header, 30_000: values}, dimension="A1:XFD30000"), "16,384"),
        "tall.xlsx": (sheet_xml({1: header, 30_000: values}, dimension="A1:AZ30000"), "30,000"),
        # No dimension: the gap is walked, and refused once it passes the limit.
        "gap.xlsx": (sheet_xml({1: header, 30_000: values}), "below row 1,001"),
    }
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        for name, (sheet, says) in probes.items():
            data = xlsx_file(sheet)
            assert len(data) < 10_000
            for response in _post_everywhere(http, name, data):
                assert response.status_code == 413, (name, response.text)
                detail = response.json()["detail"]
                assert says in detail and name in detail, detail
                assert re.search(r"SRDI_MAX_UPLOAD_(ROWS|COLUMNS)", detail), detail
        # A gap inside the limit is read, and its blank rows are not firms.
        inside = xlsx_file(sheet_xml({1: header, 900: values}, dimension="A1:AZ900"))
        screened = http.post("/v1/screen", files={"file": ("inside.xlsx", inside)})
        assert screened.status_code == 200, screened.text
        body = screened.json()
        assert body["n_rows"] == body["n_scored"] == 1
        assert body["rows"][0]["company_id"] == record["company_id"]


# -- 4: page screens under byte budgets, bound to their session; capped error lists ---


def _page_screen(http: httpx.Client, data: bytes) -> dict[str, Any]:
    response = http.post("/v1/screen/page", files={"file": ("firms.csv", data)})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _detail(http: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return http.get(f"/v1/screen/page/{body['token']}/rows/{body['rows'][0]['row']}")


def test_page_screens_belong_to_the_session_that_made_them(
    served: str, scorer: Scorer, tmp_path: Path
) -> None:
    data = _csv_upload(make_records(30, seed=8))
    with (
        httpx.Client(base_url=served, timeout=60) as alice,
        httpx.Client(base_url=served, timeout=60) as mallory,
    ):
        mine = _page_screen(alice, data)
        assert "srdi_session" in alice.cookies
        opened = _detail(alice, mine)
        assert opened.status_code == 200 and opened.json()["rank"] == 1
        # The token alone opens nothing: no cookie, or another session's cookie.
        assert _detail(mallory, mine).status_code == 404
        _page_screen(mallory, data)
        assert _detail(mallory, mine).status_code == 404
        assert _detail(alice, mine).status_code == 200


def test_page_screens_are_kept_under_byte_budgets(scorer: Scorer, tmp_path: Path) -> None:
    data = _csv_upload(make_records(30, seed=9))
    probe_dir = tmp_path / "probe"
    app = create_app(settings_for(screens_dir=probe_dir), model_provider=ListProvider(scorer))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        _page_screen(http, data)
    (kept,) = list(probe_dir.glob("*.arrow"))
    size = kept.stat().st_size

    budgets = settings_for(
        screens_dir=tmp_path / "budgeted",
        max_screen_bytes_per_session=int(size * 1.5),
        max_screen_bytes_total=int(size * 2.5),
    )
    app = create_app(budgets, model_provider=ListProvider(scorer))
    with (
        live_server(app) as url,
        httpx.Client(base_url=url, timeout=60) as alice,
        httpx.Client(base_url=url, timeout=60) as bob,
        httpx.Client(base_url=url, timeout=60) as carol,
    ):
        alice_1 = _page_screen(alice, data)
        bob_1 = _page_screen(bob, data)
        alice_2 = _page_screen(alice, data)  # over Alice's budget: her oldest goes
        assert _detail(alice, alice_1).status_code == 404
        assert _detail(bob, bob_1).status_code == 200  # Bob's screen is not hers to evict
        assert _detail(alice, alice_2).status_code == 200
        # Over the total: the least recently used screen goes, Bob's (read before
        # Alice's latest), whoever made it.
        carol_1 = _page_screen(carol, data)
        assert _detail(carol, carol_1).status_code == 200
        assert _detail(bob, bob_1).status_code == 404
        assert _detail(alice, alice_2).status_code == 200

    too_small = settings_for(screens_dir=tmp_path / "small", max_screen_bytes_per_session=1_024)
    app = create_app(too_small, model_provider=ListProvider(scorer))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        body = _page_screen(http, data)
    assert body["token"] is None and len(body["rows"]) == 30  # the ranking is still shown
    assert "SRDI_MAX_SCREEN_BYTES_PER_SESSION" in body["notice"]


def test_error_lists_are_capped_with_a_count_of_the_rest(scorer: Scorer) -> None:
    records = make_records(30, seed=10)
    for record in records[:20]:
        record["export_share"] = 1.4
    data = _csv_upload(records)
    app = create_app(settings_for(max_listed_errors=5), model_provider=ListProvider(scorer))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        api = http.post("/v1/screen", files={"file": ("firms.csv", data)})
        page = http.post("/v1/screen/page", files={"file": ("firms.csv", data)})
    for response in (api, page):
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["errors"]) == 5
        assert body["n_errors"] == 20 and body["n_error_rows"] == 20
        assert body["n_scored"] == 10
    assert api.headers["X-SRDI-Row-Errors"] == "20"


# -- 8: upload errors name the upload, never the spool file -------------------------------


def test_upload_errors_name_the_upload_not_the_spool_file(served: str) -> None:
    # Above starlette's 1 MB spool threshold, so the upload sits in a temporary file
    # whose "name" is a file descriptor.
    broken_xlsx = b"PK\x03\x04" + b"\x00" * 1_200_000
    broken_csv = b"a,b\n" + b"\xff\xfe\xfa\xfb,1\n\x81\x20\n" * 150_000
    with httpx.Client(base_url=served, timeout=60) as http:
        for name, data in (("broken.xlsx", broken_xlsx), ("broken.csv", broken_csv)):
            for response in _post_everywhere(http, name, data):
                assert response.status_code == 422, response.text
                detail = response.json()["detail"]
                assert f"'{name}'" in detail, detail
                assert not re.search(r"cannot read \d", detail), detail
