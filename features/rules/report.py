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


def gap_text(result: CriterionResult, i: int) -> str | None:
    """Plain-language gap for firm ``i``; ``None`` when the criterion passes."""
    verdict = int(result.verdict[i])
    label, unit = result.label, result.unit
    value = float(result.value[i])
    threshold = float(result.threshold[i])
    gap = float(result.gap[i])
    if verdict == CriterionVerdict.PASS:
        return None
    if verdict == CriterionVerdict.UNKNOWN:
        return f"{label}: not determined — input missing or not in the record"
    if result.points is not None and result.max_points is not None and math.isnan(threshold):
        return f"{label}: {_num(float(result.points[i]))} of {_num(result.max_points)} points"
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
    if result.op in ("<", "<="):
        if gap == 0:
            return f"{label} {shown} — must be below {target}"
        return f"{label} {shown} — {format_gap(gap, unit)} above {target}"
    return f"{label} {shown} — {format_gap(gap, unit)} short of {target}"


def _json_number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def criterion_json(result: CriterionResult, i: int) -> dict[str, object]:
    """One criterion of firm ``i`` as JSON-ready data."""
    out: dict[str, object] = {
        "id": result.id,
        "label": result.label,
        "group": result.group,
        "kind": result.kind,
        "verdict": CriterionVerdict(int(result.verdict[i])).label,
        "value": _json_number(float(result.value[i])),
        "threshold": _json_number(float(result.threshold[i])),
        "unit": result.unit,
        "gap": _json_number(float(result.gap[i])),
        "gap_text": gap_text(result, i),
        "points": None,
        "max_points": result.max_points,
    }
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
