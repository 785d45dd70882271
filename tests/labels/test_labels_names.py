"""Name keys: spellings of one firm fold together, different firms stay apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from training.published.names import clean_name, normalize_name
from training.published.places import CITY_PROVINCE, region_province


@pytest.mark.parametrize(
    "spelling",
    [
        "浙江精工科技股份有限公司",
        "精工科技（浙江）有限公司",
        "精工科技(杭州)有限公司",
        "杭州精工科技有限公司",
        "浙江省杭州市精工科技有限责任公司",
        " 精工科技 有限公司 ",
        "精工科技【杭州】有限公司",
        "“精工”科技有限公司",
    ],
)
def test_spellings_of_one_firm_share_a_key(spelling: str) -> None:
    assert normalize_name(spelling) == "精工科技"


def test_bracketed_words_that_are_not_places_are_kept() -> None:
    assert (
        normalize_name("华立（集团）有限公司") == normalize_name("华立集团有限公司") == "华立集团"
    )


def test_a_place_alone_or_a_short_rest_is_not_stripped() -> None:
    assert normalize_name("杭州市") == "杭州市"
    assert normalize_name("杭州甲有限公司") == "杭州甲"


def test_english_legal_forms_and_missing_names() -> None:
    assert normalize_name("Hengda Precision Co., Ltd.") == "hengdaprecision"
    assert normalize_name(None) == "" and normalize_name(float("nan")) == ""
    assert clean_name("  精工（杭州） ") == "精工(杭州)"


@given(
    st.sampled_from(sorted(CITY_PROVINCE)), st.text("精工华芯瑞丰科技电子", min_size=2, max_size=6)
)
def test_a_city_prefix_or_bracket_never_changes_the_key(city: str, core: str) -> None:
    plain = normalize_name(f"{core}有限公司")
    assert normalize_name(f"{city}{core}有限公司") == plain
    assert normalize_name(f"{city}市{core}股份有限公司") == plain
    assert normalize_name(f"{core}（{city}）有限公司") == plain


def test_regions_of_the_published_lists() -> None:
    assert region_province("浙江省") == "Zhejiang"
    assert region_province("宁波市") == "Zhejiang"
    assert region_province("深圳") == "Guangdong"
    assert region_province("新疆生产建设兵团") == "Xinjiang"
    assert region_province("火星") is None
    assert region_province(None) is None
