"""Point-in-time labels from the certification history, one set per target.

A certification granted in year g with expiry year e is held at the end of every
year t with g <= t < e; a firm holds the highest tier of its valid certificates.
For a firm-year (i, t) the target's question (``features.ladder``) decides whether
the row is a *candidate* and what its label is:

- ``srdi_sme``: the firm holds no provincial tier (nor a higher one) at the end of
  t; label 1 when it is granted provincial SRDI or Little Giant in t+1 .. t+H;
- ``little_giant``: the firm holds the provincial tier (not yet Little Giant) at the
  end of t; label 1 when it is granted Little Giant in t+1 .. t+H;
- ``retention``: the firm holds provincial SRDI or Little Giant at the end of t and
  that status expires (is re-reviewed) in e with t < e <= t+H; label 1 when it is
  granted that tier or a higher one in t+1 .. e (confirmed at the re-review, or
  raised before it), 0 when it loses it or leaves.

A firm whose status lapsed is a candidate for its tier again; one certified before
the panel starts is held for as long as the certificate runs. Only certifications
granted up to t decide candidacy; only grants after t decide the label. Labels need
H observed years after t: rows with t + H beyond the last observed year are
*incomplete* and must not be trained or scored on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.ladder import TARGET_IDS
from features.tiers import TIER_LEVELS, tiers_at_or_above

__all__ = [
    "DEFAULT_HORIZON",
    "TARGETS",
    "LabelSet",
    "make_labels",
    "target_tiers",
]

DEFAULT_HORIZON = 2
# The questions a model can be trained on (features.ladder): one per rung.
TARGETS: tuple[str, ...] = TARGET_IDS
# Tiers whose holders are re-reviewed for the retention target.
RETAINED_TIERS: tuple[str, ...] = ("srdi_sme", "little_giant")


def target_tiers(target: str) -> tuple[str, ...]:
    """Return the certification tiers a grant of which answers ``target``.

    Reaching a higher tier also counts (a Little Giant is a provincial SRDI SME
    too: ``features.tiers.tiers_at_or_above``); for ``retention`` every tier it
    re-reviews (which one counts for a firm is the tier it holds, or higher).

    Raises
    ------
    ValueError
        When ``target`` is not one of :data:`TARGETS`.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {list(TARGETS)}")
    if target == "retention":
        return RETAINED_TIERS
    return tiers_at_or_above(target)


@dataclass(frozen=True)
class LabelSet:
    """Labels aligned with the firm-year rows they were built for.

    Attributes
    ----------
    candidate : numpy.ndarray of bool
        The firm does not hold the target tier at the end of the year.
    complete : numpy.ndarray of bool
        All H years after the fiscal year are observed.
    label : numpy.ndarray of float
        1.0 / 0.0 for complete candidate rows, NaN elsewhere.
    """

    candidate: np.ndarray
    complete: np.ndarray
    label: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        """Rows that can be trained or evaluated on: complete candidates."""
        return np.asarray(self.candidate & self.complete, dtype=bool)


def make_labels(
    company_id: np.ndarray,
    fiscal_year: np.ndarray,
    certifications: pd.DataFrame,
    *,
    target: str = "srdi_sme",
    horizon: int = DEFAULT_HORIZON,
    last_year: int,
) -> LabelSet:
    """Build point-in-time labels for firm-year rows.

    Parameters
    ----------
    company_id, fiscal_year : numpy.ndarray
        One entry per firm-year row.
    certifications : pandas.DataFrame
        Clean certification records with ``company_id``, ``tier``,
        ``granted_year`` and ``expires_year`` (integers; see
        :func:`training.dataset.clean_certifications`).
    target : {"srdi_sme", "little_giant", "retention"}
        The question (see the module docstring).
    horizon : int
        H, the number of years after t within which a grant counts.
    last_year : int
        Last year whose grants are observed (normally the panel's last fiscal year).

    Returns
    -------
    LabelSet
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 year, got {horizon}")
    target_tiers(target)  # raises on an unknown target
    years = np.asarray(fiscal_year, dtype=np.float64)
    n = years.size
    rows = pd.DataFrame({"row": np.arange(n), "company_id": np.asarray(company_id), "t": years})
    certs = certifications.loc[
        certifications["tier"].isin(list(TIER_LEVELS)),
        ["company_id", "tier", "granted_year", "expires_year"],
    ]
    # Each firm has a handful of certificates, so the join stays about the panel's size.
    pairs = rows.merge(certs, on="company_id", how="inner")
    t = pairs["t"].to_numpy()
    granted = pairs["granted_year"].to_numpy(dtype=np.float64)
    expires = pairs["expires_year"].to_numpy(dtype=np.float64)
    level = pairs["tier"].map(TIER_LEVELS).to_numpy(dtype=np.float64)
    pair_rows = pairs["row"].to_numpy()
    held = (granted <= t) & (t < expires)

    # The tier each row holds at the end of t (0 = none) and when that status expires.
    held_level = np.zeros(n)
    np.maximum.at(held_level, pair_rows[held], level[held])
    top = held & (level == held_level[pair_rows])
    expiry = np.zeros(n)
    np.maximum.at(expiry, pair_rows[top], expires[top])

    after = granted > t
    if target == "retention":
        kept_tiers = np.isin(held_level, [TIER_LEVELS[tier] for tier in RETAINED_TIERS])
        candidate = kept_tiers & (expiry > years) & (expiry <= years + horizon)
        # Confirmed at the re-review or raised before it: a grant at the held tier or
        # higher after t and no later than the expiry.
        hit = after & (granted <= expiry[pair_rows]) & (level >= held_level[pair_rows])
    else:
        goal = TIER_LEVELS[target]
        below = TIER_LEVELS["srdi_sme"] if target == "little_giant" else 0.0
        # srdi_sme asks every firm below the provincial tier; little_giant the
        # provincial firms only (the Little Giant screen needs provincial status).
        candidate = (held_level < goal) & (held_level >= below)
        hit = after & (granted <= t + horizon) & (level >= goal)
    gains = np.bincount(pair_rows, weights=hit, minlength=n) > 0

    candidate = candidate & ~np.isnan(years)
    complete = years + horizon <= last_year
    label = np.where(candidate & complete, gains.astype(np.float64), np.nan)
    return LabelSet(candidate=candidate, complete=complete, label=label)
