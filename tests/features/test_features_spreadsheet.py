"""Spreadsheet-safe CSV and XLSX: text a spreadsheet would evaluate is defused, numbers stay."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from features.spreadsheet import csv_bytes, neutralise_text, spreadsheet_safe, xlsx_bytes

TRIGGERS = ["=1+2", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\rx", "  =x", "\n@x"]
HARMLESS = ["-5", "+1.5", "-.5", "1e5", "-2E-3", "name", "", "中文=1", "'=already", "1-2"]

cells = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n '.eE0123456789abc中")), max_size=8)


def test_triggers_get_a_quote_and_plain_numbers_do_not() -> None:
    assert [neutralise_text(t) for t in TRIGGERS] == ["'" + t for t in TRIGGERS]
    assert [neutralise_text(t) for t in HARMLESS] == HARMLESS


@given(st.lists(st.one_of(cells, st.none(), st.floats(allow_nan=True)), max_size=30))
def test_the_vectorized_pass_equals_the_one_cell_rule(values: list[object]) -> None:
    frame = pd.DataFrame({"text": pd.Series(values, dtype=object)})
    safe = spreadsheet_safe(frame)["text"].tolist()
    expected = [neutralise_text(v) if isinstance(v, str) else v for v in values]
    assert [repr(v) for v in safe] == [repr(v) for v in expected]
    assert [repr(v) for v in frame["text"]] == [repr(v) for v in values]  # input untouched


def test_numeric_columns_stay_numbers_in_csv_and_xlsx() -> None:
    frame = pd.DataFrame(
        {
            "rank": pd.array([1, None], dtype="Int64"),
            "score": [0.5, np.nan],
            "name": ['=HYPERLINK("http://x","click")', "ok\x07bell"],
        }
    )
    text = csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert text == [
        "rank,score,name",
        '1,0.5,"\'=HYPERLINK(""http://x"",""click"")"',
        ",,ok\x07bell",
    ]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(frame))).active
    rank, score, name = sheet[2]
    assert (rank.value, rank.data_type) == (1, "n")
    assert (score.value, score.data_type) == (0.5, "n")
    assert name.data_type == "s" and name.value.startswith("'=HYPERLINK")
    assert sheet["C3"].value == "ok\ufffdbell"  # XML cannot hold the control character
    assert sheet["A3"].value is None and sheet["B3"].value is None
