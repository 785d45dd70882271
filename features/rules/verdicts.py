"""Verdict codes shared by every scheme and criterion.

Both are small ``IntEnum`` s so result arrays stay ``int8`` and vectorized; the
lower-case names are the strings the JSON and the CSV export use.
"""

from __future__ import annotations

from enum import IntEnum


class CriterionVerdict(IntEnum):
    """Outcome of one criterion for one firm."""

    FAIL = 0
    PASS = 1
    UNKNOWN = 2

    @property
    def label(self) -> str:
        """The lower-case name used in JSON (``"pass"``, ``"fail"``, ``"unknown"``)."""
        return self.name.lower()


class Verdict(IntEnum):
    """Outcome of one scheme for one firm."""

    NOT_ELIGIBLE = 0
    ELIGIBLE = 1
    UNDETERMINED = 2
    CERTIFIED = 3

    @property
    def label(self) -> str:
        """The lower-case name used in JSON (``"eligible"``, ``"not_eligible"``, ...)."""
        return self.name.lower()


VERDICT_LABELS: tuple[str, ...] = tuple(v.label for v in Verdict)
CRITERION_VERDICT_LABELS: tuple[str, ...] = tuple(v.label for v in CriterionVerdict)

# A re-review's outcome by Verdict code of the held tier's table (NOT_ELIGIBLE,
# ELIGIBLE, UNDETERMINED), then the label of a firm with no re-review.
REVIEW_LABELS: tuple[str | None, ...] = ("fail", "pass", "undetermined", None)
