"""Table formats: one suffix table for reading, one for writing, the same refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from features.formats import (
    TABLE_SUFFIXES,
    TableFormatError,
    format_from_content,
    format_from_suffix,
    input_format,
    output_format,
    suffix_of,
)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("a.TXT", "csv"),
        ("dir.d/a.tsv", "csv"),
        ("a.parquet", "parquet"),
        (Path("a.PQ"), "parquet"),
        ("a.parq", "parquet"),
        ("名单.xlsx", "xlsx"),
        ("a.xlsm", "xlsx"),
    ],
)
def test_suffixes_name_their_format(name: str | Path, fmt: str) -> None:
    assert format_from_suffix(name) == fmt
    assert input_format(name) == fmt


@pytest.mark.parametrize("name", ["a.json", "a", "", "archive.csv.gz"])
def test_other_suffixes_name_no_format(name: str) -> None:
    assert format_from_suffix(name) is None
    with pytest.raises(TableFormatError, match=r"send a \.csv .*\.xlsx or \.parquet file"):
        input_format(name)


def test_old_excel_files_say_what_to_save_them_as() -> None:
    with pytest.raises(TableFormatError, match=r"save it as \.xlsx or CSV"):
        input_format("old.XLS")


def test_content_shows_parquet_and_xlsx() -> None:
    assert format_from_content(b"PAR1\x15\x04") == "parquet"
    assert format_from_content(b"PK\x03\x04\x14\x00") == "xlsx"
    assert format_from_content(b"company_id,name\n") is None


def test_output_formats_are_checked_against_what_the_output_allows() -> None:
    assert output_format("ranked.XLSX") == "xlsx"
    assert output_format("f.parquet", allowed=("csv", "parquet")) == "parquet"
    with pytest.raises(TableFormatError, match=r"must be \.csv or \.parquet \(got '\.xlsx'\)"):
        output_format("f.xlsx", allowed=("csv", "parquet"))
    with pytest.raises(TableFormatError, match=r"\.csv, \.xlsx or \.parquet \(got 'none'\)"):
        output_format("ranked")


def test_suffix_is_lower_case_and_read_suffixes_are_lower_case() -> None:
    assert suffix_of("A.CSV") == ".csv"
    assert all(s == s.lower() and s.startswith(".") for s in TABLE_SUFFIXES)
