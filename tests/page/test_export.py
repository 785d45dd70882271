"""The flat export shared by the page and ``srdi score``."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from features.rules import SCHEME_IDS
from serving.page.export import (
    ERROR_COLUMNS,
    LADDER_COLUMNS,
    assumptions_text,
    errors_frame,
    export_bytes,
    export_columns,
    export_frame,
    format_for_path,
    reasons_text,
    write_export,
)


def _result(
    company_id: str, score: float | None, *, rank: int | None = None, **extra: object
) -> dict:
    result: dict[str, object] = {
        "company_id": company_id,
        "name": f"{company_id} 精密机械有限公司",
        "province": "Zhejiang",
        "industry": "C34",
        "score": score,
        "percentile": None if score is None else 90.0,
        "band": None if score is None else "B",
        "status": "candidate" if score is not None else "certified",
        "reasons": [
            {
                "family": "rd_intensity",
                "text": "R&D 7.2% of revenue, industry median 3.1%",
                "contribution": 0.4,
            },
            {"family": "growth", "text": "revenue grew 21% a year", "contribution": 0.2},
            {"family": "margin", "text": "gross margin below the industry", "contribution": -0.1},
            {"family": "scale_age", "text": "small for its age", "contribution": -0.05},
        ],
        "schemes": [
            {"scheme_id": "cn_srdi_sme", "verdict": "eligible"},
            {"scheme_id": "de_hidden_champion", "verdict": "not_eligible"},
        ],
    }
    if rank is not None:
        result["rank"] = rank
    result.update(extra)
    return result


def test_columns_are_identity_then_ladder_then_one_per_scheme_then_reasons() -> None:
    columns = export_columns()
    assert columns[:10] == [
        "rank",
        "company_id",
        "name",
        "province",
        "industry",
        "score",
        "percentile",
        "band",
        "coverage",
        "thin_data",
    ]
    ladder = len(LADDER_COLUMNS)
    n = len(SCHEME_IDS)
    assert columns[10 : 10 + ladder] == list(LADDER_COLUMNS)
    assert columns[10:12] == ["rung", "next_step"]
    assert {"srdi_sme_score", "little_giant_percentile", "retention_band"} <= set(columns)
    assert columns[10 + ladder : 10 + ladder + n] == list(SCHEME_IDS)
    assert columns[10 + ladder + n :] == [
        "re_review_year",
        "re_review_due",
        "re_review_verdict",
        "assumptions",
        "top_reasons",
    ]


def test_frame_flattens_verdicts_and_keeps_order() -> None:
    frame = export_frame([_result("A1", 0.31, rank=1), _result("B2", 0.12, rank=2)])
    assert list(frame.columns) == export_columns()
    assert frame["company_id"].tolist() == ["A1", "B2"]
    assert frame["rank"].tolist() == [1, 2]
    assert frame.loc[0, "cn_srdi_sme"] == "eligible"
    assert frame.loc[0, "de_hidden_champion"] == "not_eligible"
    # A scheme absent from the result is an empty cell, not a guess.
    assert pd.isna(frame.loc[0, "cn_little_giant"])
    assert frame["score"].dtype == "float64"


def test_reasons_keep_the_scorers_order_and_stop_at_top() -> None:
    frame = export_frame([_result("A1", 0.3)], top_reasons=2)
    assert (
        frame.loc[0, "top_reasons"]
        == "R&D 7.2% of revenue, industry median 3.1% | revenue grew 21% a year"
    )
    assert reasons_text([], top=3) == ""
    assert reasons_text([{"family": "growth", "family_label": "Growth"}], top=3) == "Growth"


def test_certified_firm_has_no_rank_or_score() -> None:
    frame = export_frame([_result("A1", 0.3), _result("C3", None)])
    assert frame["rank"].tolist()[0] == 1
    assert pd.isna(frame["rank"].iloc[1])
    assert math.isnan(frame["score"].iloc[1])


def test_explicit_null_rank_wins_over_position() -> None:
    frame = export_frame([{**_result("A1", 0.3), "rank": None}])
    assert pd.isna(frame["rank"].iloc[0])


def test_empty_results_give_the_header_only() -> None:
    frame = export_frame([])
    assert list(frame.columns) == export_columns()
    assert len(frame) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_bytes_round_trip_in_every_format(fmt: str) -> None:
    frame = export_frame([_result("A1", 0.31), _result("B2", 0.12), _result("C3", None)])
    data = export_bytes(frame, fmt)  # type: ignore[arg-type]
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")  # BOM, so Excel shows 中文 names
        back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    elif fmt == "xlsx":
        back = pd.read_excel(io.BytesIO(data))
    else:
        back = pd.read_parquet(io.BytesIO(data))
    assert list(back.columns) == export_columns()
    assert back["company_id"].tolist() == ["A1", "B2", "C3"]
    assert back["name"].iloc[0] == "A1 精密机械有限公司"
    assert back["score"].iloc[:2].tolist() == pytest.approx([0.31, 0.12])


def test_write_export_picks_the_format_from_the_extension(tmp_path) -> None:
    frame = export_frame([_result("A1", 0.31)])
    path = write_export(frame, tmp_path / "sub" / "ranked.parquet")
    assert pd.read_parquet(path)["company_id"].tolist() == ["A1"]


def test_unknown_extension_is_refused_with_the_allowed_ones() -> None:
    assert format_for_path("x.XLSX") == "xlsx"
    with pytest.raises(ValueError, match=r"\.csv, \.xlsx or \.parquet.*'\.json'"):
        format_for_path("ranked.json")


def test_errors_frame_accepts_dicts_and_objects() -> None:
    class RowError:
        row = 4
        field = "revenue"
        value = "abc"
        message = "revenue: 'abc' is not a number"

    frame = errors_frame(
        [{"row": 1, "field": "province", "value": None, "message": "missing"}, RowError()]
    )
    assert list(frame.columns) == list(ERROR_COLUMNS)
    assert frame["row"].tolist() == [1, 4]
    assert frame["value"].tolist()[1] == "abc"
    assert errors_frame([]).empty


def test_re_review_and_assumptions_come_from_the_schemes_json() -> None:
    held = _result(
        "A1",
        None,
        schemes=[
            {"scheme_id": "cn_innovative_sme", "verdict": "certified", "assumptions": []},
            {
                "scheme_id": "cn_srdi_sme",
                "verdict": "certified",
                "assumptions": [
                    "no 创客中国 national top-500 placing in the last 3 years was assumed"
                ],
                "re_review": {"year": 2026, "due": True, "verdict": "fail", "text": "x"},
            },
        ],
    )
    frame = export_frame([held, _result("B2", 0.2)])
    assert frame["re_review_year"].tolist()[0] == 2026
    assert frame.loc[0, "re_review_due"] == "yes" and pd.isna(frame.loc[1, "re_review_due"])
    assert frame.loc[0, "re_review_verdict"] == "fail"
    assert pd.isna(frame.loc[1, "re_review_verdict"])
    assert pd.isna(frame["re_review_year"].iloc[1])
    assert frame.loc[0, "assumptions"] == (
        "no 创客中国 national top-500 placing in the last 3 years was assumed (cn_srdi_sme)"
    )
    assert frame.loc[1, "assumptions"] == ""


def test_a_sentence_shared_by_schemes_is_written_once() -> None:
    general = "registration in China ... were assumed"
    text = assumptions_text(
        [
            {"scheme_id": "cn_innovative_sme", "text": general},
            {"scheme_id": "cn_srdi_sme", "text": "no award was assumed"},
            {"scheme_id": "cn_srdi_sme", "text": general},
        ]
    )
    assert text == (
        "registration in China ... were assumed (cn_innovative_sme, cn_srdi_sme)"
        " | no award was assumed (cn_srdi_sme)"
    )
