"""``srdi score`` and ``srdi explain`` on CSV, XLSX and Parquet, GBK input and bad rows.

The commands run in-process (typer's runner) against a champion trained on a tiny
world in a temporary store; one test runs the installed ``srdi`` entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.rules import SCHEME_IDS
from serving.page.export import ERROR_COLUMNS, export_columns
from srdi.cli import build_app
from srdi.cli.support import errors_path_for

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "serving" / "page" / "sample_data"
SAMPLE = SAMPLE_DIR / "candidates.csv"
GBK_SAMPLE = SAMPLE_DIR / "candidates_gbk.csv"
VERDICTS = {"eligible", "not_eligible", "undetermined", "certified"}

pytestmark = pytest.mark.slow  # the session fixture trains a model


@pytest.fixture()
def srdi(trained_store, monkeypatch):
    """Run ``srdi`` in-process against the trained store; returns the result."""
    for key, value in trained_store.env().items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    app = build_app()

    def run(*args: str):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        # Rich wraps to the terminal width; compare words, not line breaks.
        result.text = " ".join(result.output.split())
        return result

    return run


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE, dtype={"company_id": "string"})


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"company_id": "string"}, encoding="utf-8-sig")
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype={"company_id": "string"})
    return pd.read_parquet(path)


def _assert_ranked(frame: pd.DataFrame, n_expected: int) -> None:
    assert list(frame.columns) == export_columns()
    assert len(frame) == n_expected
    candidates = frame[frame["rank"].notna()]
    assert candidates["rank"].astype(int).tolist() == list(range(1, len(candidates) + 1))
    scores = candidates["score"].to_numpy(dtype=float)
    assert np.all(np.diff(scores) <= 1e-12), "candidates must be ranked by descending score"
    assert ((scores > 0) & (scores < 1)).all()
    assert set(frame["band"].dropna()) <= set("ABCD")
    for scheme in SCHEME_IDS:
        assert set(frame[scheme].dropna()) <= VERDICTS
    assert set(frame["re_review_verdict"].dropna()) <= {"pass", "fail", "undetermined"}
    # A firm already holding the target tier (no rank) is re-reviewed on it.
    assert frame.loc[frame["rank"].isna(), "re_review_verdict"].notna().all()
    # Every ranked firm says why, in words.
    assert candidates["top_reasons"].str.len().gt(10).all()


@pytest.mark.parametrize(
    ("in_format", "out_suffix"),
    [("csv", ".csv"), ("xlsx", ".parquet"), ("parquet", ".xlsx")],
)
def test_score_reads_and_writes_each_format(srdi, sample, tmp_path, in_format, out_suffix) -> None:
    rows = sample.head(40)
    source = tmp_path / f"in.{in_format}"
    if in_format == "csv":
        rows.to_csv(source, index=False)
    elif in_format == "xlsx":
        rows.to_excel(source, index=False)
    else:
        rows.to_parquet(source, index=False)
    out = tmp_path / f"ranked{out_suffix}"

    result = srdi("score", source, "-o", out)

    assert result.exit_code == 0, result.output
    ranked = _read(out)
    _assert_ranked(ranked, 40)
    assert set(ranked["company_id"]) == set(rows["company_id"])
    errors = pd.read_csv(errors_path_for(out))
    assert list(errors.columns) == list(ERROR_COLUMNS)
    assert errors.empty
    assert "ranked 40 of 40 rows" in result.output


def test_score_outputs_and_errors_file_keep_formulas_as_text(srdi, sample, tmp_path) -> None:
    rows = sample.head(6).copy()
    rows["name"] = rows["name"].astype(object)
    rows.loc[0, "name"] = '=HYPERLINK("http://x","click")'
    rows.loc[1, "name"] = "@SUM(A1)"
    rows["revenue"] = rows["revenue"].astype(object)
    rows.loc[2, "revenue"] = "=cmd|' /C calc'!A0"  # a bad row: its value goes to the errors file
    source = tmp_path / "in.csv"
    rows.to_csv(source, index=False)
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"ranked{suffix}"
        assert srdi("score", source, "-o", out).exit_code == 0
        ranked = _read(out).set_index("company_id")
        assert ranked.loc[rows.loc[0, "company_id"], "name"] == "'" + rows.loc[0, "name"]
        assert ranked.loc[rows.loc[1, "company_id"], "name"] == "'@SUM(A1)"
        assert ranked["score"].dropna().map(type).eq(float).all()
        errors = pd.read_csv(errors_path_for(out), encoding="utf-8-sig")
        assert errors.loc[errors["field"] == "revenue", "value"].tolist() == ["'=cmd|' /C calc'!A0"]
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "ranked.xlsx").active
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_the_same_rows_score_the_same_in_every_format(srdi, sample, tmp_path) -> None:
    rows = sample.head(25)
    rows.to_csv(tmp_path / "a.csv", index=False)
    rows.to_parquet(tmp_path / "b.parquet", index=False)
    assert srdi("score", tmp_path / "a.csv", "-o", tmp_path / "a_out.parquet").exit_code == 0
    assert srdi("score", tmp_path / "b.parquet", "-o", tmp_path / "b_out.parquet").exit_code == 0
    a = pd.read_parquet(tmp_path / "a_out.parquet").set_index("company_id")
    b = pd.read_parquet(tmp_path / "b_out.parquet").set_index("company_id").loc[a.index]
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-9)
    assert (a["cn_srdi_sme"] == b["cn_srdi_sme"]).all()


def test_gbk_vendor_file_with_chinese_headers_and_bad_rows(srdi, sample, tmp_path) -> None:
    out = tmp_path / "vendor_ranked.csv"

    result = srdi("score", GBK_SAMPLE, "-o", out, "--map", "技术人员数=rd_staff")

    assert result.exit_code == 0, result.output
    ranked = _read(out)
    _assert_ranked(ranked, 60)
    # Province names came in Chinese and leave canonical.
    assert ranked["province"].isin(sample["province"].unique()).all()
    assert ranked["name"].str.contains("有限公司").all()
    errors = pd.read_csv(errors_path_for(out), encoding="utf-8-sig")
    by_field = dict(zip(errors["field"], errors["message"], strict=True))
    # Three bad rows (data rows 60, 61, 62), each named with its field and rule.
    assert sorted(errors["row"].unique().tolist()) == [60, 61, 62]
    assert "not a number" in by_field["revenue"]
    assert "exceeds revenue" in by_field["main_business_revenue"]
    assert "province" in by_field
    assert "3 bad rows" in result.output
    # The same firms read from the UTF-8 sample with contract headers score the
    # same (the GBK file rounds the debt ratio to 4 decimals, hence the tolerance).
    plain_out = tmp_path / "plain.parquet"
    sample.head(60).to_csv(tmp_path / "plain.csv", index=False)
    assert srdi("score", tmp_path / "plain.csv", "-o", plain_out).exit_code == 0
    plain = pd.read_parquet(plain_out).set_index("company_id")
    vendor = ranked.set_index("company_id").loc[plain.index]
    # Firms no question asks about (Little Giants with no re-review due) have no score.
    np.testing.assert_array_equal(plain["score"].isna(), vendor["score"].isna())
    assert np.nanmax(np.abs(plain["score"].to_numpy() - vendor["score"].to_numpy())) < 0.02


def test_unmapped_vendor_column_is_ignored_not_fatal(srdi, tmp_path) -> None:
    out = tmp_path / "ranked.csv"
    result = srdi("score", GBK_SAMPLE, "-o", out)
    assert result.exit_code == 0, result.output
    assert len(_read(out)) == 60


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "{sample}", "-o", "{tmp}/ranked.json"], ".csv, .xlsx or .parquet"),
        (["score", "{tmp}/missing.csv", "-o", "{tmp}/ranked.csv"], "does not exist"),
        (
            ["score", "{sample}", "-o", "{tmp}/r.csv", "--map", "研发=no_such_field"],
            "not a contract field",
        ),
        (["score", "{sample}", "-o", "{tmp}/r.csv", "--map", "no-equals-sign"], "HEADER=FIELD"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(srdi, tmp_path, args, message) -> None:
    argv = [a.format(sample=SAMPLE, tmp=tmp_path) for a in args]
    result = srdi(*argv)
    assert result.exit_code == 2
    assert message in result.text


def test_unreadable_file_exits_1_naming_the_file(srdi, tmp_path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"this is not parquet")
    result = srdi("score", broken, "-o", tmp_path / "r.csv")
    assert result.exit_code == 1
    assert "broken.parquet" in result.output


def test_no_champion_says_how_to_train_one(tmp_path, monkeypatch) -> None:
    empty = tmp_path / "models"
    monkeypatch.setenv("SRDI_MODELS_DIR", str(empty))
    monkeypatch.setenv("SRDI_TRACKING_URI", f"sqlite:///{empty}/mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{empty}/mlflow.db")
    empty.mkdir()
    result = CliRunner().invoke(build_app(), ["score", str(SAMPLE), "-o", str(tmp_path / "r.csv")])
    assert result.exit_code == 1
    assert "train" in result.output


def test_explain_prints_reasons_and_criteria_gaps(srdi, tmp_path) -> None:
    out = tmp_path / "ranked.csv"
    assert srdi("score", SAMPLE, "-o", out).exit_code == 0
    top = _read(out).iloc[0]

    result = srdi("explain", SAMPLE, "--id", top["company_id"])

    assert result.exit_code == 0, result.output
    text = result.output
    assert top["name"] in text
    assert "Why: next provincial SRDI" in text and "Every question" in text
    assert "industry median" in text
    assert "Eligibility by scheme" in text
    assert "Provincial SRDI SME" in text and "gap to pass" in text
    assert f"{top['score'] * 100:.1f}%" in text


def test_explain_reads_gbk_with_chinese_headers(srdi) -> None:
    result = srdi(
        "explain", GBK_SAMPLE, "--id", "91110100MA000000QW", "--map", "技术人员数=rd_staff"
    )
    assert result.exit_code == 0, result.output
    assert "北京永兴华精密有限公司" in result.output


def test_explain_of_a_bad_row_names_the_problem(srdi) -> None:
    result = srdi("explain", GBK_SAMPLE, "--id", "BAD-MAIN-ABOVE-REVENUE")
    assert result.exit_code == 1
    assert "exceeds revenue" in result.output


def test_explain_unknown_id(srdi) -> None:
    result = srdi("explain", SAMPLE, "--id", "NO-SUCH-FIRM")
    assert result.exit_code == 1
    assert "no row with company_id 'NO-SUCH-FIRM'" in result.output


def test_installed_entry_point_scores_a_file(trained_store, tmp_path) -> None:
    out = tmp_path / "ranked.xlsx"
    env = {**os.environ, **trained_store.env(), "COLUMNS": "120"}
    srdi_bin = Path(sys.executable).with_name("srdi")
    done = subprocess.run(
        [str(srdi_bin), "score", str(GBK_SAMPLE), "-o", str(out), "--map", "技术人员数=rd_staff"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(pd.read_excel(out)) == 60
    assert errors_path_for(out).is_file()
    assert "ranked 60 of 63 rows" in done.stderr
