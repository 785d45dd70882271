"""The true state of every firm at the end of a fiscal year."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from training.synth.firms import FloatArray

__all__ = ["FirmState"]


@dataclass(frozen=True)
class FirmState:
    """True values of each firm at the end of one fiscal year (all ``float64``).

    Counts, levels and flags are whole numbers stored as floats so one state can be
    replicated, masked and handed to the rule engine without conversions.
    """

    log_revenue: FloatArray
    growth_shock: FloatArray
    revenue_prev: FloatArray
    revenue_prev2: FloatArray
    main_shock: FloatArray
    main_business_revenue: FloatArray
    main_business_revenue_prev: FloatArray
    main_business_revenue_prev2: FloatArray
    rd_shock: FloatArray
    rd_expense: FloatArray
    rd_expense_prev: FloatArray
    margin_shock: FloatArray
    gross_profit: FloatArray
    net_profit: FloatArray
    employees: FloatArray
    rd_staff: FloatArray
    debt_shock: FloatArray
    total_assets: FloatArray
    total_liabilities: FloatArray
    invention_patents: FloatArray
    class1_ip: FloatArray
    class2_ip: FloatArray
    rd_institution: FloatArray
    """Level 0–4 (none … national)."""
    digital_level: FloatArray
    quality_certification: FloatArray
    own_brand: FloatArray
    quality_award: FloatArray
    standards_drafted: FloatArray
    key_chain_supplier: FloatArray
    equity_raised: FloatArray
    """New equity raised in this year (the record shows this + last year's)."""
    equity_raised_prev: FloatArray
    exporter: FloatArray
    export_shock: FloatArray
    export_share: FloatArray
    customer_shock: FloatArray
    top5_customer_share: FloatArray
    repeat_customer_share: FloatArray
    avg_customer_tenure_years: FloatArray
    national_market_share: FloatArray
    world_market_share: FloatArray
    world_market_rank: FloatArray
    staff_turnover: FloatArray

    @property
    def revenue(self) -> FloatArray:
        """Operating revenue, CNY."""
        return np.exp(self.log_revenue)

    def take(self, index: npt.NDArray[np.intp]) -> FirmState:
        """Rows at ``index`` (repeats allowed: Monte Carlo replicas)."""
        return FirmState(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def __len__(self) -> int:
        return int(self.log_revenue.shape[0])

    def append(self, other: FirmState) -> FirmState:
        """This state's rows followed by ``other``'s."""
        return FirmState(
            **{
                f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                for f in fields(self)
            }
        )
