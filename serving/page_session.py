"""The page's view of a screened file: compact ranked rows now, full detail on demand.

``POST /v1/screen`` returns every firm's full result — reasons with their features
and every scheme's criteria — about 15 kB per firm, far too much for a browser
holding 100,000 candidates. The page therefore screens through the same
:func:`serving.screening.screen_upload` but receives compact rows (verdict per
scheme, top reason texts) and asks for one firm's full result when the user opens
it. The ranked arrays of recent screens stay in a small per-app cache
(:class:`ScreenCache`, least recently used out) under an opaque token.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from serving.responses import dumps
from serving.scorer import RankedScores

__all__ = [
    "DETAIL_REASONS",
    "ScreenCache",
    "compact_result",
    "compact_stream",
    "firm_detail",
]

# The detail view charts every feature family, so it asks for all of them.
DETAIL_REASONS = 10


class ScreenCache:
    """Recent screens by token, at most ``capacity`` of them (least recently used out).

    One instance lives on ``app.state``; access is guarded by a lock because uploads
    are screened in worker threads.
    """

    def __init__(self, capacity: int = 4) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[str, RankedScores] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, ranked: RankedScores) -> str:
        """Keep ``ranked`` and return its new token."""
        token = secrets.token_urlsafe(12)
        with self._lock:
            self._items[token] = ranked
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return token

    def get(self, token: str) -> RankedScores | None:
        """The screen kept under ``token``, or ``None`` when it expired."""
        with self._lock:
            ranked = self._items.get(token)
            if ranked is not None:
                self._items.move_to_end(token)
            return ranked

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def compact_result(result: Mapping[str, Any], scheme_ids: Sequence[str]) -> dict[str, Any]:
    """Slim one score result to what the ranked table shows.

    Parameters
    ----------
    result
        A full score result with ``row`` and ``rank``.
    scheme_ids
        Order of the ``verdicts`` list (the screen's ``schemes`` header).

    Returns
    -------
    dict
        Identity, numbers, ``verdicts`` (one per scheme id, ``None`` when absent) and
        the reasons without their feature lists.
    """
    verdict_of = {s.get("scheme_id"): s.get("verdict") for s in result.get("schemes") or ()}
    return {
        "row": result.get("row"),
        "rank": result.get("rank"),
        "company_id": result.get("company_id"),
        "name": result.get("name"),
        "fiscal_year": result.get("fiscal_year"),
        "province": result.get("province"),
        "industry": result.get("industry"),
        "status": result.get("status"),
        "score": result.get("score"),
        "percentile": result.get("percentile"),
        "band": result.get("band"),
        "verdicts": [verdict_of.get(sid) for sid in scheme_ids],
        "reasons": [
            {
                "family": r.get("family"),
                "family_label": r.get("family_label"),
                "contribution": r.get("contribution"),
                "text": r.get("text"),
            }
            for r in result.get("reasons") or ()
        ],
    }


def compact_stream(ranked: RankedScores, token: str) -> Iterator[bytes]:
    """The page's screen body, block by block: a header, compact rows, the errors.

    Shape::

        {"token": "...", "schemes": [{"scheme_id", "name"}...], "rows": [...],
         "errors": [{"row", "field", "value", "message"}], "n_rows", "n_scored", "model"}
    """
    schemes: list[dict[str, str]] | None = None
    first = True
    for block in ranked.iter_blocks():
        if not block:
            continue
        if schemes is None:
            schemes = [
                {"scheme_id": str(s["scheme_id"]), "name": str(s.get("name") or s["scheme_id"])}
                for s in block[0].get("schemes") or ()
            ]
            yield b'{"token":' + dumps(token) + b',"schemes":' + dumps(schemes) + b',"rows":['
        ids = [s["scheme_id"] for s in schemes]
        if not first:
            yield b","
        first = False
        yield b",".join(dumps(compact_result(result, ids)) for result in block)
    if schemes is None:
        yield b'{"token":' + dumps(token) + b',"schemes":[],"rows":['
    tail = {
        "errors": ranked.error_dicts(),
        "n_rows": ranked.n_rows,
        "n_scored": ranked.n_scored,
        "model": ranked.model_info,
    }
    yield b"]," + dumps(tail)[1:]


def firm_detail(
    ranked: RankedScores, row: int, *, top_reasons: int = DETAIL_REASONS
) -> dict[str, Any] | None:
    """The full score result of the firm read from data row ``row`` of the file.

    Parameters
    ----------
    ranked
        A screen kept in the cache.
    row
        The firm's 0-based data row in the uploaded file.
    top_reasons
        Reasons to include (all families by default).

    Returns
    -------
    dict or None
        The score result with ``row`` and ``rank``; ``None`` when that row was not
        scored (absent, or refused by validation).
    """
    matches = np.flatnonzero(ranked.rows == row)
    if not len(matches):
        return None
    position = int(matches[0])
    block = {name: values[position : position + 1] for name, values in ranked.columns.items()}
    result = ranked.scorer.score_columns(block, rows=[row], explain=True, top_reasons=top_reasons)[
        0
    ]
    rank_index = int(np.flatnonzero(ranked.order == position)[0]) + 1
    result["rank"] = rank_index if rank_index <= ranked.n_candidates else None
    return result
