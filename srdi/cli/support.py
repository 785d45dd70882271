"""Helpers the file-processing verbs share: failing clearly, ``--map``, the errors file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from features.validate import RowError

__all__ = ["fail", "parse_column_map", "write_row_errors"]


def fail(message: str, *, code: int) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def parse_column_map(items: list[str]) -> dict[str, str]:
    """Turn repeated ``--map HEADER=FIELD`` options into a header → field mapping."""
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, field = item.partition("=")
        if not sep or not header.strip():
            fail(f"--map takes HEADER=FIELD, got {item!r}", code=2)
        mapping[header.strip()] = field.strip()
    return mapping


def write_row_errors(errors: list[RowError], path: Path) -> None:
    """Write the bad rows (row, field, value, message) as CSV, or remove a stale file."""
    import pandas as pd

    if not errors:
        path.unlink(missing_ok=True)  # a stale list from an earlier run would mislead
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "row": [e.row for e in errors],
            "field": [e.field for e in errors],
            "value": [e.value for e in errors],
            "message": [e.message for e in errors],
        }
    )
    # BOM so that Excel on a Chinese Windows opens the Chinese messages correctly.
    frame.to_csv(path, index=False, encoding="utf-8-sig")
