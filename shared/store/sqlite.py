"""The embedded search store: SQLite with FTS5, in WAL mode, written by one writer.

Layout
    ``events``    one row per source event: its highest version seen, a tombstone flag, its JSON.
    ``members``   one row per occurrence document of a source event, with its dedup features and
                  the id of the cluster it belongs to (:mod:`shared.store.dedup`).
    ``docs``      one *canonical* document per cluster, the documents searches return (narrow:
                  filter columns only, so scans and counts stay in few pages). Its
                  ``rowid`` is chronological (``start << 24 | hash``) so date ranges and date order
                  are rowid ranges, which FTS5 can push down into its own rowid order.
    ``docs_body`` the JSON of a canonical document, and ``docs_words`` its tags packed in one
                  JSON object and its FTS text, both keyed by insertion order
                  (``docs.body_id``), so that a batch appends instead of rewriting a page of
                  every date it touches (apart, so that the bitmap index reads the words
                  without the JSON's pages).
    ``doc_tags``  a view of the packed tags, one row per ``(facet, value, doc_rowid)``:
                  multi-valued facets (theme, keyword, accessibility, audience, source) and the
                  facet columns (quartier, commune, organizer, place). Searches filter and
                  count with the bitmap index, which reads the packed tags.
    ``docs_fts``  FTS5 over accent-folded, French-stemmed text (title, body, place, tags), its
                  content external: the text of ``docs_words`` (view ``docs_text``).
    ``docs_geo``  R*Tree of the documents' coordinates (bbox and radius filters).
    ``meta``      ``generation``, bumped by every write: the key of the read caches (counts,
                  facets, terms), valid across processes; ``max_span``, an upper bound of the
                  longest occurrence (kept by the writer); ``log_from`` (see ``changes``).
    ``changes``   the canonical documents each write generation added or removed, so that a
                  reader's in-memory index follows writes by reading only what they touched
                  (:mod:`shared.store.sqlite_sets`).

Searches take their page (order, cursor, snippets) from SQL and their total and facet counts
from an in-memory bitmap index of the documents (:mod:`shared.store.sqlite_bitmaps`), built
when the store is first searched and then kept current from ``changes``.

Writes are in :mod:`shared.store.sqlite_write` and :mod:`shared.store.sqlite_docs`, query
translation in
:mod:`shared.store.sqlite_query`, related/terms/suggest in :mod:`shared.store.sqlite_reads`.
Readers open their own connection (WAL lets them read while the single writer commits).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from shared.memory import release_memory
from shared.model import EventMessage
from shared.store import sqlite_rank, sqlite_reads, sqlite_sets
from shared.store import suggest as suggestions
from shared.store.base import Outcome, SearchPage, SearchQuery, Sort
from shared.store.parsed import ParsedDocuments
from shared.store.snippets import highlight
from shared.store.sqlite_bitmaps import BitmapIndex
from shared.store.sqlite_docs import HASH_BITS, doc_rowid, index_text
from shared.store.sqlite_open import connect_wal
from shared.store.sqlite_query import BODY, build_search
from shared.store.sqlite_write import BatchWriter

__all__ = ["SqliteStore", "decode_cursor", "doc_rowid", "encode_cursor", "index_text"]

log = logging.getLogger(__name__)

#: 4: the JSON of a document (``docs_body``) and its packed tags and FTS text (``docs_words``)
#: keyed by insertion order (``docs.body_id``); ``doc_tags`` a view; the FTS table's content
#: external.
LAYOUT_VERSION = 4
DERIVED = ("docs_fts", "docs_geo", "docs_words", "docs_body", "docs", "members", "changes")
#: Views of the derived tables, and tables of older layouts, dropped when the layout changes.
DERIVED_VIEWS = ("doc_tags", "docs_text")
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
INSERT OR IGNORE INTO meta VALUES ('max_span', 0);
INSERT OR IGNORE INTO meta VALUES ('log_from', 0);
CREATE TABLE IF NOT EXISTS changes (
    gen INTEGER NOT NULL,
    doc_rowid INTEGER NOT NULL,
    added INTEGER NOT NULL,
    tags TEXT
);
CREATE INDEX IF NOT EXISTS changes_gen ON changes(gen);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT
);
CREATE TABLE IF NOT EXISTS members (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    start_ts INTEGER NOT NULL,
    day INTEGER NOT NULL,
    all_day INTEGER NOT NULL,
    cluster_id TEXT,
    feat TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS members_event ON members(event_id);
DROP INDEX IF EXISTS members_start;
CREATE INDEX IF NOT EXISTS members_window ON members(start_ts);
CREATE INDEX IF NOT EXISTS members_day ON members(day, all_day);
CREATE INDEX IF NOT EXISTS members_cluster ON members(cluster_id);
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
    body_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS docs_body (rowid INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs_words (
    rowid INTEGER PRIMARY KEY,
    doc_rowid INTEGER NOT NULL,
    tags TEXT NOT NULL,
    title TEXT NOT NULL,
    words TEXT NOT NULL,
    place TEXT NOT NULL,
    labels TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_end ON docs(end_ts);
CREATE VIEW IF NOT EXISTS doc_tags(facet, value, doc_rowid) AS
    SELECT f.key, v.value, b.doc_rowid
    FROM docs_words b, json_each(b.tags) f, json_each(f.value) v;
CREATE VIEW IF NOT EXISTS docs_text(doc_rowid, title, body, place, tags) AS
    SELECT d.rowid, b.title, b.words, b.place, b.labels
    FROM docs d JOIN docs_words b ON b.rowid = d.body_id;
CREATE VIRTUAL TABLE IF NOT EXISTS docs_geo USING rtree(id, min_lat, max_lat, min_lon, max_lon);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    title, body, place, tags, content = 'docs_text', content_rowid = 'doc_rowid',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
"""
#: Read-cache entries (facets of a filtered set, vocabularies...): the facets of one search
#: weigh ~40 KB, so 256 of them held 10 MB in each query worker for a small hit rate.
CACHE_SIZE = 64
#: ``warm()`` calls (one a second in the query service) between two memory releases.
TRIM_EVERY = 10
WAL_CHECKPOINT_PAGES = 16384


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

    def __init__(self, path: Path | str, cache_mb: int = 64, *,
                 background_rebuilds: bool = False) -> None:
        self.path = str(path)
        self.cache_mb = cache_mb
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._parsed = ParsedDocuments()  # see shared.store.parsed
        self._cache_lock = threading.Lock()
        self.bitmaps = BitmapIndex()
        self.background_rebuilds(background_rebuilds)
        self._warm_calls = 0
        self._writer: ThreadPoolExecutor | None = None  # see apply()
        self._migrate(self._conn())

    def background_rebuilds(self, enabled: bool) -> None:
        """Whether a full rebuild of the bitmap index (when the change log no longer reaches
        back, or stale slots outnumber live ones) runs in a thread while searches are
        answered from the index as it was (the query service), or blocks (the default: one
        consistent answer; what a process about to fork needs)."""
        self.bitmaps.connect = self._connect if enabled else None

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _connect(self) -> sqlite3.Connection:
        """A new connection with the store's settings."""
        conn = connect_wal(self.path)
        conn.execute(f"PRAGMA cache_size=-{int(self.cache_mb) * 1024}")
        conn.execute("PRAGMA temp_store=MEMORY")
        # checkpoint every ~64 MB of WAL rather than 4 MB: a batch writes thousands of
        # pages, and each checkpoint syncs the database file (halves the commit cost)
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Create the schema; an older layout is rebuilt from the stored events."""
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                has_events = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone()
                has_log = version >= LAYOUT_VERSION and conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'changes'").fetchone()
                if version < LAYOUT_VERSION:
                    if has_events:
                        log.warning("%s: index layout %d, this code writes %d: rebuilding the"
                                    " index from its stored events", self.path, version,
                                    LAYOUT_VERSION)
                    for name in DERIVED_VIEWS:
                        kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?",
                                            (name,)).fetchone()
                        if kind is not None:
                            conn.execute(f"DROP {kind[0].upper()} {name}")
                    for table in DERIVED:
                        conn.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in SCHEMA.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                if version < LAYOUT_VERSION and has_events:
                    rows = conn.execute("SELECT data FROM events WHERE deleted = 0")
                    BatchWriter(conn).replay(json.loads(r[0]) for r in rows.fetchall())
                if not has_log:  # a store from before the change log: start it now
                    conn.execute("DELETE FROM changes")
                    conn.execute("UPDATE meta SET value = (SELECT value FROM meta WHERE key ="
                                 " 'generation') WHERE key = 'log_from'")
                    conn.execute("UPDATE meta SET value = (SELECT COALESCE(MAX(end_ts -"
                                 " start_ts), 0) FROM docs) WHERE key = 'max_span'")
                conn.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- writing -------------------------------------------------------------------------

    async def apply(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        """:meth:`apply_sync` on the store's writer thread: SQLite works without the GIL
        (half of a batch's time, the FTS index at commit), so the event loop goes on
        (the indexer fetches and enriches its next batch meanwhile)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        return await asyncio.get_running_loop().run_in_executor(
            self._writer, self.apply_sync, messages)

    def apply_sync(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        """Apply a batch in one transaction; returns one outcome per message."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                gen = conn.execute(
                    "SELECT value FROM meta WHERE key = 'generation'").fetchone()[0] + 1
                outcomes = BatchWriter(conn, gen).apply(messages)
                conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (gen,))
                sqlite_sets.prune(conn, gen)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self.bitmaps.written = True
        return outcomes

    async def reset(self) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            # the FTS index's content is external: emptied with 'delete-all', not row by row
            conn.execute("INSERT INTO docs_fts(docs_fts) VALUES ('delete-all')")
            for table in (*DERIVED, "events"):
                if table != "docs_fts":
                    conn.execute(f"DELETE FROM {table}")
            conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            conn.execute("UPDATE meta SET value = (SELECT value FROM meta WHERE key ="
                         " 'generation') WHERE key = 'log_from'")
            conn.execute("UPDATE meta SET value = 0 WHERE key = 'max_span'")
            conn.execute("COMMIT")
            self.bitmaps.written = True

    # -- caches --------------------------------------------------------------------------

    def generation(self) -> int:
        return int(self._conn().execute(
            "SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    def cached(self, key: Any, compute: Any, gen: int | None = None) -> Any:
        """``compute()`` memoized for the current write generation (``gen`` when the caller
        has just read it)."""
        full = (self.generation() if gen is None else gen, key)
        with self._cache_lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]
        value = compute()
        with self._cache_lock:
            self._cache[full] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def max_span(self, gen: int | None = None) -> int:
        """The longest occurrence, in seconds: how far back an ongoing event can start."""
        def compute() -> int:
            # kept by the writer: an upper bound (deletions do not lower it), which is all
            # the rowid range of a start filter needs
            row = self._conn().execute(
                "SELECT value FROM meta WHERE key = 'max_span'").fetchone()
            return int(row[0] or 0)
        return int(self.cached("max_span", compute, gen))

    def _set_key(self, query: SearchQuery, gen: int | None = None) -> Any:
        """A cache key for the *set* a query filters: two starts that no document ends between
        (two ends that no document starts between) select the same set. The bounds are read
        once per second and generation (``gen`` when the caller has just read it): the
        default start is now, the same second for many searches."""
        conn = self._conn()
        start = end = None
        if query.start is not None:
            second = int(query.start.timestamp())
            start = self.cached(("first end from", second), lambda: conn.execute(
                "SELECT MIN(end_ts) FROM docs WHERE end_ts >= ?", (second,)).fetchone()[0],
                gen)
        if query.end is not None:
            bound = max(int(query.end.timestamp()), 0) << 24
            end = self.cached(("first start from", bound), lambda: conn.execute(
                "SELECT MIN(rowid) FROM docs WHERE rowid >= ?", (bound,)).fetchone()[0], gen)
        plain = replace(query, start=None, end=None, cursor=None, limit=0, sort=Sort.DATE,
                        facets=False)
        return (plain, query.start is None, start, query.end is None, end)

    # -- reading -------------------------------------------------------------------------

    async def search(self, query: SearchQuery) -> SearchPage:
        return self.search_sync(query)

    def search_sync(self, query: SearchQuery) -> SearchPage:
        conn = self._conn()
        gen = self.bitmaps.sync(conn)
        plan = build_search(query, self.max_span(gen), index_text)
        selected = self.bitmaps.select(query, index_text)
        total = len(selected)
        if plan.by_date:
            after = plan.cursor_params[0] if plan.cursor_params else None
            rows = self._bodies(self.bitmaps.by_date(selected, after, query.limit + 1))
        elif plan.ranked:
            rows = self._ranked(query, plan, selected)
        elif query.sort == Sort.DISTANCE and query.near:
            rows = self._nearest(query, plan, selected)
        else:
            rows = conn.execute(plan.sql, plan.params_all).fetchall()
        items = [self._parsed.load(r[0]) for r in rows[: query.limit]]
        next_cursor = None
        if len(rows) > query.limit:
            next_cursor = encode_cursor(rows[query.limit - 1][1:])
        page = SearchPage(total=total, items=items, next=next_cursor)
        if query.sort == Sort.RELEVANCE and query.q:
            for item, row in zip(items, rows, strict=False):
                item["score"] = max(-row[1], 0.0)  # 0 after the ranked window
        if query.q:
            highlight(items, index_text(query.q).split())
        if query.facets:
            set_key = self._set_key(query, gen)
            page.facets = self.cached(
                ("facets", set_key),
                lambda: self.bitmaps.facets(
                    selected, start=int(query.start.timestamp()) if query.start else None,
                    key=set_key), gen)
        return page

    def _ranked(self, query: SearchQuery, plan: Any, selected: Any) -> list[tuple[Any, ...]]:
        """``(body, rank, rowid)`` of the next page in relevance order
        (:mod:`shared.store.sqlite_rank`)."""
        after = (plan.cursor_params[0], plan.cursor_params[2]) if plan.cursor_params else None
        order = sqlite_rank.page(self._conn(), self.bitmaps, selected,
                                 index_text(query.q or "").split(), after, query.limit + 1)
        bodies = dict((r, b) for b, r in self._bodies([r for _, r in order]))
        return [(bodies[r], rank, r) for rank, r in order if r in bodies]

    def _nearest(self, query: SearchQuery, plan: Any, selected: Any) -> list[tuple[Any, ...]]:
        """``(body, squared distance, rowid)`` of the next page in distance order."""
        assert query.near is not None
        after = (plan.cursor_params[0], plan.cursor_params[2]) if plan.cursor_params else None
        order = self.bitmaps.by_distance(selected, query.near, after, query.limit + 1)
        bodies = dict((r, b) for b, r in self._bodies([r for _, r in order]))
        return [(bodies[r], distance, r) for distance, r in order if r in bodies]

    def _bodies(self, rowids: list[int]) -> list[tuple[bytes, int]]:
        """``(body, rowid)`` of documents, in the order of ``rowids``. The JSON is read as
        bytes, what :func:`orjson.loads` parses: as text, SQLite's UTF-8 was decoded to a
        ``str`` and orjson encoded it back (20 bodies: 0.28 ms read and parsed, 0.22 as
        bytes)."""
        if not rowids:
            return []
        found = dict(self._conn().execute(
            "SELECT d.rowid, CAST(b.body AS BLOB) FROM docs d JOIN docs_body b"
            f" ON b.rowid = d.body_id WHERE d.rowid IN ({','.join('?' * len(rowids))})",
            rowids).fetchall())
        return [(found[r], r) for r in rowids if r in found]

    async def get(self, doc_id: str) -> dict[str, Any] | None:
        """The canonical document ``doc_id``, or the one that holds member ``doc_id``."""
        conn = self._conn()
        row = conn.execute(f"SELECT {BODY} FROM docs d WHERE d.id = ?", (doc_id,)).fetchone()
        if row is None:
            row = conn.execute(
                f"SELECT {BODY} FROM members m JOIN docs d ON d.id = m.cluster_id WHERE m.id = ?",
                (doc_id,),
            ).fetchone()
        return orjson.loads(row[0]) if row else None

    async def event_docs(self, event_id: str) -> list[dict[str, Any]]:
        """Canonical documents holding an occurrence of ``event_id``, in date order."""
        rows = self._conn().execute(
            f"SELECT {BODY} FROM docs d WHERE d.id IN"
            " (SELECT cluster_id FROM members WHERE event_id = ?) ORDER BY d.rowid",
            (event_id,),
        )
        return [orjson.loads(r[0]) for r in rows]

    async def count(self) -> int:
        return self.count_sync()

    def count_sync(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    async def event_count(self) -> int:
        row = self._conn().execute("SELECT COUNT(*) FROM events WHERE deleted = 0").fetchone()
        return int(row[0])

    async def related(self, doc: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
        """Upcoming documents of other events sharing a theme or keyword with ``doc``, in its
        quartier (when it has one) and within ± 14 days of it; best first (shared themes count
        twice, keywords once), then closest in time."""
        if not doc.get("themes") and not doc.get("keywords"):
            return []
        conn = self._conn()
        self.bitmaps.sync(conn)
        start = int(doc["start_ts"])
        near = self.bitmaps.between(
            max(start - sqlite_reads.RELATED_PERIOD_S, 0) << HASH_BITS,
            (start + sqlite_reads.RELATED_PERIOD_S + 1) << HASH_BITS)
        quartier = (doc.get("location") or {}).get("quartier")
        near &= self.bitmaps.select(SearchQuery(start=datetime.now(UTC),
                                                quartiers=(quartier,) if quartier else ()),
                                    index_text)
        events = sorted({s["event_id"] for s in doc.get("sources") or ()} | {doc["event_id"]})
        exclude = [r for (r,) in conn.execute(
            f"SELECT d.rowid FROM docs d WHERE d.id = ? OR d.id IN (SELECT cluster_id FROM"
            f" members WHERE event_id IN ({','.join('?' * len(events))}))",
            [doc["id"], *events])]
        rowids = self.bitmaps.related(doc, near, exclude, limit)
        return [self._parsed.load(body) for body, _ in self._bodies(rowids)]

    async def terms(
        self, facet: str, *, start: datetime | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        tag = sqlite_reads.TERM_FACETS.get(facet)
        if tag is None:
            raise ValueError(f"unknown facet {facet!r}")
        moment = start or datetime.now(UTC)
        conn = self._conn()
        self.bitmaps.sync(conn)

        def compute() -> list[dict[str, Any]]:
            upcoming = self.bitmaps.select(SearchQuery(start=moment), index_text)
            rows = self.bitmaps.facet_rows(upcoming, {tag: limit},
                                           start=int(moment.timestamp()))
            rows.sort(key=lambda r: (-r[2], r[1]))
            return [{"value": v, "count": n} for _f, v, n in rows[:limit]]

        key = ("terms", tag, self._set_key(SearchQuery(start=moment)), limit)
        result: list[dict[str, Any]] = self.cached(key, compute)
        return result

    async def suggest(self, prefix: str, limit: int = 8) -> list[dict[str, Any]]:
        """Completions of ``prefix``: keywords, organizers and places of upcoming documents
        whose text (or one of its words) starts with it, most used first, then titles of
        upcoming documents whose words start as the prefix's words do."""
        conn = self._conn()
        gen = self.bitmaps.sync(conn)
        now = datetime.now(UTC)
        upcoming = self.bitmaps.select(SearchQuery(start=now, include_cancelled=True),
                                       index_text)

        def upcoming_tags() -> list[tuple[str, str, str, int]]:
            every = {facet: 10**9 for facet in sqlite_reads.SUGGEST_KINDS}
            rows = self.bitmaps.facet_rows(upcoming, every, start=int(now.timestamp()))
            rows.sort(key=lambda r: (-r[2], r[1]))
            return sqlite_reads.suggest_rows(rows)

        out = suggestions.suggest_tags(self.cached("suggest_tags", upcoming_tags, gen),
                                        prefix, limit)
        words = index_text(prefix).split()
        if len(out) >= limit or not words or len(suggestions.folded(prefix)) < 2:
            return out
        matching = self.bitmaps.in_titles(words) & upcoming
        rowids = self.bitmaps.by_date(matching, None, sqlite_reads.SUGGEST_TITLES)
        for i in range(0, len(rowids), 4 * limit):  # the soonest first, until enough
            chunk = rowids[i:i + 4 * limit]
            found = dict(conn.execute(
                "SELECT d.rowid, json_extract(b.body, '$.title') FROM docs d JOIN docs_body b"
                f" ON b.rowid = d.body_id WHERE d.rowid IN ({','.join('?' * len(chunk))})",
                chunk).fetchall())
            out = suggestions.add_titles(out, [found[r] for r in chunk if found.get(r)], limit)
            if len(out) >= limit:
                break
        return out

    async def warm(self) -> bool:
        return self.warm_sync()

    def warm_sync(self) -> bool:
        """Build the bitmap index, or follow the writes since the last call; now and then,
        give freed memory back to the system (searches allocate and free large temporary
        arrays; glibc keeps the pages otherwise: +50 MB per worker after 2,000 searches).
        True when the index was built anew (first call, or a rebuild adopted)."""
        builds = self.bitmaps.builds
        self.bitmaps.sync(self._conn())
        self._warm_calls += 1
        if self._warm_calls % TRIM_EVERY == 0:
            release_memory()
        return self.bitmaps.builds != builds

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:  # the writer thread's connection, then the thread
            await asyncio.get_running_loop().run_in_executor(writer, self.close_sync)
            writer.shutdown()
        self.close_sync()

    def close_sync(self) -> None:
        """Close this thread's connection (the next call opens a new one): also what a
        process does before it forks children that will use the store (a SQLite connection
        must not cross a fork)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self.bitmaps.forget_connection()
