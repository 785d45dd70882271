"""The law of motion: every firm moved one fiscal year forward, step by step.

:func:`advance` drives both the realized world and the oracle's Monte Carlo
rollouts (where the state is replicated R times), so both follow one law of motion.
It runs the steps of a firm's year in order — sales, R&D, margins, workforce,
balance sheet, intellectual property, capabilities, certificates, exports, markets,
standards and supply chain, equity, customers — each a function of last year's
state, the latent traits and this year's noise.

The random draws keep one fixed order, so a seed gives the same world whatever the
steps look like: the year's normals (:data:`_N_NORMALS` rows) and uniforms
(:data:`_N_UNIFORMS` rows) are drawn first and each step reads its own rows; the
count draws (patents, standards) follow, in the order the steps run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import expit

from training.synth.config import (
    EQUITY_BOOM,
    FIRST_YEAR,
    INDUSTRIES,
    MACRO_GROWTH,
    Dynamics,
)
from training.synth.firms import Firms, FloatArray
from training.synth.state import FirmState

__all__ = ["advance", "sigmoid"]

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


def sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function, elementwise."""
    out: FloatArray = expit(x)
    return out


@dataclass(frozen=True)
class _Year:
    """What every step of one firm-year reads: the firms, the year and its noise."""

    firms: Firms
    year: int
    dyn: Dynamics
    rng: np.random.Generator
    z: FloatArray
    """Standard normals, one row per use (``_N_NORMALS`` rows)."""
    u: FloatArray
    """Uniforms on [0, 1), one row per use (``_N_UNIFORMS`` rows)."""
    age: FloatArray
    t: float
    """Years since the first fiscal year of the panel (for trends)."""

    @property
    def ind(self) -> np.ndarray:
        return self.firms.industry

    @property
    def cap(self) -> FloatArray:
        return self.firms.capability

    @property
    def foc(self) -> FloatArray:
        return self.firms.focus

    @property
    def man(self) -> FloatArray:
        return self.firms.management


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
    age = np.maximum(year - firms.founded_year, 0).astype(np.float64)
    y = _Year(firms, year, dyn, rng, z, u, age, float(year - FIRST_YEAR))

    sales = _sales(state, y)
    revenue = np.exp(sales.log_revenue)
    rd = _rd(state, y, revenue)
    margins = _margins(state, y, rd.intensity)
    workforce = _workforce(y, sales.log_revenue, rd.intensity)
    balance = _balance_sheet(state, y, revenue)
    ip = _intellectual_property(state, y, rd.expense)
    log10_size = np.log10(revenue / 1e7)
    capabilities = _capabilities(state, y, rd.expense)
    certificates = _certificates(state, y, log10_size)
    exports = _exports(state, y)
    main_revenue = revenue * sales.main_share
    markets = _markets(y, main_revenue, exports.share)
    chain = _standards_and_chain(state, y, markets.national_share)
    equity = _equity(y)
    customers = _customers(state, y, sales.log_revenue)

    return FirmState(
        log_revenue=sales.log_revenue,
        growth_shock=sales.growth_shock,
        revenue_prev=np.exp(state.log_revenue),
        revenue_prev2=state.revenue_prev,
        main_shock=sales.main_shock,
        main_business_revenue=main_revenue,
        main_business_revenue_prev=state.main_business_revenue,
        main_business_revenue_prev2=state.main_business_revenue_prev,
        rd_shock=rd.shock,
        rd_expense=rd.expense,
        rd_expense_prev=state.rd_expense,
        margin_shock=margins.shock,
        gross_profit=revenue * margins.gross,
        net_profit=revenue * margins.net,
        employees=workforce.employees,
        rd_staff=workforce.rd_staff,
        debt_shock=balance.debt_shock,
        total_assets=balance.total_assets,
        total_liabilities=balance.total_assets * balance.debt_ratio,
        invention_patents=ip.invention_patents,
        class1_ip=ip.class1,
        class2_ip=ip.class2,
        rd_institution=capabilities.rd_institution,
        digital_level=capabilities.digital_level,
        quality_certification=certificates.quality_certification,
        own_brand=certificates.own_brand,
        quality_award=certificates.quality_award,
        standards_drafted=chain.standards,
        key_chain_supplier=chain.key_chain_supplier,
        equity_raised=equity,
        equity_raised_prev=state.equity_raised,
        exporter=exports.exporter,
        export_shock=exports.shock,
        export_share=exports.share,
        customer_shock=customers.shock,
        top5_customer_share=customers.top5,
        repeat_customer_share=customers.repeat,
        avg_customer_tenure_years=customers.tenure,
        national_market_share=markets.national_share,
        world_market_share=markets.world_share,
        world_market_rank=markets.world_rank,
        staff_turnover=workforce.turnover,
    )


# -- financials ------------------------------------------------------------------------


class _Sales(NamedTuple):
    growth_shock: FloatArray
    log_revenue: FloatArray
    main_shock: FloatArray
    main_share: FloatArray


def _sales(state: FirmState, y: _Year) -> _Sales:
    """Revenue and the main business's share of it.

    Revenue grows with the division, youth and traits, reverts to a size norm and
    carries a persistent shock (normals 0 and 1).
    """
    dyn, ind = y.dyn, y.ind
    growth_shock = dyn.growth_shock_persistence * state.growth_shock + dyn.growth_shock_sd * y.z[0]
    growth = (
        _GROWTH[ind]
        + MACRO_GROWTH.get(y.year, 0.0)
        + dyn.young_growth * np.exp(-y.age / dyn.young_growth_decay_years)
        + dyn.growth_capability * y.cap
        + dyn.growth_management * y.man
        - dyn.growth_size_reversion
        * (state.log_revenue - dyn.size_reference_log_revenue - _GROWTH[ind] * y.t)
        + growth_shock
    )
    log_revenue = np.maximum(state.log_revenue + growth, np.log(dyn.min_revenue))
    main_shock = dyn.main_share_persistence * state.main_shock + dyn.main_share_shock_sd * y.z[1]
    main_share = sigmoid(dyn.main_share_intercept + dyn.main_share_focus * y.foc + main_shock)
    return _Sales(growth_shock, log_revenue, main_shock, main_share)


class _RD(NamedTuple):
    shock: FloatArray
    intensity: FloatArray
    expense: FloatArray


def _rd(state: FirmState, y: _Year, revenue: FloatArray) -> _RD:
    """R&D intensity around the division's norm, capped (normal 2)."""
    dyn = y.dyn
    shock = dyn.rd_persistence * state.rd_shock + dyn.rd_shock_sd * y.z[2]
    intensity = np.minimum(
        np.exp(_RD_NORM_LOG[y.ind] + dyn.rd_capability * y.cap + dyn.rd_focus * y.foc + shock),
        dyn.rd_max,
    )
    return _RD(shock, intensity, revenue * intensity)


class _Margins(NamedTuple):
    shock: FloatArray
    gross: FloatArray
    net: FloatArray


def _margins(state: FirmState, y: _Year, rd_intensity: FloatArray) -> _Margins:
    """Gross margin (persistent shock, normal 3) and net margin after overhead and R&D (4)."""
    dyn, ind = y.dyn, y.ind
    shock = dyn.gross_margin_persistence * state.margin_shock + dyn.gross_margin_shock_sd * y.z[3]
    gross = np.clip(
        _GROSS_MARGIN[ind]
        + dyn.gross_margin_capability * y.cap
        + dyn.gross_margin_focus * y.foc
        + shock,
        -0.5,
        0.95,
    )
    net = np.clip(
        gross
        - _OVERHEAD[ind]
        - dyn.net_margin_rd_cost * rd_intensity
        + dyn.net_margin_management * y.man
        + dyn.net_margin_shock_sd * y.z[4],
        -1.0,
        0.6,
    )
    return _Margins(shock, gross, net)


class _Workforce(NamedTuple):
    employees: FloatArray
    rd_staff: FloatArray
    turnover: FloatArray


def _workforce(y: _Year, log_revenue: FloatArray, rd_intensity: FloatArray) -> _Workforce:
    """Headcount from revenue and productivity, R&D staff (normal 5), turnover (13)."""
    dyn = y.dyn
    log_productivity = (
        _LOG_REVENUE_PER_EMPLOYEE[y.ind]
        + y.firms.log_productivity
        + dyn.productivity_management * y.man
        + dyn.productivity_capability * y.cap
    )
    employees = np.maximum(np.rint(np.exp(log_revenue - log_productivity)), 3.0)
    rd_staff_share = np.clip(
        dyn.rd_staff_base + dyn.rd_staff_per_rd_intensity * rd_intensity + dyn.rd_staff_sd * y.z[5],
        0.0,
        0.95,
    )
    turnover = sigmoid(
        dyn.turnover_intercept
        + dyn.turnover_management * y.man
        + dyn.turnover_young * (y.age < dyn.young_firm_years)
        + dyn.turnover_sd * y.z[13]
    )
    return _Workforce(employees, np.rint(employees * rd_staff_share), turnover)


class _Balance(NamedTuple):
    debt_shock: FloatArray
    debt_ratio: FloatArray
    total_assets: FloatArray


def _balance_sheet(state: FirmState, y: _Year, revenue: FloatArray) -> _Balance:
    """Debt ratio (persistent shock, normal 6) and total assets (normal 7)."""
    dyn = y.dyn
    debt_shock = dyn.debt_persistence * state.debt_shock + dyn.debt_shock_sd * y.z[6]
    debt_ratio = sigmoid(
        dyn.debt_intercept
        + dyn.debt_management * y.man
        + dyn.debt_young * (y.age < dyn.young_firm_years)
        + debt_shock
    )
    total_assets = (
        revenue
        * _ASSETS_TO_REVENUE[y.ind]
        * np.exp(y.firms.log_asset_intensity + dyn.asset_shock_sd * y.z[7])
    )
    return _Balance(debt_shock, debt_ratio, total_assets)


# -- R&D outputs and capabilities ------------------------------------------------------


class _IP(NamedTuple):
    invention_patents: FloatArray
    class1: FloatArray
    class2: FloatArray


def _intellectual_property(state: FirmState, y: _Year, rd_expense: FloatArray) -> _IP:
    """Patents accumulate from R&D and lapse slowly.

    Seven count draws, in this order: new inventions, lapsed inventions, class-I IP
    tied to new inventions, other class-I IP, lapsed class-I, lapsed class-II, new
    class-II.
    """
    dyn, rng, cap = y.dyn, y.rng, y.cap
    rd_millions = rd_expense / _MILLION
    new_inventions = rng.poisson(
        dyn.invention_rate
        * rd_millions**dyn.invention_rd_elasticity
        * np.exp(dyn.invention_capability * cap)
    )
    invention = state.invention_patents - rng.binomial(
        state.invention_patents.astype(np.int64), dyn.patent_lapse
    )
    tie = sigmoid(dyn.class1_tie_intercept + dyn.class1_tie_focus * y.foc)
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
    return _IP(invention + new_inventions, class1 + new_class1, class2.astype(np.float64))


class _Capabilities(NamedTuple):
    rd_institution: FloatArray
    digital_level: FloatArray


def _capabilities(state: FirmState, y: _Year, rd_expense: FloatArray) -> _Capabilities:
    """An R&D institution's level (uniform 0) and the digital level (uniform 1) step up."""
    dyn, cap, t = y.dyn, y.cap, y.t
    log10_rd = np.log10(np.maximum(rd_expense / _MILLION, 1e-2))
    up_institution = y.u[0] < sigmoid(
        dyn.rd_institution_intercept
        + dyn.rd_institution_capability * cap
        + dyn.rd_institution_rd * log10_rd
        + dyn.rd_institution_level * state.rd_institution
        + dyn.rd_institution_trend * t
    )
    up_digital = y.u[1] < sigmoid(
        dyn.digital_intercept
        + dyn.digital_management * y.man
        + dyn.digital_capability * cap
        + dyn.digital_trend * t
        + dyn.digital_level * (state.digital_level - 1.0)
    )
    return _Capabilities(
        np.minimum(state.rd_institution + up_institution, 4.0),
        np.minimum(state.digital_level + up_digital, 4.0),
    )


def _keep_or_gain(held: FloatArray, gain: FloatArray, draw: FloatArray, drop: float) -> FloatArray:
    """A flag held is kept unless ``draw < drop``; one not held is gained if ``draw < gain``."""
    return np.where(held > 0, draw >= drop, draw < gain).astype(np.float64)


class _Certificates(NamedTuple):
    quality_certification: FloatArray
    own_brand: FloatArray
    quality_award: FloatArray


def _certificates(state: FirmState, y: _Year, log10_size: FloatArray) -> _Certificates:
    """Quality certification, own brand and quality award (uniforms 2, 3 and 4)."""
    dyn, cap, man = y.dyn, y.cap, y.man
    return _Certificates(
        _keep_or_gain(
            state.quality_certification,
            sigmoid(
                dyn.quality_cert_intercept
                + dyn.quality_cert_management * man
                + dyn.certificate_size * log10_size
            ),
            y.u[2],
            dyn.certificate_drop,
        ),
        _keep_or_gain(
            state.own_brand,
            sigmoid(
                dyn.own_brand_intercept
                + dyn.own_brand_focus * y.foc
                + dyn.own_brand_capability * cap
                + dyn.certificate_size * log10_size
            ),
            y.u[3],
            0.0,
        ),
        _keep_or_gain(
            state.quality_award,
            sigmoid(
                dyn.quality_award_intercept
                + dyn.quality_award_management * man
                + dyn.quality_award_capability * cap
                + dyn.quality_award_size * log10_size
            ),
            y.u[4],
            0.0,
        ),
    )


# -- markets ---------------------------------------------------------------------------


class _Exports(NamedTuple):
    exporter: FloatArray
    shock: FloatArray
    share: FloatArray


def _exports(state: FirmState, y: _Year) -> _Exports:
    """Some firms start exporting (uniform 5); exporters' share wanders (normal 8)."""
    dyn, propensity = y.dyn, y.firms.export_propensity
    exporter = np.maximum(
        state.exporter,
        (y.u[5] < dyn.exporter_start_rate * sigmoid(propensity)).astype(np.float64),
    )
    shock = dyn.export_persistence * state.export_shock + dyn.export_shock_sd * y.z[8]
    share = exporter * sigmoid(dyn.export_intercept + dyn.export_propensity * propensity + shock)
    return _Exports(exporter, shock, share)


class _Markets(NamedTuple):
    national_share: FloatArray
    world_share: FloatArray
    world_rank: FloatArray


def _markets(y: _Year, main_revenue: FloatArray, export_share: FloatArray) -> _Markets:
    """Niche markets grow with the division; share = the firm's sales in it / its size.

    The world rank follows the world share with noise (normal 9).
    """
    dyn = y.dyn
    log_market = y.firms.log_market_size + _GROWTH[y.ind] * y.t
    national_share = np.minimum(
        main_revenue * (1.0 - export_share) / np.exp(log_market), dyn.max_market_share
    )
    world_share = np.minimum(
        main_revenue / np.exp(log_market + y.firms.log_world_multiplier), dyn.max_market_share
    )
    world_rank = np.clip(
        np.rint(dyn.world_rank_scale / world_share * np.exp(dyn.world_rank_sd * y.z[9])),
        1.0,
        dyn.world_rank_max,
    )
    return _Markets(national_share, world_share, world_rank)


class _Chain(NamedTuple):
    standards: FloatArray
    key_chain_supplier: FloatArray


def _standards_and_chain(state: FirmState, y: _Year, national_share: FloatArray) -> _Chain:
    """Standards drafted (a count draw after the patents') and key-supplier status (uniform 6)."""
    dyn, cap = y.dyn, y.cap
    standards = state.standards_drafted + y.rng.poisson(
        dyn.standards_rate
        * np.exp(dyn.standards_capability * cap + dyn.standards_share * national_share)
    )
    key_chain_supplier = _keep_or_gain(
        state.key_chain_supplier,
        sigmoid(
            dyn.key_supplier_intercept
            + dyn.key_supplier_capability * cap
            + dyn.key_supplier_focus * y.foc
            + dyn.key_supplier_share * national_share
        ),
        y.u[6],
        dyn.key_supplier_drop,
    )
    return _Chain(standards.astype(np.float64), key_chain_supplier)


def _equity(y: _Year) -> FloatArray:
    """New equity raised this year: whether (uniform 7) and how much (normal 10)."""
    dyn, cap = y.dyn, y.cap
    raises = y.u[7] < sigmoid(
        dyn.equity_intercept
        + dyn.equity_capability * cap
        + EQUITY_BOOM.get(y.year, 0.0)
        + dyn.equity_young * (y.age < dyn.startup_years)
    )
    equity: FloatArray = raises * np.exp(
        dyn.equity_log_median + dyn.equity_size_capability * cap + dyn.equity_sd * y.z[10]
    )
    return equity


class _Customers(NamedTuple):
    shock: FloatArray
    top5: FloatArray
    repeat: FloatArray
    tenure: FloatArray


def _customers(state: FirmState, y: _Year, log_revenue: FloatArray) -> _Customers:
    """Concentration of the top five customers (persistent shock, normal 11), repeat
    customers' share, and their average tenure (normal 12)."""
    dyn, foc, man = y.dyn, y.foc, y.man
    shock = dyn.customer_persistence * state.customer_shock + dyn.customer_shock_sd * y.z[11]
    top5 = sigmoid(
        _TOP5_LOGIT[y.ind] + dyn.top5_focus * foc + dyn.top5_size * (log_revenue - _LOG_50M) + shock
    )
    repeat = sigmoid(
        dyn.repeat_intercept
        + dyn.repeat_management * man
        + dyn.repeat_focus * foc
        + dyn.repeat_age * np.minimum(y.age, dyn.repeat_age_cap)
        + dyn.repeat_shock * shock
    )
    tenure = np.maximum(y.age, 0.5) * sigmoid(
        dyn.tenure_intercept
        + dyn.tenure_focus * foc
        + dyn.tenure_management * man
        + dyn.tenure_sd * y.z[12]
    )
    return _Customers(shock, top5, repeat, tenure)
