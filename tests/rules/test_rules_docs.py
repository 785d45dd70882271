"""docs/schemes.md documents every scheme and criterion the tables define."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from features.rules import SCHEME_TABLES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "schemes.md").read_text("utf-8")


def _section(scheme_id: str) -> str:
    """The text under the heading that names the scheme, up to the next heading."""
    sections = re.split(r"\n(?=#{2,3} )", DOC)
    return next(s for s in sections if s.splitlines()[0].count(f"`{scheme_id}`"))


@pytest.mark.parametrize("scheme_id", list(SCHEME_TABLES))
def test_every_criterion_is_documented_under_its_scheme(scheme_id: str) -> None:
    section = _section(scheme_id)
    assert SCHEME_TABLES[scheme_id].version in DOC
    for criterion in SCHEME_TABLES[scheme_id].criteria:
        assert f"`{criterion.id}`" in section, f"{scheme_id}.{criterion.id} is not in docs"
