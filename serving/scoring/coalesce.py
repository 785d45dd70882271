"""Coalescing of concurrent single-record requests into one vectorized call.

Scoring is vectorized, so its cost is mostly per call, not per row: the scheme
rules, the booster and the feature pipeline cost about the same for eight rows as
for one. When several ``POST /v1/score`` requests are waiting at the same moment
(services calling in loops, a page with many users) they are scored together: each
request validates its own record, queues the length-1 columns and awaits its
result; the queue is scored a couple of event-loop turns later, after the requests
that arrived meanwhile have queued too. A lone request waits only those few turns
(microseconds).

Requests are grouped by scorer (a reload never mixes models inside a call) and by
their options; results are split back in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from features.columns import Columns
from serving.scoring.scorer import Scorer

__all__ = ["RecordCoalescer"]


@dataclass(frozen=True)
class _Options:
    scorer: Scorer
    explain: bool
    top_reasons: int
    schemes: bool


@dataclass
class _Group:
    columns: list[Columns] = field(default_factory=list)
    futures: list[asyncio.Future[dict[str, Any]]] = field(default_factory=list)


class RecordCoalescer:
    """Queues validated single records and scores each turn's queue in one call.

    Parameters
    ----------
    max_batch
        Most records scored in one call; a longer queue is split.
    on_call
        Called with the number of records of each scoring call (for metrics).
    wait_turns
        Event-loop turns a queue waits before it is scored (each costs microseconds).
    """

    def __init__(
        self,
        *,
        max_batch: int = 64,
        on_call: Callable[[int], None] | None = None,
        wait_turns: int = 2,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.max_batch = max_batch
        self.wait_turns = wait_turns
        self.on_call = on_call
        self._groups: dict[_Options, _Group] = {}
        self._flush_scheduled = False
        self.calls = 0  # scoring calls made and records scored, for tests
        self.records = 0

    async def score(
        self,
        scorer: Scorer,
        columns: Columns,
        *,
        explain: bool,
        top_reasons: int,
        schemes: bool = True,
    ) -> dict[str, Any]:
        """Queue one validated record (length-1 columns) and return its score result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        group = self._groups.setdefault(_Options(scorer, explain, top_reasons, schemes), _Group())
        group.columns.append(columns)
        group.futures.append(future)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush_after, loop, self.wait_turns)
        return await future

    def _flush_after(self, loop: asyncio.AbstractEventLoop, turns: int) -> None:
        # Each turn of the loop polls the sockets once more, so requests whose bytes
        # arrived while the previous call was scoring can still join this one.
        if turns > 0:
            loop.call_soon(self._flush_after, loop, turns - 1)
        else:
            self._flush()

    def _flush(self) -> None:
        groups, self._groups = self._groups, {}
        self._flush_scheduled = False
        for options, group in groups.items():
            for start in range(0, len(group.futures), self.max_batch):
                stop = start + self.max_batch
                self._score(options, group.columns[start:stop], group.futures[start:stop])

    def _score(
        self,
        options: _Options,
        columns: list[Columns],
        futures: list[asyncio.Future[dict[str, Any]]],
    ) -> None:
        self.calls += 1
        self.records += len(columns)
        if self.on_call is not None:
            self.on_call(len(columns))
        try:
            results = options.scorer.score_columns(
                _stack(columns),
                explain=options.explain,
                top_reasons=options.top_reasons,
                schemes=options.schemes,
            )
        except Exception as exc:  # each waiting request reports it through its handler
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, result in zip(futures, results, strict=True):
            if not future.done():  # the client may have gone away meanwhile
                future.set_result(result)


def _stack(columns: list[Columns]) -> Mapping[str, np.ndarray]:
    """Concatenate length-1 column sets (all from ``validate_record``: same keys)."""
    if len(columns) == 1:
        return columns[0]
    return {name: np.concatenate([c[name] for c in columns]) for name in columns[0]}
