"""docs/schemes.md documents every scheme and criterion, and its examples run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from features.rules import SCHEME_TABLES

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "schemes.md"
DOC = DOC_PATH.read_text("utf-8")


def _section(scheme_id: str) -> str:
    """The text under the heading that names the scheme, up to the next heading."""
    sections = re.split(r"\n(?=#{2,3} )", DOC)
    return next(s for s in sections if s.splitlines()[0].count(f"`{scheme_id}`"))


@pytest.mark.parametrize("scheme_id", list(SCHEME_TABLES))
def test_every_criterion_is_documented_under_its_scheme(scheme_id: str) -> None:
    section = _section(scheme_id)
    assert SCHEME_TABLES[scheme_id].version in DOC
    for criterion in SCHEME_TABLES[scheme_id].criteria:
        documented = f"`{criterion.id}`" in section or (
            criterion.group == "general" and f"`{criterion.id}`" in DOC
        )
        assert documented, f"{scheme_id}.{criterion.id} is not in docs"


def test_every_example_in_the_document_runs_as_written() -> None:
    results = doctest.testfile(
        str(DOC_PATH),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=True,
        verbose=False,
    )
    assert results.attempted >= 15  # the examples are there, not skipped
    assert results.failed == 0, f"{results.failed} example(s) in {DOC_PATH.name} fail"
