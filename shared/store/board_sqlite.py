"""The board on SQLite (``board.sqlite``, beside the events' index).

Layout
    ``board``       one row per document (``kind:rid``): the stream sequence of its last
                    record, a tombstone flag, its words (accent-folded French stems,
                    :func:`shared.store.sqlite_docs.index_text`, of its title and of its
                    text), its period, place, last change and owner, and the document (JSON).
    ``board_tags``  its facet values.

Searches run on an in-memory view (:class:`~shared.store.sqlite_view.ViewedFile`, rebuilt
when the file changed, as the directory's): each live row has a position, most recently
updated first, and each kind, facet value, owner and stem a roaring bitmap of positions; the
period and the place are numpy arrays by position. A filtered set is an intersection (words
as FTS5 matches the events': every stem required, the last one as a prefix), its page most
recent first its first members, and each facet count one ``intersection_cardinality``
(``python -m bench.board``: 20,000 documents).
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pyroaring import BitMap

from shared.store.base import Outcome, SearchPage
from shared.store.board_base import (
    MAX_OFFSET,
    BoardMessage,
    BoardQuery,
    BoardSort,
    Checked,
    check,
    encode_offset,
    fields,
)
from shared.store.directory_base import shape_facets
from shared.store.sqlite_docs import index_text
from shared.store.sqlite_view import STALE_S, ViewedFile, Words, first_of, union

SCHEMA = """
CREATE TABLE IF NOT EXISTS board (
    rowid INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    title_text TEXT,
    body_text TEXT,
    starts REAL,
    ends REAL,
    lat REAL,
    lon REAL,
    updated REAL,
    owner TEXT,
    data TEXT
);
CREATE TABLE IF NOT EXISTS board_tags (
    facet TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (facet, value, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS board_tags_row ON board_tags(rid);
"""
EARTH_KM = 6_371.0088


@dataclass(slots=True)
class _View:
    """For one state of the file: each live row's position (most recently updated first,
    then by key), bitmaps of positions by kind, facet value, owner and stem, and the
    period and place of each position."""

    version: tuple[int, int] = (-1, -1)
    loaded: float = 0.0
    rowids: list[int] = field(default_factory=list)  # position -> rowid
    kinds: dict[str, BitMap] = field(default_factory=dict)
    #: kind -> facet -> value -> positions
    facets: dict[str, dict[str, dict[str, BitMap]]] = field(default_factory=dict)
    owners: dict[str, BitMap] = field(default_factory=dict)
    words: Words = field(default_factory=lambda: Words({}))  # title or text
    title_words: Words = field(default_factory=lambda: Words({}))
    dated: BitMap = field(default_factory=BitMap)  # the positions with ``starts``
    starts: Any = None  # float64 arrays by position, NaN when missing
    ends: Any = None
    lat: Any = None
    lon: Any = None

    @classmethod
    def load(cls, conn: sqlite3.Connection, version: tuple[int, int]) -> _View:
        view = cls(version, loaded=time.monotonic())
        words: dict[str, list[int]] = {}
        title_words: dict[str, list[int]] = {}
        kinds: dict[str, list[int]] = {}
        owners: dict[str, list[int]] = {}
        position: dict[int, int] = {}
        numbers: list[tuple[float, float, float, float]] = []
        nan = math.nan
        for at, (rid, kind, title, body, starts, ends, lat, lon, owner) in enumerate(
                conn.execute("SELECT rowid, kind, title_text, body_text, starts, ends, lat, "
                             "lon, owner FROM board WHERE deleted = 0 "
                             "ORDER BY updated DESC NULLS LAST, key")):
            view.rowids.append(rid)
            position[rid] = at
            kinds.setdefault(kind, []).append(at)
            if owner:
                owners.setdefault(owner, []).append(at)
            in_title = set(title.split())
            for stem in in_title:
                title_words.setdefault(stem, []).append(at)
            for stem in in_title | set(body.split()):
                words.setdefault(stem, []).append(at)
            numbers.append((nan if starts is None else starts, nan if ends is None else ends,
                            nan if lat is None else lat, nan if lon is None else lon))
        view.kinds = {k: BitMap(at) for k, at in kinds.items()}
        view.owners = {k: BitMap(at) for k, at in owners.items()}
        view.words = Words(words)
        view.title_words = Words(title_words)
        table = np.array(numbers, dtype=np.float64).reshape(-1, 4)
        view.starts, view.ends, view.lat, view.lon = (table[:, i].copy() for i in range(4))
        view.dated = BitMap(np.flatnonzero(~np.isnan(view.starts)).tolist())
        found: dict[tuple[str, str, str], list[int]] = {}
        for kind, facet, value, rid in conn.execute(
                "SELECT b.kind, t.facet, t.value, t.rid FROM board_tags t "
                "JOIN board b ON b.rowid = t.rid WHERE b.deleted = 0"):
            found.setdefault((kind, facet, value), []).append(position[rid])
        for (kind, facet, value), places in found.items():
            view.facets.setdefault(kind, {}).setdefault(facet, {})[value] = BitMap(places)
        return view

    def everything(self) -> BitMap:
        return BitMap(range(len(self.rowids)))

    def during(self, start: float | None, end: float | None) -> BitMap:
        """The positions whose ``[starts, ends]`` meets ``[start, end]``."""
        keep = ~np.isnan(self.starts)
        if end is not None:
            keep &= self.starts <= end
        if start is not None:
            keep &= self.ends >= start
        return BitMap(np.flatnonzero(keep).tolist())

    def distances(self, lat: float, lon: float) -> Any:
        """Kilometres from ``(lat, lon)`` to each position (NaN without a place)."""
        p1, p2 = math.radians(lat), np.radians(self.lat)
        dl = np.radians(self.lon - lon)
        a = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
        return 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


class SqliteBoard(ViewedFile[_View]):
    """:class:`~shared.store.board_base.BoardStore` on one SQLite file."""

    name = "board"
    table, key_column, tags_table = "board", "key", "board_tags"

    def __init__(self, path: Path | str, *, stale_s: float = STALE_S) -> None:
        super().__init__(path, SCHEMA, stale_s=stale_s)

    def load(self, conn: sqlite3.Connection, state: tuple[int, int]) -> _View:
        return _View.load(conn, state)

    # -- writing -------------------------------------------------------------------------

    def _apply_one(self, conn: sqlite3.Connection, msg: BoardMessage) -> Outcome:
        stale, rowid = self._replacing(conn, msg.key, msg.seq, msg.refresh)
        if stale:
            return Outcome.STALE
        if msg.doc is None:
            conn.execute("INSERT OR REPLACE INTO board(rowid, key, kind, seq, deleted) "
                         "VALUES (?, ?, ?, ?, 1)", (rowid, msg.key, msg.kind, msg.seq))
            return Outcome.RETRACTED
        f = fields(msg.doc)
        cur = conn.execute(
            "INSERT OR REPLACE INTO board(rowid, key, kind, seq, deleted, title_text, "
            "body_text, starts, ends, lat, lon, updated, owner, data) "
            "VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rowid, msg.key, msg.kind, msg.seq, index_text(f.title), index_text(f.text),
             f.starts, f.ends, f.lat, f.lon, f.updated, f.owner,
             json.dumps(msg.doc, ensure_ascii=False)))
        rid = rowid if rowid is not None else cur.lastrowid
        conn.executemany("INSERT OR IGNORE INTO board_tags VALUES (?, ?, ?)",
                         [(facet, v, rid) for facet, values in f.facets.items()
                          for v in values])
        return Outcome.APPLIED

    # -- reading -------------------------------------------------------------------------

    async def get(self, kind: str, rid: str) -> dict[str, Any] | None:
        return self._get(f"{kind}:{rid}")

    async def count(self, kind: str | None = None) -> int:
        view = self.view()
        return len(view.rowids) if kind is None else len(view.kinds.get(kind, ()))

    async def search(self, query: BoardQuery) -> SearchPage:
        checked = check(query)
        view = self.view()
        base = view.kinds.get(query.kind, BitMap())
        if checked.terms is not None:
            base = base & view.words.matching(checked.terms)  # no stems: nothing
        if checked.start is not None or checked.end is not None:
            base = base & view.during(checked.start, checked.end)
        distances = None
        if query.near is not None:
            lat, lon, radius = query.near
            distances = view.distances(lat, lon)
            base = base & BitMap(np.flatnonzero(distances <= radius).tolist())
        if query.owner is not None:
            base = base & view.owners.get(query.owner, BitMap())
        kind_facets = view.facets.get(query.kind, {})
        chosen_by = {f: union(kind_facets.get(f, {}).get(v, BitMap()) for v in values)
                     for f, values in query.facets.items() if values}
        chosen = base
        for rows in chosen_by.values():
            chosen = chosen & rows
        total = len(chosen)
        window = self._window(view, chosen, checked, distances)
        page = SearchPage(total=total, items=self._docs([view.rowids[at] for at in window]))
        end = checked.offset + checked.limit
        if end < min(total, MAX_OFFSET):
            page.next = encode_offset(end)
        if query.with_facets:
            page.facets = self._facets(kind_facets, base, chosen_by)
        return page

    @staticmethod
    def _window(view: _View, chosen: BitMap, checked: Checked, distances: Any) -> list[int]:
        """The positions of the page, in the order of the query's sort."""
        offset, limit = checked.offset, checked.limit
        if checked.sort is BoardSort.SOONEST:
            dated = chosen & view.dated
            at = np.array(dated.to_array(), dtype=np.int64)
            # positions break ties: most recently updated first, then by key
            head = (at[np.lexsort((at, view.starts[at]))][offset:offset + limit].tolist()
                    if len(at) else [])
            skip = max(0, offset - len(at))  # then the undated, most recent first
            return head + list((chosen - dated)[skip:skip + limit - len(head)])
        if checked.sort is BoardSort.DISTANCE:
            at = np.array(chosen.to_array(), dtype=np.int64)
            if not len(at):
                return []
            nearest: list[int] = at[np.lexsort((at, distances[at]))].tolist()
            return nearest[offset:offset + limit]
        if checked.sort is BoardSort.RELEVANCE and checked.terms:
            in_titles = view.title_words.matching(checked.terms)
            parts: tuple[BitMap, ...] = (chosen & in_titles, chosen - in_titles)
        else:
            parts = (chosen,)
        return first_of(parts, offset, limit)  # positions are most recent first

    @staticmethod
    def _facets(kind_facets: dict[str, dict[str, BitMap]], base: BitMap,
                chosen_by: dict[str, BitMap]) -> dict[str, list[dict[str, Any]]]:
        """Each facet's counts over ``base`` and the other facets' filters (its own left
        out)."""
        counts: dict[str, dict[str, int]] = {}
        for facet, values in kind_facets.items():
            within = base
            for other, rows in chosen_by.items():
                if other != facet:
                    within = within & rows
            counts[facet] = {v: rows.intersection_cardinality(within)
                             for v, rows in values.items()}
        return shape_facets(counts)
