"""Column maps: a user's explicit choice of contract field for a file header.

A column map says "read header H as field F" and wins over the alias table of
:mod:`features.headers`; ``F = ""`` ignores the header. It arrives as repeated
``--map HEADER=FIELD`` options on the command line or as a JSON object (the
``column_map`` query parameter of the API and the page). Both forms are parsed
and checked here, so every surface accepts the same maps and refuses the same ones
with the same words; the surfaces only say where the map came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson

from features.fields import DERIVED_INPUTS, FIELD_BY_NAME

__all__ = [
    "ColumnMapError",
    "check_column_map",
    "column_map_from_json",
    "column_map_from_options",
    "is_map_target",
]


class ColumnMapError(ValueError):
    """A column map that cannot be used; the message says what to write instead."""


def is_map_target(field: str) -> bool:
    """True when ``field`` may be the target of a column map.

    A contract field, a derived input such as ``debt_ratio`` (资产负债率), or ``""``
    (ignore the header).
    """
    return not field or field in FIELD_BY_NAME or field in DERIVED_INPUTS


def check_column_map(mapping: Mapping[str, str]) -> dict[str, str]:
    """Return ``mapping`` as a plain dict once every target is a field or ``""``.

    Raises
    ------
    ColumnMapError
        Naming the first header mapped to something that is not a contract field.
    """
    unknown = [(header, field) for header, field in mapping.items() if not is_map_target(field)]
    if unknown:
        header, field = unknown[0]
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise ColumnMapError(
            f"{header!r} → {field!r}: {field!r} is not a contract field{more}; "
            'the fields are listed in docs/data-contract.md, and "" ignores a header'
        )
    return dict(mapping)


def column_map_from_options(items: Iterable[str]) -> dict[str, str] | None:
    """Parse repeated ``HEADER=FIELD`` options (``HEADER=`` ignores a column).

    Returns
    -------
    dict or None
        Header → field, or ``None`` when no option was given.

    Raises
    ------
    ColumnMapError
        When an item has no ``=`` or no header, or names an unknown field.
    """
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, field = item.partition("=")
        if not sep or not header.strip():
            raise ColumnMapError(f"{item!r}: write HEADER=FIELD, e.g. 技术人员数=rd_staff")
        mapping[header.strip()] = field.strip()
    return check_column_map(mapping) or None


def column_map_from_json(text: str | None) -> dict[str, str] | None:
    """Parse a JSON object of header → field (``""`` ignores a header).

    Returns
    -------
    dict or None
        Header → field, or ``None`` for no text or blank text.

    Raises
    ------
    ColumnMapError
        When the text is not JSON, not an object of strings, or names an unknown field.
    """
    if text is None or not text.strip():
        return None
    try:
        mapping = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ColumnMapError(
            f"column_map is not valid JSON ({error.msg}); send an object such as "
            '{"营业收入": "revenue", "备注": ""}'
        ) from None
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise ColumnMapError(
            'column_map must be a JSON object of header → field name ("" ignores the header)'
        )
    return check_column_map(mapping)
