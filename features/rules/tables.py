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
assumption's sentence under ``assumptions`` wherever the verdict rests on it (a key
only tables that declare assumptions carry).

A ``route`` stands in for the points test by default; one that ``replaces`` named
``required`` criteria stands in for those instead (the Little Giant's innovation
route replaces its three innovation conditions). A criterion whose failure needs
a sentence of its own per row (the SME size test names the firm's sector and its
limits) declares an :class:`Explanation`.

Tables are versioned: a revision of the official rules is a new table with a new
``version``, never an edit in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal, TypeAlias

from features.rules.logic import Condition, NoInput, Test
from features.rules.measures import MEASURES
from features.rules.units import FLAG, POINTS

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
class Explanation:
    """Sentences of a criterion that does not pass, chosen per row by a measure.

    The measure's value (a whole number, e.g. the sector of the SME size standard)
    indexes ``fail`` and ``unknown``; where it is unknown the usual gap text stays.
    """

    measure: str
    fail: tuple[str, ...]
    unknown: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"explanation: unknown measure {self.measure!r}")
        if len(self.fail) != len(self.unknown) or not self.fail:
            raise ValueError("an explanation needs one fail and one unknown sentence per value")


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
        ``None`` only for ``plugin`` criteria (their value is the points) and rules the
        input contract has no field for (``NoInput``: no value to show).
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
    replaces
        For a ``route``: ids of the ``required`` criteria of its scheme it stands in
        for, all together (empty: it stands in for the points test).
    explain
        Sentences of a failing or undetermined row chosen by a measure's value.
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
    replaces: tuple[str, ...] = ()
    explain: Explanation | None = None

    def __post_init__(self) -> None:
        if self.measure is None and self.kind != "plugin" and not isinstance(self.rule, NoInput):
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
        if self.replaces and self.kind != "route":
            raise ValueError(f"criterion {self.id!r}: only a route replaces criteria")

    @property
    def unit(self) -> str:
        """The unit of the displayed value (the measure's; ``points`` for a plug-in)."""
        if self.measure is None:
            return POINTS if self.kind == "plugin" else FLAG
        return MEASURES[self.measure].unit

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
        if self.replaces:
            out["replaces"] = list(self.replaces)
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

    The verdict: eligible when every ``required`` criterion passes (or a route that
    replaces it does) and either the points clear ``pass_mark`` (and each group its
    minimum) or a ``route`` passes. ``certified_rank``: a firm whose
    ``current_tier`` rank is at least this already holds the scheme (Chinese tiers
    only). ``status_years``: a status lasts this long, then it is re-reviewed
    against the table (the held tier's verdict without the "certified" override).
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
    status_years: int | None = None

    def __post_init__(self) -> None:
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.scheme_id}: duplicate criterion ids in {ids}")
        self._check_replaced()
        if self.status_years is not None and self.certified_rank is None:
            raise ValueError(f"{self.scheme_id}: a re-review needs a certified tier rank")
        groups = {c.group for c in self.criteria if c.has_points}
        for group, _ in self.group_minima:
            if group not in groups:
                raise ValueError(f"{self.scheme_id}: group minimum for unknown group {group!r}")
        if self.pass_mark is not None and not groups:
            raise ValueError(f"{self.scheme_id}: a pass mark needs points criteria")

    def _check_replaced(self) -> None:
        required = {c.id for c in self.criteria if c.kind == "required"}
        sets = {c.replaces for c in self.criteria if c.replaces}
        for replaced in sets:
            unknown = [i for i in replaced if i not in required]
            if unknown:
                raise ValueError(
                    f"{self.scheme_id}: a route replaces {unknown}, not required criteria"
                )
            for other in sets - {replaced}:
                if set(replaced) & set(other):
                    raise ValueError(
                        f"{self.scheme_id}: routes replace overlapping criteria "
                        f"{list(replaced)} and {list(other)}"
                    )

    def replaced_groups(self) -> list[tuple[tuple[str, ...], list[str]]]:
        """``(replaced criterion ids, ids of the routes replacing them)``, in table order."""
        groups: dict[tuple[str, ...], list[str]] = {}
        for crit in self.criteria:
            if crit.replaces:
                groups.setdefault(crit.replaces, []).append(crit.id)
        return list(groups.items())

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
            "status_years": self.status_years,
            "criteria": [c.to_dict() for c in self.criteria],
            "grade": self.grade.to_dict() if self.grade else None,
            "not_evaluated": list(self.not_evaluated),
            "sources": list(self.sources),
        }
