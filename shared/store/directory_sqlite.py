"""The directory of associations on SQLite (``directory.sqlite``, beside the events' index).

Layout
    ``assoc``       one row per association: the stream sequence of its last record, a
                    tombstone flag, its sort key, its words (accent-folded French stems,
                    :func:`shared.store.sqlite_docs.index_text`, of its names — name,
                    acronym, aliases — and of its text — purpose, themes, places) and its
                    document (JSON).
    ``assoc_tags``  its facet values (:data:`~shared.store.directory_base.FACETS`) and the
                    organizer names its events are published under (``organizer``).

Searches run on an in-memory view of the rows and tags, rebuilt when the file changed
(``PRAGMA data_version``: another process, the indexer, wrote): each live row has a
position in name order and each facet value a roaring bitmap of positions (``pyroaring``,
as the events' :mod:`shared.store.sqlite_bitmaps`), so that a filtered set is an
intersection, its first page by name is its first members, and each facet count is one
``intersection_cardinality``: 20,000 associations answer in a few milliseconds
(``python -m bench.associations``). Words have their bitmaps too, matched as FTS5 matches
the events' (every stem required, the last one as a prefix; FTS5 itself ranked 5,000
matches by BM25 in ~30 ms, too slow here): the associations whose names hold the words come
first, then the others, each in name order. A view is rebuilt at once after this process's
own writes; after another's, in a thread, at most every :data:`STALE_S` seconds, searches
answering from the previous view meanwhile.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyroaring import BitMap

from shared.store.base import Outcome, SearchPage
from shared.store.directory_base import (
    FACETS,
    MAX_OFFSET,
    DirectoryMessage,
    DirectoryQuery,
    complete,
    decode_offset,
    encode_offset,
    facet_values,
    public_doc,
    shape_facets,
)
from shared.store.sqlite_docs import index_text
from shared.store.sqlite_view import STALE_S, ViewedFile, Words, first_of, union

SCHEMA = """
CREATE TABLE IF NOT EXISTS assoc (
    rowid INTEGER PRIMARY KEY,
    aid TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name_key TEXT,
    names_text TEXT,
    body_text TEXT,
    data TEXT
);
CREATE TABLE IF NOT EXISTS assoc_tags (
    facet TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (facet, value, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS assoc_tags_row ON assoc_tags(rid);
"""
log = logging.getLogger(__name__)

ORGANIZER = "organizer"


def text_columns(doc: dict[str, Any]) -> tuple[str, str]:
    names = " ".join(filter(None, [doc.get("name"), doc.get("acronym"),
                                   *(doc.get("aliases") or ())]))
    body = " ".join(filter(None, [doc.get("purpose"), *(doc.get("themes") or ()),
                                  doc.get("commune"), doc.get("quartier"),
                                  *(doc.get("quartiers") or ())]))
    return index_text(names), index_text(body)


@dataclass(slots=True)
class _View:
    """For one state of the file: each live row's *position* in name order, and one roaring
    bitmap of positions per facet value, so that a filtered set is an intersection, its
    order by name is its own iteration order, and each facet count one
    ``intersection_cardinality``."""

    version: tuple[int, int] = (-1, -1)
    rowids: list[int] = field(default_factory=list)  # position -> rowid
    position: dict[int, int] = field(default_factory=dict)  # rowid -> position
    rows_of: dict[tuple[str, str], BitMap] = field(default_factory=dict)  # facet values
    organizers: dict[str, BitMap] = field(default_factory=dict)  # organizer key -> rows
    everything: BitMap = field(default_factory=BitMap)
    words: Words = field(default_factory=lambda: Words({}))  # names or text
    name_words: Words = field(default_factory=lambda: Words({}))  # names only
    loaded: float = 0.0
    #: the last organizers-with-events set asked for, and its rows
    having: tuple[frozenset[str], BitMap] | None = None

    @classmethod
    def load(cls, conn: sqlite3.Connection, version: tuple[int, int]) -> _View:
        view = cls(version, loaded=time.monotonic())
        words: dict[str, list[int]] = {}
        name_words: dict[str, list[int]] = {}
        for at, (rid, names, body) in enumerate(conn.execute(
                "SELECT rowid, names_text, body_text FROM assoc WHERE deleted = 0 "
                "ORDER BY name_key, aid")):
            view.rowids.append(rid)
            view.position[rid] = at
            for stem in set(names.split()):
                name_words.setdefault(stem, []).append(at)
                words.setdefault(stem, []).append(at)
            for stem in set(body.split()) - set(names.split()):
                words.setdefault(stem, []).append(at)
        view.words = Words(words)
        view.name_words = Words(name_words)
        view.everything = BitMap(range(len(view.rowids)))
        found: dict[tuple[str, str], list[int]] = {}
        for facet, value, rid in conn.execute("SELECT facet, value, rid FROM assoc_tags"):
            place = view.position.get(rid)
            if place is not None:
                found.setdefault((facet, value), []).append(place)
        view.organizers = {key[1]: BitMap(found.pop(key)) for key in list(found)
                           if key[0] == ORGANIZER}
        view.rows_of = {key: BitMap(positions) for key, positions in found.items()}
        return view

    def matching(self, terms: list[str], names_only: bool = False) -> BitMap:
        """The rows holding every stem of ``terms``, the last one as a prefix."""
        return (self.name_words if names_only else self.words).matching(terms)

    def with_events(self, organizers: frozenset[str]) -> BitMap:
        """The rows of associations going by one of ``organizers`` (the same set is asked
        for again and again: the API reads it every 30 s; its rows are kept)."""
        if self.having is None or (self.having[0] is not organizers
                                   and self.having[0] != organizers):
            found = [self.organizers[k] for k in organizers if k in self.organizers]
            self.having = (organizers, union(found))
        return self.having[1]

    def rows(self, facet: str, values: Iterable[str]) -> BitMap:
        return union(self.rows_of.get((facet, v), BitMap()) for v in values)


class SqliteDirectory(ViewedFile[_View]):
    """:class:`~shared.store.directory_base.DirectoryStore` on one SQLite file."""

    name = "directory"
    table, key_column, tags_table = "assoc", "aid", "assoc_tags"

    def __init__(self, path: Path | str, *, stale_s: float = STALE_S) -> None:
        super().__init__(path, SCHEMA, stale_s=stale_s)

    def load(self, conn: sqlite3.Connection, state: tuple[int, int]) -> _View:
        return _View.load(conn, state)

    # -- writing -------------------------------------------------------------------------

    def _apply_one(self, conn: sqlite3.Connection, msg: DirectoryMessage) -> Outcome:
        stale, rowid = self._replacing(conn, msg.aid, msg.seq, msg.refresh)
        if stale:
            return Outcome.STALE
        if msg.doc is None:
            conn.execute("INSERT OR REPLACE INTO assoc(rowid, aid, seq, deleted) "
                         "VALUES (?, ?, ?, 1)", (rowid, msg.aid, msg.seq))
            return Outcome.RETRACTED
        doc = complete(msg.doc)
        cur = conn.execute(
            "INSERT OR REPLACE INTO assoc(rowid, aid, seq, deleted, name_key, names_text, "
            "body_text, data) VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
            (rowid, msg.aid, msg.seq, doc["name_key"], *text_columns(doc),
             json.dumps(public_doc(doc), ensure_ascii=False)))
        rid = rowid if rowid is not None else cur.lastrowid
        tags = [(f, v, rid) for f, values in facet_values(doc).items() for v in set(values)]
        tags += [(ORGANIZER, k, rid) for k in doc["organizer_keys"]]
        conn.executemany("INSERT OR IGNORE INTO assoc_tags VALUES (?, ?, ?)", tags)
        return Outcome.APPLIED

    # -- reading -------------------------------------------------------------------------

    async def get(self, aid: str) -> dict[str, Any] | None:
        return self._get(aid)

    async def count(self) -> int:
        return len(self.view().rowids)

    async def search(self, query: DirectoryQuery) -> SearchPage:
        offset = decode_offset(query.cursor) if query.cursor else 0
        view = self.view()
        in_names: BitMap | None = None  # with words: the rows naming them, shown first
        chosen = view.everything
        if query.q:
            terms = index_text(query.q).split()
            chosen = view.matching(terms) if terms else BitMap()
            in_names = view.matching(terms, names_only=True) if terms else BitMap()
        for facet, values in (("theme", query.themes), ("rna_theme", query.rna_themes),
                              ("quartier", query.quartiers), ("commune", query.communes),
                              ("tool", query.tools), ("state", query.states)):
            if values:
                chosen = chosen & view.rows(facet, values)
        with_events = (view.with_events(query.organizers_with_events)
                       if query.organizers_with_events is not None else None)
        if query.has_events is not None and with_events is not None:
            chosen = chosen & with_events if query.has_events else chosen - with_events
        total = len(chosen)
        parts = (chosen,) if in_names is None else (chosen & in_names, chosen - in_names)
        window = first_of(parts, offset, query.limit)  # positions are in name order
        page = SearchPage(total=total, items=self._docs([view.rowids[at] for at in window]))
        if offset + query.limit < total and offset + query.limit <= MAX_OFFSET:
            page.next = encode_offset(offset + query.limit)
        if query.facets:
            page.facets = self._facets(view, chosen, with_events)
        return page

    @staticmethod
    def _facets(view: _View, chosen: BitMap,
                with_events: BitMap | None) -> dict[str, list[dict[str, Any]]]:
        by_facet: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for (facet, value), rows in view.rows_of.items():
            by_facet[facet][value] = rows.intersection_cardinality(chosen)
        if with_events is not None:
            having = with_events.intersection_cardinality(chosen)
            by_facet["has_events"] = {"true": having, "false": len(chosen) - having}
        return shape_facets(by_facet)
