"""Multi-year financial dynamics: one vectorized step per fiscal year.

:class:`FirmState` holds the true values of every firm at the end of a fiscal
year plus the persistent shocks behind them. :func:`advance` moves all firms one
year forward with fresh noise; the same function drives the realized world and the
oracle's Monte Carlo rollouts (where the state is replicated R times), so both
follow one law of motion. Latent traits (:class:`~training.synth.firms.Firms`)
shift every equation and never change.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt
from scipy.special import expit

from features.fields import RD_INSTITUTION_CHOICES
from features.provinces import PROVINCES as CANONICAL_PROVINCES
from features.tiers import TIER_CHOICES
from training.synth.config import (
    EQUITY_BOOM,
    FIRST_YEAR,
    INDUSTRIES,
    MACRO_GROWTH,
    PROVINCES,
    Dynamics,
)
from training.synth.firms import Firms, FloatArray

__all__ = [
    "FirmState",
    "advance",
    "exit_probability",
    "found",
    "record_columns",
    "simulate_panel",
]

_N_NORMALS = 14
_N_UNIFORMS = 8
_LOG_50M = float(np.log(5e7))
_MILLION = 1e6

_GROWTH = np.array([i.growth for i in INDUSTRIES])
_RD_NORM_LOG = np.log(np.array([i.rd_norm for i in INDUSTRIES]))
_GROSS_MARGIN = np.array([i.gross_margin for i in INDUSTRIES])
_OVERHEAD = np.array([i.overhead for i in INDUSTRIES])
_LOG_REVENUE_PER_EMPLOYEE = np.log(np.array([i.revenue_per_employee for i in INDUSTRIES]))
_ASSETS_TO_REVENUE = np.array([i.assets_to_revenue for i in INDUSTRIES])
_TOP5_LOGIT = np.array([i.top5_logit for i in INDUSTRIES])
_INDUSTRY_CODES = np.array([i.code for i in INDUSTRIES], dtype=object)
_PROVINCE_NAMES = np.array(
    [{p.code: p.name for p in CANONICAL_PROVINCES}[p.code] for p in PROVINCES], dtype=object
)
_RD_INSTITUTIONS = np.array(RD_INSTITUTION_CHOICES, dtype=object)
_TIER_NAMES = np.array(TIER_CHOICES, dtype=object)


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = expit(x)
    return out


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


def advance(
    state: FirmState, firms: Firms, year: int, rng: np.random.Generator, dyn: Dynamics
) -> FirmState:
    """Move every firm from the end of ``year - 1`` to the end of ``year``.

    Parameters
    ----------
    state
        True values at the end of ``year - 1``, aligned with ``firms``.
    firms
        Static attributes and latent traits, one row per state row.
    year
        The fiscal year being simulated.
    rng
        Random stream; every row gets fresh, independent noise.
    dyn
        Coefficients of the dynamics.

    Returns
    -------
    FirmState
        True values at the end of ``year``.
    """
    n = len(firms)
    z = rng.standard_normal((_N_NORMALS, n))
    u = rng.random((_N_UNIFORMS, n))
    ind = firms.industry
    cap, foc, man = firms.capability, firms.focus, firms.management
    age = np.maximum(year - firms.founded_year, 0).astype(np.float64)
    t = float(year - FIRST_YEAR)

    # Revenue: division growth + youth + traits, with mean reversion in size and a
    # persistent shock.
    growth_shock = dyn.growth_shock_persistence * state.growth_shock + dyn.growth_shock_sd * z[0]
    growth = (
        _GROWTH[ind]
        + MACRO_GROWTH.get(year, 0.0)
        + dyn.young_growth * np.exp(-age / dyn.young_growth_decay_years)
        + dyn.growth_capability * cap
        + dyn.growth_management * man
        - dyn.growth_size_reversion
        * (state.log_revenue - dyn.size_reference_log_revenue - _GROWTH[ind] * t)
        + growth_shock
    )
    log_revenue = np.maximum(state.log_revenue + growth, np.log(dyn.min_revenue))
    revenue = np.exp(log_revenue)

    main_shock = dyn.main_share_persistence * state.main_shock + dyn.main_share_shock_sd * z[1]
    main_share = _sigmoid(dyn.main_share_intercept + dyn.main_share_focus * foc + main_shock)

    rd_shock = dyn.rd_persistence * state.rd_shock + dyn.rd_shock_sd * z[2]
    rd_intensity = np.minimum(
        np.exp(_RD_NORM_LOG[ind] + dyn.rd_capability * cap + dyn.rd_focus * foc + rd_shock),
        dyn.rd_max,
    )
    rd_expense = revenue * rd_intensity

    margin_shock = (
        dyn.gross_margin_persistence * state.margin_shock + dyn.gross_margin_shock_sd * z[3]
    )
    gross_margin = np.clip(
        _GROSS_MARGIN[ind]
        + dyn.gross_margin_capability * cap
        + dyn.gross_margin_focus * foc
        + margin_shock,
        -0.5,
        0.95,
    )
    net_margin = np.clip(
        gross_margin
        - _OVERHEAD[ind]
        - dyn.net_margin_rd_cost * rd_intensity
        + dyn.net_margin_management * man
        + dyn.net_margin_shock_sd * z[4],
        -1.0,
        0.6,
    )

    log_productivity = (
        _LOG_REVENUE_PER_EMPLOYEE[ind]
        + firms.log_productivity
        + dyn.productivity_management * man
        + dyn.productivity_capability * cap
    )
    employees = np.maximum(np.rint(np.exp(log_revenue - log_productivity)), 3.0)
    rd_staff_share = np.clip(
        dyn.rd_staff_base + dyn.rd_staff_per_rd_intensity * rd_intensity + dyn.rd_staff_sd * z[5],
        0.0,
        0.95,
    )
    rd_staff = np.rint(employees * rd_staff_share)

    debt_shock = dyn.debt_persistence * state.debt_shock + dyn.debt_shock_sd * z[6]
    debt_ratio = _sigmoid(
        dyn.debt_intercept
        + dyn.debt_management * man
        + dyn.debt_young * (age < dyn.young_firm_years)
        + debt_shock
    )
    total_assets = (
        revenue
        * _ASSETS_TO_REVENUE[ind]
        * np.exp(firms.log_asset_intensity + dyn.asset_shock_sd * z[7])
    )

    # Intellectual property accumulates from R&D and lapses slowly.
    rd_millions = rd_expense / _MILLION
    new_inventions = rng.poisson(
        dyn.invention_rate
        * rd_millions**dyn.invention_rd_elasticity
        * np.exp(dyn.invention_capability * cap)
    )
    invention = state.invention_patents - rng.binomial(
        state.invention_patents.astype(np.int64), dyn.patent_lapse
    )
    tie = _sigmoid(dyn.class1_tie_intercept + dyn.class1_tie_focus * foc)
    new_class1 = rng.binomial(new_inventions, tie) + rng.poisson(
        dyn.class1_other_rate * np.exp(dyn.class1_other_capability * cap)
    )
    class1 = state.class1_ip - rng.binomial(state.class1_ip.astype(np.int64), dyn.patent_lapse)
    class2 = (
        state.class2_ip
        - rng.binomial(state.class2_ip.astype(np.int64), dyn.class2_lapse)
        + rng.poisson(
            dyn.class2_rate
            * rd_millions**dyn.class2_rd_elasticity
            * np.exp(dyn.class2_capability * cap)
        )
    )

    log10_rd = np.log10(np.maximum(rd_millions, 1e-2))
    log10_size = np.log10(revenue / 1e7)
    up_institution = u[0] < _sigmoid(
        dyn.rd_institution_intercept
        + dyn.rd_institution_capability * cap
        + dyn.rd_institution_rd * log10_rd
        + dyn.rd_institution_level * state.rd_institution
        + dyn.rd_institution_trend * t
    )
    rd_institution = np.minimum(state.rd_institution + up_institution, 4.0)
    up_digital = u[1] < _sigmoid(
        dyn.digital_intercept
        + dyn.digital_management * man
        + dyn.digital_capability * cap
        + dyn.digital_trend * t
        + dyn.digital_level * (state.digital_level - 1.0)
    )
    digital_level = np.minimum(state.digital_level + up_digital, 4.0)

    def keep_or_gain(
        held: FloatArray, gain: FloatArray, draw: FloatArray, drop: float
    ) -> FloatArray:
        return np.where(held > 0, draw >= drop, draw < gain).astype(np.float64)

    quality_certification = keep_or_gain(
        state.quality_certification,
        _sigmoid(
            dyn.quality_cert_intercept
            + dyn.quality_cert_management * man
            + dyn.certificate_size * log10_size
        ),
        u[2],
        dyn.certificate_drop,
    )
    own_brand = keep_or_gain(
        state.own_brand,
        _sigmoid(
            dyn.own_brand_intercept
            + dyn.own_brand_focus * foc
            + dyn.own_brand_capability * cap
            + dyn.certificate_size * log10_size
        ),
        u[3],
        0.0,
    )
    quality_award = keep_or_gain(
        state.quality_award,
        _sigmoid(
            dyn.quality_award_intercept
            + dyn.quality_award_management * man
            + dyn.quality_award_capability * cap
            + dyn.quality_award_size * log10_size
        ),
        u[4],
        0.0,
    )

    # Exports: some firms start exporting; exporters' share wanders around a level.
    exporter = np.maximum(
        state.exporter,
        (u[5] < dyn.exporter_start_rate * _sigmoid(firms.export_propensity)).astype(np.float64),
    )
    export_shock = dyn.export_persistence * state.export_shock + dyn.export_shock_sd * z[8]
    export_share = exporter * _sigmoid(
        dyn.export_intercept + dyn.export_propensity * firms.export_propensity + export_shock
    )

    # Niche markets grow with the division; share = the firm's sales in it / its size.
    main_revenue = revenue * main_share
    log_market = firms.log_market_size + _GROWTH[ind] * t
    national_share = np.minimum(
        main_revenue * (1.0 - export_share) / np.exp(log_market), dyn.max_market_share
    )
    world_share = np.minimum(
        main_revenue / np.exp(log_market + firms.log_world_multiplier), dyn.max_market_share
    )
    world_rank = np.clip(
        np.rint(dyn.world_rank_scale / world_share * np.exp(dyn.world_rank_sd * z[9])),
        1.0,
        dyn.world_rank_max,
    )

    standards = state.standards_drafted + rng.poisson(
        dyn.standards_rate
        * np.exp(dyn.standards_capability * cap + dyn.standards_share * national_share)
    )
    key_chain_supplier = keep_or_gain(
        state.key_chain_supplier,
        _sigmoid(
            dyn.key_supplier_intercept
            + dyn.key_supplier_capability * cap
            + dyn.key_supplier_focus * foc
            + dyn.key_supplier_share * national_share
        ),
        u[6],
        dyn.key_supplier_drop,
    )

    raises = u[7] < _sigmoid(
        dyn.equity_intercept
        + dyn.equity_capability * cap
        + EQUITY_BOOM.get(year, 0.0)
        + dyn.equity_young * (age < dyn.startup_years)
    )
    equity = raises * np.exp(
        dyn.equity_log_median + dyn.equity_size_capability * cap + dyn.equity_sd * z[10]
    )

    customer_shock = dyn.customer_persistence * state.customer_shock + dyn.customer_shock_sd * z[11]
    top5 = _sigmoid(
        _TOP5_LOGIT[ind]
        + dyn.top5_focus * foc
        + dyn.top5_size * (log_revenue - _LOG_50M)
        + customer_shock
    )
    repeat = _sigmoid(
        dyn.repeat_intercept
        + dyn.repeat_management * man
        + dyn.repeat_focus * foc
        + dyn.repeat_age * np.minimum(age, dyn.repeat_age_cap)
        + dyn.repeat_shock * customer_shock
    )
    tenure = np.maximum(age, 0.5) * _sigmoid(
        dyn.tenure_intercept
        + dyn.tenure_focus * foc
        + dyn.tenure_management * man
        + dyn.tenure_sd * z[12]
    )
    turnover = _sigmoid(
        dyn.turnover_intercept
        + dyn.turnover_management * man
        + dyn.turnover_young * (age < dyn.young_firm_years)
        + dyn.turnover_sd * z[13]
    )

    return FirmState(
        log_revenue=log_revenue,
        growth_shock=growth_shock,
        revenue_prev=np.exp(state.log_revenue),
        revenue_prev2=state.revenue_prev,
        main_shock=main_shock,
        main_business_revenue=main_revenue,
        main_business_revenue_prev=state.main_business_revenue,
        main_business_revenue_prev2=state.main_business_revenue_prev,
        rd_shock=rd_shock,
        rd_expense=rd_expense,
        rd_expense_prev=state.rd_expense,
        margin_shock=margin_shock,
        gross_profit=revenue * gross_margin,
        net_profit=revenue * net_margin,
        employees=employees,
        rd_staff=rd_staff,
        debt_shock=debt_shock,
        total_assets=total_assets,
        total_liabilities=total_assets * debt_ratio,
        invention_patents=invention + new_inventions,
        class1_ip=class1 + new_class1,
        class2_ip=class2.astype(np.float64),
        rd_institution=rd_institution,
        digital_level=digital_level,
        quality_certification=quality_certification,
        own_brand=own_brand,
        quality_award=quality_award,
        standards_drafted=standards.astype(np.float64),
        key_chain_supplier=key_chain_supplier,
        equity_raised=equity,
        equity_raised_prev=state.equity_raised,
        exporter=exporter,
        export_shock=export_shock,
        export_share=export_share,
        customer_shock=customer_shock,
        top5_customer_share=top5,
        repeat_customer_share=repeat,
        avg_customer_tenure_years=tenure,
        national_market_share=national_share,
        world_market_share=world_share,
        world_market_rank=world_rank,
        staff_turnover=turnover,
    )


def found(firms: Firms, year: int, rng: np.random.Generator, dyn: Dynamics) -> FirmState:
    """State at the end of the founding ``year`` (no prior-year figures exist).

    A virtual pre-founding state (entry size, no stocks) is advanced one year with
    :func:`advance`, so a new firm follows the same equations as every other.
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
    exporter = (rng.random(n) < _sigmoid(firms.export_propensity)).astype(np.float64)
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
    return _sigmoid(
        dyn.exit_intercept
        + dyn.exit_capability * firms.capability
        + dyn.exit_management * firms.management
        + dyn.exit_loss * loss
    )


def record_columns(
    state: FirmState, firms: Firms, year: int, tier: npt.NDArray[np.int8]
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
