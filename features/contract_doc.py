"""Generated parts of ``docs/data-contract.md`` and ``docs/template.csv``.

The prose of the data contract is written by hand; its tables (fields, header
aliases, provinces, industries, spellings) are generated from the same
declarations the validator uses, between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` markers. ``python -m features.contract_doc`` rewrites them;
a test fails when the committed files drift from the code.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from features.fields import DERIVED_INPUTS, FIELDS, FieldSpec, csv_template
from features.industries import DIVISIONS, SECTIONS
from features.parsing import BOOL_SPELLINGS, MISSING_TOKENS
from features.provinces import PROVINCES

__all__ = ["render_sections", "update_contract_doc"]


def _bounds(spec: FieldSpec) -> str:
    if spec.kind == "enum":
        return " / ".join(f"`{c}`" for c in spec.choices)
    if spec.minimum is None and spec.maximum is None:
        return ""
    lo = "" if spec.minimum is None else f"{spec.minimum:g}"
    hi = "" if spec.maximum is None else f"{spec.maximum:g}"
    return f"{lo} … {hi}"


def _fields_table() -> str:
    lines = [
        "| field | kind | unit | required | bounds / choices | example | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in (*FIELDS, *DERIVED_INPUTS.values()):
        example = "" if spec.example is None else f"`{spec.example}`"
        name = f"`{spec.name}`" + (" (derived input)" if spec.name in DERIVED_INPUTS else "")
        lines.append(
            f"| {name} | {spec.kind} | {spec.unit} | {'yes' if spec.required else ''} | "
            f"{_bounds(spec)} | {example} | {spec.description} |"
        )
    return "\n".join(lines)


def _aliases_table() -> str:
    lines = ["| field | accepted headers (besides the field name) |", "|---|---|"]
    for spec in (*FIELDS, *DERIVED_INPUTS.values()):
        lines.append(f"| `{spec.name}` | {', '.join(spec.aliases)} |")
    return "\n".join(lines)


def _choices_table() -> str:
    lines = ["| field | value | also accepted |", "|---|---|---|"]
    for spec in FIELDS:
        if spec.kind != "enum":
            continue
        for choice in spec.choices:
            others = [k for k, v in spec.choice_aliases.items() if v == choice]
            lines.append(f"| `{spec.name}` | `{choice}` | {', '.join(others)} |")
    yes = [k for k, v in BOOL_SPELLINGS.items() if v == 1.0]
    no = [k for k, v in BOOL_SPELLINGS.items() if v == 0.0]
    lines.append("")
    lines.append(f"Booleans (any case): yes = {', '.join(yes)}; no = {', '.join(no)}.")
    missing = ", ".join(f"`{t}`" for t in sorted(MISSING_TOKENS) if t)
    lines.append(f"Missing (any case): an empty cell, {missing}.")
    return "\n".join(lines)


def _provinces_table() -> str:
    lines = [
        "| canonical | Chinese | short | code | region | also accepted |",
        "|---|---|---|---|---|---|",
    ]
    for p in PROVINCES:
        extra = ", ".join([*p.abbreviations, *p.alternatives, f"{p.code}0000"])
        lines.append(f"| {p.name} | {p.chinese} | {p.short} | {p.code} | {p.region} | {extra} |")
    return "\n".join(lines)


def _industries_table() -> str:
    lines = ["| code | 中文 | English |", "|---|---|---|"]
    section = ""
    for d in DIVISIONS:
        if d.section != section:
            section = d.section
            chinese, english = SECTIONS[section]
            lines.append(f"| **{section}** | **{chinese}** | **{english}** |")
        lines.append(f"| {d.code} | {d.chinese} | {d.english} |")
    return "\n".join(lines)


def render_sections() -> Mapping[str, str]:
    """Return each generated section's Markdown by marker name."""
    return {
        "fields": _fields_table(),
        "aliases": _aliases_table(),
        "choices": _choices_table(),
        "provinces": _provinces_table(),
        "industries": _industries_table(),
    }


def _replacer(body: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return match.group(1) + body + "\n" + match.group(2)

    return replace


def update_contract_doc(text: str) -> str:
    """Return ``text`` with every marked section replaced by its generated Markdown.

    Raises
    ------
    ValueError
        When a section's markers are missing.
    """
    for name, body in render_sections().items():
        pattern = re.compile(
            rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", flags=re.DOTALL
        )
        if not pattern.search(text):
            raise ValueError(f"docs/data-contract.md lacks the markers of section {name!r}")
        text = pattern.sub(_replacer(body), text)
    return text


def main(docs: Path = Path("docs")) -> None:
    """Rewrite the generated sections of the data contract and the CSV template."""
    contract = docs / "data-contract.md"
    contract.write_text(update_contract_doc(contract.read_text("utf-8")), "utf-8")
    (docs / "template.csv").write_text(csv_template(), "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
