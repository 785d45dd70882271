"""One firm's score result as terminal tables (``srdi explain``).

Takes the score-result JSON of docs/architecture.md and builds rich renderables:
the headline (the firm's rung, its next step's score, percentile and band), every
question's answer (next provincial SRDI, next Little Giant, re-review), the next
step's reasons in plain words, the firm's ratios beside its industry medians, the
other questions' reasons, every scheme's verdict, and the criteria the firm does
not meet yet with the gap to pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

__all__ = ["FOCUS_SCHEMES", "explain_renderables", "format_value", "render_group"]

# Schemes whose full checklist is printed by default: the Chinese tiers the model
# is about. The others get one summary line each unless asked for.
FOCUS_SCHEMES: tuple[str, ...] = ("cn_srdi_sme", "cn_little_giant")

_VERDICT_STYLE = {
    "eligible": "bold green",
    "not_eligible": "red",
    "undetermined": "yellow",
    "certified": "bold blue",
}
_CHECK = {"pass": ("✓", "green"), "fail": ("✗", "red"), "unknown": ("?", "yellow")}
_REVIEW_STYLE = {"pass": "green", "fail": "bold red", "undetermined": "yellow"}


def format_value(value: Any, unit: str | None) -> str:
    """Render a value in its unit the way a reader expects it.

    Shares (``%``) as percentages, differences of shares (``pp``) as signed
    percentage points, yuan as 万/亿, ``log10 X`` scales back in X, yes/no flags as
    words; any other unit is appended to the number.
    """
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return "—"
    unit = unit or ""
    if unit.startswith("log10 "):
        try:
            scaled = 10.0**number
        except OverflowError:
            return "—"
        return format_value(scaled, unit.removeprefix("log10 "))
    if unit in {"%", "share", "fraction", "pp"}:
        percent = number * 100
        if not math.isfinite(percent):  # a finite share near the float limit overflows
            return "—"
        return f"{percent:+.1f} pp" if unit == "pp" else f"{percent:.1f}%"
    if unit in {"CNY", "yuan"}:
        if abs(number) >= 1e8:
            return f"{number / 1e8:.2f} 亿"
        if abs(number) >= 1e4:
            return f"{number / 1e4:,.0f} 万"
        return f"{number:,.0f}"
    if unit == "yes/no":
        return "yes" if number >= 0.5 else "no"
    if unit == "level":
        return f"level {number:g}"
    if unit == "rank":
        return f"#{number:.0f}"
    if unit in {"persons", "count"}:
        return f"{number:,.0f}" + (" persons" if unit == "persons" else "")
    text = f"{number:,.0f}" if abs(number) >= 100 else f"{number:.3g}"
    return f"{text} {unit}" if unit else text


def explain_renderables(
    result: Mapping[str, Any], *, all_schemes: bool = False
) -> list[RenderableType]:
    """Build the terminal view of one score result.

    Parameters
    ----------
    result
        A score result (docs/architecture.md), with reasons.
    all_schemes
        Print every scheme's full checklist, not only :data:`FOCUS_SCHEMES`.

    Returns
    -------
    list
        Rich renderables to print in order.
    """
    parts: list[RenderableType] = [_headline(result)]
    scores = dict(result.get("scores") or {})
    if scores:
        parts.append(_scores_table(scores))
    reasons = list(result.get("reasons") or [])
    step = (result.get("next_step") or {}).get("target")
    if reasons:
        parts.append(_reasons_table(reasons, _question(scores.get(step))))
        ratios = _ratios_table(reasons)
        if ratios is not None:
            parts.append(ratios)
    elif result.get("status") == "certified":
        parts.append(Text("No question of this service asks about the firm: not scored."))
    elif result.get("status") == "not_trained":
        parts.append(Text("The next step's model is not in service: not scored.", "yellow"))
    for target, entry in scores.items():
        if target != step and entry.get("reasons"):
            parts.append(_reasons_table(entry["reasons"], _question(entry)))
    schemes = list(result.get("schemes") or [])
    if schemes:
        parts.append(_schemes_table(schemes))
        for scheme in schemes:
            if all_schemes or scheme.get("scheme_id") in FOCUS_SCHEMES:
                parts.append(_criteria_table(scheme))
    models = [entry.get("model") or {} for entry in scores.values()] or [result.get("model") or {}]
    names = ", ".join(f"{m.get('name', '?')} v{m.get('version') or '—'}" for m in models)
    parts.append(Text(f"models {names}", "dim"))
    return parts


def _question(entry: Mapping[str, Any] | None) -> str:
    return str(entry.get("question")) if entry else "next step"


_RUNGS = {
    "none": "no tier",
    "innovative_sme": "innovative SME",
    "srdi_sme": "provincial SRDI SME",
    "little_giant": "national Little Giant",
}


def _percent(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _scores_table(scores: Mapping[str, Mapping[str, Any]]) -> Table:
    table = Table(title="Every question that asks about this firm", title_justify="left")
    table.add_column("question")
    table.add_column("probability", justify="right")
    table.add_column("percentile", justify="right")
    table.add_column("band")
    table.add_column("among")
    for entry in scores.values():
        if entry.get("status") == "not_trained":
            detail = str((entry.get("error") or {}).get("detail") or "")
            table.add_row(str(entry.get("question")), Text("not trained", "yellow"), "", "", detail)
            continue
        percentile = entry.get("percentile")
        among = str(entry.get("population") or "")
        if entry.get("assumption"):
            among += f" ({entry['assumption']})"
        table.add_row(
            str(entry.get("question")),
            _percent(entry.get("score")),
            "—" if percentile is None else f"{float(percentile):.1f}",
            str(entry.get("band") or "—"),
            among,
        )
    return table


def _headline(result: Mapping[str, Any]) -> Panel:
    score = result.get("score")
    score_text = "—" if score is None else f"{float(score) * 100:.1f}%"
    percentile = result.get("percentile")
    pct_text = "—" if percentile is None else f"{float(percentile):.1f}"
    rank = result.get("rank")
    lines = Text()
    lines.append(f"{result.get('name') or result.get('company_id')}\n", "bold")
    identity = [
        str(result.get(key))
        for key in ("company_id", "province", "industry")
        if result.get(key) is not None
    ]
    if result.get("fiscal_year") is not None:
        identity.append(f"FY {result['fiscal_year']}")
    lines.append(" · ".join(identity) + "\n", "dim")
    step = result.get("next_step") or {}
    if step:
        lines.append(f"rung: {_RUNGS.get(str(step.get('rung')), step.get('rung'))}")
        if step.get("question"):
            lines.append(f" → next step: {step['question']}")
        if step.get("re_review_year") is not None:
            due = step.get("re_review_due")
            lines.append(
                f" · re-review {step['re_review_year']}" + (" (within the horizon)" if due else "")
            )
        lines.append("\n")
    lines.append("score ")
    lines.append(score_text, "bold red")
    lines.append(f"   percentile {pct_text}   band ")
    lines.append(str(result.get("band") or "—"), "bold")
    if rank is not None:
        lines.append(f"   rank #{rank} in this file")
    if result.get("status") == "certified":
        lines.append("   (certified, nothing due)", "blue")
    elif result.get("status") == "not_trained":
        lines.append("   (next step's model not in service)", "yellow")
    coverage = result.get("coverage")
    if coverage is not None:
        lines.append(f"\ncoverage {float(coverage) * 100:.0f}% of the model's signal rests on ")
        lines.append("reported figures")
        if result.get("thin_data"):
            lines.append("   thin data: read the score with care", "bold yellow")
    return Panel(lines, title="SRDI potential", expand=False)


def _reasons_table(reasons: Sequence[Mapping[str, Any]], question: str = "next step") -> Table:
    table = Table(title=f"Why: {question} (by feature family)", title_justify="left")
    table.add_column("", width=1)
    table.add_column("family")
    table.add_column("effect", justify="right")
    table.add_column("in plain words")
    for reason in sorted(reasons, key=lambda r: -abs(float(r.get("contribution") or 0.0))):
        contribution = float(reason.get("contribution") or 0.0)
        up = contribution > 0
        table.add_row(
            Text("▲" if up else "▼", "green" if up else "red"),
            str(reason.get("family_label") or reason.get("family")),
            f"{contribution:+.2f}",
            str(reason.get("text") or ""),
        )
    return table


def _ratios_table(reasons: Iterable[Mapping[str, Any]]) -> Table | None:
    table = Table(title="Key ratios beside the industry median", title_justify="left")
    table.add_column("ratio")
    table.add_column("this firm", justify="right")
    table.add_column("industry median", justify="right")
    table.add_column("effect", justify="right")
    seen: set[str] = set()
    for reason in reasons:
        for feature in reason.get("features") or ():
            name = str(feature.get("name"))
            if name in seen:
                continue
            seen.add(name)
            unit = feature.get("unit")
            table.add_row(
                str(feature.get("label") or name),
                format_value(feature.get("value"), unit),
                format_value(feature.get("industry_median"), unit),
                f"{float(feature.get('contribution') or 0.0):+.2f}",
            )
    return table if seen else None


def _schemes_table(schemes: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="Eligibility by scheme", title_justify="left")
    table.add_column("scheme")
    table.add_column("verdict")
    table.add_column("points", justify="right")
    table.add_column("not met or unknown")
    for scheme in schemes:
        verdict = str(scheme.get("verdict"))
        criteria = scheme.get("criteria") or []
        # Failing criteria first: they are what the firm would have to change.
        open_items = [
            str(c.get("label") or c.get("id"))
            for wanted in ("fail", "unknown")
            for c in criteria
            if c.get("verdict") == wanted
        ]
        points = scheme.get("points")
        pass_mark = scheme.get("pass_mark")
        points_text = "" if points is None else f"{float(points):.0f}"
        if points is not None and pass_mark is not None:
            points_text += f" / {float(pass_mark):.0f}"
        shown = Text(verdict.replace("_", " "), _VERDICT_STYLE.get(verdict, ""))
        review = scheme.get("re_review")
        if review:
            shown.append(
                f"\n{review.get('text')}", _REVIEW_STYLE.get(str(review.get("verdict")), "")
            )
        if scheme.get("assumptions"):
            shown.append(f"\n{len(scheme['assumptions'])} assumed", "dim")
        table.add_row(
            f"{scheme.get('name') or scheme.get('scheme_id')} ({scheme.get('version', '')})",
            shown,
            points_text,
            ", ".join(open_items[:4])
            + (f" +{len(open_items) - 4} more" if len(open_items) > 4 else ""),
        )
    return table


def _criteria_table(scheme: Mapping[str, Any]) -> Table:
    verdict = str(scheme.get("verdict"))
    title = f"{scheme.get('name') or scheme.get('scheme_id')}: {verdict.replace('_', ' ')}"
    review = scheme.get("re_review")
    if review:
        title += f" ({review.get('text')})"
    # The assumptions the verdict rests on, beside it: a reader checks them first.
    assumed = [f"assumed: {text}" for text in scheme.get("assumptions") or ()]
    table = Table(
        title=title,
        title_justify="left",
        title_style=_VERDICT_STYLE.get(verdict, ""),
        caption="\n".join(assumed) or None,
        caption_justify="left",
    )
    table.add_column("", width=1)
    table.add_column("criterion")
    table.add_column("value", justify="right")
    table.add_column("needs", justify="right")
    table.add_column("points", justify="right")
    table.add_column("gap to pass")
    for criterion in scheme.get("criteria") or ():
        mark, style = _CHECK.get(str(criterion.get("verdict")), ("?", "yellow"))
        unit = criterion.get("unit")
        max_points = criterion.get("max_points")
        points = criterion.get("points")
        points_text = (
            "" if max_points is None else f"{float(points or 0.0):.0f}/{float(max_points):.0f}"
        )
        gap = "" if criterion.get("verdict") == "pass" else str(criterion.get("gap_text") or "")
        if criterion.get("verdict") == "unknown" and not gap:
            gap = "input missing"
        table.add_row(
            Text(mark, style),
            str(criterion.get("label") or criterion.get("id")),
            format_value(criterion.get("value"), unit),
            format_value(criterion.get("threshold"), unit),
            points_text,
            gap,
        )
    return table


def render_group(result: Mapping[str, Any], *, all_schemes: bool = False) -> Group:
    """All of :func:`explain_renderables` as one printable group."""
    return Group(*explain_renderables(result, all_schemes=all_schemes))
