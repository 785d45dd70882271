"""Column headers → contract fields: the alias table and header units.

One table, built from :data:`features.fields.FIELDS` (and the derived input
``debt_ratio``), serves the validator, :func:`features.io.rename_columns`, the CLI
and the screening page's column mapper. Headers are compared after Unicode NFKC
folding (full-width brackets and ``％`` become ASCII, ``Ⅰ`` becomes ``I``), lower
case, and spaces/hyphens as underscores.

A unit in brackets at the end of a header scales the values: ``营业收入(万元)``
is revenue in 10,000 yuan, ``出口占比(%)`` is export share in percent. A unit that
does not fit the field (``员工人数(万元)``) leaves the column unmatched, with a
warning, rather than guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from features.column_map import check_column_map
from features.fields import DERIVED_INPUTS, FIELD_BY_NAME, FIELDS, FieldSpec

__all__ = [
    "HEADER_ALIASES",
    "HeaderMatch",
    "HeaderResolution",
    "normalize_header",
    "resolve_headers",
    "suggest_field",
]

# Unit text (normalized) -> (unit class, scale to the contract unit).
_UNITS: Mapping[str, tuple[str, float]] = MappingProxyType(
    {
        "元": ("money", 1.0),
        "人民币元": ("money", 1.0),
        "cny": ("money", 1.0),
        "yuan": ("money", 1.0),
        "rmb": ("money", 1.0),
        "千元": ("money", 1e3),
        "万元": ("money", 1e4),
        "万": ("money", 1e4),
        "百万元": ("money", 1e6),
        "亿元": ("money", 1e8),
        "亿": ("money", 1e8),
        "%": ("percent", 0.01),
        "pct": ("percent", 0.01),
        "percent": ("percent", 0.01),
        "人": ("count", 1.0),
        "个": ("count", 1.0),
        "项": ("count", 1.0),
        "件": ("count", 1.0),
        "名": ("count", 1.0),
        "年": ("years", 1.0),
        "years": ("years", 1.0),
    }
)
_UNIT_SUFFIX = re.compile(r"^(?P<base>.+?)_?[(\[](?P<unit>[^()\[\]]+)[)\]]$")
_SEPARATORS = re.compile(r"[\s\-]+")


def normalize_header(header: object) -> str:
    """Fold a header for comparison: NFKC, trimmed, lower case, ``_`` for spaces."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower()
    return _SEPARATORS.sub("_", text)


def _build_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in (*FIELDS, *DERIVED_INPUTS.values()):
        for alias in (spec.name, *spec.aliases):
            key = normalize_header(alias)
            if key in table and table[key] != spec.name:
                raise ValueError(f"header alias {alias!r} is declared for two fields")
            table[key] = spec.name
    return table


HEADER_ALIASES: Mapping[str, str] = MappingProxyType(_build_aliases())


def _spec(name: str) -> FieldSpec:
    return FIELD_BY_NAME[name] if name in FIELD_BY_NAME else DERIVED_INPUTS[name]


def _unit_fits(spec: FieldSpec, unit_class: str) -> bool:
    if unit_class == "money":
        return spec.is_money
    if unit_class == "percent":
        return spec.unit == "share"
    if unit_class == "count":
        return spec.unit in ("persons", "count", "rank")
    return spec.unit in ("years", "year")


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """A source column matched to a field, with the factor to the contract unit."""

    header: str
    field: str
    scale: float = 1.0


@dataclass(slots=True)
class HeaderResolution:
    """Result of :func:`resolve_headers`.

    Attributes
    ----------
    matches : dict
        Field name → :class:`HeaderMatch` (contract fields and derived inputs).
    warnings : list of str
        Unknown, duplicate or unit-mismatched headers; their columns are ignored.
    """

    matches: dict[str, HeaderMatch] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _match(header: str) -> tuple[str | None, float, str | None]:
    """Return (field, scale, problem) for one header."""
    key = normalize_header(header)
    name = HEADER_ALIASES.get(key)
    if name is not None:
        return name, 1.0, None
    found = _UNIT_SUFFIX.match(key)
    if found is None:
        return None, 1.0, None
    name = HEADER_ALIASES.get(found.group("base").strip("_"))
    unit = _UNITS.get(found.group("unit").strip())
    if name is None:
        return None, 1.0, None
    if unit is None:
        return None, 1.0, f"unit {found.group('unit')!r} is not recognized for {name}"
    unit_class, scale = unit
    if not _unit_fits(_spec(name), unit_class):
        return None, 1.0, f"unit {found.group('unit')!r} does not fit {name} ({_spec(name).unit})"
    return name, scale, None


def suggest_field(header: object) -> str | None:
    """Return the contract field a header most likely means, or ``None``.

    Parameters
    ----------
    header : object
        A column header, e.g. ``营业收入(万元)`` or ``Revenue``.

    Returns
    -------
    str or None
        The field (or derived input ``debt_ratio``) name.
    """
    name, _, _ = _match(str(header))
    return name


def resolve_headers(
    headers: Iterable[object], mapping: Mapping[str, str] | None = None
) -> HeaderResolution:
    """Match column headers to contract fields.

    Parameters
    ----------
    headers : iterable
        Column headers in file order.
    mapping : mapping of str to str, optional
        Explicit header → field choices (e.g. from the page's column mapper); they
        win over everything, and a header mapped to ``""`` is ignored.

    Returns
    -------
    HeaderResolution
        Exact contract names win over aliases; among aliases of one field the
        first column wins and the others are reported.

    Raises
    ------
    features.column_map.ColumnMapError
        A ``ValueError``: ``mapping`` names a field that does not exist.
    """
    explicit = check_column_map(mapping or {})
    result = HeaderResolution()
    candidates: list[tuple[int, str, HeaderMatch]] = []
    for raw_header in headers:
        text = str(raw_header)
        if text in explicit:
            if explicit[text]:
                candidates.append((0, text, HeaderMatch(text, explicit[text])))
            continue
        if text in FIELD_BY_NAME or text in DERIVED_INPUTS:
            candidates.append((1, text, HeaderMatch(text, text)))
            continue
        name, scale, problem = _match(text)
        if name is not None:
            candidates.append((2, text, HeaderMatch(text, name, scale)))
        elif problem is not None:
            result.warnings.append(f"column {text!r} ignored: {problem}")
        else:
            result.warnings.append(f"column {text!r} ignored: not a contract field or alias")
    # Stable sort: explicit choices, then exact names, then aliases in file order.
    for _, text, match in sorted(candidates, key=lambda c: c[0]):
        kept = result.matches.get(match.field)
        if kept is None:
            result.matches[match.field] = match
        else:
            result.warnings.append(
                f"column {text!r} ignored: {match.field} is already read from {kept.header!r}"
            )
    return result
