"""Linking listed firms to a panel: each outcome, and never a near match unasked."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from training.published.linkage import LinkOptions, PanelFirms, check_credit_code, link_firms
from training.published.lists import ListedFirm


def code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


HZ = code("91330100MA27AB123")
NB = code("91330200MA2GH4561")
PANEL = PanelFirms(
    company_id=[HZ, NB, "P3", "P4", "P5", "P6", "P7"],
    name=[
        "杭州精工科技股份有限公司",
        "宁波华芯电子有限公司",
        "苏州博远新材料有限公司",
        "杭州瑞丰机械有限公司",
        "宁波瑞丰机械有限公司",
        "温州瑞丰机械有限公司",
        "成都天成信息有限公司",
    ],
    province=["Zhejiang", "Zhejiang", "Jiangsu", "Zhejiang", "Zhejiang", "Zhejiang", "Sichuan"],
)


def listed(name: str, *, code: str = "", region: str = "", problem: str = "") -> ListedFirm:
    return ListedFirm("list.xlsx", "1", name, code, region, "little_giant", 2021, problem)


def link(firm: ListedFirm, **options: object):  # type: ignore[no-untyped-def]
    return link_firms(PANEL, [firm], LinkOptions(**options))[0]  # type: ignore[arg-type]


def test_a_valid_code_in_the_panel_links_whatever_the_name() -> None:
    result = link(listed("精工", code=HZ))
    assert (result.status, result.company_id) == ("exact", HZ)
    assert "the panel names it" in result.note


def test_a_wrong_check_digit_is_an_error_not_a_match() -> None:
    wrong = NB[:-1] + ("0" if NB[-1] != "0" else "1")
    result = link(listed("宁波华芯电子有限公司", code=wrong, region="宁波市"))
    assert result.status == "invalid_code" and not result.linked and result.company_id == ""
    assert f"expected {NB[-1]!r}" in result.note
    assert [c.company_id for c in result.candidates] == [NB]  # shown, so the code can be fixed
    assert "wrong check digit" in check_credit_code(wrong)
    assert check_credit_code(NB) == ""
    assert "not valid" in check_credit_code("12345")


def test_a_valid_code_the_panel_lacks_falls_back_to_the_name() -> None:
    result = link(listed("苏州博远新材料有限公司", code=code("91320500MA1X00001")))
    assert (result.status, result.company_id) == ("exact", "P3")
    assert result.note.startswith("credit code not among the panel's company_id values")


def test_exact_and_normalized_names() -> None:
    assert link(listed("宁波华芯电子有限公司")).status == "exact"
    result = link(listed("精工科技（杭州）有限公司", region="浙江省"))
    assert (result.status, result.company_id) == ("normalized", HZ)


def test_a_shared_key_is_settled_by_region_or_reported_ambiguous() -> None:
    # 杭州/宁波/温州瑞丰机械 all fold to 瑞丰机械.
    assert link(listed("瑞丰机械有限公司")).status == "ambiguous"
    in_zhejiang = link(listed("瑞丰机械有限公司", region="浙江省"))
    assert in_zhejiang.status == "ambiguous" and len(in_zhejiang.candidates) == 3
    wrong_place = link(listed("天成信息有限公司", region="广东省"))
    assert wrong_place.status == "needs_review" and "Sichuan" in wrong_place.note


def test_near_names_are_listed_but_linked_only_when_accepted() -> None:
    firm = listed("苏州博远新材料科技有限公司", region="江苏省")
    review = link(firm)
    assert review.status == "needs_review" and review.company_id == ""
    assert review.candidates[0].company_id == "P3" and 60 <= review.candidates[0].similarity < 100
    accepted = link(firm, accept_fuzzy=True, accept_similarity=70.0)
    assert (accepted.status, accepted.company_id) == ("accepted_fuzzy", "P3")
    too_far = link(firm, accept_fuzzy=True, accept_similarity=95.0)
    assert too_far.status == "needs_review" and "below 95" in too_far.note


def test_a_tie_or_another_province_is_never_accepted() -> None:
    loose = {"accept_fuzzy": True, "review_similarity": 50.0, "accept_similarity": 50.0}
    tie = link(listed("瑞丰机电有限公司"), **loose)
    assert tie.status == "needs_review" and "tie" in tie.note
    elsewhere = link(listed("天成信息技术有限公司", region="广东"), **loose)
    assert elsewhere.status == "needs_review" and "Sichuan" in elsewhere.note


def test_unmatched_and_invalid_rows() -> None:
    assert link(listed("完全不同的名字股份有限公司")).status == "unmatched"
    assert link(listed("", problem="企业名称 is empty")).status == "invalid_row"


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="review ≤ accept"):
        LinkOptions(review_similarity=90.0, accept_similarity=80.0)
