"""Column maps: the same maps accepted, and refused with the same words, on every surface."""

from __future__ import annotations

import pytest

from features.column_map import (
    ColumnMapError,
    check_column_map,
    column_map_from_json,
    column_map_from_options,
    is_map_target,
)
from features.headers import resolve_headers


@pytest.mark.parametrize("field", ["revenue", "rd_staff", "debt_ratio", ""])
def test_fields_derived_inputs_and_blank_are_targets(field: str) -> None:
    assert is_map_target(field)


def test_options_become_a_stripped_mapping() -> None:
    got = column_map_from_options([" 技术人员数 = rd_staff ", "备注="])
    assert got == {"技术人员数": "rd_staff", "备注": ""}
    assert column_map_from_options([]) is None


@pytest.mark.parametrize("item", ["no-equals-sign", "=revenue", " =revenue"])
def test_an_option_without_header_says_how_to_write_it(item: str) -> None:
    with pytest.raises(ColumnMapError, match="write HEADER=FIELD"):
        column_map_from_options([item])


def test_json_maps_parse_and_blank_text_is_no_map() -> None:
    assert column_map_from_json('{"所在地": "province", "备注": ""}') == {
        "所在地": "province",
        "备注": "",
    }
    assert column_map_from_json(None) is None
    assert column_map_from_json("  ") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "JSON object"),
        ('{"a": 1}', "JSON object"),
    ],
)
def test_bad_json_is_refused_naming_the_problem(text: str, words: str) -> None:
    with pytest.raises(ColumnMapError, match=words):
        column_map_from_json(text)


def test_every_form_refuses_an_unknown_field_the_same_way() -> None:
    expected = "'营业收入' → 'turnover': 'turnover' is not a contract field"
    for parse in (
        lambda: column_map_from_options(["营业收入=turnover"]),
        lambda: column_map_from_json('{"营业收入": "turnover"}'),
        lambda: check_column_map({"营业收入": "turnover"}),
        lambda: resolve_headers(["营业收入"], {"营业收入": "turnover"}),
    ):
        with pytest.raises(ColumnMapError) as info:
            parse()
        assert str(info.value).startswith(expected)


def test_several_unknown_fields_are_counted() -> None:
    with pytest.raises(ColumnMapError, match=r"\(and 1 more\)"):
        check_column_map({"a": "x", "b": "y", "c": "revenue"})
