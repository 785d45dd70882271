"""Your own data, end to end: vendor exports and published lists → labels → train → serve → page.

A small synthetic world is turned into what a user actually holds (tests.support.vendor):
a Wind/CSMAR-style long export (报告期, 万元, 毛利率(%), 资产负债率(%), no ``_prev``
columns, one column nothing matches), a wide candidate export (营业收入(万元)2023, …)
and the published lists (provincial SRDI SME lists as GBK CSV, Little Giant batches as
XLSX with credit codes), with name variants, one misspelt name and one wrong check
digit. Then, as a user would, through the command line and the HTTP API only:
``srdi labels`` → ``srdi train`` → ``srdi serve`` → the page's screen of the wide file.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.support.serve import srdi_serve
from tests.support.vendor import (
    Lists,
    credit_codes,
    long_export,
    published_lists,
    wide_export,
)

pytestmark = pytest.mark.slow

FIRMS, SEED = 1200, 3
CANDIDATE_YEARS = (2023, 2024, 2025)


@dataclass(frozen=True)
class UserFiles:
    """The files a user brings, and where the project's home is."""

    home: Path
    panel: Path
    wide: Path
    lists: Lists
    n_wide_firms: int

    def env(self) -> dict[str, str]:
        uri = f"sqlite:///{self.home / 'models' / 'mlflow.db'}"
        return {
            "SRDI_HOME": str(self.home),
            "SRDI_MODELS_DIR": str(self.home / "models"),
            "SRDI_TRACKING_URI": uri,
            "MLFLOW_TRACKING_URI": uri,
            "SRDI_API_KEY": "",
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }


@pytest.fixture(scope="module")
def user_files(tmp_path_factory: pytest.TempPathFactory) -> UserFiles:
    from training.synth.world import generate_world, write_world

    root = tmp_path_factory.mktemp("your-own-data")
    world_dir = root / "world"
    write_world(generate_world(FIRMS, SEED), world_dir)
    financials = pd.read_parquet(world_dir / "financials.parquet")
    certifications = pd.read_parquet(world_dir / "certifications.parquet")
    codes = credit_codes(financials["company_id"])

    panel = root / "panel"
    panel.mkdir()
    long_export(financials, codes).to_csv(panel / "financials.csv", index=False, encoding="gbk")
    wide = wide_export(financials, codes, CANDIDATE_YEARS)
    wide_path = root / "candidates_wide.xlsx"
    wide.to_excel(wide_path, index=False)
    lists = published_lists(certifications, financials, codes, root / "lists", first_year=2016)
    (root / "home" / "models").mkdir(parents=True)
    return UserFiles(root / "home", panel, wide_path, lists, len(wide))


def srdi(files: UserFiles, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "srdi", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **files.env()},
        timeout=900,
    )


@pytest.fixture(scope="module")
def labelled(user_files: UserFiles) -> subprocess.CompletedProcess[str]:
    out = user_files.panel / "certifications.parquet"
    return srdi(
        user_files, "labels", *user_files.lists.paths, "--panel", user_files.panel, "-o", out
    )


@pytest.fixture(scope="module")
def trained(
    user_files: UserFiles, labelled: subprocess.CompletedProcess[str]
) -> subprocess.CompletedProcess[str]:
    assert labelled.returncode == 0, labelled.stdout + labelled.stderr
    return srdi(user_files, "train", "--data", user_files.panel, "--threads", "1")


@pytest.fixture(scope="module")
def served(
    user_files: UserFiles,
    trained: subprocess.CompletedProcess[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    assert trained.returncode == 0, trained.stdout + trained.stderr
    with srdi_serve(user_files.env(), tmp_path_factory.mktemp("serve"), workers=1) as server:
        yield server.url


def test_published_lists_become_certifications_with_a_linkage_report(
    user_files: UserFiles, labelled: subprocess.CompletedProcess[str]
) -> None:
    assert labelled.returncode == 0, labelled.stdout + labelled.stderr
    assert "tier from file name, year from file name" in labelled.stdout
    report = pd.read_csv(
        user_files.panel / "certifications.linkage.csv", encoding="utf-8-sig", dtype=str
    )
    counts = report["status"].value_counts()
    wrong = report[report["credit_code"] == user_files.lists.wrong_code]
    assert wrong["status"].tolist() == ["invalid_code"]  # an error, never a match
    assert "wrong check digit" in wrong["note"].iloc[0]
    assert "wrong check digit" in labelled.stderr
    misspelt = report[report["name"] == user_files.lists.misspelt]
    assert misspelt["status"].tolist() == ["needs_review"]  # proposed, not linked
    assert pd.isna(misspelt["company_id"].iloc[0]) and misspelt["candidates"].notna().all()
    assert counts.get("normalized", 0) > 50  # 股份有限公司, （浙江）, spaces
    assert counts.get("exact", 0) > 50
    expected = user_files.lists.expected
    certifications = pd.read_parquet(user_files.panel / "certifications.parquet")
    assert list(certifications.columns) == ["company_id", "tier", "granted_year", "expires_year"]
    truth = set(
        zip(expected["company_id"], expected["tier"], expected["granted_year"], strict=True)
    )
    found = set(
        zip(
            certifications["company_id"],
            certifications["tier"],
            certifications["granted_year"],
            strict=True,
        )
    )
    assert found <= truth  # nothing linked to the wrong firm
    assert len(found) >= 0.95 * len(truth)


def test_training_reads_the_long_export_and_reports_the_backtest(
    trained: subprocess.CompletedProcess[str],
) -> None:
    output = trained.stdout + trained.stderr
    assert trained.returncode == 0, output
    assert "layout: long" in output
    assert "毛利率(%) → gross_margin, × 0.01" in output
    assert "filled from the same firm's earlier years: revenue_prev" in output
    assert "column '证券简称' ignored: not a contract field or alias" in output
    assert "first champion" in output


def test_the_page_scores_the_wide_export(user_files: UserFiles, served: str) -> None:
    with httpx.Client(base_url=served, timeout=300) as http:
        assert "Your candidate list" in http.get("/").text
        preview = http.post(
            "/v1/screen/preview",
            files={"file": ("candidates_wide.xlsx", user_files.wide.read_bytes())},
        )
        assert preview.status_code == 200, preview.text
        assert preview.json()["layout"] == "wide"
        assert preview.json()["year_columns"]["营业收入(万元)2025"] == "revenue, 2025, × 10000"
        page = http.post(
            "/v1/screen/page",
            files={"file": ("candidates_wide.xlsx", io.BytesIO(user_files.wide.read_bytes()))},
        )
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["columns"]["layout"] == "wide"
        assert any("set aside" in note for note in body["columns"]["notes"])
        assert body["n_rows"] == user_files.n_wide_firms  # one row per firm in the file
        rows = body["rows"]
        assert len(rows) + body["n_error_rows"] == user_files.n_wide_firms
        assert {r["fiscal_year"] for r in rows} == {max(CANDIDATE_YEARS)}
        candidates = [r for r in rows if r["status"] == "candidate"]
        assert candidates and all(0.0 <= r["coverage"] <= 1.0 for r in candidates)
        top = candidates[0]
        detail = http.get(
            f"/v1/screen/page/{body['token']}/rows/{top['row']}",
            headers={"X-SRDI-Session": page.headers.get("X-SRDI-Session", "")},
            cookies=page.cookies,
        )
        assert detail.status_code == 200, detail.text
        reasons = detail.json()["reasons"]
        told = [r for r in reasons if r["family"] != "unreported"]
        assert told and all("not reported" not in r["text"] for r in told)
        assert detail.json()["coverage"] == top["coverage"]
