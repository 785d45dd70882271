"""What linking published lists produces: certifications and the linkage report.

``certifications`` has the panel contract's columns (``company_id``, ``tier``,
``granted_year``, ``expires_year``) that ``srdi train --data`` reads; a firm listed
twice for the same tier and year is written once. The linkage report has one row per
listed firm: where it came from, what was matched, how sure, and the candidates a
person should look at.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from training.dataset import CERTIFICATE_VALIDITY_YEARS
from training.published.linkage import STATUSES, Link

__all__ = ["REPORT_COLUMNS", "Labels", "make_labels_output"]

REPORT_COLUMNS: tuple[str, ...] = (
    "list",
    "row",
    "name",
    "credit_code",
    "region",
    "tier",
    "granted_year",
    "status",
    "company_id",
    "panel_name",
    "similarity",
    "candidates",
    "note",
)
"""Columns of the linkage report, in order."""


@dataclass(frozen=True)
class Labels:
    """Certifications and the linkage report built from the links.

    Attributes
    ----------
    certifications : pandas.DataFrame
        ``company_id``, ``tier``, ``granted_year``, ``expires_year``.
    report : pandas.DataFrame
        :data:`REPORT_COLUMNS`, one row per listed firm.
    counts : dict
        Status → number of listed firms (every status, zeros included).
    duplicates : int
        Linked rows left out of ``certifications`` because the same firm, tier and
        year was already there.
    """

    certifications: pd.DataFrame
    report: pd.DataFrame
    counts: dict[str, int]
    duplicates: int


def _candidates_text(link: Link) -> str:
    return "; ".join(
        f"{c.company_id} {c.name}"
        + (f" ({c.province})" if c.province else "")
        + f" {c.similarity:.0f}"
        for c in link.candidates
    )


def make_labels_output(links: Sequence[Link]) -> Labels:
    """Turn links into certifications and the linkage report.

    Parameters
    ----------
    links
        From :func:`training.published.linkage.link_firms`, in list order.

    Returns
    -------
    Labels
    """
    report_rows = []
    for link in links:
        firm, best = link.firm, link.candidates[0] if link.candidates else None
        report_rows.append(
            {
                "list": firm.source,
                "row": firm.row,
                "name": firm.name,
                "credit_code": firm.code,
                "region": firm.region,
                "tier": firm.tier or "",
                "granted_year": firm.year,
                "status": link.status,
                "company_id": link.company_id,
                "panel_name": best.name if best is not None and link.linked else "",
                "similarity": best.similarity if best is not None else None,
                "candidates": ""
                if link.linked and link.status != "accepted_fuzzy"
                else _candidates_text(link),
                "note": link.note,
            }
        )
    report = pd.DataFrame(report_rows, columns=list(REPORT_COLUMNS))
    report["granted_year"] = report["granted_year"].astype("Int64")
    report["similarity"] = report["similarity"].astype("Float64").round(1)

    linked = [link for link in links if link.linked]
    certifications = pd.DataFrame(
        {
            "company_id": pd.Series([link.company_id for link in linked], dtype="string"),
            "tier": pd.Series([link.firm.tier for link in linked], dtype="string"),
            "granted_year": pd.Series([link.firm.year for link in linked], dtype="int64"),
        }
    )
    before = len(certifications)
    certifications = certifications.drop_duplicates(
        ["company_id", "tier", "granted_year"]
    ).reset_index(drop=True)
    certifications["expires_year"] = certifications["granted_year"] + CERTIFICATE_VALIDITY_YEARS
    found = Counter(link.status for link in links)
    return Labels(
        certifications=certifications,
        report=report,
        counts={status: found.get(status, 0) for status in STATUSES},
        duplicates=before - len(certifications),
    )
