"""The page's view of a screened file: compact ranked rows now, full detail on demand.

``POST /v1/screen`` returns every firm's full result — reasons with their features
and every scheme's criteria — about 18 kB per firm, far too much for a browser
holding 100,000 candidates. The page therefore screens through the same
:func:`serving.page.screening.screen_upload` but receives compact rows (verdict per
scheme, top reason texts; :mod:`serving.page.ranked_rows`, which skips the criteria
JSON) and asks for one firm's full result when the user opens it. The ranked
arrays of recent screens stay in a small per-app cache (:class:`ScreenCache`, least
recently used out) under an opaque token.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from serving.api.responses import dumps
from serving.page.ranked_rows import iter_ranked_blocks
from serving.scoring.scorer import RankedScores

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


def compact_result(result: Mapping[str, Any], verdicts: Sequence[str | None]) -> dict[str, Any]:
    """Slim one score result to what the ranked table shows.

    Parameters
    ----------
    result
        A score result with ``row`` and ``rank``.
    verdicts
        The firm's verdict per scheme, in the order of the screen's ``schemes``.

    Returns
    -------
    dict
        Identity, numbers, ``verdicts`` and the reasons without their feature lists.
    """
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
        "verdicts": list(verdicts),
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


def compact_stream(ranked: RankedScores, token: str, *, top_reasons: int = 3) -> Iterator[bytes]:
    """The page's screen body, block by block: a header, compact rows, the errors.

    Shape::

        {"token": "...", "schemes": [{"scheme_id", "name"}...], "rows": [...],
         "errors": [{"row", "field", "value", "message"}], "n_rows", "n_scored", "model"}
    """
    first = True
    header_sent = False
    for block in iter_ranked_blocks(ranked, top_reasons=top_reasons):
        if not block.results:
            continue
        ids = list(block.scheme_names)
        if not header_sent:
            schemes = [{"scheme_id": sid, "name": block.scheme_names[sid]} for sid in ids]
            yield b'{"token":' + dumps(token) + b',"schemes":' + dumps(schemes) + b',"rows":['
            header_sent = True
        columns = [block.verdicts[sid].tolist() for sid in ids]
        if not first:
            yield b","
        first = False
        yield b",".join(
            dumps(compact_result(result, [column[i] for column in columns]))
            for i, result in enumerate(block.results)
        )
    if not header_sent:
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
