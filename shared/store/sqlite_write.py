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

import hashlib
import json
import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from shared.model import EventMessage, Kind
from shared.store import dedup
from shared.store.base import Outcome, occurrence_docs
from shared.store.dedup_merge import merge
from shared.text import stems

HASH_BITS = 24
TAG_FACETS = ("themes", "keywords", "accessibility", "audience")
COLUMN_TAGS = (("quartier", "quartier"), ("commune", "commune"))


def index_text(text: str | None) -> str:
    """Accent-folded French stems, as indexed and as queried."""
    return " ".join(stems(text or ""))


def doc_rowid(doc: dict[str, Any], probe: int = 0) -> int:
    digest = int.from_bytes(hashlib.blake2b(doc["id"].encode(), digest_size=4).digest(), "big")
    low = (digest + probe) & ((1 << HASH_BITS) - 1)
    return (max(int(doc["start_ts"]), 0) << HASH_BITS) | low


def doc_tags(doc: dict[str, Any]) -> set[tuple[str, str]]:
    """The ``(facet, value)`` pairs of a canonical document (filters, facets, suggestions)."""
    loc = doc.get("location") or {}
    tags = {(facet, str(v)) for facet in TAG_FACETS for v in doc.get(facet) or ()}
    tags |= {("sources", s["source_id"]) for s in doc.get("sources", ())}
    for facet, key in COLUMN_TAGS:
        if loc.get(key):
            tags.add((facet, str(loc[key])))
    if doc.get("organizer"):
        tags.add(("organizer", str(doc["organizer"])))
    if loc.get("name"):
        tags.add(("place", str(loc["name"])))
    return tags


class BatchWriter:
    """Applies one batch on ``conn`` (inside the caller's transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.windows: list[tuple[int, int, bool]] = []  # (start_ts, day, all_day) of removed
        self.changed: set[str] = set()
        self.prior: dict[str, str | None] = {}  # cluster id of members removed in this batch
        self.feats: dict[str, dedup.Features] = {}

    def apply(self, messages: Sequence[EventMessage]) -> list[Outcome]:
        outcomes = [self._apply_one(m) for m in messages]
        if self.changed or self.prior:
            self._recluster()
        return outcomes

    def replay(self, events: Iterable[dict[str, Any]]) -> None:
        """Rebuild members and documents from stored event JSON (schema migration)."""
        from shared.model import Event

        for data in events:
            self._insert_members(Event.from_dict(data))
        self._recluster()

    def _apply_one(self, msg: EventMessage) -> Outcome:
        conn = self.conn
        row = conn.execute("SELECT version FROM events WHERE event_id = ?",
                           (msg.event_id,)).fetchone()
        if row is not None and row[0] >= msg.version:
            return Outcome.STALE
        old = conn.execute(
            "SELECT id, start_ts, day, all_day, cluster_id FROM members WHERE event_id = ?",
            (msg.event_id,),
        ).fetchall()
        for mid, start_ts, day, all_day, cid in old:
            self.windows.append((start_ts, day, bool(all_day)))
            self.prior.setdefault(mid, cid)
            self.changed.discard(mid)
            self.feats.pop(mid, None)
        conn.execute("DELETE FROM members WHERE event_id = ?", (msg.event_id,))
        if msg.kind == Kind.RETRACT or msg.event is None:
            conn.execute(
                "INSERT OR REPLACE INTO events(event_id, source_id, version, deleted, data) "
                "VALUES (?, ?, ?, 1, NULL)",
                (msg.event_id, msg.source_id, msg.version),
            )
            return Outcome.RETRACTED
        conn.execute(
            "INSERT OR REPLACE INTO events(event_id, source_id, version, deleted, data) "
            "VALUES (?, ?, ?, 0, ?)",
            (msg.event.id, msg.event.source_id, msg.version, json.dumps(msg.event.to_dict())),
        )
        self._insert_members(msg.event)
        return Outcome.APPLIED

    def _insert_members(self, event: Any) -> None:
        for doc in occurrence_docs(event):
            feat = dedup.features(doc)
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO members(id, event_id, start_ts, day, all_day, cluster_id,"
                " feat, doc) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
                (doc["id"], doc["event_id"], doc["start_ts"], feat.day, int(feat.all_day),
                 json.dumps(feat.to_json()), json.dumps(doc, ensure_ascii=False)),
            )
            if cur.rowcount:
                self.changed.add(doc["id"])
                self.feats[doc["id"]] = feat

    # -- clusters ------------------------------------------------------------------------

    def _candidates(self, start_ts: int, day: int, all_day: bool) -> list[dedup.Features]:
        w = dedup.WINDOW_S
        sql = ("SELECT id, feat FROM members WHERE start_ts BETWEEN ? AND ?"
               " UNION SELECT id, feat FROM members WHERE day = ?")
        params: list[Any] = [start_ts - w, start_ts + w, day]
        if not all_day:
            sql += " AND all_day = 1"
        out = []
        for mid, raw in self.conn.execute(sql, params):
            feat = self.feats.get(mid)
            if feat is None:
                feat = self.feats[mid] = dedup.Features.from_json(json.loads(raw))
            out.append(feat)
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
        while queue:
            node = queue.popleft()
            for other in self._candidates(node.start_ts, node.day, node.all_day):
                if other.id == node.id:
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
        ids = list(reached)
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
            delete_doc(conn, cid)
        for group in dirty:
            docs = [json.loads(r[0]) for r in conn.execute(
                f"SELECT doc FROM members WHERE id IN ({','.join('?' * len(group))})", group)]
            insert_doc(conn, merge(docs))
            conn.executemany("UPDATE members SET cluster_id = ? WHERE id = ?",
                             [(group[0], mid) for mid in group])


def delete_doc(conn: sqlite3.Connection, doc_id: str) -> None:
    row = conn.execute("SELECT rowid FROM docs WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        return
    rowid = row[0]
    conn.execute("DELETE FROM docs_fts WHERE rowid = ?", (rowid,))
    conn.execute("DELETE FROM doc_tags WHERE doc_rowid = ?", (rowid,))
    conn.execute("DELETE FROM docs_geo WHERE id = ?", (rowid,))
    conn.execute("DELETE FROM docs_body WHERE rowid = ?", (rowid,))
    conn.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))


def insert_doc(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    loc = doc.get("location") or {}
    probe = 0
    while True:
        rowid = doc_rowid(doc, probe)
        try:
            conn.execute(
                "INSERT INTO docs(rowid, id, event_id, start_ts, end_ts, status, quartier,"
                " commune, organizer, source_id, is_free, lat, lon)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rowid, doc["id"], doc["event_id"], doc["start_ts"], doc["end_ts"],
                    doc["status"], loc.get("quartier"), loc.get("commune"),
                    doc.get("organizer"), doc["source_id"],
                    None if doc.get("is_free") is None else int(doc["is_free"]),
                    loc.get("lat"), loc.get("lon"),
                ),
            )
            break
        except sqlite3.IntegrityError:
            if conn.execute("SELECT 1 FROM docs WHERE id = ?", (doc["id"],)).fetchone():
                raise
            probe += 1
    conn.execute("INSERT INTO docs_body VALUES (?, ?)",
                 (rowid, json.dumps(doc, ensure_ascii=False)))
    conn.executemany("INSERT OR IGNORE INTO doc_tags VALUES (?, ?, ?)",
                     [(f, v, rowid) for f, v in sorted(doc_tags(doc))])
    if loc.get("lat") is not None and loc.get("lon") is not None:
        conn.execute("INSERT INTO docs_geo VALUES (?, ?, ?, ?, ?)",
                     (rowid, loc["lat"], loc["lat"], loc["lon"], loc["lon"]))
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
