"""Point-in-time labels from the certification history.

For a firm-year (i, t) the firm is a *candidate* when it does not hold the target
tier (or a higher one) at the end of t; its label is 1 when it is granted that
tier (or a higher one) in years t+1 .. t+H. A certification granted in year g with
expiry year e is held at the end of every year t with g <= t < e, so a firm whose
status lapsed by expiry is a candidate again, and one certified before the panel
starts is excluded for as long as the certificate runs.

Only certifications granted up to t decide candidacy; only grants in t+1 .. t+H
decide the label. Labels need H observed years after t: rows with t + H beyond
the last observed year are *incomplete* and must not be trained or scored on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.tiers import tiers_at_or_above

__all__ = [
    "DEFAULT_HORIZON",
    "TARGETS",
    "LabelSet",
    "make_labels",
    "target_tiers",
]

DEFAULT_HORIZON = 2
# The tiers a model can be trained to predict; reaching a higher tier also counts (a
# Little Giant is a provincial SRDI SME too: features.tiers.tiers_at_or_above).
TARGETS: tuple[str, ...] = ("srdi_sme", "little_giant")


def target_tiers(target: str) -> tuple[str, ...]:
    """Return the certification tiers that count as reaching ``target``.

    Raises
    ------
    ValueError
        When ``target`` is not ``"srdi_sme"`` or ``"little_giant"``.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {sorted(TARGETS)}")
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
    target : {"srdi_sme", "little_giant"}
        Tier to predict; higher tiers count too.
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
    tiers = target_tiers(target)
    years = np.asarray(fiscal_year, dtype=np.float64)
    n = years.size
    rows = pd.DataFrame({"row": np.arange(n), "company_id": np.asarray(company_id), "t": years})
    certs = certifications.loc[
        certifications["tier"].isin(tiers), ["company_id", "granted_year", "expires_year"]
    ]
    # Each firm has a handful of certificates, so the join stays about the panel's size.
    pairs = rows.merge(certs, on="company_id", how="inner")
    t = pairs["t"].to_numpy()
    granted = pairs["granted_year"].to_numpy(dtype=np.float64)
    expires = pairs["expires_year"].to_numpy(dtype=np.float64)
    held = (granted <= t) & (t < expires)
    new = (granted > t) & (granted <= t + horizon)
    pair_rows = pairs["row"].to_numpy()
    holds = np.bincount(pair_rows, weights=held, minlength=n) > 0
    gains = np.bincount(pair_rows, weights=new, minlength=n) > 0

    candidate = ~holds & ~np.isnan(years)
    complete = years + horizon <= last_year
    label = np.where(candidate & complete, gains.astype(np.float64), np.nan)
    return LabelSet(candidate=candidate, complete=complete, label=label)
