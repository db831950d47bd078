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
                        " JOIN docs_words b ON b.rowid = d.body_id ORDER BY d.rowid").fetchall()
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


def test_packed_tags_are_the_documents_tags() -> None:
    from shared.model import Location, ThemeTag
    from shared.store.dedup_merge import merge
    from shared.store.sqlite_docs import doc_tags, event_docs, pack_tags, unpack_tags

    full = Event.create(
        source_id="s1", source_uid="u", title="Bal", occurrences=(Occurrence(NOW),),
        keywords=("bal", "folk", "bal"), themes=(ThemeTag("danse", "r"),),
        accessibility=("hi", "vi"), audience=("familles",), organizer="Asso",
        location=Location(name="Salle", quartier="Centre", commune="Rennes"))
    twin = full.with_(id=full.id + "t", source_id="s2", organizer=None, keywords=("gavotte",))
    bare = Event.create(source_id="s3", source_uid="v", title="Rien",
                        occurrences=(Occurrence(NOW),))
    docs = [*event_docs(full), *event_docs(bare),
            merge([*event_docs(full), *event_docs(twin)])]
    for doc in docs:
        assert sorted(unpack_tags([(7, pack_tags(doc))])) == sorted(
            (facet, value, 7) for facet, value in doc_tags(doc))


def test_reclustering_scores_each_pair_once(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows and ``match`` are symmetric: the walk scored each pair from both ends."""
    from shared.store import dedup

    scored: list[frozenset[str]] = []
    real = dedup.match

    def counting(a: dedup.Features, b: dedup.Features) -> float | None:
        scored.append(frozenset((a.id, b.id)))
        return real(a, b)

    monkeypatch.setattr(dedup, "match", counting)
    store = SqliteStore(tmp_path / "s.sqlite")
    events = [event(i, 3) for i in range(6)]
    twins = [e.with_(id=e.id + "t", source_id="other", source_uid=e.source_uid + "t")
             for e in events]
    store.apply_sync([EventMessage.upsert(e, 1) for e in events])
    scored.clear()
    store.apply_sync([EventMessage.upsert(e, 1) for e in twins])
    assert scored and len(scored) == len(set(scored))
    assert store.count_sync() == 6  # each twin joined its event
