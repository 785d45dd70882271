"""Linking the firms of a published list to the firms of a panel.

Each listed firm is looked up in this order, and the first step that decides wins:

1. **credit code** — when the list gives a 统一社会信用代码, it is checked with
   python-stdnum's ``cn.uscc`` (length, characters, check digit). A code that fails
   is an error (``invalid_code``), never a match; a valid code found among the
   panel's ``company_id`` values links the firm (``exact``); a valid code the panel
   does not have falls through to the name.
2. **exact name** — the name as written equals a panel firm's name (``exact``).
3. **normalized name** — the keys of :func:`training.published.names.normalize_name`
   are equal (``normalized``).
4. **near names** — rapidfuzz's ``fuzz.ratio`` between keys, at least
   ``review_similarity``: the best candidates are listed for review
   (``needs_review``) and linked only with ``accept_fuzzy``, when the best is at
   least ``accept_similarity``, strictly ahead of the next firm, and not in another
   province (``accepted_fuzzy``).
5. nothing close: ``unmatched``.

At steps 2 and 3 the list's region (所在地区) settles a name several panel firms
share; a single match in another province than the list says is not linked but
sent to review, and several matches left after the region are ``ambiguous``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import pandas as pd
from rapidfuzz import fuzz, process
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from features.provinces import normalize_province_value
from training.published.lists import ListedFirm
from training.published.names import clean_name, normalize_name
from training.published.places import region_province

__all__ = [
    "LINKED_STATUSES",
    "STATUSES",
    "Candidate",
    "Link",
    "LinkOptions",
    "PanelFirms",
    "check_credit_code",
    "link_firms",
]

Status = Literal[
    "exact",
    "normalized",
    "accepted_fuzzy",
    "needs_review",
    "ambiguous",
    "unmatched",
    "invalid_code",
    "invalid_row",
]
STATUSES: Final[tuple[Status, ...]] = (
    "exact",
    "normalized",
    "accepted_fuzzy",
    "needs_review",
    "ambiguous",
    "unmatched",
    "invalid_code",
    "invalid_row",
)
"""Every outcome, in the order the report lists them."""
LINKED_STATUSES: Final = frozenset({"exact", "normalized", "accepted_fuzzy"})
"""The outcomes that give the firm a certification."""
_CANDIDATES = 3


@dataclass(frozen=True, slots=True)
class LinkOptions:
    """How near a name must be to be proposed, and to be linked with ``accept_fuzzy``.

    Similarities are rapidfuzz ``fuzz.ratio`` between normalized names, 0–100: one
    character changed in a six-character key scores about 83.
    """

    accept_fuzzy: bool = False
    review_similarity: float = 60.0
    accept_similarity: float = 85.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_similarity <= self.accept_similarity <= 100.0:
            raise ValueError(
                "similarities must satisfy 0 ≤ review ≤ accept ≤ 100, got "
                f"review {self.review_similarity} and accept {self.accept_similarity}"
            )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A panel firm proposed for a listed firm."""

    company_id: str
    name: str
    province: str
    similarity: float


@dataclass(frozen=True)
class Link:
    """The outcome for one listed firm.

    Attributes
    ----------
    firm : ListedFirm
    status : str
        One of :data:`STATUSES`.
    company_id : str
        The linked panel firm (``""`` unless the status is linked).
    candidates : list of Candidate
        The panel firms considered (the linked one first), best first.
    note : str
        Why, in words.
    """

    firm: ListedFirm
    status: Status
    company_id: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""

    @property
    def linked(self) -> bool:
        """True when the firm got a panel company_id."""
        return self.status in LINKED_STATUSES


class PanelFirms:
    """The firms of a panel, indexed by id, name and normalized name.

    Parameters
    ----------
    company_id, name, province
        One entry per firm (a firm's latest name); ``province`` canonical or ``None``.
    """

    def __init__(
        self, company_id: Sequence[str], name: Sequence[str], province: Sequence[str | None]
    ) -> None:
        self.company_id = [str(c) for c in company_id]
        self.name = ["" if n is None else str(n) for n in name]
        self.province = [p or "" for p in province]
        self._by_id = {c.strip().upper(): i for i, c in enumerate(self.company_id)}
        self._by_clean: dict[str, list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        for i, text in enumerate(self.name):
            self._by_clean.setdefault(clean_name(text), []).append(i)
            self._by_key.setdefault(normalize_name(text), []).append(i)
        self._by_clean.pop("", None)
        self._by_key.pop("", None)
        self._keys = list(self._by_key)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PanelFirms:
        """Index a panel frame with contract columns ``company_id``, ``name`` (and ``province``).

        A firm with several rows (years) is indexed once, under the name of its
        latest row (by ``fiscal_year`` when present).

        Raises
        ------
        ValueError
            When ``company_id`` or ``name`` is missing.
        """
        missing = [c for c in ("company_id", "name") if c not in frame.columns]
        if missing:
            raise ValueError(
                f"the panel has no {' and no '.join(missing)} column (or an alias such as "
                "统一社会信用代码, 企业名称): names cannot be linked without them"
            )
        table = pd.DataFrame(
            {
                "company_id": frame["company_id"].astype("string").str.strip(),
                "name": frame["name"].astype("string"),
                "province": frame["province"] if "province" in frame.columns else None,
                "year": pd.to_numeric(frame["fiscal_year"], errors="coerce")
                if "fiscal_year" in frame.columns
                else 0,
            }
        )
        table = table[table["company_id"].notna() & (table["company_id"] != "")]
        table = table.sort_values("year", kind="stable").drop_duplicates("company_id", keep="last")
        provinces = [normalize_province_value(p) for p in table["province"].tolist()]
        return cls(
            table["company_id"].tolist(),
            table["name"].fillna("").tolist(),
            provinces,
        )

    def __len__(self) -> int:
        return len(self.company_id)

    def by_code(self, code: str) -> int | None:
        """The firm whose ``company_id`` is this credit code, if any."""
        return self._by_id.get(code.strip().upper())

    def by_clean_name(self, name: str) -> list[int]:
        """Firms whose name, trimmed and folded, equals ``name``'s."""
        return self._by_clean.get(clean_name(name), [])

    def by_key(self, key: str) -> list[int]:
        """Firms whose normalized name is ``key``."""
        return self._by_key.get(key, [])

    def near(self, key: str, cutoff: float) -> list[tuple[int, float]]:
        """Firms whose normalized name is within ``cutoff`` similarity of ``key``, best first."""
        if not key or not self._keys:
            return []
        found = process.extract(
            key, self._keys, scorer=fuzz.ratio, limit=_CANDIDATES + 2, score_cutoff=cutoff
        )
        pairs = [(i, float(score)) for other, score, _ in found for i in self._by_key[other]]
        return sorted(pairs, key=lambda pair: -pair[1])

    def candidate(self, i: int, similarity: float) -> Candidate:
        """Firm ``i`` as a :class:`Candidate`."""
        return Candidate(self.company_id[i], self.name[i], self.province[i], similarity)


def check_credit_code(code: str) -> str:
    """Return ``""`` when ``code`` is a valid 统一社会信用代码, else what is wrong with it."""
    try:
        uscc.validate(code)
    except InvalidChecksum:
        expected = uscc.calc_check_digit(code[:-1])
        return (
            f"统一社会信用代码 {code!r} has a wrong check digit (expected {expected!r} "
            "for the first 17 characters); fix the code or leave it empty to link by name"
        )
    except ValidationError as error:
        return f"统一社会信用代码 {code!r} is not valid ({error}); fix it or leave it empty"
    return ""


@dataclass(frozen=True)
class _Outcome:
    """A decision for one listed firm, before it is paired with the firm."""

    status: Status
    company_id: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""


def _linked(panel: PanelFirms, i: int, status: Status, note: str) -> _Outcome:
    return _Outcome(status, panel.company_id[i], [panel.candidate(i, 100.0)], note)


def _by_name(
    panel: PanelFirms, found: list[int], province: str | None, status: Status, how: str
) -> _Outcome | None:
    """Decide among the panel firms an exact or normalized name found; None: none found."""
    if not found:
        return None
    candidates = [panel.candidate(i, 100.0) for i in found]
    if province is None:
        if len(found) == 1:
            return _linked(panel, found[0], status, f"same {how}")
        return _Outcome(
            "ambiguous",
            "",
            candidates,
            f"{len(found)} panel firms share the {how}; no region given",
        )
    same = [i for i in found if panel.province[i] in ("", province)]
    if len(same) == 1:
        note = f"same {how}"
        if len(found) > 1:
            note += f"; {len(found)} panel firms share it, the one in {province} chosen by region"
        return _linked(panel, same[0], status, note)
    if not same:
        elsewhere = ", ".join(sorted({panel.province[i] for i in found}))
        return _Outcome(
            "needs_review",
            "",
            candidates,
            f"same {how}, but the panel firm is in {elsewhere} and the list says {province}",
        )
    return _Outcome(
        "ambiguous",
        "",
        [panel.candidate(i, 100.0) for i in same],
        f"{len(same)} panel firms in {province} share the {how}",
    )


def _near(panel: PanelFirms, key: str, province: str | None, options: LinkOptions) -> _Outcome:
    near = panel.near(key, options.review_similarity)
    if not near:
        return _Outcome("unmatched", note="no panel firm with a similar name")
    candidates = [panel.candidate(i, score) for i, score in near[:_CANDIDATES]]
    best_i, best = near[0]
    runner_up = near[1][1] if len(near) > 1 else -1.0
    wrong_place = province is not None and panel.province[best_i] not in ("", province)
    if (
        options.accept_fuzzy
        and best >= options.accept_similarity
        and best > runner_up
        and not wrong_place
    ):
        note = f"near name accepted (similarity {best:.0f})"
        return _Outcome("accepted_fuzzy", panel.company_id[best_i], candidates, note)
    reason = "near name; link it with --accept-fuzzy or fix the name"
    if options.accept_fuzzy:
        if wrong_place:
            reason = f"near name in {panel.province[best_i]}, the list says {province}"
        elif best < options.accept_similarity:
            reason = f"best similarity {best:.0f} is below {options.accept_similarity:.0f}"
        else:
            reason = f"{sum(s == best for _, s in near)} candidates tie at similarity {best:.0f}"
    return _Outcome("needs_review", "", candidates, reason)


def _link_by_name(
    panel: PanelFirms, firm: ListedFirm, province: str | None, options: LinkOptions
) -> _Outcome:
    exact = _by_name(panel, panel.by_clean_name(firm.name), province, "exact", "name")
    if exact is not None:
        return exact
    key = normalize_name(firm.name)
    normalized = _by_name(panel, panel.by_key(key), province, "normalized", "normalized name")
    if normalized is not None:
        return normalized
    return _near(panel, key, province, options)


def _link_one(panel: PanelFirms, firm: ListedFirm, options: LinkOptions) -> _Outcome:
    if firm.problem:
        return _Outcome("invalid_row", note=firm.problem)
    province = region_province(firm.region) if firm.region else None
    if not firm.code:
        return _link_by_name(panel, firm, province, options)
    problem = check_credit_code(firm.code)
    if problem:
        # Name candidates are shown so the code can be fixed, but nothing is linked.
        shown = _link_by_name(panel, firm, province, options)
        return _Outcome("invalid_code", "", shown.candidates, problem)
    found = panel.by_code(firm.code)
    if found is not None:
        note = "same credit code"
        if normalize_name(panel.name[found]) != normalize_name(firm.name):
            note += f"; the panel names it {panel.name[found]!r}"
        return _linked(panel, found, "exact", note)
    by_name = _link_by_name(panel, firm, province, options)
    note = "credit code not among the panel's company_id values; " + by_name.note
    return _Outcome(by_name.status, by_name.company_id, by_name.candidates, note)


def link_firms(
    panel: PanelFirms, firms: Sequence[ListedFirm], options: LinkOptions | None = None
) -> list[Link]:
    """Link each listed firm to the panel (see the module docstring for the steps).

    Parameters
    ----------
    panel
        The panel's firms.
    firms
        The listed firms, in list order.
    options
        Similarity thresholds and whether near names may be linked.

    Returns
    -------
    list of Link
        One per listed firm, in the same order.
    """
    options = options or LinkOptions()
    out: list[Link] = []
    for firm in firms:
        outcome = _link_one(panel, firm, options)
        out.append(Link(firm, outcome.status, outcome.company_id, outcome.candidates, outcome.note))
    return out
