"""In-memory views of a small SQLite file (the directory, the board), rebuilt when it changed.

A store of thousands of documents searches an in-memory *view* of its rows (roaring bitmaps
of positions, ``pyroaring``) rather than SQL: a filtered set is an intersection and each
facet count one ``intersection_cardinality``. :class:`ViewedFile` keeps the view in step
with the file (``PRAGMA data_version``: another process, the indexer, wrote): rebuilt at
once after this process's own writes; after another's, in a thread, at most every
``stale_s`` seconds, searches answering from the previous view meanwhile.
:class:`Words` matches words as FTS5 matches the events' (every stem required, the last one
as a prefix, :func:`shared.store.sqlite_query.fts_expression`).
"""

from __future__ import annotations

import bisect
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pyroaring import BitMap

from shared.store.base import Outcome
from shared.store.calls_members import SqliteFile

log = logging.getLogger(__name__)

#: Seconds a view is kept when another process changed the file (a bulk import writes
#: batch after batch: the readers rebuild at most this often meanwhile).
STALE_S = 1.0


class View(Protocol):
    version: tuple[int, int]
    loaded: float


V = TypeVar("V", bound=View)


class Words:
    """Stem -> bitmap of positions, and the sorted stems (for the last one as a prefix)."""

    def __init__(self, rows: dict[str, list[int]]) -> None:
        self.rows = {w: BitMap(found) for w, found in rows.items()}
        self.vocabulary = sorted(self.rows)

    def matching(self, terms: list[str]) -> BitMap:
        """The positions holding every stem of ``terms``, the last one as a prefix."""
        if not terms:
            return BitMap()
        found: BitMap | None = None
        for term in terms[:-1]:
            rows = self.rows.get(term, BitMap())
            found = rows if found is None else found & rows
        last = terms[-1]
        prefixed = []
        for stem in self.vocabulary[bisect.bisect_left(self.vocabulary, last):]:
            if not stem.startswith(last):
                break
            prefixed.append(self.rows[stem])
        rows = BitMap.union(BitMap(), *prefixed)
        return rows if found is None else found & rows


def union(bitmaps: Iterable[BitMap]) -> BitMap:
    return BitMap.union(BitMap(), *bitmaps)


def first_of(parts: Iterable[BitMap], offset: int, limit: int) -> list[int]:
    """Positions ``offset`` to ``offset + limit`` of ``parts`` one after the other, each in
    its own (increasing) order."""
    window: list[int] = []
    skip = offset
    for part in parts:
        if skip < len(part):
            window += list(part[skip:skip + limit - len(window)])
        skip = max(0, skip - len(part))
        if len(window) >= limit:
            break
    return window


class ViewedFile(SqliteFile, Generic[V]):
    """A :class:`SqliteFile` searched through a view that :meth:`load` builds; its
    documents are rows of ``table`` (a unique ``key_column``, the stream sequence ``seq``, a
    tombstone flag ``deleted``, the document ``data``), their facet values rows of
    ``tags_table`` (``rid``: the document's rowid)."""

    name = "view"
    table = ""
    key_column = ""
    tags_table = ""

    def __init__(self, path: Path | str, schema: str, *, stale_s: float = STALE_S) -> None:
        super().__init__(path, schema)
        self._view: V | None = None
        self.stale_s = stale_s
        #: the thread building a view after another process's writes, if one is
        self.building: threading.Thread | None = None

    def load(self, conn: sqlite3.Connection, state: tuple[int, int]) -> V:
        raise NotImplementedError

    def _apply_one(self, conn: sqlite3.Connection, msg: Any) -> Outcome:
        raise NotImplementedError

    async def close(self) -> None:
        self.close_sync()

    async def apply(self, messages: Sequence[Any]) -> list[Outcome]:
        outcomes: list[Outcome] = self._write(
            lambda conn: [self._apply_one(conn, m) for m in messages])
        return outcomes

    def _replacing(self, conn: sqlite3.Connection, key: str, seq: int,
                   refresh: bool) -> tuple[bool, int | None]:
        """Whether a message of ``seq`` for ``key`` is stale (not above the stored sequence,
        or below it for a ``refresh``), else the rowid it replaces (``None``: a new one),
        whose facet values are removed."""
        row = conn.execute(f"SELECT rowid, seq FROM {self.table} "
                           f"WHERE {self.key_column} = ?", (key,)).fetchone()
        if row is not None and (row[1] > seq or row[1] == seq and not refresh):
            return True, None
        if row is not None:
            conn.execute(f"DELETE FROM {self.tags_table} WHERE rid = ?", (row[0],))
        return False, row[0] if row else None

    async def reset(self) -> None:
        def empty(conn: sqlite3.Connection) -> None:
            for table in (self.table, self.tags_table):
                conn.execute(f"DELETE FROM {table}")

        self._write(empty)

    def _docs(self, rowids: list[int]) -> list[dict[str, Any]]:
        """The documents of ``rowids``, in that order, leaving out those removed since the
        view was built (another process's write: their rows are tombstones now)."""
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        found = {r: d for r, d in self._conn().execute(
            f"SELECT rowid, data FROM {self.table} WHERE rowid IN ({marks}) "
            "AND deleted = 0 AND data IS NOT NULL", rowids)}
        return [json.loads(found[r]) for r in rowids if r in found]

    def _get(self, key: str) -> dict[str, Any] | None:
        row = self._conn().execute(f"SELECT data FROM {self.table} "
                                   f"WHERE {self.key_column} = ? AND deleted = 0",
                                   (key,)).fetchone()
        return dict(json.loads(row[0])) if row else None

    def _state(self, conn: sqlite3.Connection) -> tuple[int, int]:
        # this connection's own writes leave data_version alone: count them too
        return conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes

    def view(self) -> V:
        """The view of the file as it is. After this process's own writes (or the first
        time) it is built here, at once; after another process's (the indexer's), a thread
        builds it while searches go on with the current one (a few hundred milliseconds
        for 20,000 documents: the event loop must not wait), at most every ``stale_s``
        seconds."""
        conn = self._conn()
        state = self._state(conn)
        current = self._view
        if current is not None and state == current.version:
            return current
        if current is None or state[1] != current.version[1]:
            self._view = self.load(conn, state)
            return self._view
        if self.building is None and time.monotonic() - current.loaded >= self.stale_s:
            self.building = threading.Thread(target=self._build, args=(state,),
                                             name=f"{self.name}-view", daemon=True)
            self.building.start()
        return current

    def _build(self, state: tuple[int, int]) -> None:
        """Build the view of ``state`` (this process's connection's) on a connection of its
        own: what it reads is at least as recent as that state."""
        try:
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                fresh = self.load(conn, state)
            finally:
                conn.close()
            if self._view is None or self._view.version[1] == state[1]:  # no write between
                self._view = fresh
        except Exception:
            log.exception("%s view not rebuilt", self.name)
        finally:
            self.building = None

    async def settle(self) -> None:
        conn = self._conn()
        state = self._state(conn)
        if self._view is None or state != self._view.version:
            self._view = self.load(conn, state)
