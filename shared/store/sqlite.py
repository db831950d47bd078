"""The embedded search store: SQLite with FTS5, in WAL mode, written by one writer.

Layout
    ``events``    one row per source event: its highest version seen, a tombstone flag, its JSON.
    ``docs``      one row per occurrence document. Its ``rowid`` is chronological
                  (``start << 24 | hash``) so date ranges and date order are rowid ranges, which
                  FTS5 can push down into its own rowid order (see ../shared/TIPS.md).
    ``doc_tags``  multi-valued facets (theme, keyword, accessibility, audience, source).
    ``docs_fts``  FTS5 over accent-folded, French-stemmed text (title, body, place, tags).

Readers open their own connection (WAL lets them read while the single writer commits).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from shared.model import Event, EventMessage, Kind
from shared.store.base import Outcome, SearchPage, SearchQuery, Sort, occurrence_docs
from shared.store.sqlite_query import build_search
from shared.text import stems

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT
);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    status TEXT NOT NULL,
    quartier TEXT,
    commune TEXT,
    organizer TEXT,
    source_id TEXT NOT NULL,
    is_free INTEGER,
    lat REAL,
    lon REAL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_event ON docs(event_id);
CREATE INDEX IF NOT EXISTS docs_end ON docs(end_ts);
CREATE TABLE IF NOT EXISTS doc_tags (
    facet TEXT NOT NULL,
    value TEXT NOT NULL,
    doc_rowid INTEGER NOT NULL,
    PRIMARY KEY (facet, value, doc_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_tags_row ON doc_tags(doc_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    title, body, place, tags, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
"""

TAG_FACETS = ("themes", "keywords", "accessibility", "audience")
HASH_BITS = 24


def index_text(text: str | None) -> str:
    """Accent-folded French stems, as indexed and as queried."""
    return " ".join(stems(text or ""))


def doc_rowid(doc: dict[str, Any], probe: int = 0) -> int:
    digest = int.from_bytes(hashlib.blake2b(doc["id"].encode(), digest_size=4).digest(), "big")
    low = (digest + probe) & ((1 << HASH_BITS) - 1)
    return (max(doc["start_ts"], 0) << HASH_BITS) | low


def encode_cursor(values: Iterable[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        values = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("malformed cursor") from exc
    if not isinstance(values, list):
        raise ValueError("malformed cursor")
    return values


class SqliteStore:
    """:class:`~shared.store.base.SearchStore` on one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._max_span: int | None = None
        conn = self._conn()
        conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA cache_size=-65536")
            self._local.conn = conn
        return conn

    # -- writing -------------------------------------------------------------------------

    async def apply(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        return self.apply_sync(messages)

    def apply_sync(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        """Apply a batch in one transaction; returns one outcome per message."""
        conn = self._conn()
        outcomes: list[Outcome] = []
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for msg in messages:
                    outcomes.append(self._apply_one(conn, msg))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._max_span = None
        return outcomes

    def _apply_one(self, conn: sqlite3.Connection, msg: EventMessage) -> Outcome:
        row = conn.execute(
            "SELECT version FROM events WHERE event_id = ?", (msg.event_id,)
        ).fetchone()
        if row is not None and row[0] >= msg.version:
            return Outcome.STALE
        self._delete_docs(conn, msg.event_id)
        if msg.kind == Kind.RETRACT or msg.event is None:
            conn.execute(
                "INSERT OR REPLACE INTO events(event_id, source_id, version, deleted, data) "
                "VALUES (?, ?, ?, 1, NULL)",
                (msg.event_id, msg.source_id, msg.version),
            )
            return Outcome.RETRACTED
        event = msg.event
        conn.execute(
            "INSERT OR REPLACE INTO events(event_id, source_id, version, deleted, data) "
            "VALUES (?, ?, ?, 0, ?)",
            (event.id, event.source_id, msg.version, json.dumps(event.to_dict())),
        )
        self._insert_docs(conn, event)
        return Outcome.APPLIED

    def _delete_docs(self, conn: sqlite3.Connection, ev_id: str) -> None:
        rowids = [r[0] for r in conn.execute("SELECT rowid FROM docs WHERE event_id = ?", (ev_id,))]
        for rowid in rowids:
            conn.execute("DELETE FROM docs_fts WHERE rowid = ?", (rowid,))
            conn.execute("DELETE FROM doc_tags WHERE doc_rowid = ?", (rowid,))
        conn.execute("DELETE FROM docs WHERE event_id = ?", (ev_id,))

    def _insert_docs(self, conn: sqlite3.Connection, event: Event) -> None:
        for doc in occurrence_docs(event):
            self._insert_doc(conn, doc)

    def _insert_doc(self, conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
        loc = doc.get("location") or {}
        probe = 0
        while True:
            rowid = doc_rowid(doc, probe)
            try:
                conn.execute(
                    "INSERT INTO docs(rowid, id, event_id, start_ts, end_ts, status, quartier,"
                    " commune, organizer, source_id, is_free, lat, lon, doc)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        rowid, doc["id"], doc["event_id"], doc["start_ts"], doc["end_ts"],
                        doc["status"], loc.get("quartier"), loc.get("commune"),
                        doc.get("organizer"), doc["source_id"],
                        None if doc.get("is_free") is None else int(doc["is_free"]),
                        loc.get("lat"), loc.get("lon"), json.dumps(doc, ensure_ascii=False),
                    ),
                )
                break
            except sqlite3.IntegrityError:
                if conn.execute("SELECT 1 FROM docs WHERE id = ?", (doc["id"],)).fetchone():
                    return  # the same occurrence listed twice by its event
                probe += 1
        tags = [(facet, str(v), rowid) for facet in TAG_FACETS for v in doc.get(facet) or ()]
        tags += [("sources", s["source_id"], rowid) for s in doc.get("sources", ())]
        conn.executemany("INSERT OR IGNORE INTO doc_tags VALUES (?, ?, ?)", tags)
        conn.execute(
            "INSERT INTO docs_fts(rowid, title, body, place, tags) VALUES (?, ?, ?, ?, ?)",
            (
                rowid,
                index_text(doc.get("title")),
                index_text(doc.get("description_text") or doc.get("description")),
                index_text(" ".join(str(v) for v in loc.values() if isinstance(v, str))),
                index_text(" ".join([*doc.get("keywords", ()), *doc.get("categories", ()),
                                     doc.get("organizer") or ""])),
            ),
        )

    async def reset(self) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.executescript(
                "DELETE FROM docs_fts; DELETE FROM doc_tags; DELETE FROM docs; DELETE FROM events;"
            )

    # -- reading -------------------------------------------------------------------------

    def max_span(self) -> int:
        """The longest occurrence, in seconds: how far back an ongoing event can start."""
        if self._max_span is None:
            row = self._conn().execute("SELECT MAX(end_ts - start_ts) FROM docs").fetchone()
            self._max_span = int(row[0] or 0)
        return self._max_span

    async def search(self, query: SearchQuery) -> SearchPage:
        return self.search_sync(query)

    def search_sync(self, query: SearchQuery) -> SearchPage:
        conn = self._conn()
        plan = build_search(query, self.max_span(), index_text)
        rows = conn.execute(plan.sql, plan.params_all).fetchall()
        total = conn.execute(plan.count_sql, plan.count_params).fetchone()[0]
        items = [json.loads(r[0]) for r in rows[: query.limit]]
        next_cursor = None
        if len(rows) > query.limit:
            last = rows[query.limit - 1]
            next_cursor = encode_cursor(last[1:])
        page = SearchPage(total=total, items=items, next=next_cursor)
        if query.sort == Sort.RELEVANCE and query.q:
            for item, row in zip(items, rows, strict=False):
                item["score"] = -row[1]
        return page

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT doc FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    async def event_docs(self, event_id: str) -> list[dict[str, Any]]:
        rows = self._conn().execute(
            "SELECT doc FROM docs WHERE event_id = ? ORDER BY rowid", (event_id,)
        )
        return [json.loads(r[0]) for r in rows]

    async def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    async def event_count(self) -> int:
        row = self._conn().execute("SELECT COUNT(*) FROM events WHERE deleted = 0").fetchone()
        return int(row[0])

    async def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
