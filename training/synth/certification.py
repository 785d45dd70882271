"""Certification: applications, review, batch quotas, expiry and re-review.

The rules themselves live in :mod:`features.rules`; this module only decides who
applies and how the review treats an application. A record of fiscal year t is an
application made in t+1, reviewed on the firm's true, complete year-t values (a
reviewer sees the whole application, not the gaps of the published data).

Each tier is one grant valid ``status_years`` years: granted in g, it expires in
g+3, when it is re-reviewed. A firm holds at most one tier (the highest granted
and still valid); an upgrade supersedes the lower grant, a failed re-review drops
the firm to the tier below if it passes that tier's review, else to ``none``.

The same probability functions serve the realized world and the oracle's
rollouts (:mod:`training.synth.oracle`), so the oracle knows exactly the odds the
world draws from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from features.rules import (
    SCHEME_TABLES,
    CriterionResult,
    CriterionVerdict,
    SchemeResult,
    evaluate_schemes,
)
from features.rules.tables import Criterion, SchemeTable
from features.tiers import TIER_CHOICES
from training.synth.config import (
    INNOVATIVE,
    LITTLE_GIANT,
    NONE,
    PROVINCES,
    SCHEME_OF_TIER,
    SRDI,
    Certification,
)
from training.synth.firms import BoolArray, Firms, FloatArray

__all__ = [
    "DEMOTION",
    "GRANT_KINDS",
    "NEW",
    "RENEWAL",
    "Grants",
    "SchemeReview",
    "YearOdds",
    "grant_probability",
    "little_giant_quotas",
    "quota_factor",
    "review_records",
    "sample_year",
    "year_odds",
]

Int8Array = npt.NDArray[np.int8]
IntArray = npt.NDArray[np.int64]
_TIER_NAMES = np.array(TIER_CHOICES, dtype=object)
_POLICY = np.array([p.policy for p in PROVINCES])
_PASS = CriterionVerdict.PASS


@dataclass(frozen=True)
class SchemeReview:
    """How the review of one scheme sees each applicant.

    Attributes
    ----------
    eligible
        The rules allow certification, every input known to the reviewer.
    required_ok
        Every ``required`` criterion passes (the hard entry conditions).
    review_pass
        Probability that an application passes the review (before any quota).
    points
        Points the reviewer counts (``NaN`` for schemes without points).
    """

    eligible: BoolArray
    required_ok: BoolArray
    review_pass: FloatArray
    points: FloatArray

    def take(self, index: npt.NDArray[np.intp]) -> SchemeReview:
        """The reviews of the rows at ``index``."""
        return SchemeReview(
            self.eligible[index],
            self.required_ok[index],
            self.review_pass[index],
            self.points[index],
        )

    @classmethod
    def nobody(cls, n: int) -> SchemeReview:
        """A review nobody passes (a tier not evaluated for these rows)."""
        return cls(np.zeros(n, bool), np.zeros(n, bool), np.zeros(n), np.full(n, np.nan))


def _review_scheme(
    result: SchemeResult, local_points: FloatArray, merit: FloatArray, cfg: Certification
) -> SchemeReview:
    """Resolve the engine's result with what only the reviewer knows.

    The engine leaves two things open on complete data: the provincial
    "distinctive" points (its neutral plug-in) and inputs the contract cannot carry
    (``NoInput`` bands). The reviewer knows both: the firm's ``local_points`` and,
    for the rest, the upper bound where ``merit`` is 1 and the lower one elsewhere.
    Where the engine's verdict is settled this reproduces it exactly.
    """
    table = SCHEME_TABLES[result.scheme_id]
    n = result.verdict.shape[0]
    met = {cid: _met(crit, table) for cid, crit in result.criteria.items()}
    required_ok = np.ones(n, dtype=bool)
    route_ok = np.zeros(n, dtype=bool)
    # Required criteria a route stands in for: all of them, or one of the routes.
    replaced: set[str] = set()
    for members, routes in table.replaced_groups():
        replaced.update(members)
        required_ok &= np.logical_and.reduce([met[c] for c in members]) | np.logical_or.reduce(
            [met[c] for c in routes]
        )
    groups: dict[str, FloatArray] = {}
    for crit in result.criteria.values():
        if crit.kind == "required" and crit.id not in replaced:
            required_ok &= met[crit.id]
        elif crit.kind == "route" and not _table_criterion(table, crit.id).replaces:
            route_ok |= met[crit.id]
        if crit.points is not None and crit.points_upper is not None:
            if crit.kind == "plugin":
                true = np.clip(local_points, crit.points, crit.points_upper)
            else:
                true = crit.points + merit * (crit.points_upper - crit.points)
            groups[crit.group] = groups.get(crit.group, 0.0) + true
    if table.pass_mark is None:
        has_routes = any(c.kind == "route" and not c.replaces for c in table.criteria)
        eligible = required_ok & route_ok if has_routes else required_ok
        return SchemeReview(eligible, required_ok, eligible.astype(np.float64), np.full(n, np.nan))
    points = np.sum(list(groups.values()), axis=0)
    minima_ok = np.ones(n, dtype=bool)
    for group, minimum in table.group_minima:
        minima_ok &= groups[group] >= minimum
    eligible = required_ok & (((points >= table.pass_mark) & minima_ok) | route_ok)
    # The reviewer scores the table with noise: marginal applicants fail, a few that
    # miss the mark by a point pass; the required conditions are never waived.
    scored = ndtr((points - table.pass_mark + cfg.review_points_offset) / cfg.review_points_sd)
    review_pass = required_ok * np.where(route_ok, 1.0, minima_ok * scored)
    return SchemeReview(eligible, required_ok, review_pass, points)


def _table_criterion(table: SchemeTable, cid: str) -> Criterion:
    """The criterion ``cid`` of ``table``."""
    return next(c for c in table.criteria if c.id == cid)


def _met(crit: CriterionResult, table: SchemeTable) -> BoolArray:
    """Where the criterion counts as met: it passes, or its stated assumption holds it met.

    The reviewer sees what the record cannot carry (the general conditions of every
    applicant) the way the engine's verdict assumes it.
    """
    met: BoolArray = crit.verdict == _PASS
    assume = _table_criterion(table, crit.id).assume
    if assume is not None and assume.verdict == "pass" and crit.assumed is not None:
        met = met | crit.assumed
    return met


def review_records(
    columns: Mapping[str, npt.NDArray[np.float64] | npt.NDArray[np.object_]],
    level: Int8Array,
    firms: Firms,
    tiers: tuple[int, ...],
    cfg: Certification,
) -> dict[int, SchemeReview]:
    """Review every record as an application to each of ``tiers``.

    Parameters
    ----------
    columns
        True, complete records (one fiscal year), aligned with ``firms``.
    level
        Tier held at the end of that year.
    firms
        Static attributes (local indicators, unobserved review items).
    tiers
        Tier levels to review (subset of innovative, SRDI, Little Giant).
    cfg
        Certification constants.

    Returns
    -------
    dict of int to SchemeReview
        By tier level.
    """
    out: dict[int, SchemeReview] = {}
    lower = tuple(t for t in tiers if t != LITTLE_GIANT)
    if lower:
        # Held status must not mask eligibility (re-review): evaluate as uncertified.
        as_none = dict(columns, current_tier=np.full(level.shape[0], "none", dtype=object))
        ev = evaluate_schemes(as_none, schemes=[SCHEME_OF_TIER[t] for t in lower])
        for t in lower:
            out[t] = _review_scheme(
                ev[SCHEME_OF_TIER[t]], firms.local_points, firms.unobserved_merit, cfg
            )
    if LITTLE_GIANT in tiers:
        # Holders are re-reviewed as provincial firms; the engine checks the prerequisite.
        as_held = dict(columns, current_tier=_TIER_NAMES[np.minimum(level, SRDI)])
        ev = evaluate_schemes(as_held, schemes=[SCHEME_OF_TIER[LITTLE_GIANT]])
        out[LITTLE_GIANT] = _review_scheme(
            ev[SCHEME_OF_TIER[LITTLE_GIANT]], firms.local_points, firms.unobserved_merit, cfg
        )
    return out


def _available(tier: int, year: int, cfg: Certification) -> bool:
    first = {INNOVATIVE: cfg.innovative_from, SRDI: cfg.provincial_from}.get(
        tier, cfg.little_giant_from
    )
    return year >= first


def _by_year(table: Mapping[int, float], year: int) -> float:
    # Years after the last entry keep the last policy (the oracle looks past 2025).
    return table[min(max(year, min(table)), max(table))]


def _apply_intercept(tier: int, year: int, cfg: Certification) -> float:
    if tier == INNOVATIVE:
        return _by_year(cfg.apply_innovative, year)
    if tier == SRDI:
        return _by_year(cfg.apply_srdi, year)
    return cfg.apply_little_giant


@dataclass(frozen=True)
class YearOdds:
    """The odds of every certification event of one year, per firm.

    Attributes
    ----------
    target
        Tier applied for (0: none possible this year).
    p_apply
        Probability of applying for ``target``.
    p_review
        Probability of passing the review of ``target`` (before the Little Giant
        quota, see :func:`quota_factor`).
    rank_points
        The Little Giant batch ranking basis (the provincial points).
    due
        The held tier's grant expires this year: it is re-reviewed.
    p_renew
        Probability of passing the re-review (where due).
    demote_tier
        Tier granted instead when the re-review fails and that tier's review passes.
    p_demote
        Probability of that lower grant.
    """

    target: Int8Array
    p_apply: FloatArray
    p_review: FloatArray
    rank_points: FloatArray
    due: BoolArray
    p_renew: FloatArray
    demote_tier: Int8Array
    p_demote: FloatArray


def year_odds(
    year: int,
    level: Int8Array,
    expiry: IntArray,
    reviews: Mapping[int, SchemeReview],
    firms: Firms,
    cfg: Certification,
) -> YearOdds:
    """Odds of the certification events of ``year`` from last year's reviews.

    Parameters
    ----------
    year
        The year of the applications (records of ``year - 1`` are reviewed).
    level, expiry
        Tier held at the end of ``year - 1`` and the year its grant expires.
    reviews
        :func:`review_records` of the ``year - 1`` records; tiers not reviewed count
        as not eligible.
    firms
        Static attributes (capability, province) aligned with ``level``.
    cfg
        Certification constants.

    Returns
    -------
    YearOdds
    """
    n = level.shape[0]
    nobody = SchemeReview.nobody(n)
    review = {t: reviews.get(t, nobody) for t in (INNOVATIVE, SRDI, LITTLE_GIANT)}

    # Firms know their own figures: they aim for the highest tier they qualify for,
    # else hopefully for the next one up.
    target = np.zeros(n, dtype=np.int8)
    eligible_target = np.zeros(n, dtype=bool)
    hopeful = np.zeros(n, dtype=np.int8)
    for tier in (LITTLE_GIANT, SRDI, INNOVATIVE):
        if not _available(tier, year, cfg):
            continue
        candidate = level < tier
        take = candidate & review[tier].eligible & (target == NONE)
        target[take] = tier
        eligible_target |= take
        hopeful[candidate] = tier
    target = np.where(target == NONE, hopeful, target).astype(np.int8)

    intercept = np.zeros(n)
    p_review = np.zeros(n)
    for tier in (INNOVATIVE, SRDI, LITTLE_GIANT):
        at = target == tier
        intercept[at] = _apply_intercept(tier, year, cfg)
        p_review[at] = review[tier].review_pass[at]
    logit = (
        intercept
        + cfg.apply_capability * firms.capability
        + cfg.apply_policy * _POLICY[firms.province]
        + cfg.apply_tier * level
        + cfg.apply_eligible * eligible_target
    )
    p_apply = np.where(target > NONE, 1.0 / (1.0 + np.exp(-logit)), 0.0)

    due = (level > NONE) & (expiry == year)
    p_renew = np.zeros(n)
    demote_tier = np.zeros(n, dtype=np.int8)
    p_demote = np.zeros(n)
    for tier in (INNOVATIVE, SRDI, LITTLE_GIANT):
        at = due & (level == tier)
        if not at.any():
            continue
        # Re-review: the criteria applied to the firm's figures (config.Certification):
        # a firm still meeting the standard almost always keeps it; one that slipped
        # but kept the entry conditions keeps it the likelier the nearer its points
        # stay to the bar; one that lost the entry conditions loses it.
        entry = review[SRDI if tier == LITTLE_GIANT else tier]
        points = entry.points
        slipped = cfg.rereview_pass_lapsed * ndtr(
            (np.nan_to_num(points, nan=-np.inf) - cfg.rereview_points_reference[tier])
            / cfg.rereview_points_sd
        )
        p = np.where(
            review[tier].eligible,
            cfg.rereview_pass_eligible,
            np.where(entry.required_ok, slipped, 0.0),
        )
        p_renew[at] = p[at]
        below = tier - 1
        if below > NONE and _available(below, year, cfg):
            demote_tier[at] = below
            p_demote[at] = review[below].review_pass[at]
    return YearOdds(
        target=target,
        p_apply=p_apply,
        p_review=p_review,
        rank_points=review[SRDI].points,
        due=due,
        p_renew=p_renew,
        demote_tier=demote_tier,
        p_demote=p_demote,
    )


def quota_factor(rank_points: FloatArray, cutoff: float, cfg: Certification) -> FloatArray:
    """Probability that an eligible Little Giant applicant clears a batch cut-off."""
    if not np.isfinite(cutoff):
        return np.ones(rank_points.shape[0])
    out: FloatArray = ndtr((rank_points - cutoff) / cfg.little_giant_review_sd)
    return out


def little_giant_quotas(n_alive_last_year: int, cfg: Certification) -> dict[int, int]:
    """Batch sizes scaled to the population (real batch x population / real universe).

    The real universe is ``holders_2025 / share``: the Little Giants alive in 2025
    are ``share`` of the SMEs they are drawn from.
    """
    scale = n_alive_last_year * cfg.little_giant_share / cfg.little_giant_holders_2025
    return {year: max(1, round(size * scale)) for year, size in cfg.little_giant_batches.items()}


@dataclass(frozen=True)
class Grants:
    """Grants of one year: row index into the acting firms, tier, and kind."""

    row: IntArray
    tier: Int8Array
    kind: Int8Array
    """:data:`NEW` (first grant or upgrade), :data:`RENEWAL` or :data:`DEMOTION`."""


NEW, RENEWAL, DEMOTION = 0, 1, 2
GRANT_KINDS = ("new", "renewal", "demotion")


def sample_year(
    odds: YearOdds,
    level: Int8Array,
    expiry: IntArray,
    year: int,
    quota: int | None,
    rng: np.random.Generator,
    cfg: Certification,
) -> tuple[Int8Array, IntArray, Grants, float]:
    """Draw one year's applications, reviews, batch, re-reviews.

    Parameters
    ----------
    odds
        :func:`year_odds` of the acting firms.
    level, expiry
        Tier held at the end of ``year - 1`` and its expiry, aligned with ``odds``.
    year
        The year of the decisions.
    quota
        Little Giant batch size this year (``None``: no batch).
    rng
        Random stream of the certification process.
    cfg
        Certification constants.

    Returns
    -------
    level, expiry
        At the end of ``year``.
    grants
        Every grant of the year (upgrades, renewals, demotions).
    cutoff
        The batch's review-score cut-off (``-inf`` when the quota did not bind).
    """
    n = level.shape[0]
    u = rng.random((4, n))
    passed = (u[0] < odds.p_apply) & (u[1] < odds.p_review)
    cutoff = -np.inf
    lg = np.flatnonzero(passed & (odds.target == LITTLE_GIANT))
    if lg.size:
        score = odds.rank_points[lg] + cfg.little_giant_review_sd * rng.standard_normal(lg.size)
        if quota is None:
            passed[lg] = False
        elif lg.size > quota:
            order = np.argsort(-score, kind="stable")
            passed[lg[order[quota:]]] = False
            cutoff = float(score[order[quota - 1]])

    renewed = odds.due & (u[2] < odds.p_renew)
    demoted = odds.due & ~renewed & (odds.demote_tier > NONE) & (u[3] < odds.p_demote)
    lapsed = odds.due & ~renewed & ~demoted

    new_level = level.copy()
    new_expiry = expiry.copy()
    new_level[demoted] = odds.demote_tier[demoted]
    new_level[lapsed] = NONE
    new_expiry[renewed | demoted] = year + cfg.status_years
    new_expiry[lapsed] = 0
    upgraded = passed & (odds.target > level)
    new_level[upgraded] = odds.target[upgraded]
    new_expiry[upgraded] = year + cfg.status_years

    # An upgrade supersedes the same year's re-review of the lower grant.
    groups = (upgraded, renewed & ~upgraded, demoted & ~upgraded)
    rows = np.concatenate([np.flatnonzero(g) for g in groups])
    kinds = np.concatenate(
        [
            np.full(int(g.sum()), k, dtype=np.int8)
            for k, g in zip((NEW, RENEWAL, DEMOTION), groups, strict=True)
        ]
    )
    order = np.argsort(rows, kind="stable")
    rows, kinds = rows[order], kinds[order]
    grants = Grants(rows.astype(np.int64), new_level[rows], kinds)
    return new_level, new_expiry, grants, cutoff


def grant_probability(odds: YearOdds, cutoff: float, cfg: Certification) -> FloatArray:
    """Probability that a firm alive all year is granted its ``target`` tier.

    Application x review x, for a Little Giant application, clearing the batch
    cut-off as realized that year (:func:`quota_factor`).
    """
    p = odds.p_apply * odds.p_review
    lg = odds.target == LITTLE_GIANT
    if lg.any():
        p[lg] *= quota_factor(odds.rank_points[lg], cutoff, cfg)
    return p
