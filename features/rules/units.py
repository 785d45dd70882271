"""Units a criterion's value, threshold and gap are expressed in.

Shares are kept as 0–1 fractions with unit ``%`` (the API convention: 0.021 shows
as 2.1%); every other unit holds the number as displayed (150.0 ``万元`` is 150万).
"""

from __future__ import annotations

PERCENT = "%"
WAN_YUAN = "万元"
YEARS = "years"
COUNT = "count"
FLAG = "yes/no"
LEVEL = "level"
RANK = "rank"
EUR_BN = "€bn"
JPY_BN = "¥bn"
KRW_BN = "₩bn"
USD_M = "US$M"
POINTS = "points"

ALL_UNITS: tuple[str, ...] = (
    PERCENT,
    WAN_YUAN,
    YEARS,
    COUNT,
    FLAG,
    LEVEL,
    RANK,
    EUR_BN,
    JPY_BN,
    KRW_BN,
    USD_M,
    POINTS,
)
