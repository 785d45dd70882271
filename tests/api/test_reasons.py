"""Reasons: grouping TreeSHAP contributions by family, ranking them, the sentences."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from serving.scoring.reasons import ReasonBuilder, format_value


@dataclass(frozen=True)
class Spec:
    name: str
    family: str
    label: str
    unit: str | None
    baseline_of: str | None = None


SPECS = [
    Spec("rd_intensity", "rd_intensity", "R&D expense / revenue", "%"),
    Spec("rd_staff_share", "rd_intensity", "R&D staff share", "%"),
    Spec(
        "rd_intensity_vs_industry",
        "rd_intensity",
        "R&D intensity minus the industry median",
        "pp",
        "rd_intensity",
    ),
    Spec("gross_margin", "margin", "Gross margin", "%"),
    Spec("revenue_cagr", "growth", "Revenue growth (2-year CAGR)", "%"),
    Spec("firm_age", "scale_age", "Firm age", "years"),
    Spec("log_revenue", "scale_age", "Revenue (log)", "log CNY"),
]
CATALOG = {s.name: s for s in SPECS}
FAMILIES = {
    "rd_intensity": "R&D intensity",
    "margin": "Margin",
    "growth": "Growth",
    "scale_age": "Scale and age",
}
NAMES = [s.name for s in SPECS]
FAMILY_OF = np.array([list(FAMILIES).index(s.family) for s in SPECS])


def builder() -> ReasonBuilder:
    return ReasonBuilder(NAMES, CATALOG, FAMILIES)


finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(contrib=arrays(np.float64, (7, len(NAMES) + 1), elements=finite))
def test_family_sums_add_up_to_the_margin_minus_bias(contrib: np.ndarray) -> None:
    family = builder().family_contributions(contrib)
    assert family.shape == (7, len(FAMILIES))
    np.testing.assert_allclose(family.sum(axis=1), contrib[:, :-1].sum(axis=1), atol=1e-9)
    for k in range(len(FAMILIES)):
        np.testing.assert_allclose(
            family[:, k], contrib[:, :-1][:, np.equal(FAMILY_OF, k)].sum(axis=1)
        )


@settings(max_examples=60, deadline=None)
@given(
    contrib=arrays(np.float64, (5, len(NAMES) + 1), elements=finite),
    top=st.integers(1, 6),
)
def test_reasons_are_the_largest_families_in_order(contrib: np.ndarray, top: int) -> None:
    values = np.ones((5, len(NAMES)))
    medians = np.full((5, len(NAMES)), 0.5)
    family = builder().family_contributions(contrib)
    for i, reasons in enumerate(builder().build(contrib, values, medians, top=top)):
        assert len(reasons) <= min(top, len(FAMILIES))
        sizes = [abs(r["contribution"]) for r in reasons]
        assert sizes == sorted(sizes, reverse=True)
        # No family left out is larger than the smallest one kept.
        kept = {r["family"] for r in reasons}
        left_out = [abs(family[i, k]) for k, f in enumerate(FAMILIES) if f not in kept]
        if len(reasons) == min(top, len(FAMILIES)) and left_out:
            assert max(left_out) <= min(sizes) + 1e-12
        for reason in reasons:
            k = list(FAMILIES).index(reason["family"])
            assert reason["contribution"] == pytest.approx(family[i, k])
            assert reason["direction"] == ("raises" if reason["contribution"] > 0 else "lowers")
            members = {s.name for s in SPECS if s.family == reason["family"]}
            listed = [f["name"] for f in reason["features"]]
            assert set(listed) <= members and len(listed) == len(set(listed))
            shown = [abs(f["contribution"]) for f in reason["features"]]
            assert shown == sorted(shown, reverse=True)


def test_reason_content_and_sentence() -> None:
    contrib = np.zeros((1, len(NAMES) + 1))
    contrib[0, NAMES.index("rd_intensity")] = 0.40
    contrib[0, NAMES.index("rd_staff_share")] = -0.05
    contrib[0, NAMES.index("gross_margin")] = -0.20
    values = np.array([[0.072, 0.25, 0.041, 0.18, np.nan, 12.0, 7.5]])
    medians = np.array([[0.031, 0.12, np.nan, 0.22, 0.08, 10.0, 7.0]])
    reasons = builder().build(contrib, values, medians, top=5)[0]

    # Families without any contribution say nothing; the unreported growth is the last line.
    assert [r["family"] for r in reasons] == ["rd_intensity", "margin", "unreported"]
    rd = reasons[0]
    assert rd["family_label"] == "R&D intensity"
    assert rd["contribution"] == pytest.approx(0.35)
    assert rd["direction"] == "raises"
    assert rd["text"] == (
        "R&D intensity raises the score: R&D expense / revenue 7.2% (industry median 3.1%)"
    )
    assert rd["features"][0] == {
        "name": "rd_intensity",
        "label": "R&D expense / revenue",
        "unit": "%",
        "value": 0.072,
        "industry_median": 0.031,
        "contribution": 0.40,
    }
    assert reasons[1]["direction"] == "lowers"
    assert reasons[1]["text"].startswith("Margin lowers the score: Gross margin 18.0%")


def test_a_relative_feature_is_told_through_its_source() -> None:
    contrib = np.zeros((1, len(NAMES) + 1))
    contrib[0, NAMES.index("rd_intensity_vs_industry")] = 0.5
    contrib[0, NAMES.index("rd_intensity")] = 0.1
    values = np.array([[0.072, 0.25, 0.041, 0.18, 0.1, 12.0, 7.5]])
    medians = np.array([[0.031, 0.12, np.nan, 0.22, 0.08, 10.0, 7.0]])
    (reason,) = builder().build(contrib, values, medians, top=1)[0]
    assert reason["features"][0]["name"] == "rd_intensity_vs_industry"
    assert reason["features"][0]["value"] == 0.041
    assert reason["features"][0]["industry_median"] is None
    assert reason["text"] == (
        "R&D intensity raises the score: R&D expense / revenue 7.2% (industry median 3.1%)"
    )


def test_a_reason_is_told_through_a_feature_pushing_its_way() -> None:
    # The family raises the score overall, but its largest single contribution
    # lowers it: the sentence must name the feature that raises it.
    contrib = np.zeros((1, len(NAMES) + 1))
    contrib[0, NAMES.index("log_revenue")] = -0.30
    contrib[0, NAMES.index("firm_age")] = 0.25
    contrib[0, NAMES.index("rd_intensity")] = 0.10
    contrib[0, NAMES.index("rd_staff_share")] = 0.20
    values = np.array([[0.072, 0.25, 0.041, 0.18, 0.1, 12.0, 7.5]])
    medians = np.array([[0.031, 0.12, np.nan, 0.22, 0.08, 10.0, 7.0]])
    rd, scale = builder().build(contrib, values, medians, top=2)[0]
    assert scale["direction"] == "lowers"
    assert scale["features"][0]["name"] == "log_revenue"  # listed by |contribution|
    assert scale["text"].startswith("Scale and age lowers the score: Revenue (log)")
    assert rd["direction"] == "raises"
    assert rd["features"][0]["name"] == "rd_staff_share"
    assert (
        rd["text"]
        == "R&D intensity raises the score: R&D staff share 25.0% (industry median 12.0%)"
    )

    # When the largest contribution agrees with the family, it tells the reason.
    contrib[0, NAMES.index("firm_age")] = 0.35
    scale = next(
        r for r in builder().build(contrib, values, medians, top=3)[0] if r["family"] == "scale_age"
    )
    assert scale["direction"] == "raises"
    assert scale["features"][0]["name"] == "firm_age"
    assert (
        scale["text"]
        == "Scale and age raises the score: Firm age 12 years (industry median 10 years)"
    )


def test_an_unreported_figure_is_never_told_as_evidence() -> None:
    # Issue 14: "Growth lowers the score: Revenue growth not reported" told the effect of
    # a gap as if it were a fact about the firm. Now the gap's effect is one summed line.
    contrib = np.zeros((1, len(NAMES) + 1))
    contrib[0, NAMES.index("revenue_cagr")] = -0.3
    contrib[0, NAMES.index("gross_margin")] = -0.05
    contrib[0, NAMES.index("firm_age")] = 0.2
    values = np.array([[0.1, 0.1, 0.0, np.nan, np.nan, 12.0, 1.0]])
    medians = np.full((1, len(NAMES)), np.nan)
    reasons = builder().build(contrib, values, medians, top=3)[0]
    assert [r["family"] for r in reasons] == ["scale_age", "unreported"]
    gap = reasons[-1]
    assert gap["text"] == "2 figures not reported: together −0.35"
    assert gap["family_label"] == "Figures not reported" and gap["direction"] == "lowers"
    assert gap["contribution"] == pytest.approx(-0.35)
    assert [f["name"] for f in gap["features"]] == ["revenue_cagr", "gross_margin"]
    assert all(f["value"] is None for f in gap["features"])
    assert reasons[0]["text"] == "Scale and age raises the score: Firm age 12 years"


def test_a_relative_feature_without_its_source_is_one_figure() -> None:
    contrib = np.zeros((1, len(NAMES) + 1))
    contrib[0, NAMES.index("rd_intensity")] = 0.1
    contrib[0, NAMES.index("rd_intensity_vs_industry")] = 0.05
    values = np.array([[np.nan, 0.1, np.nan, 0.2, 0.1, 12.0, 1.0]])
    reasons = builder().build(contrib, values, np.full((1, len(NAMES)), np.nan), top=3)[0]
    assert [r["family"] for r in reasons] == ["unreported"]
    assert reasons[0]["text"] == "1 figure not reported: together +0.15"


@settings(max_examples=60, deadline=None)
@given(
    contrib=arrays(np.float64, (5, len(NAMES) + 1), elements=finite),
    known=arrays(np.bool_, (5, len(NAMES))),
)
def test_reported_reasons_and_the_unreported_line_add_up(
    contrib: np.ndarray, known: np.ndarray
) -> None:
    values = np.where(known, 0.5, np.nan)
    medians = np.full(values.shape, np.nan)
    for i, reasons in enumerate(builder().build(contrib, values, medians, top=len(FAMILIES))):
        told = sum(r["contribution"] for r in reasons)
        assert told == pytest.approx(contrib[i, : len(NAMES)].sum(), abs=1e-6)
        for reason in reasons:
            if reason["family"] != "unreported":
                assert all(f["value"] is not None for f in reason["features"])
        has_gap_line = any(r["family"] == "unreported" for r in reasons)
        assert has_gap_line == (not known[i].all())


def test_no_rows_and_no_reasons() -> None:
    empty = np.zeros((0, len(NAMES) + 1))
    assert builder().build(empty, empty[:, :-1], empty[:, :-1], top=3) == []
    one = np.ones((1, len(NAMES) + 1))
    assert builder().build(one, one[:, :-1], one[:, :-1], top=0) == [[]]


def test_a_feature_missing_from_the_catalog_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\['mystery'\].*not in the feature catalog"):
        ReasonBuilder([*NAMES, "mystery"], CATALOG, FAMILIES)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.0725, "%", "7.2%"),
        (None, "%", "not reported"),
        (math.nan, "years", "not reported"),
        (12.0, "years", "12 years"),
        (2.5, "years", "2.5 years"),
        (3.0, "count", "3"),
        (2.5e8, "CNY", "2.50 亿元 (CNY 250M)"),
        (3.2e6, "CNY", "320 万元 (CNY 3.2M)"),
        (0.041, "pp", "+4.1 pp"),
        (7.0, "log10 CNY", "1,000 万元 (CNY 10.0M)"),
        (2.0, "log10 persons", "99 persons"),
        (1.0, "yes/no", "yes"),
        (0.0, "yes/no", "no"),
        (3.0, "level", "level 3"),
        (2.0, "rank", "#2"),
        (1.25, "per 100 staff", "1.25 per 100 staff"),
    ],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text
