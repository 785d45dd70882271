"""The financial panel: firms founded, moved year by year, and written as input records.

:class:`~training.synth.state.FirmState` holds the true values of every firm at the
end of a fiscal year plus the persistent shocks behind them;
:func:`~training.synth.dynamics.advance` moves all firms one year forward with fresh
noise (the same law of motion drives the oracle's rollouts). Here a firm is founded
(:func:`found`), the whole population is simulated from its first founding year
(:func:`simulate_panel`), the chance of exit is given (:func:`exit_probability`), and
a state becomes the contract's input record (:func:`record_columns`). Latent traits
(:class:`~training.synth.firms.Firms`) shift every equation and never change.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import numpy.typing as npt

from features.fields import RD_INSTITUTION_CHOICES
from features.provinces import PROVINCES as CANONICAL_PROVINCES
from features.tiers import TIER_CHOICES
from training.synth.config import INDUSTRIES, PROVINCES, Dynamics
from training.synth.dynamics import advance, sigmoid
from training.synth.firms import Firms, FloatArray
from training.synth.state import FirmState

__all__ = [
    "exit_probability",
    "found",
    "record_columns",
    "simulate_panel",
]

_INDUSTRY_CODES = np.array([i.code for i in INDUSTRIES], dtype=object)
_PROVINCE_NAMES = np.array(
    [{p.code: p.name for p in CANONICAL_PROVINCES}[p.code] for p in PROVINCES], dtype=object
)
_RD_INSTITUTIONS = np.array(RD_INSTITUTION_CHOICES, dtype=object)
_TIER_NAMES = np.array(TIER_CHOICES, dtype=object)


def found(firms: Firms, year: int, rng: np.random.Generator, dyn: Dynamics) -> FirmState:
    """State at the end of the founding ``year`` (no prior-year figures exist).

    A virtual pre-founding state (entry size, no stocks) is advanced one year with
    :func:`~training.synth.dynamics.advance`, so a new firm follows the same equations
    as every other.
    """
    n = len(firms)
    zeros = np.zeros(n)
    nan = np.full(n, np.nan)
    entry = (
        dyn.entry_log_revenue
        + dyn.entry_capability * firms.capability
        + dyn.entry_management * firms.management
        + dyn.entry_log_revenue_sd * rng.standard_normal(n)
    )
    exporter = (rng.random(n) < sigmoid(firms.export_propensity)).astype(np.float64)
    blank = {f.name: zeros for f in fields(FirmState)}
    blank.update(log_revenue=entry, digital_level=np.ones(n), exporter=exporter)
    state = advance(FirmState(**blank), firms, year, rng, dyn)
    return replace(
        state,
        revenue_prev=nan,
        revenue_prev2=nan,
        main_business_revenue_prev=nan,
        main_business_revenue_prev2=nan,
        rd_expense_prev=nan,
        equity_raised_prev=zeros,
    )


def exit_probability(state: FirmState, firms: Firms, dyn: Dynamics) -> FloatArray:
    """Probability that a firm alive at the end of a year is gone the next year."""
    loss = (state.net_profit < 0).astype(np.float64)
    return sigmoid(
        dyn.exit_intercept
        + dyn.exit_capability * firms.capability
        + dyn.exit_management * firms.management
        + dyn.exit_loss * loss
    )


def record_columns(
    state: FirmState,
    firms: Firms,
    year: int,
    tier: npt.NDArray[np.int8],
    since: npt.NDArray[np.int64] | None = None,
) -> dict[str, npt.NDArray[np.float64] | npt.NDArray[np.object_]]:
    """The complete, true input record of every firm for fiscal ``year``.

    Parameters
    ----------
    state
        True values at the end of ``year``.
    firms
        Static attributes aligned with ``state``.
    year
        Fiscal year of the record.
    tier
        Tier level held at the end of ``year`` (0 none … 3 Little Giant).
    since
        Year the held tier was granted or last confirmed (``tier_since``); unknown
        when not given (the review and the rollouts do not read it), and empty for
        firms holding no tier.

    Returns
    -------
    dict
        Columns in the shape of ``docs/architecture.md`` (numbers as ``float64``,
        text and enums as ``object``), keyed by the contract's field names.
    """
    n = len(firms)
    return {
        "company_id": firms.company_id,
        "name": firms.name,
        "fiscal_year": np.full(n, float(year)),
        "founded_year": firms.founded_year.astype(np.float64),
        "province": _PROVINCE_NAMES[firms.province],
        "industry": _INDUSTRY_CODES[firms.industry],
        "revenue": state.revenue,
        "revenue_prev": state.revenue_prev,
        "revenue_prev2": state.revenue_prev2,
        "main_business_revenue": state.main_business_revenue,
        "main_business_revenue_prev": state.main_business_revenue_prev,
        "main_business_revenue_prev2": state.main_business_revenue_prev2,
        "years_in_niche": np.maximum(year - firms.niche_start_year, 0).astype(np.float64),
        "rd_expense": state.rd_expense,
        "rd_expense_prev": state.rd_expense_prev,
        "employees": state.employees,
        "rd_staff": state.rd_staff,
        "gross_profit": state.gross_profit,
        "net_profit": state.net_profit,
        "total_assets": state.total_assets,
        "total_liabilities": state.total_liabilities,
        "top5_customer_share": state.top5_customer_share,
        "repeat_customer_share": state.repeat_customer_share,
        "avg_customer_tenure_years": state.avg_customer_tenure_years,
        "export_share": state.export_share,
        "invention_patents": state.invention_patents,
        "class1_ip": state.class1_ip,
        "class2_ip": state.class2_ip,
        "rd_institution": _RD_INSTITUTIONS[state.rd_institution.astype(np.intp)],
        "digital_level": state.digital_level,
        "quality_certification": state.quality_certification,
        "own_brand": state.own_brand,
        "quality_award": state.quality_award,
        "standards_drafted": state.standards_drafted,
        "equity_raised_2y": state.equity_raised + state.equity_raised_prev,
        "national_market_share": state.national_market_share,
        "world_market_share": state.world_market_share,
        "world_market_rank": state.world_market_rank,
        "strategic_emerging": firms.strategic_emerging.astype(np.float64),
        "key_chain_supplier": state.key_chain_supplier,
        "staff_turnover": state.staff_turnover,
        "current_tier": _TIER_NAMES[tier],
        "tier_since": (
            np.full(n, np.nan)
            if since is None
            else np.where(tier > 0, since.astype(np.float64), np.nan)
        ),
    }


def simulate_panel(
    firms: Firms, first_year: int, last_year: int, rng: np.random.Generator, dyn: Dynamics
) -> dict[int, FirmState]:
    """Simulate every firm from its founding to ``last_year``.

    Parameters
    ----------
    firms
        The population, sorted by founding year (as :func:`draw_firms` returns it),
        so the firms founded by any year are a prefix.
    first_year, last_year
        Years whose end-of-year states are returned.
    rng
        Random stream of the financial dynamics.
    dyn
        Coefficients of the dynamics.

    Returns
    -------
    dict of int to FirmState
        For each year, the state of the firms founded by then (rows ``0:k``).
        Exits are not applied here: a firm's financial path does not depend on
        whether it is still observed.
    """
    founded = firms.founded_year
    if np.any(np.diff(founded) < 0):
        raise ValueError("firms must be sorted by founded_year (draw_firms returns them so)")
    states: dict[int, FirmState] = {}
    state: FirmState | None = None
    for year in range(int(founded.min()), last_year + 1):
        done = 0 if state is None else len(state)
        stop = int(np.searchsorted(founded, year, side="right"))
        if state is not None:
            state = advance(state, firms.rows(0, done), year, rng, dyn)
        if stop > done:
            entrants = found(firms.rows(done, stop), year, rng, dyn)
            state = entrants if state is None else state.append(entrants)
        if year >= first_year and state is not None:
            states[year] = state
    return states
