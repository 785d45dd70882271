"""Per-firm JSON and gap texts, built only on demand (string work per firm).

The JSON shape is ``docs/architecture.md``'s ``schemes`` list. Gap texts use the
criterion's own unit: "R&D intensity 2.1% — 0.9 points short of 3%".
"""

from __future__ import annotations

import math

from features.rules import units as u
from features.rules.results import CriterionResult, SchemeResult
from features.rules.verdicts import CriterionVerdict, Verdict

_CURRENCY = {
    u.EUR_BN: ("€", "bn"),
    u.JPY_BN: ("¥", "bn"),
    u.KRW_BN: ("₩", "bn"),
    u.USD_M: ("US$", "M"),
}


def _num(x: float) -> str:
    """Compact number: 1,234 / 12.3 / 0.08; no trailing zeros."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    text = f"{x:.1f}" if abs(x) >= 1 else f"{x:.2g}"
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def format_quantity(value: float, unit: str) -> str:
    """A value in its unit, e.g. ``0.021, "%"`` → ``"2.1%"``, ``150, "万元"`` → ``"150万元"``."""
    if unit == u.PERCENT:
        return f"{_num(value * 100)}%"
    if unit == u.FLAG:
        return "yes" if value == 1 else "no"
    if unit == u.RANK:
        return f"#{_num(value)}"
    if unit == u.WAN_YUAN:
        return f"{_num(value)}万元"
    if unit in (u.YEARS, u.POINTS):
        return f"{_num(value)} {unit if value != 1 else unit[:-1]}"
    if unit in _CURRENCY:
        prefix, suffix = _CURRENCY[unit]
        return f"{prefix}{_num(value)}{suffix}"
    return _num(value)


def format_gap(gap: float, unit: str) -> str:
    """The size of a gap: percentage points for shares, else the unit's own quantity."""
    if unit == u.PERCENT:
        return f"{_num(gap * 100)} points"
    if unit == u.RANK:
        return f"{_num(gap)} places"
    if unit == u.LEVEL:
        return f"{_num(gap)} levels" if gap != 1 else "1 level"
    return format_quantity(gap, unit)


def gap_sentence(
    label: str,
    unit: str,
    op: str | None,
    verdict: int,
    value: float,
    threshold: float,
    gap: float,
    points: float | None = None,
    max_points: float | None = None,
) -> str | None:
    """Plain-language gap of one criterion for one firm; ``None`` when it passes.

    Parameters
    ----------
    label, unit, op
        The criterion's label, unit and displayed comparison.
    verdict
        The :class:`CriterionVerdict` code.
    value, threshold, gap
        The firm's value, the threshold to reach and the distance (``NaN`` = none).
    points, max_points
        Known points and the maximum, for criteria scored by points (else ``None``).
    """
    if verdict == CriterionVerdict.PASS:
        return None
    if verdict == CriterionVerdict.UNKNOWN:
        return f"{label}: not determined — input missing or not in the record"
    if points is not None and max_points is not None and math.isnan(threshold):
        return f"{label}: {_num(points)} of {_num(max_points)} points"
    if math.isnan(value):
        return f"{label}: does not meet the rule"
    shown = format_quantity(value, unit)
    if unit == u.FLAG:
        need = "yes" if threshold == 1 else "no"
        return f"{label}: {shown} — needs {need}"
    if math.isnan(threshold) or math.isnan(gap):
        return f"{label} {shown} — does not meet the rule"
    target = format_quantity(threshold, unit)
    if unit == u.RANK:
        return f"{label} {shown} — needs {target} or better"
    if op in ("<", "<="):
        if gap == 0:
            return f"{label} {shown} — must be below {target}"
        return f"{label} {shown} — {format_gap(gap, unit)} above {target}"
    return f"{label} {shown} — {format_gap(gap, unit)} short of {target}"


def gap_text(result: CriterionResult, i: int) -> str | None:
    """Plain-language gap for firm ``i``; ``None`` when the criterion passes."""
    return gap_sentence(
        result.label,
        result.unit,
        result.op,
        int(result.verdict[i]),
        float(result.value[i]),
        float(result.threshold[i]),
        float(result.gap[i]),
        None if result.points is None else float(result.points[i]),
        result.max_points,
    )


def json_number(x: float) -> float | None:
    """A float for JSON: ``None`` where it is not finite."""
    return float(x) if math.isfinite(x) else None


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

    Both JSON builders copy it and fill ``verdict``, ``value``, ``threshold``,
    ``gap``, ``gap_text`` (and ``points``, ``points_upper`` when ``with_points``).
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


def criterion_json(result: CriterionResult, i: int) -> dict[str, object]:
    """One criterion of firm ``i`` as JSON-ready data."""
    with_points = result.points is not None and result.points_upper is not None
    out = criterion_template(
        id=result.id,
        label=result.label,
        group=result.group,
        kind=result.kind,
        unit=result.unit,
        max_points=result.max_points,
        with_points=with_points,
    )
    out["verdict"] = CriterionVerdict(int(result.verdict[i])).label
    out["value"] = json_number(float(result.value[i]))
    out["threshold"] = json_number(float(result.threshold[i]))
    out["gap"] = json_number(float(result.gap[i]))
    out["gap_text"] = gap_text(result, i)
    if result.points is not None and result.points_upper is not None:
        out["points"] = float(result.points[i])
        out["points_upper"] = float(result.points_upper[i])
    return out


def scheme_json(result: SchemeResult, i: int) -> dict[str, object]:
    """One scheme of firm ``i`` as JSON-ready data (``docs/architecture.md``)."""
    out: dict[str, object] = {
        "scheme_id": result.scheme_id,
        "name": result.name,
        "version": result.version,
        "verdict": Verdict(int(result.verdict[i])).label,
        "points": None if result.points is None else float(result.points[i]),
        "points_upper": None if result.points_upper is None else float(result.points_upper[i]),
        "pass_mark": result.pass_mark,
        "max_points": result.max_points,
        "criteria": [criterion_json(c, i) for c in result.criteria.values()],
    }
    if result.grade is not None and result.grade_name is not None:
        out[result.grade_name] = str(result.grade[i])
    return out
