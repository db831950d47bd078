"""The SQLite store's layout: what a batch appends, and a file of an older layout."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.model import Event, EventMessage, Occurrence
from shared.store.base import SearchQuery
from shared.store.sqlite import LAYOUT_VERSION, SqliteStore

NOW = datetime.now(UTC).replace(microsecond=0)


def event(i: int, days: int) -> Event:
    return Event.create(source_id=f"s{i}", source_uid=f"u{i}", title=f"Atelier sujet{i}",
                        occurrences=(Occurrence(NOW + timedelta(days=days)),),
                        keywords=(f"mot{i}",))


def test_a_batch_appends_its_bodies_whatever_their_dates(tmp_path: Path) -> None:
    """Bodies, tags and text are keyed by insertion order: a later batch's documents get
    body ids above every stored one, even when their dates come before every stored date
    (keyed by date, each batch rewrote pages all over the table)."""
    store = SqliteStore(tmp_path / "s.sqlite")
    store.apply_sync([EventMessage.upsert(event(i, 300 - i), 1) for i in range(20)])
    store.apply_sync([EventMessage.upsert(event(100 + i, 1 + i), 1) for i in range(20)])
    conn = store._conn()
    rows = conn.execute("SELECT d.start_ts, d.body_id, b.doc_rowid = d.rowid FROM docs d"
                        " JOIN docs_body b ON b.rowid = d.body_id ORDER BY d.rowid").fetchall()
    assert len(rows) == 40 and all(same for _s, _b, same in rows)
    first = max(body for start, body, _ in rows if start > (NOW + timedelta(days=200)).timestamp())
    assert all(body > first for start, body, _ in rows
               if start < (NOW + timedelta(days=100)).timestamp())
    tags = conn.execute("SELECT value FROM doc_tags t JOIN docs d ON d.rowid = t.doc_rowid"
                        " WHERE t.facet = 'keywords' AND d.id = (SELECT id FROM docs"
                        " ORDER BY rowid LIMIT 1)").fetchall()
    assert tags == [("mot100",)]
    assert store.search_sync(SearchQuery(q="sujet7", limit=5)).total == 1


OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('generation', 3), ('max_span', 0), ('log_from', 0);
CREATE TABLE changes (gen INTEGER NOT NULL, doc_rowid INTEGER NOT NULL,
                      added INTEGER NOT NULL, tags TEXT);
CREATE TABLE events (event_id TEXT PRIMARY KEY, source_id TEXT NOT NULL,
                     version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, data TEXT);
CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, event_id TEXT NOT NULL,
                   start_ts INTEGER NOT NULL, end_ts INTEGER NOT NULL, status TEXT NOT NULL,
                   quartier TEXT, commune TEXT, organizer TEXT, source_id TEXT NOT NULL,
                   is_free INTEGER, lat REAL, lon REAL);
CREATE TABLE docs_body (rowid INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE doc_tags (facet TEXT NOT NULL, value TEXT NOT NULL, doc_rowid INTEGER NOT NULL,
                       PRIMARY KEY (facet, value, doc_rowid)) WITHOUT ROWID;
CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, place, tags);
PRAGMA user_version = 3;
"""


def test_a_file_of_the_previous_layout_is_rebuilt_from_its_events(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "index.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    events = [event(i, 2 + i) for i in range(5)]
    conn.executemany("INSERT INTO events VALUES (?, ?, 1, 0, ?)",
                     [(e.id, e.source_id, json.dumps(e.to_dict())) for e in events])
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING, logger="shared.store.sqlite"):
        store = SqliteStore(path)
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: index layout 3, this code writes {LAYOUT_VERSION}: rebuilding the index"
        " from its stored events"]
    page = store.search_sync(SearchQuery(q="sujet3", start=NOW, limit=5))
    assert [item["event_id"] for item in page.items] == [events[3].id]
    assert store.count_sync() == 5
    caplog.clear()
    SqliteStore(path)  # opened again: nothing to rebuild
    assert caplog.records == []
