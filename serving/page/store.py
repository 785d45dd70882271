"""The page's screens, kept on disk for their firm details, shared by every worker.

A page screen answers with compact rows and a token; opening a firm asks for its full
result later (:mod:`serving.page.session`), possibly from another worker process or
replica. So the screen's validated columns and rank numbers are written, once, as an
Arrow IPC file in a directory every worker reads (``SRDI_SCREENS_DIR``, under the data
directory by default). A detail request memory-maps the file and reads one row.

Each screen belongs to the browser session that made it: its file name starts with a
digest of the session cookie, so a token alone (leaked in a log, guessed) opens
nothing, and one session's uploads cannot evict another's except through the total
budget. Budgets are bytes on disk: per session (oldest of that session out first) and
in total (oldest of all out first); a screen unused for ``ttl_s`` seconds expires.
Writers take an exclusive ``flock`` on the directory's lock file while they evict and
commit, so concurrent workers never overshoot the budgets; readers take no lock (a
file replaced or removed under a memory map stays readable until it is closed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from serving.scoring.scorer import RankedScores

__all__ = ["ScreenStore", "ScreenTooLargeError", "StoredScreen"]

_SUFFIX = ".arrow"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
_META_KEY = b"srdi.screen"
_ROW, _RANK = "__row", "__rank"


class ScreenTooLargeError(Exception):
    """A screen needs more disk than one session may keep.

    Attributes
    ----------
    size, limit
        Bytes the screen takes, and the per-session budget.
    """

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"this screen's details need {size / 2**20:,.1f} MB on the server, more than "
            f"max_screen_bytes_per_session = {limit / 2**20:,.1f} MB (set "
            "SRDI_MAX_SCREEN_BYTES_PER_SESSION), so firm details are not kept for it: "
            "split the file to open firms on the page"
        )
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class StoredScreen:
    """One firm's slice of a kept screen, ready to be scored in full.

    Attributes
    ----------
    columns
        The firm's validated columns (length-1 arrays).
    row
        Its 0-based data row in the uploaded file.
    rank
        Its rank (``None`` for a firm already certified).
    model
        Name and version of the model that ranked the screen.
    """

    columns: dict[str, np.ndarray]
    row: int
    rank: int | None
    model: dict[str, str]


@dataclass(frozen=True)
class _Entry:
    path: Path
    session: str
    size: int
    used: float


class ScreenStore:
    """Page screens on disk under byte budgets, each bound to its browser session.

    Parameters
    ----------
    directory
        Where the screens are kept (created on first use).
    ttl_s
        Seconds a screen is kept after it was last written or read.
    max_session_bytes, max_total_bytes
        Disk budgets of one session and of all sessions together.
    """

    def __init__(
        self, directory: Path, *, ttl_s: float, max_session_bytes: int, max_total_bytes: int
    ) -> None:
        self.directory = Path(directory)
        self.ttl_s = ttl_s
        self.max_session_bytes = max_session_bytes
        self.max_total_bytes = max_total_bytes

    # -- writing -----------------------------------------------------------------------

    def put(self, session: str, ranked: RankedScores) -> str:
        """Keep ``ranked`` for ``session``; return its token.

        Raises
        ------
        ScreenTooLargeError
            The screen alone exceeds the per-session budget (nothing is kept).
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_urlsafe(16)
        temporary = self.directory / f".tmp-{token}{_SUFFIX}"
        try:
            _write(temporary, ranked)
            size = temporary.stat().st_size
            if size > self.max_session_bytes:
                raise ScreenTooLargeError(size, self.max_session_bytes)
            key = _session_key(session)
            with self._locked():
                self._make_room(key, size)
                kept = self._path(key, token)
                os.replace(temporary, kept)
                _touch(kept)
        finally:
            temporary.unlink(missing_ok=True)
        return token

    def _make_room(self, key: str, size: int) -> None:
        now = time.time()
        entries = []
        for entry in self._entries():
            if now - entry.used > self.ttl_s:
                entry.path.unlink(missing_ok=True)
            else:
                entries.append(entry)
        entries.sort(key=lambda e: e.used)  # least recently used first
        own = sum(e.size for e in entries if e.session == key)
        for entry in [e for e in entries if e.session == key]:
            if own + size <= self.max_session_bytes:
                break
            entry.path.unlink(missing_ok=True)
            entries.remove(entry)
            own -= entry.size
        total = sum(e.size for e in entries)
        for entry in list(entries):
            if total + size <= self.max_total_bytes:
                break
            entry.path.unlink(missing_ok=True)
            total -= entry.size

    def _entries(self) -> Iterator[_Entry]:
        now = time.time()
        for path in self.directory.iterdir():
            name = path.name
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed by another worker meanwhile
                continue
            if name.startswith(".tmp-"):
                # A write that died half-way (a killed worker) leaves one behind.
                if now - stat.st_mtime > self.ttl_s:
                    path.unlink(missing_ok=True)
                continue
            if name.endswith(_SUFFIX) and "." in name[: -len(_SUFFIX)]:
                session = name.split(".", 1)[0]
                yield _Entry(path, session, stat.st_size, stat.st_mtime)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.directory / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- reading -----------------------------------------------------------------------

    def get(self, session: str, token: str, row: int) -> StoredScreen | None:
        """Data row ``row`` of the screen ``token`` of ``session``.

        Returns
        -------
        StoredScreen or None
            ``None`` when that row was not scored (absent, or refused by validation).

        Raises
        ------
        KeyError
            When the screen is not kept (expired, evicted, another session's).
        """
        if not _TOKEN.fullmatch(token):
            raise KeyError(token)
        path = self._path(_session_key(session), token)
        try:
            used = path.stat().st_mtime
            if time.time() - used > self.ttl_s:
                path.unlink(missing_ok=True)
                raise KeyError(token)
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            _touch(path)  # recently used: evicted last
        except FileNotFoundError:
            raise KeyError(token) from None
        return _firm(table, row)

    def _path(self, key: str, token: str) -> Path:
        return self.directory / f"{key}.{token}{_SUFFIX}"


def _touch(path: Path) -> None:
    # Explicit nanoseconds: the file system's own clock ticks in milliseconds, so two
    # reads in one tick would tie and the least recently used could be either.
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def _session_key(session: str) -> str:
    # The cookie's value never appears on disk, only a digest of it.
    return hashlib.sha256(session.encode()).hexdigest()[:32]


def _write(path: Path, ranked: RankedScores) -> None:
    n = ranked.n_scored
    rank = np.zeros(n, dtype=np.int64)
    rank[ranked.order] = np.arange(1, n + 1)
    rank[rank > ranked.n_candidates] = 0  # certified firms: no rank
    arrays = {name: _arrow(values) for name, values in ranked.columns.items()}
    arrays[_ROW] = pa.array(np.asarray(ranked.rows, dtype=np.int64))
    arrays[_RANK] = pa.array(rank)
    meta = {"model": dict(ranked.model_info)}
    table = pa.table(arrays).replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _arrow(values: np.ndarray) -> pa.Array:
    if values.dtype == object:
        return pa.array(values.tolist(), type=pa.string())
    # NaN stays a value (unknown), as the validated columns mean it.
    return pa.array(values)


def _firm(table: pa.Table, row: int) -> StoredScreen | None:
    rows = table.column(_ROW).to_numpy()
    matches = np.flatnonzero(rows == row)
    if not len(matches):
        return None
    one = table.slice(int(matches[0]), 1)
    columns = {
        name: _numpy(one.column(name)) for name in one.column_names if not name.startswith("__")
    }
    rank = int(one.column(_RANK)[0].as_py())
    meta = json.loads((table.schema.metadata or {})[_META_KEY])
    return StoredScreen(columns=columns, row=row, rank=rank or None, model=meta["model"])


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return np.array(column.to_pylist(), dtype=object)
    return np.asarray(column.to_numpy())
