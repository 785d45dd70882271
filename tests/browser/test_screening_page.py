"""A fund manager's journey on the screening page, in headless Chromium.

Upload the sample, see the ranked list and why #1 ranks first, sort, filter,
search, open a firm, export CSV and XLSX; upload a GBK vendor file with Chinese
headers, match the column the alias table does not know, see the bad rows; the
mapping is remembered. Screenshots of the ranked table and the detail view go to
test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from serving.page.export import export_columns

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "serving" / "page" / "sample_data"
GBK_SAMPLE = SAMPLE_DIR / "candidates_gbk.csv"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _scores(page) -> list[float]:
    texts = page.locator("#ranking tbody td.col-score").all_inner_texts()
    return [float(t.strip().rstrip("%")) for t in texts if t.strip().endswith("%")]


def _type_filter(page, selector: str, text: str) -> None:
    """Type into a debounced filter box and wait until the list has been redrawn."""
    before = page.locator("#page-info").inner_text()
    page.fill(selector, text)
    page.wait_for_function(
        "before => document.querySelector('#page-info').textContent !== before", arg=before
    )


def _column(page, name: str) -> list[str]:
    return [t.strip() for t in page.locator(f"#ranking tbody td.col-{name}").all_inner_texts()]


def test_sample_ranked_filtered_explained_and_exported(
    page, app_url, trained_store, artifacts, tmp_path
) -> None:
    page.goto(app_url)
    assert (
        page.locator("#model-badge").inner_text()
        == f"model srdi-potential v{trained_store.model_version}"
    )

    page.click("#use-sample")
    page.wait_for_selector("#step-map:not([hidden])")
    summary = page.locator("#mapper-summary").inner_text()
    assert re.search(r"(\d+) of \1 columns matched", summary), summary
    page.click("#run-screen")
    page.wait_for_selector("#results:not([hidden])")

    # The ranked list: 400 firms, best first, with reasons in words.
    assert "of 400" in page.locator("#page-info").inner_text()
    assert page.locator("#ranking tbody tr").count() == 50
    scores = _scores(page)
    assert scores == sorted(scores, reverse=True)
    assert _column(page, "rank")[:3] == ["1", "2", "3"]
    why = page.locator("#top-firm")
    assert "Why #1 ranks first" in why.inner_text()
    assert why.locator("li.raises").count() >= 1
    first_reason = page.locator("#ranking tbody tr").first.locator("td.col-reasons li").first
    assert len(first_reason.inner_text()) > 15
    assert page.locator("#ranking tbody tr").first.locator(".col-schemes .badge").count() == 8
    # The upload and mapping steps fold away: the ranking starts near the top.
    assert page.locator("#change-input").is_visible()
    assert not page.locator("#step-map").is_visible()
    assert page.locator("#ranking tbody tr").first.bounding_box()["y"] < 768
    page.screenshot(path=str(artifacts / "screening-ranked.png"))

    # Sort on another column and back.
    page.click("#ranking thead .col-percentile button")
    percentiles = [float(x) for x in _column(page, "percentile") if x != "—"]
    assert percentiles == sorted(percentiles, reverse=True)
    page.click("#ranking thead .col-name button")
    names = _column(page, "name")
    assert names == sorted(names, key=str.lower) or len(names) == 50
    page.click("#ranking thead .col-rank button")
    assert _column(page, "rank")[0] == "1"

    # Filters: band, minimum score, province, scheme verdict, search.
    page.check("input[name=band][value=A]")
    bands = _column(page, "band")
    assert bands and set(bands) == {"A"}
    page.uncheck("input[name=band][value=A]")
    _type_filter(page, "#f-min-score", "10")
    assert all(s >= 10 for s in _scores(page))
    _type_filter(page, "#f-min-score", "")
    top_province = page.locator("#f-province option").nth(1).get_attribute("value")
    page.select_option("#f-province", top_province)
    assert set(_column(page, "province")) == {top_province}
    page.click("#reset-filters")
    page.select_option("#f-scheme", "cn_srdi_sme")
    page.select_option("#f-verdict", "not_eligible")
    shown = page.locator("#ranking tbody tr[data-company-id]").count()
    assert shown > 0
    assert (
        page.locator("#ranking tbody tr")
        .first.locator(".badge.verdict-not_eligible", has_text="CN SRDI")
        .count()
        == 1
    )
    page.click("#reset-filters")
    third = page.locator("#ranking tbody tr").nth(2)
    name = third.locator("button.open-firm").inner_text()
    _type_filter(page, "#f-search", name[-6:])
    assert name in page.locator("#ranking tbody").inner_text()
    assert page.locator("#ranking tbody tr[data-company-id]").count() < 50
    _type_filter(page, "#f-search", "")

    # The firm detail view: reasons, chart, ratios, gaps, every scheme, model version.
    page.locator("#ranking tbody tr").first.locator("button.open-firm").click()
    dialog = page.locator("#detail")
    dialog.locator(".detail-head").wait_for()
    text = dialog.inner_text().lower()  # section titles are upper-cased by CSS
    assert "why this score" in text
    assert "what would get it over the line" in text
    assert f"version {trained_store.model_version}" in text
    assert dialog.locator("svg.contributions rect").count() >= 3
    assert dialog.locator("table.ratios tbody tr").count() >= 3
    assert dialog.locator("details.scheme").count() == 8
    assert dialog.locator("details.scheme[open] li.criterion").count() >= 5
    page.screenshot(path=str(artifacts / "screening-detail.png"))
    page.click("#detail-close")
    assert not dialog.is_visible()

    # Export the filtered list as CSV and XLSX: the columns of `srdi score`.
    page.check("input[name=band][value=A]")
    page.check("input[name=band][value=B]")
    expected = page.locator("#export-count").inner_text()
    with page.expect_download() as download:
        page.click("#export-csv")
    csv_path = tmp_path / "export.csv"
    download.value.save_as(csv_path)
    exported = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert list(exported.columns) == export_columns()
    assert len(exported) == int(expected.replace(",", ""))
    assert set(exported["band"]) <= {"A", "B"}
    assert exported["score"].is_monotonic_decreasing
    with page.expect_download() as download:
        page.click("#export-xlsx")
    xlsx_path = tmp_path / "export.xlsx"
    download.value.save_as(xlsx_path)
    assert (
        pd.read_excel(xlsx_path)["company_id"].astype(str).tolist()
        == exported["company_id"].astype(str).tolist()
    )

    assert page.console_errors == []


def test_gbk_vendor_file_mapped_by_hand_with_bad_rows(page, app_url, artifacts) -> None:
    page.goto(app_url)
    page.set_input_files("#file-input", str(GBK_SAMPLE))
    page.wait_for_selector("#step-map:not([hidden])")

    # Chinese headers are matched automatically, except the one the alias table
    # does not know; it is listed first for the user to decide.
    first_row = page.locator(".mapper-table tbody tr").first
    assert first_row.locator("th").inner_text() == "技术人员数"
    assert "unmatched" in (first_row.get_attribute("class") or "")
    assert page.locator("select[data-header='营业收入']").input_value() == "revenue"
    assert page.locator("select[data-header='资产负债率']").input_value() == "debt_ratio"
    page.select_option("select[data-header='技术人员数']", "rd_staff")
    assert "your choice" in first_row.inner_text()
    page.screenshot(path=str(artifacts / "screening-mapper.png"))
    page.click("#run-screen")
    page.wait_for_selector("#results:not([hidden])")

    assert "of 60" in page.locator("#page-info").inner_text()
    assert "有限公司" in page.locator("#ranking tbody").inner_text()
    errors = page.locator("#errors")
    assert errors.is_visible()
    errors.locator("summary").click()
    table = errors.locator("table").inner_text()
    # Data rows 60-62 of the file are lines 62-64 (the header is line 1).
    for line, field in (("62", "revenue"), ("63", "main_business_revenue"), ("64", "province")):
        assert re.search(rf"{line}\s+{field}", table), table
    assert "exceeds revenue" in table

    # "change file or columns" brings the mapping back.
    page.click("#change-input")
    assert page.locator("#step-map").is_visible()

    # The hand-made match is remembered in this browser for the next file.
    page.reload()
    page.set_input_files("#file-input", str(GBK_SAMPLE))
    page.wait_for_selector("#step-map:not([hidden])")
    assert page.locator("select[data-header='技术人员数']").input_value() == "rd_staff"
    assert (
        "remembered" in page.locator(".mapper-table tbody tr", has_text="技术人员数").inner_text()
    )
    assert page.console_errors == []


def test_page_uses_no_outside_assets(page, app_url) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(app_url) else None)
    page.goto(app_url)
    page.wait_for_load_state("networkidle")
    assert outside == []
    assert page.locator("#use-sample").is_visible()


def test_page_asks_once_for_the_api_key_when_the_service_has_one(
    page, trained_store, serve_app
) -> None:
    from serving.app import create_app

    key = "page-test-key-0123456789"
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept(key)

    page.on("dialog", answer)
    with serve_app(create_app(trained_store.settings(api_key=key))) as url:
        page.goto(url)
        badge = page.locator("#model-badge")
        badge.filter(has_text="srdi-potential").wait_for()
        page.click("#use-sample")
        page.wait_for_selector("#step-map:not([hidden])")
    assert len(asked) == 1
    assert "API key" in asked[0]
    assert page.console_errors == [] or all("401" in e for e in page.console_errors)


def _ranked_scores(page) -> list[float]:
    rows = page.locator("#ranking tbody tr[data-company-id]")
    out = []
    for i in range(rows.count()):
        row = rows.nth(i)
        if row.locator("td.col-rank").inner_text().strip() == "—":
            break
        out.append(float(row.locator("td.col-score").inner_text().strip().rstrip("%")))
    return out


def test_the_selector_ranks_the_same_list_by_each_question(
    page, app_url, artifacts, tmp_path
) -> None:
    sample = pd.read_csv(SAMPLE_DIR / "candidates.csv")
    provincial = int((sample["current_tier"] == "srdi_sme").sum())
    page.goto(app_url)
    page.click("#use-sample")
    page.wait_for_selector("#step-map:not([hidden])")
    page.click("#run-screen")
    page.wait_for_selector("#results:not([hidden])")
    questions = page.locator("#questions input[name=question]")
    assert questions.count() == 3
    assert page.locator("#questions input[value=srdi_sme]").is_checked()
    page.locator("#questions label", has_text="next Little Giant").click()
    assert page.locator("#questions input[value=little_giant]").is_checked()
    summary = page.locator("#summary").inner_text()
    assert str(provincial) in summary and 'ranked by "next Little Giant"' in summary
    scores = _ranked_scores(page)
    assert len(scores) == min(provincial, 50) and scores == sorted(scores, reverse=True)
    first = page.locator("#ranking tbody tr").first
    assert first.locator(".rung").inner_text().startswith("provincial SRDI")
    assert "national Little Giant" in page.locator("#score-meaning").inner_text()

    page.locator("#questions label", has_text="re-review risk").click()
    risk = _ranked_scores(page)
    assert risk and risk == sorted(risk)  # the least likely to keep their status first
    first = page.locator("#ranking tbody tr").first
    assert first.locator(".rung").inner_text().startswith(("provincial SRDI", "Little Giant"))
    assert "re-review" in first.locator(".badge.review").inner_text()
    page.screenshot(
        path=str(Path(__file__).resolve().parents[2] / "test-artifacts" / "screening-retention.png")
    )

    # The export of the re-ranked list carries every score and the rank of the question.
    with page.expect_download() as download:
        page.click("#export-csv")
    path = tmp_path / "risk.csv"
    download.value.save_as(path)
    exported = pd.read_csv(path, encoding="utf-8-sig")
    assert list(exported.columns) == export_columns()
    ranked = exported[exported["rank"].notna()]
    assert ranked["retention_score"].is_monotonic_increasing
    assert ranked["rung"].isin(["srdi_sme", "little_giant"]).all()
    assert exported["srdi_sme_score"].notna().sum() == int(
        sample["current_tier"].isin(["none", "innovative_sme"]).sum()
    )
    assert page.console_errors == []
