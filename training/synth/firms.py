"""The firm population: identity, industry, province, founding and latent traits.

Latent traits (technical capability, focus, management quality) are drawn once
per firm and never change: they are what persists behind a firm's financials, and
the only thing the certification process sees of them is through those financials.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from features.provinces import PROVINCES as CANONICAL_PROVINCES
from training.synth.config import (
    HORIZON,
    INDUSTRIES,
    LAST_YEAR,
    PROVINCES,
    Calibration,
    Population,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

__all__ = ["Firms", "draw_firms"]

# Display names: province + brand + line of business + legal form (assumption).
_BRANDS = (
    "恒达", "精工", "华芯", "瑞丰", "中科", "创新", "博远", "宏图", "新锐", "天成",
    "金石", "汇智", "海川", "远航", "立信", "卓越", "光启", "鼎盛", "合力", "东升",
    "明德", "泰和", "嘉禾", "永兴", "盛世", "晶华", "力拓", "凯达", "华立", "万通",
)  # fmt: skip
_IDENTITY = frozenset({"company_id", "name"})
_ID_DIGITS = 8
_BASE36 = np.array([ord(c) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"], dtype=np.uint32)
_LINES = ("精密", "智能", "科技", "新材料", "电子", "机械", "生物", "信息", "装备", "环保")


@dataclass(frozen=True)
class Firms:
    """Static attributes of each firm, one array entry per firm (or per replica)."""

    company_id: ObjectArray
    name: ObjectArray
    province: IntArray
    """Index into :data:`~training.synth.config.PROVINCES`."""
    industry: IntArray
    """Index into :data:`~training.synth.config.INDUSTRIES`."""
    founded_year: IntArray
    niche_start_year: IntArray
    capability: FloatArray
    focus: FloatArray
    management: FloatArray
    strategic_emerging: BoolArray
    log_market_size: FloatArray
    """Log national niche-market size in the first panel year, CNY."""
    log_world_multiplier: FloatArray
    log_productivity: FloatArray
    """Firm-specific log deviation of revenue per employee from the division norm."""
    log_asset_intensity: FloatArray
    export_propensity: FloatArray
    disclosure: FloatArray
    """Logit shift of how often the firm's optional fields are published."""
    local_points: FloatArray
    """Points the firm earns on its province's own "distinctive" indicators."""
    unobserved_merit: FloatArray
    """1.0 where the review items the input contract cannot carry (e.g. whether a
    chain supplier fills a key gap) go the firm's way, else 0.0."""
    high_tech_applicant: BoolArray
    """Holds 高新技术企业 status whenever its figures meet the tests."""
    award_year: IntArray
    """Year of the firm's S&T award (0: none)."""
    award_level: IntArray
    """Index into ``st_award_3y``'s choices (1 provincial, 2 national; 0 none)."""
    contest_year: IntArray
    """Year of the firm's 创客中国 placing (0: none)."""
    contest_level: IntArray
    """Index into ``contest_rank``'s choices (0 none)."""
    violation_year: IntArray
    """Year of a serious violation (0: none)."""

    def __len__(self) -> int:
        return int(self.founded_year.shape[0])

    def take(self, index: npt.NDArray[np.intp], *, identity: bool = True) -> Firms:
        """Return the firms at ``index`` (repeats allowed: Monte Carlo replicas).

        With ``identity=False`` the id and name are left blank (``None``): replicas
        only need the numbers, and copying text is the slow part of a copy.
        """
        blank = np.broadcast_to(np.array(None, dtype=object), index.shape)
        return Firms(
            **{
                f.name: blank
                if not identity and f.name in _IDENTITY
                else getattr(self, f.name)[index]
                for f in fields(self)
            }
        )

    def rows(self, start: int, stop: int) -> Firms:
        """Return the firms ``start:stop`` as views (no copy)."""
        return Firms(**{f.name: getattr(self, f.name)[start:stop] for f in fields(self)})


def _company_ids(province_codes: ObjectArray) -> ObjectArray:
    """18-character ids shaped like unified social credit codes, unique by position.

    ``91`` (enterprise) + province code + ``0100MA`` + the position in base 36.
    """
    n = province_codes.shape[0]
    places = 36 ** np.arange(_ID_DIGITS - 1, -1, -1, dtype=np.int64)
    digits = np.arange(n, dtype=np.int64)[:, None] // places % 36
    serial = _BASE36[digits].view(f"<U{_ID_DIGITS}").ravel()
    prefixed = np.char.add(np.char.add("91", province_codes.astype(str)), "0100MA")
    ids: ObjectArray = np.char.add(prefixed, serial).astype(object)
    return ids


def draw_firms(n_firms: int, rng: np.random.Generator, calibration: Calibration) -> Firms:
    """Draw the screening universe of ``n_firms`` firms.

    Parameters
    ----------
    n_firms
        Number of firms (each may be founded before or during the panel years).
    rng
        The random stream of the population.
    calibration
        Calibration constants (population and dynamics parts are used).

    Returns
    -------
    Firms
        One entry per firm, ordered by company id.
    """
    pop = calibration.population
    dyn = calibration.dynamics
    province_weights = np.array([p.weight for p in PROVINCES])
    factors = pop.industry_weight_factors
    industry_weights = np.array([i.weight * factors.get(i.code, 1.0) for i in INDUSTRIES])
    province = rng.choice(len(PROVINCES), size=n_firms, p=province_weights / province_weights.sum())
    industry = rng.choice(
        len(INDUSTRIES), size=n_firms, p=industry_weights / industry_weights.sum()
    )

    age_2025 = np.exp(rng.normal(pop.log_age_2025_median, pop.log_age_2025_sd, n_firms))
    age_2025 = np.clip(np.floor(age_2025), 0, pop.max_age_2025).astype(np.int64)
    # Sorted by founding year, so the firms founded by any year are a prefix and the
    # panel grows by appending entrants.
    founded_year = np.sort(LAST_YEAR - age_2025)

    corr = np.array(
        [
            [1.0, pop.corr_capability_focus, pop.corr_capability_management],
            [pop.corr_capability_focus, 1.0, pop.corr_focus_management],
            [pop.corr_capability_management, pop.corr_focus_management, 1.0],
        ]
    )
    traits = rng.standard_normal((n_firms, 3)) @ np.linalg.cholesky(corr).T
    capability_shift = (
        np.array([p.capability_shift for p in PROVINCES])[province]
        + np.array([i.capability_shift for i in INDUSTRIES])[industry]
    )
    capability = traits[:, 0] + capability_shift
    focus = traits[:, 1]
    management = traits[:, 2]

    # Focused firms find their niche sooner after founding.
    delay_mean = pop.niche_delay_mean_years * np.exp(pop.niche_delay_focus * focus)
    niche_start_year = founded_year + np.floor(rng.exponential(delay_mean)).astype(np.int64)

    strategic_share = np.array([i.strategic_share for i in INDUSTRIES])[industry]
    strategic_logit = (
        np.log(strategic_share / (1 - strategic_share)) + pop.strategic_capability * capability
    )
    strategic_emerging = rng.random(n_firms) < 1 / (1 + np.exp(-strategic_logit))

    log_market_size = (
        np.array([i.log_market_size for i in INDUSTRIES])[industry]
        + dyn.market_size_focus * focus
        + dyn.market_size_capability * capability
        + rng.normal(0.0, dyn.market_size_sd, n_firms)
    )
    log_world_multiplier = np.maximum(
        rng.normal(dyn.world_multiplier_log_median, dyn.world_multiplier_sd, n_firms), 0.3
    )
    log_productivity = rng.normal(0.0, dyn.productivity_firm_sd, n_firms)
    log_asset_intensity = rng.normal(0.0, dyn.asset_firm_sd, n_firms)
    export_propensity = np.array([i.export_logit for i in INDUSTRIES])[industry] + (
        dyn.export_capability * capability + rng.normal(0.0, 1.0, n_firms)
    )
    disclosure = rng.normal(0.0, calibration.missingness.firm_disclosure_sd, n_firms)
    policy = np.array([p.policy for p in PROVINCES])[province]
    local_p = 1 / (1 + np.exp(-(pop.local_intercept + pop.local_capability * capability + policy)))
    local_points = pop.local_points_per_item * rng.binomial(pop.local_items, local_p)
    merit_p = 1 / (1 + np.exp(-(pop.merit_intercept + pop.merit_capability * capability)))
    unobserved_merit = (rng.random(n_firms) < merit_p).astype(np.float64)

    events = _draw_events(rng, pop, founded_year, capability, management)

    codes = np.array([p.code for p in PROVINCES], dtype=object)[province]
    company_id = _company_ids(codes)
    short_by_code = {p.code: p.short for p in CANONICAL_PROVINCES}
    short = np.array([short_by_code[p.code] for p in PROVINCES], dtype=object)[province]
    brands = np.array(_BRANDS, dtype=object)
    brand = (
        brands[rng.integers(0, len(_BRANDS), n_firms)]
        + np.array([b[0] for b in _BRANDS], dtype=object)[rng.integers(0, len(_BRANDS), n_firms)]
    )
    line = np.array(_LINES, dtype=object)[rng.integers(0, len(_LINES), n_firms)]
    name = short + brand + line + "有限公司"

    return Firms(
        company_id=company_id,
        name=name.astype(object),
        province=province.astype(np.int64),
        industry=industry.astype(np.int64),
        founded_year=founded_year,
        niche_start_year=niche_start_year,
        capability=capability,
        focus=focus,
        management=management,
        strategic_emerging=strategic_emerging,
        log_market_size=log_market_size,
        log_world_multiplier=log_world_multiplier,
        log_productivity=log_productivity,
        log_asset_intensity=log_asset_intensity,
        export_propensity=export_propensity,
        disclosure=disclosure,
        local_points=local_points.astype(np.float64),
        unobserved_merit=unobserved_merit,
        high_tech_applicant=events.high_tech_applicant,
        award_year=events.award_year,
        award_level=events.award_level,
        contest_year=events.contest_year,
        contest_level=events.contest_level,
        violation_year=events.violation_year,
    )


def _logistic(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def _event_year(
    rng: np.random.Generator, happens: BoolArray, first: IntArray, last: int
) -> IntArray:
    """A year uniform over ``first..last`` where ``happens``, else 0."""
    span = np.maximum(last - first + 1, 1)
    year = first + np.floor(rng.random(first.shape[0]) * span).astype(np.int64)
    out: IntArray = np.where(happens, year, 0)
    return out


@dataclass(frozen=True)
class _Events:
    high_tech_applicant: BoolArray
    award_year: IntArray
    award_level: IntArray
    contest_year: IntArray
    contest_level: IntArray
    violation_year: IntArray


def _draw_events(
    rng: np.random.Generator,
    pop: Population,
    founded_year: IntArray,
    capability: FloatArray,
    management: FloatArray,
) -> _Events:
    """Honours and events of the direct routes and of the violation condition.

    Drawn after every other trait, so adding them left the rest of a seeded world
    as it was.
    """
    n = founded_year.shape[0]
    last = LAST_YEAR + HORIZON  # the oracle's rollouts look this far
    high_tech_applicant: BoolArray = np.less(rng.random(n), pop.high_tech_take_up)
    won = rng.random(n) < _logistic(pop.award_intercept + pop.award_capability * capability)
    award_year = _event_year(rng, won, founded_year + 1, last)
    award_level = np.where(won, 1 + (rng.random(n) < pop.award_national_share), 0)
    placed = rng.random(n) < _logistic(pop.contest_intercept + pop.contest_capability * capability)
    contest_year = _event_year(rng, placed, np.maximum(founded_year, pop.contest_first_year), last)
    u = rng.random(n)
    top50 = pop.contest_national_top50_share
    top500 = top50 + pop.contest_national_top500_share
    contest_level = np.where(placed, np.where(u < top50, 3, np.where(u < top500, 2, 1)), 0)
    violated = rng.random(n) < _logistic(
        pop.violation_intercept + pop.violation_management * management
    )
    violation_year = _event_year(rng, violated, founded_year, last)
    return _Events(
        high_tech_applicant=high_tech_applicant,
        award_year=award_year,
        award_level=award_level.astype(np.int64),
        contest_year=contest_year,
        contest_level=contest_level.astype(np.int64),
        violation_year=violation_year,
    )
