"""Firm names as keys: what a published list and a vendor panel write differently.

The same firm appears as ``浙江精工科技股份有限公司`` in one file and ``精工科技（浙江）
有限公司`` or ``精工科技有限公司`` in another. :func:`normalize_name` folds the
differences that do not tell two firms apart:

1. Unicode NFKC (full-width ``（）`` and letters become half-width), no spaces, lower
   case; ``【】〔〕［］`` count as brackets;
2. a place in brackets (``（杭州）``) is dropped, other brackets keep their text
   (``（集团）`` reads as ``集团``);
3. the legal form at the end: 股份有限公司, 有限责任公司, 有限公司, 股份公司,
   公司 (and ``Co., Ltd.``, ``Limited``, ``Inc.``);
4. a leading province and then a leading prefecture-level city, with or without
   省/市 (``浙江省杭州市精工`` → ``精工``), never leaving fewer than two characters;
5. quotes, dots and similar punctuation.

Two different firms can share a key (``杭州精工`` and ``宁波精工`` both become
``精工``): :mod:`training.published.linkage` therefore reports a key shared by
several panel firms as ambiguous and checks the listed region.
"""

from __future__ import annotations

import re
import unicodedata

from training.published.places import PLACE_NAMES

__all__ = ["LEGAL_FORMS", "clean_name", "normalize_name"]

LEGAL_FORMS: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "公司",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd.",
    "co.ltd",
    "limited",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
)
"""Legal-form endings dropped from a name (longest first; folded text)."""

_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "［": "(", "］": ")"})
_BRACKETED = re.compile(r"\(([^()]*)\)")
_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[\"'“”‘’「」『』《》·.,，、&\-_/]")
_PLACES = frozenset(PLACE_NAMES)
_MIN_KEY = 2


def clean_name(name: object) -> str:
    """Return the name trimmed, NFKC-folded and without spaces (``""`` for none)."""
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = unicodedata.normalize("NFKC", str(name)).translate(_BRACKETS)
    return _SPACES.sub("", text).lower()


def _drop_bracket(match: re.Match[str]) -> str:
    inner = match.group(1)
    return "" if inner in _PLACES else inner


def _strip_legal_form(text: str) -> str:
    for form in LEGAL_FORMS:
        if text.endswith(form) and len(text) - len(form) >= _MIN_KEY:
            return text[: -len(form)].rstrip(",. ")
    return text


def _strip_place(text: str) -> str:
    for place in PLACE_NAMES:  # longest first
        if text.startswith(place) and len(text) - len(place) >= _MIN_KEY:
            return text[len(place) :]
    return text


def normalize_name(name: object) -> str:
    """Return the key two spellings of one firm's name share (see the module docstring).

    Parameters
    ----------
    name
        A firm name as written in a list or a panel (``None``/NaN give ``""``).

    Returns
    -------
    str
        The folded key, e.g. ``精工科技`` for ``浙江精工科技股份有限公司``.
    """
    text = clean_name(name)
    if not text:
        return ""
    text = _BRACKETED.sub(_drop_bracket, text)
    text = _strip_legal_form(text)
    # A province, then a city: 浙江省杭州市精工 → 杭州市精工 → 精工.
    for _ in range(2):
        shorter = _strip_place(text)
        if shorter == text:
            break
        text = shorter
    return _PUNCTUATION.sub("", text)
