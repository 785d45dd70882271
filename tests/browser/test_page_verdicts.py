"""Verdicts a fund manager can act on, as the page shows them, in headless Chromium.

A small file of three firms from the bundled sample: one holding the provincial
tier since 2022 whose figures pass its re-review (due in 2025), the same firm with
its R&D cut to almost nothing (re-review due, at risk), and a candidate with no
tier. The page shows the re-review badge, filters on it, lists the assumptions
beside each verdict, and the export carries the re-review and assumption columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.rules import evaluate_schemes
from features.validate import validate_frame

SAMPLE = Path(__file__).resolve().parents[2] / "serving" / "page" / "sample_data" / "candidates.csv"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _passing_holder(sample: pd.DataFrame) -> pd.Series:
    """The first sample firm that would pass the provincial re-review as a holder."""
    as_holders = sample.assign(current_tier="srdi_sme", tier_since=2022)
    validated = validate_frame(as_holders)
    reviews = evaluate_schemes(validated.columns, schemes=["cn_srdi_sme"]).reviews()
    passing = [
        row for row, r in zip(validated.rows, reviews, strict=True) if r["verdict"] == "pass"
    ]
    return sample.iloc[int(passing[0])]


def _three_firms(path: Path) -> Path:
    sample = pd.read_csv(SAMPLE, dtype={"company_id": str})
    held = _passing_holder(sample).copy()
    held["company_id"], held["name"] = "HELD-PASSES", "稳健保级科技有限公司"
    held["current_tier"], held["tier_since"] = "srdi_sme", 2022
    slipped = held.copy()
    slipped["company_id"], slipped["name"] = "HELD-AT-RISK", "研发下滑制造有限公司"
    slipped["rd_expense"], slipped["rd_staff"] = 1000.0, 0
    candidate = sample.iloc[1].copy()
    candidate["company_id"], candidate["current_tier"] = "CANDIDATE", "none"
    frame = pd.DataFrame([held, slipped, candidate])
    frame["tier_since"] = frame["tier_since"].astype("Int64")
    out = path / "held_tiers.csv"
    frame.to_csv(out, index=False)
    return out


def _visible_ids(page) -> list[str]:
    rows = page.locator("#ranking tbody tr[data-company-id]")
    return [rows.nth(i).get_attribute("data-company-id") for i in range(rows.count())]


def test_re_review_badge_filter_assumptions_and_export(page, app_url, tmp_path) -> None:
    page.goto(app_url)
    page.set_input_files("#file-input", str(_three_firms(tmp_path)))
    page.wait_for_selector("#step-map:not([hidden])")
    page.click("#run-screen")
    page.wait_for_selector("#results:not([hidden])")
    assert "of 3" in page.locator("#page-info").inner_text()

    # Badges in the ranking: the held tier's re-review year and outlook.
    held = page.locator("#ranking tbody tr[data-company-id='HELD-PASSES']")
    slipped = page.locator("#ranking tbody tr[data-company-id='HELD-AT-RISK']")
    assert "re-review 2025" in held.locator(".badge.review").inner_text()
    assert held.locator(".badge.review.review-pass").count() == 1
    assert slipped.locator(".badge.review.review-fail").count() == 1
    assert "at risk" in slipped.locator(".badge.review").inner_text()
    assert page.locator("#ranking tbody tr[data-company-id='CANDIDATE'] .badge.review").count() == 0

    # The re-review filter keeps the firms due, then only the one at risk.
    page.select_option("#f-review", "due")
    assert sorted(_visible_ids(page)) == ["HELD-AT-RISK", "HELD-PASSES"]
    page.select_option("#f-review", "at_risk")
    assert _visible_ids(page) == ["HELD-AT-RISK"]

    # The firm at risk: its re-review fails whatever was not reported, so no
    # assumption is stated; the one that passes rests on assumed conditions (no
    # serious violation, the general conditions), listed beside the verdict.
    page.select_option("#f-review", "")
    dialog = page.locator("#detail")
    slipped.locator("button.open-firm").click()
    dialog.locator(".detail-head").wait_for()
    assert dialog.locator(".badge.review.review-fail").count() >= 1
    page.click("#detail-close")
    held.locator("button.open-firm").click()
    dialog.locator(".detail-head").wait_for()
    assert dialog.locator(".badge.review.review-pass").count() >= 1
    assumed = dialog.locator("ul.assumptions li").all_inner_texts()
    assert any("serious" in text and "assumed" in text for text in assumed), assumed
    page.click("#detail-close")

    # The export carries the re-review columns and the assumptions.
    with page.expect_download() as download:
        page.click("#export-csv")
    csv_path = tmp_path / "export.csv"
    download.value.save_as(csv_path)
    exported = pd.read_csv(csv_path, encoding="utf-8-sig").set_index("company_id")
    assert exported.loc["HELD-AT-RISK", "re_review_verdict"] == "fail"
    assert exported.loc["HELD-PASSES", "re_review_verdict"] == "pass"
    assert int(exported.loc["HELD-PASSES", "re_review_year"]) == 2025
    assert pd.isna(exported.loc["CANDIDATE", "re_review_year"])
    assert "assumed" in exported.loc["CANDIDATE", "assumptions"]
    assert page.console_errors == []
