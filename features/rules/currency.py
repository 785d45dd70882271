"""Exchange rates for the foreign schemes' thresholds (CNY per unit of currency)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CurrencyRates:
    """CNY per one euro, yen, won and US dollar.

    The defaults are round mid-2020s levels (documented in ``docs/schemes.md``); the
    CLI and the API pass the settings' ``fx_eur`` / ``fx_jpy`` / ``fx_krw`` /
    ``fx_usd`` instead. Thresholds of foreign schemes are compared in their own
    currency: a revenue of CNY 1e9 is ``1e9 / rates.eur / 1e9`` €bn.
    """

    eur: float = 7.8
    jpy: float = 0.048
    krw: float = 0.0052
    usd: float = 7.2

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(
                    f"CurrencyRates.{name} must be a positive finite number of CNY per unit, "
                    f"got {value!r}"
                )

    def to_dict(self) -> dict[str, float]:
        """The rates as plain data (CNY per unit)."""
        return {k: float(v) for k, v in asdict(self).items()}
