"""The directory of associations on SQLite (``directory.sqlite``, beside the events' index).

Layout
    ``assoc``       one row per association: the stream sequence of its last record, a
                    tombstone flag, its sort key and its document (JSON).
    ``assoc_tags``  its facet values (:data:`~shared.store.directory_base.FACETS`) and the
                    organizer names its events are published under (``organizer``).
    ``assoc_fts``   FTS5 over French stems: names (name, acronym, aliases) and text
                    (purpose, themes, places).

Searches run on an in-memory view of the rows and tags (their order by name, the rows of
each facet value), rebuilt when the file changed (``PRAGMA data_version``: another
process, the indexer, wrote), so that facet counts over the whole directory take no SQL
at all and a filtered search counts only its own rows: 20,000 associations answer in a
few milliseconds (``python -m bench.associations``). Words are matched by FTS5, ranked by
BM25 with the names weighing most.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.store.base import Outcome, SearchPage
from shared.store.calls_members import SqliteFile
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
from shared.store.sqlite_query import fts_expression

SCHEMA = """
CREATE TABLE IF NOT EXISTS assoc (
    rowid INTEGER PRIMARY KEY,
    aid TEXT NOT NULL UNIQUE,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name_key TEXT,
    data TEXT
);
CREATE TABLE IF NOT EXISTS assoc_tags (
    facet TEXT NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (facet, value, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS assoc_tags_row ON assoc_tags(rid);
CREATE VIRTUAL TABLE IF NOT EXISTS assoc_fts USING fts5(
    names, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
"""
ORGANIZER = "organizer"
#: BM25 weights of the FTS columns: a word of the name counts ten times one of the text.
WEIGHTS = (10.0, 1.0)


def fts_columns(doc: dict[str, Any]) -> tuple[str, str]:
    names = " ".join(filter(None, [doc.get("name"), doc.get("acronym"),
                                   *(doc.get("aliases") or ())]))
    body = " ".join(filter(None, [doc.get("purpose"), *(doc.get("themes") or ()),
                                  doc.get("commune"), doc.get("quartier"),
                                  *(doc.get("quartiers") or ())]))
    return index_text(names), index_text(body)


@dataclass(slots=True)
class _View:
    """The rows in name order and each facet value's rows, for one ``data_version``."""

    version: int = -1
    order: list[int] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)
    rows_of: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    tags_of: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    all_counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    @classmethod
    def load(cls, conn: sqlite3.Connection, version: int) -> _View:
        view = cls(version)
        view.order = [r for (r,) in conn.execute(
            "SELECT rowid FROM assoc WHERE deleted = 0 ORDER BY name_key, aid")]
        view.position = {r: i for i, r in enumerate(view.order)}
        for facet, value, rid in conn.execute("SELECT facet, value, rid FROM assoc_tags"):
            view.rows_of.setdefault((facet, value), set()).add(rid)
            if facet != ORGANIZER:
                view.tags_of.setdefault(rid, []).append((facet, value))
                view.all_counts[(facet, value)] += 1
        return view

    def rows(self, facet: str, values: Iterable[str]) -> set[int]:
        found: set[int] = set()
        for value in values:
            found |= self.rows_of.get((facet, value), set())
        return found


class SqliteDirectory(SqliteFile):
    """:class:`~shared.store.directory_base.DirectoryStore` on one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, SCHEMA)
        self._view = _View()
        self._changes = -1

    async def close(self) -> None:
        self.close_sync()

    # -- writing -------------------------------------------------------------------------

    async def apply(self, messages: Sequence[DirectoryMessage]) -> list[Outcome]:
        outcomes: list[Outcome] = self._write(
            lambda conn: [self._apply_one(conn, m) for m in messages])
        return outcomes

    def _apply_one(self, conn: sqlite3.Connection, msg: DirectoryMessage) -> Outcome:
        row = conn.execute("SELECT rowid, seq FROM assoc WHERE aid = ?", (msg.aid,)).fetchone()
        if row is not None and row[1] >= msg.seq:
            return Outcome.STALE
        if row is not None:
            conn.execute("DELETE FROM assoc_tags WHERE rid = ?", (row[0],))
            conn.execute("DELETE FROM assoc_fts WHERE rowid = ?", (row[0],))
        if msg.doc is None:
            conn.execute("INSERT OR REPLACE INTO assoc(rowid, aid, seq, deleted) "
                         "VALUES (?, ?, ?, 1)", (row[0] if row else None, msg.aid, msg.seq))
            return Outcome.RETRACTED
        doc = complete(msg.doc)
        cur = conn.execute(
            "INSERT OR REPLACE INTO assoc(rowid, aid, seq, deleted, name_key, data) "
            "VALUES (?, ?, ?, 0, ?, ?)",
            (row[0] if row else None, msg.aid, msg.seq, doc["name_key"],
             json.dumps(public_doc(doc), ensure_ascii=False)))
        rid = row[0] if row else cur.lastrowid
        tags = [(f, v, rid) for f, values in facet_values(doc).items() for v in set(values)]
        tags += [(ORGANIZER, k, rid) for k in doc["organizer_keys"]]
        conn.executemany("INSERT OR IGNORE INTO assoc_tags VALUES (?, ?, ?)", tags)
        conn.execute("INSERT INTO assoc_fts(rowid, names, body) VALUES (?, ?, ?)",
                     (rid, *fts_columns(doc)))
        return Outcome.APPLIED

    async def reset(self) -> None:
        def empty(conn: sqlite3.Connection) -> None:
            for table in ("assoc", "assoc_tags", "assoc_fts"):
                conn.execute(f"DELETE FROM {table}")

        self._write(empty)

    # -- reading -------------------------------------------------------------------------

    def view(self) -> _View:
        conn = self._conn()
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        total = conn.total_changes  # this connection's own writes leave data_version alone
        if (version, total) != (self._view.version, self._changes):
            self._view = _View.load(conn, version)
            self._changes = total
        return self._view

    async def get(self, aid: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT data FROM assoc WHERE aid = ? AND deleted = 0",
                                   (aid,)).fetchone()
        return dict(json.loads(row[0])) if row else None

    async def count(self) -> int:
        return len(self.view().order)

    async def search(self, query: DirectoryQuery) -> SearchPage:
        offset = decode_offset(query.cursor) if query.cursor else 0
        view = self.view()
        ranked: list[int] | None = None
        chosen: set[int] | None = None
        if query.q:
            match = fts_expression(query.q, index_text)
            if match is None:
                ranked = []
            else:
                ranked = [r for (r,) in self._conn().execute(
                    "SELECT rowid FROM assoc_fts WHERE assoc_fts MATCH ? "
                    f"ORDER BY bm25(assoc_fts, {WEIGHTS[0]}, {WEIGHTS[1]}), rowid", (match,))]
                ranked = [r for r in ranked if r in view.position]
            chosen = set(ranked)
        for facet, values in (("theme", query.themes), ("rna_theme", query.rna_themes),
                              ("quartier", query.quartiers), ("commune", query.communes),
                              ("tool", query.tools), ("state", query.states)):
            if values:
                rows = view.rows(facet, values)
                chosen = rows if chosen is None else chosen & rows
        with_events = (view.rows(ORGANIZER, query.organizers_with_events)
                       if query.organizers_with_events is not None else None)
        if query.has_events is not None and with_events is not None:
            if query.has_events:
                chosen = with_events & (chosen if chosen is not None else set(view.position))
            else:
                chosen = (chosen if chosen is not None else set(view.position)) - with_events
        if chosen is None:
            ordered = view.order
        elif ranked is not None:
            ordered = [r for r in ranked if r in chosen]
        else:
            ordered = sorted(chosen, key=view.position.__getitem__)
        window = ordered[offset:offset + query.limit]
        page = SearchPage(total=len(ordered), items=self._docs(window))
        if offset + query.limit < len(ordered) and offset + query.limit <= MAX_OFFSET:
            page.next = encode_offset(offset + query.limit)
        if query.facets:
            page.facets = self._facets(view, None if chosen is None else ordered, with_events)
        return page

    def _docs(self, rowids: list[int]) -> list[dict[str, Any]]:
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        found = {r: d for r, d in self._conn().execute(
            f"SELECT rowid, data FROM assoc WHERE rowid IN ({marks})", rowids)}
        return [json.loads(found[r]) for r in rowids if r in found]

    @staticmethod
    def _facets(view: _View, rows: list[int] | None,
                with_events: set[int] | None) -> dict[str, list[dict[str, Any]]]:
        if rows is None:  # the whole directory: counted once per version
            counts = view.all_counts
            total = len(view.order)
        else:
            counts = Counter()
            for rid in rows:
                counts.update(view.tags_of.get(rid, ()))
            total = len(rows)
        by_facet: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for (facet, value), n in counts.items():
            by_facet[facet][value] = n
        if with_events is not None:
            having = len(with_events) if rows is None else sum(1 for r in rows
                                                                 if r in with_events)
            by_facet["has_events"] = {"true": having, "false": total - having}
        return shape_facets(by_facet)
