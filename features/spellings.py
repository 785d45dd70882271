"""The exact spellings a JSON record may use for its vocabulary and identifier fields.

Files (CSV, XLSX, Parquet) are read leniently: any case, stray spaces, full-width
characters, a code followed by its name. A JSON record is held to a published
contract instead: each text field of :class:`features.record_model.CompanyRecord`
carries a regular expression, generated here from the vocabularies of
:mod:`features.provinces` and :mod:`features.industries`, and the API accepts a
value exactly when it matches. Every value a pattern accepts is normalized by the
same lookups that read files (a test holds the patterns to them).

The patterns are written in the common subset of Python's ``re`` and ECMA-262 (what
OpenAPI and JSON Schema tools use): alternations, ``[...]`` classes, ``(?!...)``,
and only syntax characters escaped. Matching follows JSON Schema: ``re.search``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from features.industries import DIVISIONS
from features.parsing import MISSING_TOKENS
from features.provinces import PROVINCES, province_lookup_table

__all__ = [
    "IDENTIFIER_PATTERN",
    "IDENTIFIER_RE",
    "INDUSTRY_RE",
    "PROVINCE_RE",
    "industry_pattern",
    "province_pattern",
    "province_spellings",
]

# ECMA-262 SyntaxCharacter plus "/": the only characters escaped, since an identity
# escape of anything else ("\ ", "\、") is an error in Unicode-mode ECMA patterns.
_SYNTAX = frozenset("^$\\.*+?()[]{}|/")


def _escape(text: str) -> str:
    return "".join("\\" + c if c in _SYNTAX else c for c in text)


def _any_case(token: str) -> str:
    """A pattern matching ``token`` in any ASCII letter case (``na`` → ``[Nn][Aa]``)."""
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else _escape(c) for c in token)


def _alternation(spellings: Iterable[str]) -> str:
    # Longest first, so no alternative is a prefix that shadows a longer one.
    ordered = sorted(set(spellings), key=lambda s: (-len(s), s))
    return "|".join(_escape(s) for s in ordered)


def province_spellings() -> tuple[str, ...]:
    """Return every accepted spelling of a province-level division, sorted.

    Returns
    -------
    tuple of str
        Canonical pinyin (``Zhejiang``) and its lower case, Chinese names with and
        without the administrative suffix (``浙江省``, ``浙江``), one-character
        abbreviations (``浙``), GB/T 2260 codes of two and six digits (``33``,
        ``330000``), and the alternative romanizations as written
        (``Tibet``, ``Nei Mongol``) and run together (``neimongol``).
    """
    spellings = set(province_lookup_table())
    for province in PROVINCES:
        spellings.update(province.alternatives)
    return tuple(sorted(spellings))


def province_pattern() -> str:
    """Return the regular expression of :func:`province_spellings` (anchored)."""
    return f"^(?:{_alternation(province_spellings())})$"


def industry_pattern() -> str:
    """Return the regular expression of accepted GB/T 4754-2017 industry values (anchored).

    Returns
    -------
    str
        A division code with its section letter in either case or without it
        (``C39``, ``c39``, ``39``; ``5`` for ``A05``), a group or class code reduced
        to its division (``C391``, ``C3911``, ``3911``), or the exact Chinese or
        English division name. The letter, when given, must be the division's own
        section (``B39`` is refused).
    """
    codes = []
    for section in sorted({d.section for d in DIVISIONS}):
        numbers = [int(d.code[1:]) for d in DIVISIONS if d.section == section]
        forms = [f"{n:02d}[0-9]{{0,2}}" for n in numbers]
        forms += [str(n) for n in numbers if n < 10]  # "5": int("5") is division 05
        letter = f"[{section}{section.lower()}]?"
        codes.append(f"{letter}(?:{'|'.join(forms)})")
    names = _alternation([d.chinese for d in DIVISIONS] + [d.english for d in DIVISIONS])
    return f"^(?:{'|'.join(codes)}|{names})$"


# A company id with something in it: not blank, and not a spreadsheet's word for an
# empty cell ("NA", "null", "-", … in any case), which the validator reads as missing.
# Written as "some non-space character, and not only a word for empty" so that
# generators (hypothesis, schemathesis) build matching strings instead of filtering.
# Spaces are written out as Python's str.isspace() sees them: ECMA-262's \s lacks
# \x1c-\x1f and \x85, so with \s a generator could build an "identifier" of those
# characters that the server reads as blank.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
IDENTIFIER_PATTERN = (
    rf"^(?![{_SPACE}]*(?:"
    + "|".join(_any_case(t) for t in sorted(MISSING_TOKENS) if t)
    + rf")[{_SPACE}]*$)[{_SPACE}]*[^{_SPACE}]"
)

# Compiled once here for the checks of one record (re caches, but a lookup per call
# is measurable on the single-record path).
PROVINCE_RE = re.compile(province_pattern())
INDUSTRY_RE = re.compile(industry_pattern())
IDENTIFIER_RE = re.compile(IDENTIFIER_PATTERN)
