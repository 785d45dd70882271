"""Reading CSV (UTF-8, BOM, GBK/GB18030), Parquet and XLSX; chunks; header renaming."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.io import (
    TableReadError,
    detect_encoding,
    iter_table_chunks,
    read_table,
    rename_columns,
)

CSV_TEXT = '企业名称,省份,营业收入(万元),出口占比\n杭州甲,浙江省,"1,800",12%\n北京乙,北京,900,\n'


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "firms.csv"
    path.write_bytes(CSV_TEXT.encode(encoding))
    assert detect_encoding(path.read_bytes()) == expected
    df = read_table(path)
    assert list(df.columns) == ["企业名称", "省份", "营业收入(万元)", "出口占比"]
    assert df.iloc[0].tolist() == ["杭州甲", "浙江省", "1,800", "12%"]
    assert df.iloc[1, 3] == ""  # empty cells stay empty text, validation decides


def test_bytes_and_file_objects(tmp_path: Path) -> None:
    data = CSV_TEXT.encode("gbk")
    assert read_table(data).shape == (2, 4)
    assert read_table(io.BytesIO(data)).shape == (2, 4)


def test_tab_separated_and_semicolon(tmp_path: Path) -> None:
    assert read_table(b"a\tb\n1\t2\n").columns.tolist() == ["a", "b"]
    assert read_table(b"a;b\n1;2\n").iloc[0].tolist() == ["1", "2"]


def test_undecodable_and_missing_files_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TableReadError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\xff\xfe\xfa\xfb,1\n\x81\x20\n")
    with pytest.raises(TableReadError, match="neither UTF-8 nor GBK"):
        read_table(bad)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(TableReadError, match="empty"):
        read_table(empty)
    old = tmp_path / "old.xls"
    old.write_bytes(b"x")
    with pytest.raises(TableReadError, match="xls"):
        read_table(old)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(TableReadError, match="PARQUET"):
        read_table(broken)


def test_parquet_and_xlsx(tmp_path: Path) -> None:
    df = pd.DataFrame({"company_id": ["A", "B", "C"], "revenue": [1.0, 2.0, np.nan]})
    df.to_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), df)
    df.to_excel(tmp_path / "t.xlsx", index=False, sheet_name="firms")
    xl = read_table(tmp_path / "t.xlsx", sheet="firms")
    assert xl["company_id"].tolist() == ["A", "B", "C"]
    assert xl["revenue"].tolist()[:2] == [1.0, 2.0]
    with pytest.raises(TableReadError, match="no sheet 'other'"):
        read_table(tmp_path / "t.xlsx", sheet="other")
    # content sniffing when the name says nothing
    assert read_table((tmp_path / "t.parquet").read_bytes()).shape == (3, 2)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_chunks_cover_every_row_once(tmp_path: Path, suffix: str) -> None:
    df = pd.DataFrame({"company_id": [f"F{i}" for i in range(23)], "revenue": range(23)})
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_excel(path, index=False)
    chunks = list(iter_table_chunks(path, 10))
    assert [offset for offset, _ in chunks] == [0, 10, 20]
    assert [len(c) for _, c in chunks] == [10, 10, 3]
    ids = [x for _, c in chunks for x in c["company_id"].tolist()]
    assert ids == df["company_id"].tolist()
    assert all(c.index[0] == 0 for _, c in chunks)


def test_rename_columns_applies_aliases_units_and_keeps_the_rest() -> None:
    df = pd.DataFrame(
        {
            "营业收入(万元)": ["1,800", "1.2亿", "abc"],
            "研发费用": ["1", "2", "3"],
            "备注": ["x", "y", "z"],
        }
    )
    out = rename_columns(df)
    assert list(out.columns) == ["revenue", "rd_expense", "备注"]
    assert out["revenue"].tolist()[:2] == [1.8e7, 1.2e8]
    assert out["revenue"].tolist()[2] == "abc"  # kept for validation to report
    assert list(rename_columns(df, {"备注": "name"}).columns)[2] == "name"


def test_xlsx_limits_refuse_bombs_and_gaps_before_reading_them() -> None:
    from features.io import TableLimitError, XlsxLimits
    from tests.support.uploads import ratio_bomb, sheet_xml, xlsx_file

    records = [{"company_id": "A", "revenue": 1.0}]
    with pytest.raises(TableLimitError, match=r"unpacks from .* times") as refused:
        read_table(ratio_bomb(records, padding_bytes=3_000_000), name="bomb.xlsx")
    assert refused.value.limit == "max_xlsx_ratio" and "'bomb.xlsx'" in str(refused.value)
    small = XlsxLimits(max_xlsx_unpacked_bytes=1_000)
    with pytest.raises(TableLimitError, match="max_xlsx_unpacked_bytes"):
        read_table(xlsx_file(sheet_xml({1: ["company_id"], 2: ["A"]})), xlsx_limits=small)
    tall = xlsx_file(sheet_xml({1: ["company_id"], 5_000: ["A"]}))
    with pytest.raises(TableLimitError, match="below row 101") as refused:
        read_table(tall, xlsx_limits=XlsxLimits(max_rows=100))
    assert refused.value.limit == "max_rows"
    # Within the limit, the gap's blank rows are skipped and the header is found
    # below blank rows.
    frame = read_table(xlsx_file(sheet_xml({3: ["company_id", "x"], 9: ["A", 2]})))
    assert frame.to_dict(orient="records") == [{"company_id": "A", "x": 2}]
    wide = xlsx_file(sheet_xml({1: ["company_id"], 2: ["A"]}, dimension="A1:ZZ2"))
    with pytest.raises(TableLimitError, match="declares 702 columns"):
        read_table(wide, xlsx_limits=XlsxLimits(max_columns=100))
