"""The write path of :mod:`shared.store.sqlite`: versions, members, dedup clusters, documents.

One batch is one transaction (the caller's). For each message, the event's version decides
(newer wins; a retraction is a tombstone); the event's occurrence documents are its *members*
(table ``members``). After the batch, the dedup clusters around every member that changed are
recomputed (:mod:`shared.store.dedup`) and the canonical documents of the clusters that
changed are rewritten (table ``docs`` and its FTS, tags and R*Tree rows), inside the same
transaction: readers never see a member without its canonical document.

Which clusters can change: a member's matches all start within the dedup window around it, so
the affected part of the match graph is reached by a breadth-first walk from the changed members
and from every member in the windows of the removed ones (their former neighbours).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import orjson

from shared.model import EventMessage, Kind
from shared.store import dedup
from shared.store.base import Outcome
from shared.store.dedup_merge import merge
from shared.store.sqlite_docs import (  # noqa: F401 (re-exported)
    HASH_BITS,
    DocRows,
    delete_doc,
    doc_rowid,
    doc_tags,
    dumps,
    event_dict,
    event_docs,
    index_text,
    insert_doc,
)


@lru_cache(maxsize=16384)
def _stored_features(raw: str) -> dedup.Features:
    """The features of a stored member (immutable, so shared): a window's members are read
    again by every batch that writes near it (65,000 parses for 10,000 events)."""
    return dedup.Features.from_json(orjson.loads(raw))


class BatchWriter:
    """Applies one batch on ``conn`` (inside the caller's transaction).

    Speed: versions are read in one query per batch, event and member rows are written once
    per batch (members before anything reads them back),
    member documents written by the batch stay in memory (no JSON round trip to merge them),
    and the canonical documents' rows are inserted with one ``executemany`` per table.
    """

    def __init__(self, conn: sqlite3.Connection, gen: int = 0) -> None:
        self.conn = conn
        self.gen = gen
        self.windows: list[tuple[int, int, bool]] = []  # (start_ts, day, all_day) of removed
        self.changed: set[str] = set()
        self.prior: dict[str, str | None] = {}  # cluster id of members removed in this batch
        self.feats: dict[str, dedup.Features] = {}
        self.docs: dict[str, dict[str, Any]] = {}  # member documents written by this batch
        self.versions: dict[str, int] = {}
        self.event_rows: dict[str, tuple[Any, ...]] = {}
        self.member_rows: list[tuple[Any, ...]] = []  # written by _flush_members
        self.rows = DocRows(conn, gen)
        self._seen: dict[tuple[int, int, bool], list[dedup.Features]] = {}

    def apply(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        self._load_versions({m.event_id for m in messages})
        outcomes = [self._apply_one(m) for m in messages]
        self._flush_members()
        if self.event_rows:
            self.conn.executemany(
                "INSERT OR REPLACE INTO events(event_id, source_id, version, deleted, data) "
                "VALUES (?, ?, ?, ?, ?)", self.event_rows.values())
        if self.changed or self.prior:
            self._recluster()
        return outcomes

    def replay(self, events: Iterable[dict[str, Any]]) -> None:
        """Rebuild members and documents from stored event JSON (schema migration)."""
        from shared.model import Event

        for data in events:
            self._insert_members(Event.from_dict(data))
        self._flush_members()
        self._recluster()

    def _load_versions(self, ids: set[str]) -> None:
        wanted = list(ids)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            self.versions.update(self.conn.execute(
                "SELECT event_id, version FROM events WHERE event_id IN"
                f" ({','.join('?' * len(chunk))})", chunk))

    def _apply_one(self, msg: EventMessage) -> Outcome:
        conn = self.conn
        stored = self.versions.get(msg.event_id)
        if stored is not None and stored >= msg.version:
            return Outcome.STALE
        if stored is not None:  # only a known event can have members
            self._flush_members()
            old = conn.execute(
                "SELECT id, start_ts, day, all_day, cluster_id FROM members WHERE event_id = ?",
                (msg.event_id,),
            ).fetchall()
            for mid, start_ts, day, all_day, cid in old:
                self.windows.append((start_ts, day, bool(all_day)))
                self.prior.setdefault(mid, cid)
                self.changed.discard(mid)
                self.feats.pop(mid, None)
                self.docs.pop(mid, None)
            if old:
                conn.execute("DELETE FROM members WHERE event_id = ?", (msg.event_id,))
                self._seen.clear()
        self.versions[msg.event_id] = msg.version
        self.event_rows.pop(msg.event_id, None)  # keep the write order of the batch
        if msg.kind == Kind.RETRACT or msg.event is None:
            self.event_rows[msg.event_id] = (msg.event_id, msg.source_id, msg.version, 1, None)
            return Outcome.RETRACTED
        data = event_dict(msg.event)
        self.event_rows[msg.event_id] = (msg.event.id, msg.event.source_id, msg.version, 0,
                                         dumps(data))
        self._insert_members(msg.event, data)
        return Outcome.APPLIED

    def _insert_members(self, event: Any, data: dict[str, Any] | None = None) -> None:
        rows = []
        first: dedup.Features | None = None
        for doc in event_docs(event, data):
            mid = doc["id"]
            if mid in self.docs:  # INSERT OR IGNORE: the first occurrence with this id wins
                continue
            if first is None:
                feat = first = dedup.features(doc)
            else:  # same event: only the dates differ
                start_ts = int(doc["start_ts"])
                feat = dedup.Features(
                    mid, first.source_id, start_ts, dedup.local_day(start_ts),
                    bool(doc.get("all_day")), first.title, first.venue, first.address,
                    first.lat, first.lon, first.precise, first.online, first.url,
                    first.organiser, first.own)
            rows.append((mid, doc["event_id"], doc["start_ts"], feat.day, int(feat.all_day),
                         dumps(feat.to_json()), dumps(doc)))
            self.changed.add(mid)
            self.feats[mid] = feat
            self.docs[mid] = doc
        self.member_rows += rows

    def _flush_members(self) -> None:
        """Insert the members of the batch so far, in one ``executemany``."""
        if self.member_rows:
            self.conn.executemany(
                "INSERT OR IGNORE INTO members(id, event_id, start_ts, day, all_day, cluster_id,"
                " feat, doc) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)", self.member_rows)
            self.member_rows = []
            self._seen.clear()

    # -- clusters ------------------------------------------------------------------------

    def _candidates(self, start_ts: int, day: int, all_day: bool) -> list[dedup.Features]:
        key = (start_ts, day, all_day)
        cached = self._seen.get(key)
        if cached is not None:
            return cached
        w = dedup.WINDOW_S
        # UNION ALL, the duplicates dropped here: UNION sorted every (id, features JSON) row
        # of both windows in a temporary b-tree to drop them
        sql = ("SELECT id, feat FROM members WHERE start_ts BETWEEN ? AND ?"
               " UNION ALL SELECT id, feat FROM members WHERE day = ?")
        params: list[Any] = [start_ts - w, start_ts + w, day]
        if not all_day:
            sql += " AND all_day = 1"
        found: dict[str, dedup.Features] = {}
        feats = self.feats
        for mid, raw in self.conn.execute(sql, params):
            if mid in found:
                continue
            feat = feats.get(mid)
            if feat is None:
                feat = feats[mid] = _stored_features(raw)
            found[mid] = feat
        out = list(found.values())
        self._seen[key] = out
        return out
    def _recluster(self) -> None:
        queue: deque[dedup.Features] = deque()
        reached: dict[str, dedup.Features] = {}
        for mid in self.changed:
            reached[mid] = self.feats[mid]
            queue.append(self.feats[mid])
        for start_ts, day, all_day in self.windows:
            for feat in self._candidates(start_ts, day, all_day):
                if feat.id not in reached:
                    reached[feat.id] = feat
                    queue.append(feat)
        pairs: set[tuple[float, str, str]] = set()
        # Windows are symmetric (b is in a's window when a is in b's) and so is match(): a
        # pair was scored when the first of its two members was walked (half the matches).
        done: set[str] = set()
        while queue:
            node = queue.popleft()
            done.add(node.id)
            for other in self._candidates(node.start_ts, node.day, node.all_day):
                if other.id in done:
                    continue
                score = dedup.match(node, other)
                if score is None:
                    continue
                a, b = sorted((node.id, other.id))
                pairs.add((score, a, b))
                if other.id not in reached:
                    reached[other.id] = other
                    queue.append(other)
        groups = dedup.clusters(reached.values(), pairs)
        self._write_clusters(reached, groups)

    def _write_clusters(self, reached: dict[str, Any], groups: list[list[str]]) -> None:
        conn = self.conn
        old_of: dict[str, str | None] = {}
        ids = [mid for mid in reached if mid not in self.docs]  # new members: no cluster yet
        for mid in reached:
            if mid in self.docs:
                old_of[mid] = self.prior.get(mid)
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = conn.execute(
                f"SELECT id, cluster_id FROM members WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for mid, cid in rows:
                old_of[mid] = self.prior.get(mid, cid)
        for mid, cid in self.prior.items():
            old_of.setdefault(mid, cid)
        deleted, dirty = dedup.cluster_changes(groups, old_of, self.changed)
        for cid in sorted(deleted):
            delete_doc(conn, cid, self.gen)
        stored = [mid for group in dirty for mid in group if mid not in self.docs]
        for i in range(0, len(stored), 500):
            chunk = stored[i:i + 500]
            for mid, raw in conn.execute(
                f"SELECT id, doc FROM members WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                self.docs[mid] = orjson.loads(raw)
        updates = []
        for group in dirty:
            self.rows.add(merge([self.docs[mid] for mid in group]))
            updates += [(group[0], mid) for mid in group]
        self.rows.flush()
        conn.executemany("UPDATE members SET cluster_id = ? WHERE id = ?", updates)
