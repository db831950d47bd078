"""The SQLite write path on what its fast JSON encoder and decoder refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.model import Event, EventMessage, Occurrence
from shared.store.base import Outcome, SearchQuery
from shared.store.sqlite import SqliteStore


def test_an_integer_over_64_bits_in_extra_is_stored_and_read_back(tmp_path: Path) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    event = Event.create(source_id="s", source_uid="u", title="Concert",
                         occurrences=(Occurrence(start),), extra={"ticket": 2**70})
    message = EventMessage.upsert(event, 1)
    decoded = EventMessage.from_json(message.to_json())  # orjson refuses it: json reads it
    assert decoded == message
    store = SqliteStore(tmp_path / "s.sqlite")
    assert store.apply_sync([decoded]) == [Outcome.APPLIED]
    page = store.search_sync(SearchQuery(limit=5))
    assert page.items[0]["extra"] == {"ticket": 2**70}


def test_a_batch_writes_its_documents_in_rowid_order(tmp_path: Path) -> None:
    """FTS5 starts a new segment whenever a rowid is not above the previous one: a batch
    whose documents came in any other order than their dates made one segment per
    document (four times the FTS time of the batch)."""
    now = datetime.now(UTC)
    events = [Event.create(source_id=f"s{i}", source_uid=f"u{i}", title=f"Atelier {i}",
                           occurrences=(Occurrence(now + timedelta(days=40 - 3 * i)),))
              for i in range(10)]
    store = SqliteStore(tmp_path / "s.sqlite")
    conn = store._conn()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    store.apply_sync([EventMessage.upsert(e, 1) for e in events])
    conn.set_trace_callback(None)
    for table in ("docs_fts", "docs_body", "docs"):
        rowids = [int(s.split("VALUES (")[1].split(",")[0]) for s in statements
                  if s.startswith(f"INSERT INTO {table}(") or s.startswith(f"INSERT INTO {table} ")]
        assert len(rowids) == 10, table
        assert rowids == sorted(rowids), table


def test_documents_whose_rowids_collide_are_all_stored(tmp_path: Path, monkeypatch) -> None:
    """A batch inserts its ``docs`` rows at once; a taken rowid (in the store or in the
    batch itself) sends it back to inserting them one by one, probing past the collision."""
    from shared.store import sqlite_docs

    def colliding(doc: dict, probe: int = 0) -> int:
        return (int(doc["start_ts"]) << sqlite_docs.HASH_BITS) | probe

    monkeypatch.setattr(sqlite_docs, "doc_rowid", colliding)
    start = datetime.now(UTC) + timedelta(days=2)
    events = [Event.create(source_id=f"s{i}", source_uid="u", title=f"Sujet{i} différent",
                           occurrences=(Occurrence(start),)) for i in range(4)]
    store = SqliteStore(tmp_path / "s.sqlite")
    store.apply_sync([EventMessage.upsert(e, 1) for e in events[:1]])
    store.apply_sync([EventMessage.upsert(e, 1) for e in events[1:]])
    page = store.search_sync(SearchQuery(limit=10))
    assert sorted(item["title"] for item in page.items) == [e.title for e in events]
    rowids = [r[0] for r in store._conn().execute("SELECT rowid FROM docs ORDER BY rowid")]
    assert rowids == [(int(start.timestamp()) << sqlite_docs.HASH_BITS) | p for p in range(4)]
