"""The wording and the fixed parts of the ``schemes`` JSON.

The JSON shape is ``docs/architecture.md``'s ``schemes`` list; the writer
(:mod:`features.rules.writer`) copies each scheme's and criterion's template made
here (one key order) and writes gap sentences with :class:`GapWriter` (one
wording). Gap texts use the criterion's own unit: "R&D intensity 2.1% — 0.9 points
short of 3%".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from features.rules import units as u
from features.rules.tables import SchemeTable
from features.rules.verdicts import CriterionVerdict

# Plain ints: comparing with an enum member costs a class-attribute lookup each time.
_PASS = int(CriterionVerdict.PASS)
_UNKNOWN = int(CriterionVerdict.UNKNOWN)

_CURRENCY = {
    u.EUR_BN: ("€", "bn"),
    u.JPY_BN: ("¥", "bn"),
    u.KRW_BN: ("₩", "bn"),
    u.USD_M: ("US$", "M"),
}


_FEW_VALUES = frozenset({u.FLAG, u.LEVEL, u.COUNT, u.RANK, u.POINTS})


def _num(x: float) -> str:
    """Compact number: 1,234 / 12.3 / 0.08; no trailing zeros."""
    size = abs(x)
    if size >= 100:
        return f"{x:,.0f}"
    if size >= 1:
        text = f"{x:.1f}"  # one decimal, never an exponent
        return text[:-2] if text.endswith(".0") else text
    text = f"{x:.2g}"
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _percent(value: float) -> str:
    return f"{_num(value * 100)}%"


def _flag(value: float) -> str:
    return "yes" if value == 1 else "no"


def _rank(value: float) -> str:
    return f"#{_num(value)}"


def _wan_yuan(value: float) -> str:
    return f"{_num(value)}万元"


def _counted(unit: str) -> Callable[[float], str]:
    def show(value: float) -> str:
        return f"{_num(value)} {unit if value != 1 else unit[:-1]}"

    return show


def _money(prefix: str, suffix: str) -> Callable[[float], str]:
    def show(value: float) -> str:
        return f"{prefix}{_num(value)}{suffix}"

    return show


def _percent_points(gap: float) -> str:
    return f"{_num(gap * 100)} points"


def _places(gap: float) -> str:
    return f"{_num(gap)} places"


def _levels(gap: float) -> str:
    return f"{_num(gap)} levels" if gap != 1 else "1 level"


# One formatter per unit, chosen once per criterion (units without one: the number).
_QUANTITY: Mapping[str, Callable[[float], str]] = MappingProxyType(
    {
        u.PERCENT: _percent,
        u.FLAG: _flag,
        u.RANK: _rank,
        u.WAN_YUAN: _wan_yuan,
        u.YEARS: _counted(u.YEARS),
        u.POINTS: _counted(u.POINTS),
        **{unit: _money(prefix, suffix) for unit, (prefix, suffix) in _CURRENCY.items()},
    }
)
_GAP_SIZE: Mapping[str, Callable[[float], str]] = MappingProxyType(
    {u.PERCENT: _percent_points, u.RANK: _places, u.LEVEL: _levels}
)


_NONE_KNOWN: Mapping[float, str] = MappingProxyType({})


def quantity_texts(values: Iterable[float], unit: str) -> dict[float, str]:
    """``values`` written in ``unit``, by value (what :class:`GapWriter` would write)."""
    show = _QUANTITY.get(unit, _num)
    return {v: show(v) for v in values if v == v}


_REVIEW_OUTLOOK = {"pass": "meets the criteria", "fail": "at risk", "undetermined": "undetermined"}


def review_text(year: int | None, verdict: str) -> str:
    """The re-review badge: ``re-review 2026: at risk`` (fail), ``...: meets the criteria``."""
    when = "year unknown" if year is None else str(year)
    return f"re-review {when}: {_REVIEW_OUTLOOK[verdict]}"


def unknown_sentence(label: str) -> str:
    """The gap text of a criterion the inputs cannot decide."""
    return f"{label}: not determined — input missing or not in the record"


class GapWriter:
    """Writes the gap sentences of one criterion, for one firm after another.

    Each quantity (a value or a threshold) is written once: a criterion has a few
    thresholds, and the criteria of a batch that show the same measure can share
    ``shown``, so a batch of thousands of failing firms formats little more than
    the gaps.

    Parameters
    ----------
    label, unit, op
        The criterion's label, unit and displayed comparison.
    max_points
        The criterion's maximum, for criteria scored by points (else ``None``).
    shown
        Texts of quantities in ``unit`` already written, by value (filled as it goes);
        pass the same dict to the writers of one batch's criteria of that unit.
    known
        Texts of quantities written once for good (the thresholds of a compiled
        plan, :func:`quantity_texts`); read, never changed.
    """

    def __init__(
        self,
        label: str,
        unit: str,
        op: str | None,
        max_points: float | None,
        shown: dict[float, str] | None = None,
        known: Mapping[float, str] | None = None,
    ) -> None:
        self.label = label
        self.unit = unit
        self.op = op
        self.max_points = max_points
        self._format = _QUANTITY.get(unit, _num)
        self._size = _GAP_SIZE.get(unit, self._format)
        self._shown = {} if shown is None else shown
        self._known = _NONE_KNOWN if known is None else known
        # Flags, levels, counts and ranks take a few values: their sentences repeat.
        self._written: dict[tuple[float | None, ...], str] | None = (
            {} if unit in _FEW_VALUES else None
        )

    @property
    def unknown(self) -> str:
        """The sentence of a firm whose inputs cannot decide the criterion."""
        return unknown_sentence(self.label)

    def _show(self, value: float) -> str:
        # -0.0 and 0.0 share a key; both are written "0".
        text = self._known.get(value) or self._shown.get(value)
        if text is None:
            text = self._shown[value] = self._format(value)
        return text

    def sentence(
        self, verdict: int, value: float, threshold: float, gap: float, points: float | None = None
    ) -> str | None:
        """The gap of one firm; ``None`` when the criterion passes.

        Parameters
        ----------
        verdict
            The :class:`CriterionVerdict` code.
        value, threshold, gap
            The firm's value, the threshold to reach and the distance (``NaN`` = none).
        points
            Known points, for criteria scored by points (else ``None``).
        """
        if verdict == _PASS:
            return None
        if verdict == _UNKNOWN:
            return self.unknown
        if self._written is None:
            return self._write(value, threshold, gap, points)
        # NaN never equals itself: keyed as None so repeated NaNs find their sentence.
        key = (
            value if value == value else None,
            threshold if threshold == threshold else None,
            gap if gap == gap else None,
            points,
        )
        text = self._written.get(key)
        if text is None:
            text = self._written[key] = self._write(value, threshold, gap, points)
        return text

    def _write(self, value: float, threshold: float, gap: float, points: float | None) -> str:
        label, unit = self.label, self.unit
        if points is not None and self.max_points is not None and threshold != threshold:
            return f"{label}: {_num(points)} of {_num(self.max_points)} points"
        if value != value:  # NaN
            return f"{label}: does not meet the rule"
        shown = self._show(value)
        if unit == u.FLAG:
            need = "yes" if threshold == 1 else "no"
            return f"{label}: {shown} — needs {need}"
        if threshold != threshold or gap != gap:
            return f"{label} {shown} — does not meet the rule"
        target = self._show(threshold)
        if unit == u.RANK:
            return f"{label} {shown} — needs {target} or better"
        if self.op in ("<", "<="):
            if gap == 0:
                return f"{label} {shown} — must be below {target}"
            return f"{label} {shown} — {self._size(gap)} above {target}"
        return f"{label} {shown} — {self._size(gap)} short of {target}"


def criterion_template(
    *,
    id: str,
    label: str,
    group: str,
    kind: str,
    unit: str,
    max_points: float | None,
    with_points: bool,
) -> dict[str, object]:
    """One criterion's JSON with the per-firm keys left ``None``, in the contract's order.

    The JSON writer (:mod:`features.rules.writer`) copies it and fills ``verdict``,
    ``value``, ``threshold``, ``gap``, ``gap_text`` (and ``points``,
    ``points_upper`` when ``with_points``).
    """
    out: dict[str, object] = {
        "id": id,
        "label": label,
        "group": group,
        "kind": kind,
        "verdict": None,
        "value": None,
        "threshold": None,
        "unit": unit,
        "gap": None,
        "gap_text": None,
        "points": None,
        "max_points": max_points,
    }
    if with_points:
        out["points_upper"] = None
    return out


def scheme_template(table: SchemeTable) -> dict[str, object]:
    """One scheme's JSON with the per-firm keys left ``None``, in the contract's order.

    The grade of a graded scheme (``export_tier``) follows ``criteria``, then
    ``assumptions`` for a table that states assumptions, then ``re_review`` for a
    re-reviewed tier (``{"year", "due", "verdict", "text"}`` for a firm holding exactly
    that tier, else ``None``).
    """
    out: dict[str, object] = {
        "scheme_id": table.scheme_id,
        "name": table.name,
        "version": table.version,
        "verdict": None,
        "points": None,
        "points_upper": None,
        "pass_mark": table.pass_mark,
        "max_points": table.max_points,
        "criteria": None,
    }
    if table.grade is not None:
        out[table.grade.name] = None
    if table.states_assumptions:
        out["assumptions"] = None
    if table.status_years is not None:
        out["re_review"] = None
    return out
