"""The data model of a rule table: criteria, points bands, direct routes.

A scheme is a :class:`SchemeTable` — plain frozen data the engine evaluates
generically. Criteria come in five kinds:

``required``
    a condition every eligible firm must meet (a fail makes the scheme fail);
``points``
    an indicator scored by bands, best band first, first band met wins; the
    points sum to the scheme score that is held against the pass mark;
``plugin``
    points supplied per province by a plug-in (the provincial "distinctive" row);
``route``
    a direct route: meeting any one replaces the points test;
``advisory``
    shown to the user, not used in the verdict (a soft, "in principle" rule).

A ``required`` or ``route`` criterion may declare an :class:`Assumption`: what the
verdict takes it to be where its input is unknown (e.g. "a direct route with no
reported field is assumed not met"). The criterion itself is still reported
*unknown*; the scheme's verdict uses the assumed value and its JSON lists the
assumption's sentence under ``assumptions`` (a key only tables that declare
assumptions carry).

Tables are versioned: a revision of the official rules is a new table with a new
``version``, never an edit in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal, TypeAlias

from features.rules.logic import Condition, Test
from features.rules.measures import MEASURES
from features.rules.units import POINTS

CriterionKind: TypeAlias = Literal["required", "points", "plugin", "route", "advisory"]


@dataclass(frozen=True)
class Band:
    """``points`` are earned when ``when`` holds (and no better band does)."""

    points: float
    when: Condition

    def to_dict(self) -> dict[str, object]:
        """The band as plain data."""
        return {"points": self.points, "when": self.when.to_dict(), "text": self.when.describe()}


@dataclass(frozen=True)
class Assumption:
    """What a criterion is taken to be where its input is unknown, in plain words.

    Parameters
    ----------
    verdict
        ``"pass"`` or ``"fail"``: the value the scheme's verdict uses.
    sentence
        Shown with the verdict, e.g. "no national S&T award in the last 3 years was
        assumed".
    """

    verdict: Literal["pass", "fail"]
    sentence: str

    def __post_init__(self) -> None:
        if self.verdict not in ("pass", "fail"):
            raise ValueError(f"an assumption is 'pass' or 'fail', got {self.verdict!r}")
        if not self.sentence.strip():
            raise ValueError("an assumption needs the sentence that states it")

    def to_dict(self) -> dict[str, object]:
        """The assumption as plain data."""
        return {"verdict": self.verdict, "sentence": self.sentence}


@dataclass(frozen=True)
class Criterion:
    """One criterion of a scheme.

    Parameters
    ----------
    id
        Unique within the scheme; the JSON's ``criteria[].id``.
    label
        Plain-language name, also the start of the gap text.
    group
        Group of the official text (``innovation``, ``specialization``, ...).
    kind
        See the module docstring.
    measure
        The measure shown as the criterion's value; its unit is the criterion's unit,
        and the first test on it inside the rule gives the displayed threshold.
        ``None`` only for ``plugin`` criteria (their value is the points).
    rule
        The condition (``required``, ``route``, ``advisory``).
    bands
        Points bands, best first (``points``); points must not increase down the list.
    else_points
        Points when no band is met.
    max_points
        Maximum for a ``plugin`` criterion (for ``points`` it is the first band's).
    note
        How the official wording was read, shown in ``rule_tables()`` and the docs.
    assume
        For ``required`` and ``route`` criteria: what the verdict assumes where the
        rule is unknown (see the module docstring).
    """

    id: str
    label: str
    group: str
    kind: CriterionKind
    measure: str | None = None
    rule: Condition | None = None
    bands: tuple[Band, ...] = ()
    else_points: float = 0.0
    max_points: float | None = None
    note: str = ""
    assume: Assumption | None = None

    def __post_init__(self) -> None:
        if self.measure is None and self.kind != "plugin":
            raise ValueError(f"{self.kind} criterion {self.id!r} needs a measure")
        if self.measure is not None and self.measure not in MEASURES:
            raise ValueError(f"criterion {self.id!r}: unknown measure {self.measure!r}")
        for test in self.tests():
            for name in (test.measure, test.threshold):
                if isinstance(name, str) and name not in MEASURES:
                    raise ValueError(f"criterion {self.id!r}: unknown measure {name!r}")
        if self.kind == "points":
            if not self.bands:
                raise ValueError(f"points criterion {self.id!r} needs bands")
            points = [b.points for b in self.bands] + [self.else_points]
            if any(a < b for a, b in pairwise(points)):
                raise ValueError(
                    f"criterion {self.id!r}: bands must be listed best first, got {points}"
                )
            object.__setattr__(self, "max_points", float(points[0]))
        elif self.kind == "plugin":
            if self.max_points is None:
                raise ValueError(f"plugin criterion {self.id!r} needs max_points")
        elif self.rule is None:
            raise ValueError(f"{self.kind} criterion {self.id!r} needs a rule")
        if self.assume is not None and self.kind not in ("required", "route"):
            raise ValueError(
                f"criterion {self.id!r}: only required and route criteria take an "
                f"assumption, not {self.kind}"
            )

    @property
    def unit(self) -> str:
        """The unit of the displayed value (the measure's; ``points`` for a plug-in)."""
        return POINTS if self.measure is None else MEASURES[self.measure].unit

    @property
    def has_points(self) -> bool:
        """Whether the criterion contributes to the score."""
        return self.kind in ("points", "plugin")

    def tests(self) -> Iterator[Test]:
        """Every test in the rule and the bands."""
        if self.rule is not None:
            yield from self.rule.tests()
        for band in self.bands:
            yield from band.when.tests()

    def to_dict(self) -> dict[str, object]:
        """The criterion as plain data (for ``GET /v1/schemes``)."""
        out: dict[str, object] = {
            "id": self.id,
            "label": self.label,
            "group": self.group,
            "kind": self.kind,
            "measure": self.measure,
            "measure_description": MEASURES[self.measure].description if self.measure else None,
            "unit": self.unit,
        }
        if self.rule is not None:
            out["rule"] = self.rule.to_dict()
            out["text"] = self.rule.describe()
        if self.bands:
            out["bands"] = [b.to_dict() for b in self.bands]
            out["else_points"] = self.else_points
        if self.max_points is not None:
            out["max_points"] = self.max_points
        if self.note:
            out["note"] = self.note
        if self.assume is not None:
            out["assumed_when_unknown"] = self.assume.to_dict()
        return out


@dataclass(frozen=True)
class Grade:
    """A labelled level reached (e.g. Korea's export tiers), best first."""

    label: str
    when: Condition


@dataclass(frozen=True)
class GradeLadder:
    """Labels reported per firm beside the verdict; ``below`` when none is met."""

    name: str
    grades: tuple[Grade, ...]
    below: str

    def to_dict(self) -> dict[str, object]:
        """The ladder as plain data."""
        return {
            "name": self.name,
            "grades": [{"label": g.label, "when": g.when.describe()} for g in self.grades],
            "below": self.below,
        }


@dataclass(frozen=True)
class SchemeTable:
    """One versioned scheme.

    The verdict: eligible when every ``required`` criterion passes and either the
    points clear ``pass_mark`` (and each group its minimum) or a ``route`` passes.
    ``certified_rank``: a firm whose ``current_tier`` rank is at least this already
    holds the scheme (Chinese tiers only).
    """

    scheme_id: str
    name: str
    version: str
    country: str
    criteria: tuple[Criterion, ...]
    sources: tuple[str, ...]
    pass_mark: float | None = None
    group_minima: tuple[tuple[str, float], ...] = ()
    certified_rank: float | None = None
    grade: GradeLadder | None = None
    not_evaluated: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.scheme_id}: duplicate criterion ids in {ids}")
        groups = {c.group for c in self.criteria if c.has_points}
        for group, _ in self.group_minima:
            if group not in groups:
                raise ValueError(f"{self.scheme_id}: group minimum for unknown group {group!r}")
        if self.pass_mark is not None and not groups:
            raise ValueError(f"{self.scheme_id}: a pass mark needs points criteria")

    @property
    def has_points(self) -> bool:
        """Whether the scheme is scored."""
        return self.pass_mark is not None

    @property
    def states_assumptions(self) -> bool:
        """Whether a criterion declares an :class:`Assumption` (the JSON then lists them)."""
        return any(c.assume is not None for c in self.criteria)

    @property
    def max_points(self) -> float | None:
        """Total of the criteria's maxima, or ``None`` when unscored."""
        if not self.has_points:
            return None
        return float(sum(c.max_points or 0.0 for c in self.criteria if c.has_points))

    def to_dict(self) -> dict[str, object]:
        """The whole table as plain data."""
        return {
            "scheme_id": self.scheme_id,
            "name": self.name,
            "version": self.version,
            "country": self.country,
            "pass_mark": self.pass_mark,
            "max_points": self.max_points,
            "group_minima": dict(self.group_minima),
            "certified_tier_rank": self.certified_rank,
            "criteria": [c.to_dict() for c in self.criteria],
            "grade": self.grade.to_dict() if self.grade else None,
            "not_evaluated": list(self.not_evaluated),
            "sources": list(self.sources),
        }
