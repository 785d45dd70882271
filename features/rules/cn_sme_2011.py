"""Who is an SME: 《中小企业划型标准规定》(工信部联企业〔2011〕300号), version ``cn-sme-2011``.

Every Chinese tier is for SMEs only; this table decides, per GB/T 4754-2017 division,
whether a firm is an SME, a large firm, or cannot be told from its figures.

Readings of the official text (each in ``docs/schemes.md``):

* The 2011 text writes each sector as "X以下的为中小微型企业" and the classes inside
  as "X及以上"; the statistical version (统计上大中小微型企业划分办法, 2017) gives
  the same limits and says the large class "须同时满足所列指标的下限" (must reach
  every lower limit of its row). So a firm is **large when it reaches every limit
  of its sector** (``≥``, the limit itself included) and an SME as soon as one
  figure is below its limit. An SME by one known figure needs no other figure; a
  firm at or above the known limits with another figure unknown is undetermined.
* The sector is read from the division code. Where one division holds two sectors
  of the standard (K70: real-estate development 7010, property management 702 and
  the other real-estate classes 703/709, sized as "other sectors"; G59: loading and
  unloading 591, sized as transport, and warehousing), every reading is applied: an
  SME only when small under each, large only when large under each, else
  undetermined, and the firm is told why.
* Railway transport (G53) is outside the standard's transport row ("不包括铁路运输
  业"); the 2011 text sizes sectors it does not list "参照本规定" (by reference), so
  G53 takes the transport limits.
* Finance (J) is sized by its own standard (金融业企业划型标准规定, 银发〔2015〕309号,
  on total assets by sub-industry), which is not encoded: always undetermined.
* Headcount is the record's ``employees`` (year-end; the standard counts the year's
  从业人员), revenue is ``revenue`` (营业收入), assets ``total_assets`` (资产总额).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from features.rules.logic import REL_TOL, FloatArray

__all__ = [
    "SECTORS",
    "SOURCE",
    "VERSION",
    "Limits",
    "Sector",
    "fail_sentences",
    "sector_index",
    "sme_status",
    "unknown_sentences",
]

VERSION = "cn-sme-2011"
SOURCE = (
    "工信部联企业〔2011〕300号 中小企业划型标准规定 "
    "(the limits of 统计上大中小微型企业划分办法 2017 are the same)"
)


@dataclass(frozen=True)
class Limits:
    """One row of the standard: a firm is large when it reaches every limit given.

    ``None`` means the row sets no limit on that figure. Money in 万元.
    """

    name: str
    staff: float | None = None
    revenue_wan: float | None = None
    assets_wan: float | None = None

    def figures(self) -> tuple[float | None, float | None, float | None]:
        """The limits on staff, revenue and assets, in :func:`sme_status`'s order."""
        return (self.staff, self.revenue_wan, self.assets_wan)

    def text(self) -> str:
        """E.g. ``≥ 1,000 staff and ≥ 4亿 revenue``."""
        parts = []
        if self.staff is not None:
            parts.append(f"≥ {self.staff:,.0f} staff")
        if self.revenue_wan is not None:
            parts.append(f"≥ {_money(self.revenue_wan)} revenue")
        if self.assets_wan is not None:
            parts.append(f"≥ {_money(self.assets_wan)} total assets")
        return " and ".join(parts)


@dataclass(frozen=True)
class Sector:
    """A sector of the standard and the GB/T 4754 codes it covers.

    ``codes`` are section letters (``"C"``) or divisions (``"F51"``); a division is
    looked up before its section. Several ``readings`` mean the division code cannot
    tell which row applies; none means the sector has a standard of its own.
    """

    name: str
    codes: tuple[str, ...]
    readings: tuple[Limits, ...]
    own_standard: str = ""


def _money(wan: float) -> str:
    if wan >= 10_000:
        return f"{wan / 10_000:g}亿"
    return f"{wan:g}万"


_TRANSPORT = Limits("transport", staff=1000, revenue_wan=30_000)
_WAREHOUSING = Limits("warehousing", staff=200, revenue_wan=30_000)
_OTHER = Limits("other sectors", staff=300)

SECTORS: tuple[Sector, ...] = (
    Sector(
        "agriculture, forestry, husbandry, fishery",
        ("A",),
        (Limits("agriculture", revenue_wan=20_000),),
    ),
    Sector(
        "industry (mining, manufacturing, utilities)",
        ("B", "C", "D"),
        (Limits("industry", staff=1000, revenue_wan=40_000),),
    ),
    Sector(
        "construction",
        ("E",),
        (Limits("construction", revenue_wan=80_000, assets_wan=80_000),),
    ),
    Sector("wholesale", ("F51",), (Limits("wholesale", staff=200, revenue_wan=40_000),)),
    Sector("retail", ("F52",), (Limits("retail", staff=300, revenue_wan=20_000),)),
    Sector(
        "transport (railway G53 by reference)",
        ("G53", "G54", "G55", "G56", "G57", "G58"),
        (_TRANSPORT,),
    ),
    Sector(
        "loading and unloading (591) or warehousing (G59)",
        ("G59",),
        (Limits("loading and unloading", staff=1000, revenue_wan=30_000), _WAREHOUSING),
    ),
    Sector("postal services", ("G60",), (Limits("postal", staff=1000, revenue_wan=30_000),)),
    Sector(
        "accommodation and catering",
        ("H",),
        (Limits("accommodation and catering", staff=300, revenue_wan=10_000),),
    ),
    Sector(
        "information transmission",
        ("I63", "I64"),
        (Limits("information transmission", staff=2000, revenue_wan=100_000),),
    ),
    Sector(
        "software and IT services",
        ("I65",),
        (Limits("software and IT services", staff=300, revenue_wan=10_000),),
    ),
    Sector(
        "finance",
        ("J",),
        (),
        own_standard="金融业企业划型标准规定 (银发〔2015〕309号)",
    ),
    Sector(
        "real estate (K70)",
        ("K",),
        (
            Limits("real-estate development", revenue_wan=200_000, assets_wan=10_000),
            Limits("property management", staff=1000, revenue_wan=5_000),
            Limits("other real estate", staff=300),
        ),
    ),
    Sector(
        "leasing and business services",
        ("L",),
        (Limits("leasing and business services", staff=300, assets_wan=120_000),),
    ),
    Sector("any other sector", ("M", "N", "O", "P", "Q", "R", "S", "T"), (_OTHER,)),
)

_BY_CODE: Mapping[str, int] = MappingProxyType(
    {code: k for k, sector in enumerate(SECTORS) for code in sector.codes}
)


def sector_index(code: str) -> float:
    """The :data:`SECTORS` index of a GB/T 4754 code (division first, then section).

    Raises
    ------
    KeyError
        For a code of no section.
    """
    if code in _BY_CODE:
        return float(_BY_CODE[code])
    return float(_BY_CODE[code[:1]])


def _limit_table() -> FloatArray:
    """``(sectors, most readings, 3 figures)``: the limits, NaN where a row sets none.

    A sector with fewer readings repeats its first (the same answer again).
    """
    widest = max(len(s.readings) for s in SECTORS)
    table = np.full((len(SECTORS), widest, 3), np.nan)
    for k, sector in enumerate(SECTORS):
        for r in range(widest if sector.readings else 0):
            row = sector.readings[min(r, len(sector.readings) - 1)]
            table[k, r] = [np.nan if v is None else v for v in row.figures()]
    # Comparisons allow the engine's relative 1e-9 (features.rules.logic.REL_TOL).
    out: FloatArray = table - REL_TOL * np.maximum(1.0, np.abs(np.nan_to_num(table)))
    return out


_REACHED = _limit_table()
_NO_STANDARD = np.array([not s.readings for s in SECTORS])


def sme_status(x: FloatArray) -> FloatArray:
    """1.0 for an SME, 0.0 for a large firm, ``NaN`` when the figures cannot tell.

    Parameters
    ----------
    x
        Rows: employees, revenue (万元), total assets (万元), sector index
        (:func:`sector_index`; ``NaN`` for an unknown industry); columns: firms.
    """
    figures, sector = x[:3].T, x[3]  # figures: (firms, 3)
    known_sector = sector == sector  # not NaN
    index = np.where(known_sector, sector, 0.0).astype(np.intp)
    bound = _REACHED[index]  # (firms, readings, 3)
    limited = bound == bound  # the row sets a limit on this figure
    value = figures[:, None, :]
    below = limited & (value < bound)  # False where the figure is unknown
    reached = ~limited | (value >= bound)
    small = below.any(axis=2).all(axis=1)  # an SME under every reading
    large = reached.all(axis=2).all(axis=1)  # large under every reading
    out: FloatArray = np.where(small, 1.0, np.where(large, 0.0, np.nan))
    out[~known_sector | _NO_STANDARD[index]] = np.nan
    return out


def fail_sentences(label: str) -> tuple[str, ...]:
    """Per sector, the sentence of a firm found large."""
    out = []
    for sector in SECTORS:
        if len(sector.readings) == 1:
            limits = sector.readings[0].text()
            out.append(f"{label}: a large firm — {sector.name}: large when {limits}")
        else:
            rows = "; ".join(f"{r.name}: {r.text()}" for r in sector.readings)
            out.append(f"{label}: a large firm under every reading of {sector.name} — {rows}")
    return tuple(out)


def unknown_sentences(label: str) -> tuple[str, ...]:
    """Per sector, the sentence of a firm the figures cannot size."""
    out = []
    for sector in SECTORS:
        if sector.own_standard:
            out.append(
                f"{label}: not determined — {sector.name} is sized by its own standard "
                f"({sector.own_standard}), which is not encoded"
            )
        elif len(sector.readings) == 1:
            limits = sector.readings[0].text()
            out.append(
                f"{label}: not determined — {sector.name}: large when {limits}; a figure is missing"
            )
        else:
            rows = "; ".join(f"{r.name}: large when {r.text()}" for r in sector.readings)
            out.append(
                f"{label}: not determined — the division code cannot tell which row of "
                f"{sector.name} applies ({rows}); an SME only when small under each, "
                "or a figure is missing"
            )
    return tuple(out)
