"""Every band of every points table, checked against the official wording.

The expected points are written here again, straight from the text of 工信部企业
〔2022〕63号 (not read from the rule tables), read statutorily (民法典 art. 1259:
以上 and 以下 include the number itself), and computed exactly on integer inputs
(basis points, 万元, quarter-years). A number the wording puts in two bands ("55%以下
10; 55%-75% 5") earns the better one, as provincial guidance scores edges
("边界值按高分档计分"): so 5% is in "5%以上" (20), 3% in "3%-5%" (15), 55% in
"55%以下" (10).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.rules import evaluate_schemes
from tests.support.rules_firms import columns, record

INNOVATIVE, SRDI = "cn_innovative_sme", "cn_srdi_sme"
ROWS = st.lists  # alias for readability below


def points_of(scheme: str, criterion: str, records: list[dict[str, Any]]) -> tuple[Any, Any]:
    ev = evaluate_schemes(columns(*records), schemes=[scheme])
    result = ev[scheme].criteria[criterion]
    return result.points, result.points_upper


def first_band(value: Fraction, bands: list[tuple[Fraction, int]], below: int = 0) -> int:
    """Points of the first 'value ≥ edge' band (bands best first)."""
    for edge, points in bands:
        if value >= edge:
            return points
    return below


Worded = tuple[int | None, int | None, int]  # (from, to, points); None: open end


def statutory(value: int, bands: list[Worded]) -> int:
    """The best band whose wording contains ``value`` (both ends included).

    ``(500, None, 20)`` is "5%以上 20", ``(300, 500, 15)`` "3%-5% 15", ``(None, 100, 0)``
    "1%以下 0" (values in basis points).
    """
    return max(
        points
        for lo, hi, points in bands
        if (lo is None or value >= lo) and (hi is None or value <= hi)
    )


def bp(x: int) -> Fraction:
    return Fraction(x, 10_000)


def with_edges(edges_bp: list[int], lo: int, hi: int) -> st.SearchStrategy[list[int]]:
    """Lists of basis-point values that always contain every edge and its neighbours."""
    fixed = sorted({e + d for e in edges_bp for d in (-1, 0, 1)})
    return st.lists(st.integers(lo, hi), max_size=40).map(lambda xs: fixed + xs)


# --- share- and growth-type indicators -----------------------------------------------

# (scheme, criterion, edges in basis points, record builder, expected from the text)
ShareCase = tuple[str, str, list[int], Callable[[int], dict[str, Any]], Callable[[int], int]]

SHARE_CASES: list[ShareCase] = [
    (
        INNOVATIVE,
        "rd_intensity",
        [500, 300, 200, 100],
        lambda x: record(revenue=1e8, rd_expense=x * 1e4),
        # "5%以上 20; 3%-5% 15; 2%-3% 10; 1%-2% 5; 1%以下 0"
        lambda x: statutory(
            x, [(500, None, 20), (300, 500, 15), (200, 300, 10), (100, 200, 5), (None, 100, 0)]
        ),
    ),
    (
        INNOVATIVE,
        "main_business_growth",
        [1500, 1000, 500, 0],
        lambda x: record(main_business_revenue_prev=1e8, main_business_revenue=1e8 + x * 1e4),
        # "15%以上 20; 10%-15% 15; 5%-10% 10; 0-5% 5; 0以下 0"
        lambda x: statutory(
            x, [(1500, None, 20), (1000, 1500, 15), (500, 1000, 10), (0, 500, 5), (None, 0, 0)]
        ),
    ),
    (
        INNOVATIVE,
        "debt_ratio",
        [5500, 7500],
        lambda x: record(total_assets=1e8, total_liabilities=x * 1e4),
        # "55%以下 10; 55%-75% 5; 75%以上 0": 55% -> 10, 75% -> 5
        lambda x: statutory(x, [(None, 5500, 10), (5500, 7500, 5), (7500, None, 0)]),
    ),
    (
        INNOVATIVE,
        "main_business_share",
        [7000, 6000, 5500, 5000],
        lambda x: record(revenue=1e8, main_business_revenue=x * 1e4),
        # "70%以上 20; 60%-70% 15; 55%-60% 10; 50%-55% 5; 50%以下 0"
        lambda x: statutory(
            x,
            [
                (7000, None, 20),
                (6000, 7000, 15),
                (5500, 6000, 10),
                (5000, 5500, 5),
                (None, 5000, 0),
            ],
        ),
    ),
    (
        SRDI,
        "main_business_share",
        [8000, 7000, 6000],
        lambda x: record(revenue=1e8, main_business_revenue=x * 1e4),
        # "80%以上 5; 70%-80% 3; 60%-70% 1; 60%以下 0"
        lambda x: statutory(
            x, [(8000, None, 5), (7000, 8000, 3), (6000, 7000, 1), (None, 6000, 0)]
        ),
    ),
    (
        SRDI,
        "net_margin",
        [1000, 800, 600, 400, 200],
        lambda x: record(revenue=1e8, net_profit=x * 1e4),
        # "10%以上 10; 8%-10% 8; 6%-8% 6; 4%-6% 4; 2%-4% 2; 2%以下 0"
        lambda x: statutory(
            x,
            [
                (1000, None, 10),
                (800, 1000, 8),
                (600, 800, 6),
                (400, 600, 4),
                (200, 400, 2),
                (None, 200, 0),
            ],
        ),
    ),
    (
        SRDI,
        "debt_ratio",
        [5000, 6000, 7000],
        lambda x: record(total_assets=1e8, total_liabilities=x * 1e4),
        # "50%以下 5; 50%-60% 3; 60%-70% 1; 70%以上 0": 50% -> 5, 60% -> 3, 70% -> 1
        lambda x: statutory(
            x, [(None, 5000, 5), (5000, 6000, 3), (6000, 7000, 1), (7000, None, 0)]
        ),
    ),
    (
        SRDI,
        "rd_staff_share",
        [2000, 1000, 500],
        lambda x: record(employees=10_000, rd_staff=x),
        # "20%以上 5; 10%-20% 3; 5%-10% 1; 5%以下 0"
        lambda x: statutory(x, [(2000, None, 5), (1000, 2000, 3), (500, 1000, 1), (None, 500, 0)]),
    ),
]


@pytest.mark.parametrize("case", SHARE_CASES, ids=lambda c: f"{c[0]}.{c[1]}")
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_share_bands_follow_the_text(case: ShareCase, data: st.DataObject) -> None:
    scheme, criterion, edges, build, expected = case
    values = data.draw(with_edges(edges, -3000, 12_000))
    values = [v for v in values if v >= 0 or criterion.endswith("growth") or "margin" in criterion]
    lo, hi = points_of(scheme, criterion, [build(v) for v in values])
    want = np.array([expected(v) for v in values], dtype=float)
    np.testing.assert_array_equal(lo, want, err_msg=f"values (bp): {values}")
    np.testing.assert_array_equal(hi, want)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(-3000, 3000), st.integers(-3000, 3000)), min_size=1))
def test_srdi_growth_bands_use_the_two_year_mean(pairs: list[tuple[int, int]]) -> None:
    # Edges as the mean of two yearly rates: (800, 1200) → 10%, (300, 500) → 4%, ...
    pairs = [(800, 1200), (700, 900), (500, 700), (300, 500), (-100, 100), (-100, 99), *pairs]
    records = []
    for g_prev, g_now in pairs:
        prev2 = 1e8
        prev = prev2 * (1 + g_prev / 10_000)
        now = prev * (1 + g_now / 10_000)
        records.append(
            record(
                main_business_revenue_prev2=prev2,
                main_business_revenue_prev=prev,
                main_business_revenue=now,
            )
        )
    lo, _ = points_of(SRDI, "main_business_growth", records)
    bands = [(bp(1000), 10), (bp(800), 8), (bp(600), 6), (bp(400), 4), (bp(0), 2)]
    want = [first_band(Fraction(a + b, 2) / 10_000, bands) for a, b in pairs]
    np.testing.assert_array_equal(lo, np.array(want, dtype=float), err_msg=str(pairs))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=30))
def test_years_in_niche_one_point_per_full_two_years(quarters: list[int]) -> None:
    quarters = [0, 7, 8, 15, 16, 24, 32, 39, 40, 41, 60, *quarters]
    lo, _ = points_of(SRDI, "years_in_niche", [record(years_in_niche=q / 4) for q in quarters])
    want = [min(5, (q // 4) // 2) for q in quarters]
    np.testing.assert_array_equal(lo, np.array(want, dtype=float))


def test_digital_level_bands() -> None:
    lo, _ = points_of(SRDI, "digital_level", [record(digital_level=v) for v in (1, 2, 3, 4)])
    np.testing.assert_array_equal(lo, [0, 3, 5, 5])


def test_rd_institution_bands() -> None:
    levels = ["none", "below_municipal", "municipal", "provincial", "national"]
    lo, _ = points_of(SRDI, "rd_institution", [record(rd_institution=v) for v in levels])
    np.testing.assert_array_equal(lo, [0, 2, 4, 8, 10])


def test_strategic_emerging_yes_10_no_5_unknown_between() -> None:
    lo, hi = points_of(
        INNOVATIVE, "strategic_emerging", [record(strategic_emerging=v) for v in (1, 0, None)]
    )
    np.testing.assert_array_equal(lo, [10, 5, 5])
    np.testing.assert_array_equal(hi, [10, 5, 10])


# --- R&D input: amount or intensity ----------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 700), st.sampled_from([1000, 2500, 5000, 10_000, 20_000])),
        max_size=30,
    )
)
def test_rd_input_takes_the_better_of_amount_and_intensity(pairs: list[tuple[int, int]]) -> None:
    # (R&D 万元, revenue 万元); the fixed ones sit on amount edges and intensity edges.
    pairs = [(500, 20_000), (499, 20_000), (100, 20_000), (99, 20_000), (300, 2500), (250, 2500),
             (200, 2500), (75, 2500), (74, 2500), *pairs]  # fmt: skip
    records = [record(rd_expense=rd * 1e4, revenue=rev * 1e4) for rd, rev in pairs]
    lo, hi = points_of(SRDI, "rd_input", records)

    def expected(rd: int, rev: int) -> int:
        amount = first_band(Fraction(rd), [(Fraction(e), p) for e, p in
                            ((500, 10), (400, 8), (300, 6), (200, 4), (100, 2))])  # fmt: skip
        share = first_band(Fraction(rd, rev), [(bp(e), p) for e, p in
                           ((1000, 10), (800, 8), (600, 6), (400, 4), (300, 2))])  # fmt: skip
        return max(amount, share)

    want = np.array([expected(rd, rev) for rd, rev in pairs], dtype=float)
    np.testing.assert_array_equal(lo, want, err_msg=str(pairs))
    np.testing.assert_array_equal(hi, want)


def test_rd_input_known_amount_bounds_unknown_intensity() -> None:
    # Revenue unknown is impossible (required), but R&D unknown leaves 0..10.
    lo, hi = points_of(SRDI, "rd_input", [record(rd_expense=None)])
    assert (lo[0], hi[0]) == (0, 10)


# --- indicators built from several inputs, with unknowns ---------------------------------

TRI = st.sampled_from([0, 1, None])


def _known_true(v: object) -> int:
    return 1 if v == 1 else 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TRI, TRI, TRI, st.sampled_from([0, 1, 3, None])), min_size=1))
def test_quality_management_three_per_item_capped_at_five(items: list[tuple[Any, ...]]) -> None:
    records = [
        record(quality_award=a, quality_certification=c, own_brand=b, standards_drafted=s)
        for a, c, b, s in items
    ]
    lo, hi = points_of(SRDI, "quality_management", records)
    for (a, c, b, s), got_lo, got_hi in zip(items, lo, hi, strict=True):
        met = [a == 1, c == 1, b == 1, s is not None and s >= 1]
        unknown = [a is None, c is None, b is None, s is None]
        assert got_lo == min(5, 3 * sum(met))
        assert got_hi == min(5, 3 * (sum(met) + sum(unknown)))


def test_chain_role_flag_gives_three_known_five_at_most() -> None:
    lo, hi = points_of(SRDI, "chain_role", [record(key_chain_supplier=v) for v in (1, 0, None)])
    np.testing.assert_array_equal(lo, [3, 0, 0])
    np.testing.assert_array_equal(hi, [5, 0, 5])


COUNT = st.sampled_from([0, 1, 2, None])


def _ip_level_bounds(inv: Any, c1: Any, c2: Any, strategic: Any) -> tuple[int, int]:
    """IP ladder as documented: 4 high-value (invention patent in a strategic-emerging
    product), 3 self-developed (invention patent), 2 Class-I, 1 Class-II, 0 none."""

    def holds(cond: tuple[Any, ...]) -> bool | None:
        if any(v is False for v in cond):
            return False
        if all(v is True for v in cond):
            return True
        return None

    def ge1(v: Any) -> bool | None:
        return None if v is None else v >= 1

    ladder = [
        holds((ge1(inv), None if strategic is None else strategic == 1)),
        holds((ge1(inv),)),
        holds((ge1(c1),)),
        holds((ge1(c2),)),
    ]
    levels = [4, 3, 2, 1]
    known = next((lv for lv, h in zip(levels, ladder, strict=True) if h is True), 0)
    possible = next((lv for lv, h in zip(levels, ladder, strict=True) if h is not False), 0)
    return known, possible


@pytest.mark.parametrize(
    ("scheme", "points"), [(INNOVATIVE, [0, 5, 10, 15, 20]), (SRDI, [0, 2, 6, 8, 10])]
)
@settings(max_examples=40, deadline=None)
@given(combos=st.lists(st.tuples(COUNT, COUNT, COUNT, TRI), min_size=1, max_size=30))
def test_ip_bands_by_documented_reading(
    scheme: str, points: list[int], combos: list[tuple[Any, ...]]
) -> None:
    records = [
        record(invention_patents=i, class1_ip=c1, class2_ip=c2, strategic_emerging=s)
        for i, c1, c2, s in combos
    ]
    lo, hi = points_of(scheme, "ip", records)
    for combo, got_lo, got_hi in zip(combos, lo, hi, strict=True):
        known, possible = _ip_level_bounds(*combo)
        assert (got_lo, got_hi) == (points[known], points[possible]), combo
