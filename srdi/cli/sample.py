"""The bundled sample candidate files, built from a synthetic world.

``serving/page/sample_data/candidates.csv`` is what the page's "Use the sample list" and
the docs use: firms of the world's latest fiscal year on every rung of the ladder —
mostly firms below the provincial SRDI tier, some provincial SRDI SMEs and a few
Little Giants (:data:`RUNG_SHARES`), as a fund manager's list mixes them — with the
contract's column names. ``candidates_gbk.csv`` is
the same kind of list the way a Chinese data vendor exports it — GBK-encoded,
Chinese headers, Chinese province names, the debt ratio (资产负债率) instead of total
liabilities, one header the alias table does not know (技术人员数 for ``rd_staff``,
to be matched by hand) and three deliberately bad rows — for the browser and CLI
tests and for trying the column mapper. ``srdi make-sample`` regenerates both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "GBK_SAMPLE_NAME",
    "RUNG_SHARES",
    "SAMPLE_NAME",
    "UNMATCHED_HEADER",
    "candidate_sample",
    "chinese_sample",
    "write_samples",
]

SAMPLE_NAME = "candidates.csv"
GBK_SAMPLE_NAME = "candidates_gbk.csv"
# A plausible vendor header for rd_staff that is not in the alias table, so the
# column mapper has something for the user to match by hand.
UNMATCHED_HEADER = "技术人员数"


# Share of the sample on each rung: below the provincial tier, provincial SRDI SMEs,
# Little Giants (each question of the page's selector has firms to rank).
RUNG_SHARES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("none", "innovative_sme"), 0.7),
    (("srdi_sme",), 0.2),
    (("little_giant",), 0.1),
)


def candidate_sample(financials: pd.DataFrame, *, n_rows: int = 400, seed: int = 7) -> pd.DataFrame:
    """Pick firms of the latest fiscal year on every rung (:data:`RUNG_SHARES`).

    Parameters
    ----------
    financials
        The world's firm-year panel (``financials.parquet``), contract columns.
    n_rows
        Firms to draw (fewer when a rung has fewer firms than its share).
    seed
        Seed of the draw, so the committed file can be regenerated exactly.

    Returns
    -------
    pandas.DataFrame
        Contract columns only, in contract order; rows in a random order so the
        ranking visibly reorders them.
    """
    from features.fields import FIELD_NAMES

    if financials.empty:
        raise ValueError("the panel has no rows; generate a world first (`srdi synth`)")
    latest = int(financials["fiscal_year"].max())
    year = financials[financials["fiscal_year"] == latest]
    tier = year["current_tier"].astype("object").where(year["current_tier"].notna(), "none")
    state = np.random.RandomState(seed)
    parts = []
    for tiers, share in RUNG_SHARES:
        rung = year[tier.isin(tiers)]
        take = min(round(n_rows * share), len(rung))
        parts.append(rung.sample(n=take, random_state=state))
    picked = pd.concat(parts)
    if picked.empty:
        raise ValueError(f"no firm of fiscal year {latest} to sample")
    # Rows in a random order, so the ranking visibly reorders them.
    picked = picked.sample(frac=1.0, random_state=state)
    columns = [name for name in FIELD_NAMES if name in picked.columns]
    return picked[columns].reset_index(drop=True)


def chinese_sample(sample: pd.DataFrame, *, n_rows: int = 60) -> pd.DataFrame:
    """Rewrite the head of a sample the way a Chinese vendor export looks.

    Headers become the first Chinese alias of each field, provinces their Chinese
    names, ``total_liabilities`` becomes 资产负债率 (a ratio), ``rd_staff`` gets
    :data:`UNMATCHED_HEADER`, and three bad rows are appended: text in a money column,
    main-business revenue above revenue, and a missing province.

    Parameters
    ----------
    sample
        Output of :func:`candidate_sample`.
    n_rows
        Good rows to keep before the bad ones.

    Returns
    -------
    pandas.DataFrame
        Every cell as text (so the bad values survive), Chinese headers.
    """
    from features.fields import DEBT_RATIO, FIELD_BY_NAME
    from features.provinces import PROVINCE_BY_NAME

    frame = sample.head(n_rows).copy()
    frame["province"] = [PROVINCE_BY_NAME[p].chinese for p in frame["province"]]
    if "total_liabilities" in frame and "total_assets" in frame:
        ratio = frame["total_liabilities"] / frame["total_assets"].where(frame["total_assets"] > 0)
        frame = frame.drop(columns=["total_liabilities"])
        frame[DEBT_RATIO.name] = ratio.round(4)
    text = frame.astype("object").where(frame.notna(), None)
    text = text.map(_cell)
    bad = _bad_rows(text)
    text = pd.concat([text, bad], ignore_index=True)
    headers = {}
    for column in text.columns:
        spec = FIELD_BY_NAME.get(column) or (DEBT_RATIO if column == DEBT_RATIO.name else None)
        headers[column] = _chinese_alias(spec.aliases) if spec is not None else column
    headers["rd_staff"] = UNMATCHED_HEADER
    return text.rename(columns=headers)


def write_samples(
    financials: pd.DataFrame, out_dir: Path, *, n_rows: int = 400, seed: int = 7
) -> tuple[Path, Path]:
    """Write ``candidates.csv`` (UTF-8) and ``candidates_gbk.csv`` (GBK) into ``out_dir``.

    Returns
    -------
    tuple of pathlib.Path
        The two files written.
    """
    sample = candidate_sample(financials, n_rows=n_rows, seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    plain = out_dir / SAMPLE_NAME
    _rounded(sample).to_csv(plain, index=False, encoding="utf-8")
    gbk = out_dir / GBK_SAMPLE_NAME
    # GBK is what Excel on a Chinese Windows writes; a name it cannot encode is a
    # bug in the sample, so let the codec raise.
    chinese_sample(_rounded(sample)).to_csv(gbk, index=False, encoding="gbk")
    return plain, gbk


def _rounded(sample: pd.DataFrame) -> pd.DataFrame:
    """Whole yuan and whole counts as integers, four decimals for the rest.

    What a vendor file shows, and no ``60.0`` employees in the committed sample.
    """
    from features.fields import FIELD_BY_NAME

    out = sample.copy()
    for column in out.columns:
        spec = FIELD_BY_NAME.get(column)
        if spec is None or not spec.is_numeric or not pd.api.types.is_float_dtype(out[column]):
            continue
        if spec.is_money or spec.kind == "int":
            out[column] = out[column].round(0).astype("Int64")
        else:
            out[column] = out[column].round(4)
    return out


def _bad_rows(text: pd.DataFrame) -> pd.DataFrame:
    template = text.iloc[0].copy()
    rows = []
    broken_money = template.copy()
    broken_money["company_id"] = "BAD-REVENUE-TEXT"
    broken_money["name"] = "坏数据一号有限公司"
    broken_money["revenue"] = "约一千万"
    rows.append(broken_money)
    main_above = template.copy()
    main_above["company_id"] = "BAD-MAIN-ABOVE-REVENUE"
    main_above["name"] = "坏数据二号有限公司"
    main_above["revenue"] = "60000000"
    main_above["main_business_revenue"] = "70000000"
    rows.append(main_above)
    no_province = template.copy()
    no_province["company_id"] = "BAD-NO-PROVINCE"
    no_province["name"] = "坏数据三号有限公司"
    no_province["province"] = None
    rows.append(no_province)
    return pd.DataFrame(rows, columns=text.columns)


def _chinese_alias(aliases: tuple[str, ...]) -> str:
    for alias in aliases:
        if any("\u4e00" <= ch <= "\u9fff" for ch in alias):
            return alias
    return aliases[0]


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else f"{number:.4f}".rstrip("0")
    return str(value)
