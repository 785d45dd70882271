"""The page's view of a screened file: compact ranked rows now, full detail on demand.

``POST /v1/screen`` returns every firm's full result — reasons with their features
and every scheme's criteria — about 18 kB per firm, far too much for a browser
holding 100,000 candidates. The page therefore screens through the same
:func:`serving.page.screening.screen_upload` but receives compact rows (verdict per
scheme, top reason texts; :mod:`serving.page.ranked_rows`, which skips the criteria
JSON) and asks for one firm's full result when the user opens it. The ranked
arrays of the screen are kept on disk for a while under an opaque token bound to the
browser session (:mod:`serving.page.store`), where any worker process can read them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from features.ladder import TARGET_BY_ID
from serving.api.responses import dumps
from serving.page.ranked_rows import iter_ranked_blocks
from serving.page.store import StoredScreen
from serving.scoring.scorer import RankedScores, Scorer

__all__ = [
    "DETAIL_REASONS",
    "compact_result",
    "compact_stream",
    "firm_detail",
    "questions",
]

# The detail view charts every feature family, so it asks for all of them.
DETAIL_REASONS = 10


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
        Identity, the next step's numbers, the rung, every question's numbers and
        reasons (``scores``), ``verdicts``, the held tier's ``re_review``, the
        ``assumptions`` the verdicts rest on, and the reasons without their feature
        lists.
    """
    step = result.get("next_step") or {}
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
        "coverage": result.get("coverage"),
        "thin_data": result.get("thin_data"),
        "rung": step.get("rung"),
        "next_step": step.get("target"),
        "scores": {
            target: {
                "status": entry.get("status"),
                "score": entry.get("score"),
                "percentile": entry.get("percentile"),
                "band": entry.get("band"),
                "reasons": _compact_reasons(entry.get("reasons")),
            }
            for target, entry in (result.get("scores") or {}).items()
        },
        "verdicts": list(verdicts),
        "re_review": result.get("re_review"),
        "assumptions": list(result.get("assumptions") or ()),
        "reasons": _compact_reasons(result.get("reasons")),
    }


def _compact_reasons(reasons: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {
            "family": r.get("family"),
            "family_label": r.get("family_label"),
            "contribution": r.get("contribution"),
            "text": r.get("text"),
        }
        for r in reasons or ()
    ]


def compact_stream(
    ranked: RankedScores, token: str | None, *, top_reasons: int = 3, notice: str | None = None
) -> Iterator[bytes]:
    """The page's screen body, block by block: a header, compact rows, the errors.

    Shape::

        {"token": "..." | null, "notice": null | "...", "schemes": [{"scheme_id", "name"}...],
         "rows": [...], "errors": [{"row", "field", "value", "message"}], "n_errors",
         "n_error_rows", "n_rows", "n_scored", "model",
         "columns": {"layout", "mapping", "ignored", "notes"}, "rank_by",
         "questions": [{"target", "question", "population", "in_service", ...}...]}

    ``token`` is null (and ``notice`` says why) when the screen's details could not be
    kept on the server.
    """
    head = b'{"token":' + dumps(token) + b',"notice":' + dumps(notice)
    first = True
    header_sent = False
    for block in iter_ranked_blocks(ranked, top_reasons=top_reasons):
        if not block.results:
            continue
        ids = list(block.scheme_names)
        if not header_sent:
            schemes = [{"scheme_id": sid, "name": block.scheme_names[sid]} for sid in ids]
            yield head + b',"schemes":' + dumps(schemes) + b',"rows":['
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
        yield head + b',"schemes":[],"rows":['
    tail = {**ranked.summary(), "questions": questions(ranked.scorer)}
    yield b"]," + dumps(tail)[1:]


def questions(scorer: Scorer) -> list[dict[str, Any]]:
    """The questions the page's selector offers: every target of the service, in order."""
    return [
        {
            "target": target,
            "question": TARGET_BY_ID[target].question,
            "population": TARGET_BY_ID[target].population,
            "rank_ascending": TARGET_BY_ID[target].rank_ascending,
            "in_service": version is not None,
            "version": version,
        }
        for target, version in scorer.versions.items()
    ]


def firm_detail(
    scorer: Scorer, firm: StoredScreen, *, top_reasons: int = DETAIL_REASONS
) -> dict[str, Any]:
    """The full score result of one firm of a kept screen.

    Parameters
    ----------
    scorer
        The scorer in service (the same model version that ranked the screen).
    firm
        The firm as the screen kept it (:meth:`serving.page.store.ScreenStore.get`).
    top_reasons
        Reasons to include (all families by default).

    Returns
    -------
    dict
        The score result with ``row`` and ``rank``.
    """
    result = scorer.score_columns(
        firm.columns, rows=[firm.row], explain=True, top_reasons=top_reasons
    )[0]
    result["rank"] = firm.rank
    return result
