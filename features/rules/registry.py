"""All scheme tables in force, by id, and their versions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from features.rules import cn_2022, foreign
from features.rules.tables import SchemeTable

SCHEME_TABLES: Mapping[str, SchemeTable] = MappingProxyType(
    {t.scheme_id: t for t in (*cn_2022.TABLES, *foreign.TABLES)}
)
SCHEME_IDS: tuple[str, ...] = tuple(SCHEME_TABLES)
RULESET_VERSIONS: Mapping[str, str] = MappingProxyType(
    {sid: t.version for sid, t in SCHEME_TABLES.items()}
)


def rule_tables() -> list[dict[str, object]]:
    """Every scheme table as plain, JSON-ready data (``GET /v1/schemes``).

    Returns
    -------
    list of dict
        One dict per scheme, in :data:`SCHEME_IDS` order, with its version, pass
        mark, criteria (rule text, bands and points, notes on interpretation), the
        rules that cannot be evaluated from the input contract, and the sources.
    """
    return [t.to_dict() for t in SCHEME_TABLES.values()]


def resolve_schemes(schemes: Iterable[str] | str | None) -> tuple[SchemeTable, ...]:
    """The tables for ``schemes`` (``None`` = all), refusing unknown ids."""
    if schemes is None:
        return tuple(SCHEME_TABLES.values())
    ids = [schemes] if isinstance(schemes, str) else list(schemes)
    unknown = [s for s in ids if s not in SCHEME_TABLES]
    if unknown:
        raise ValueError(f"unknown scheme id(s) {unknown}; known: {list(SCHEME_IDS)}")
    return tuple(SCHEME_TABLES[s] for s in ids)
