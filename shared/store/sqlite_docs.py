"""Rows of the canonical documents of :mod:`shared.store.sqlite` (``docs``, ``docs_body``,
``docs_words``, ``docs_geo``, ``docs_fts``), and the member documents of an event.

Written for speed: an event is turned into a dict once (:func:`event_dict`, without
:func:`dataclasses.asdict`), and the rows of a batch's documents go to SQLite with one
``executemany`` per table (:class:`DocRows`). Every canonical document added or removed is
logged in ``changes`` (:mod:`shared.store.sqlite_sets`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import fields
from typing import Any

import orjson

from shared.model import Event, Location, occurrence_id
from shared.text import stem_line

HASH_BITS = 24
TAG_FACETS = ("themes", "keywords", "accessibility", "audience")
COLUMN_TAGS = (("quartier", "quartier"), ("commune", "commune"))


def dumps(value: Any) -> str:
    """``value`` as JSON text, with :mod:`orjson` (a tenth of :func:`json.dumps`' time on the
    write path); what orjson refuses (an integer over 64 bits in ``extra``) by :mod:`json`."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def index_text(text: str | None) -> str:
    """Accent-folded French stems, as indexed and as queried."""
    # remembered (descriptions, places and tags repeat from one batch to the next; a title
    # was stemmed a moment before by the dedup's features)
    return stem_line(text or "")


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


_LOCATION_FIELDS = tuple(f.name for f in fields(Location))
_checked: list[bool] = []  # [True] once event_dict matched Event.to_dict, [False] if it did not


def event_dict(event: Event) -> dict[str, Any]:
    """``event.to_dict()`` without :func:`dataclasses.asdict` (a deep copy, a fifth of the
    write path). The first call of a process checks that both agree, else ``to_dict`` is used."""
    if _checked and not _checked[0]:
        return event.to_dict()
    loc = event.location
    data = {
        "schema": event.schema,
        "id": event.id,
        "source_id": event.source_id,
        "source_uid": event.source_uid,
        "title": event.title,
        "occurrences": [o.to_dict() for o in event.occurrences],
        "description": event.description,
        "description_text": event.description_text,
        "url": event.url,
        "location": ({name: getattr(loc, name) for name in _LOCATION_FIELDS}
                     if loc is not None else None),
        "organizer": event.organizer,
        "categories": list(event.categories),
        "keywords": list(event.keywords),
        "themes": [{"code": t.code, "reason": t.reason} for t in event.themes],
        "accessibility": list(event.accessibility),
        "audience": list(event.audience),
        "is_free": event.is_free,
        "price": event.price,
        "image": event.image,
        "status": str(event.status),
        "timezone": event.timezone,
        "source_format": event.source_format,
        "updated": event.updated.isoformat() if event.updated is not None else None,
        "extra": event.extra,
    }
    if not _checked:
        reference = event.to_dict()
        _checked.append(json.dumps(data) == json.dumps(reference))
        return reference
    return data


def event_docs(event: Event, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """:func:`~shared.store.base.occurrence_docs`, converting the event to a dict only once
    (``data``: ``event.to_dict()`` when the caller already has it)."""
    data = dict(event_dict(event) if data is None else data)
    data.pop("schema")
    themes = [t.code for t in event.themes]
    reasons = {t.code: t.reason for t in event.themes}
    status = str(event.status)
    sources = [{"source_id": event.source_id, "event_id": event.id, "url": event.url}]
    # the dates as event_dict wrote them (isoformat was a tenth of this function)
    written = data.pop("occurrences")
    out = []
    for occ, dates in zip(event.occurrences, written, strict=True):
        end = occ.end or occ.start
        out.append({
            **data,
            "id": occurrence_id(event.id, occ.key()),
            "event_id": event.id,
            "start": dates["start"],
            "end": dates["end"] or dates["start"],
            "start_ts": int(occ.start.timestamp()),
            "end_ts": int(end.timestamp()),
            "all_day": occ.all_day,
            "status": str(occ.status) if occ.status != "scheduled" else status,
            "themes": list(themes),
            "theme_reasons": dict(reasons),
            "sources": [dict(s) for s in sources],
        })
    return out


class DocRows:
    """Canonical documents to insert, written with one ``executemany`` per table.

    ``docs`` and the FTS index take them in rowid (date) order: FTS5 starts a new segment
    whenever a rowid is not above the previous one (in the order clusters came, every
    document became a segment of its own, merged again at commit). The rest of a document
    (its JSON in ``docs_body``; its tags packed in one JSON object and its FTS text in
    ``docs_words``) is keyed by insertion order (``docs.body_id``): a batch appends its rows
    at the end of those tables instead of dirtying a page of every date it touches (a batch
    of dates spread over a year rewrote most pages of the tag and body tables). The FTS
    table reads its text in ``docs_words`` (external content), so the text is stored once."""

    def __init__(self, conn: sqlite3.Connection, gen: int = 0) -> None:
        self.conn = conn
        self.gen = gen
        self.span = 0
        self.docs: list[dict[str, Any]] = []
        self._text: dict[str | None, str] = {}

    def text(self, value: str | None) -> str:
        out = self._text.get(value)
        if out is None:
            out = self._text[value] = index_text(value)
        return out

    def add(self, doc: dict[str, Any]) -> None:
        self.docs.append(doc)

    def flush(self) -> None:
        if not self.docs:
            return
        conn = self.conn
        placed = sorted(zip(self._rowids(), self.docs, strict=True), key=lambda p: p[0])
        body, words, geo, fts = [], [], [], []
        for (rowid, body_id), doc in placed:
            loc = doc.get("location") or {}
            self.span = max(self.span, int(doc["end_ts"]) - int(doc["start_ts"]))
            if loc.get("lat") is not None and loc.get("lon") is not None:
                geo.append((rowid, loc["lat"], loc["lat"], loc["lon"], loc["lon"]))
            text = (
                self.text(doc.get("title")),
                self.text(doc.get("description_text") or doc.get("description")),
                self.text(" ".join(str(v) for v in loc.values() if isinstance(v, str))),
                self.text(" ".join([*doc.get("keywords", ()), *doc.get("categories", ()),
                                    doc.get("organizer") or ""])),
            )
            fts.append((rowid, *text))
            words.append((body_id, rowid, pack_tags(doc), *text))
            body.append((body_id, dumps(doc)))
        body.sort()
        words.sort()
        conn.executemany("INSERT INTO docs_body(rowid, body) VALUES (?, ?)", body)
        conn.executemany(f"INSERT INTO docs_words{WORDS_COLUMNS} VALUES (?,?,?,?,?,?,?)", words)
        conn.executemany("INSERT INTO docs_geo VALUES (?, ?, ?, ?, ?)", geo)
        conn.executemany(
            "INSERT INTO docs_fts(rowid, title, body, place, tags) VALUES (?, ?, ?, ?, ?)", fts)
        conn.executemany("INSERT INTO changes(gen, doc_rowid, added) VALUES (?, ?, 1)",
                         [(self.gen, row[0]) for row in fts])
        conn.execute("UPDATE meta SET value = MAX(value, ?) WHERE key = 'max_span'", (self.span,))
        self.docs = []

    def _rowids(self) -> list[tuple[int, int]]:
        """Insert the ``docs`` rows of the documents added: their ``(rowid, body_id)``, in
        the same order. One ``executemany`` in rowid order, body ids following it; when a
        rowid is taken (a hash collision, in the store or in the batch), the batch's rows
        are inserted one by one, probing past it."""
        rows = sorted((doc_rowid(doc), i) for i, doc in enumerate(self.docs))
        conn = self.conn
        base = conn.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM docs_body").fetchone()[0]
        conn.execute("SAVEPOINT doc_rows")
        try:
            conn.executemany(DOC_INSERT, [_doc_row(r, base + k, self.docs[i])
                                          for k, (r, i) in enumerate(rows)])
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO doc_rows")
            conn.execute("RELEASE doc_rows")
            return [(insert_doc_row(conn, doc, base + i), base + i)
                    for i, doc in enumerate(self.docs)]
        conn.execute("RELEASE doc_rows")
        out = [(0, 0)] * len(rows)
        for k, (rowid, i) in enumerate(rows):
            out[i] = (rowid, base + k)
        return out


WORDS_COLUMNS = "(rowid, doc_rowid, tags, title, words, place, labels)"
DOC_INSERT = ("INSERT INTO docs(rowid, id, event_id, start_ts, end_ts, status, quartier,"
              " commune, organizer, source_id, is_free, lat, lon, body_id)"
              " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


def pack_tags(doc: dict[str, Any]) -> str:
    """The tags of a document (:func:`doc_tags`) as one JSON object, facet -> sorted values
    (the ``doc_tags`` view unpacks them with ``json_each``)."""
    loc = doc.get("location") or {}
    packed: dict[str, list[str]] = {}
    for facet in TAG_FACETS:
        values = doc.get(facet)
        if values:
            packed[facet] = sorted({str(v) for v in values})
    sources = doc.get("sources")
    if sources:
        packed["sources"] = sorted({s["source_id"] for s in sources})
    for facet, key in COLUMN_TAGS:
        if loc.get(key):
            packed[facet] = [str(loc[key])]
    if doc.get("organizer"):
        packed["organizer"] = [str(doc["organizer"])]
    if loc.get("name"):
        packed["place"] = [str(loc["name"])]
    return dumps(packed)


def unpack_tags(rows: Any) -> Any:
    """``(facet, value, doc_rowid)`` of rows ``(doc_rowid, packed tags, ...)``."""
    loads = orjson.loads
    for row in rows:
        rowid = row[0]
        for facet, values in loads(row[1]).items():
            for value in values:
                yield facet, value, rowid


def _doc_row(rowid: int, body_id: int, doc: dict[str, Any]) -> tuple[Any, ...]:
    loc = doc.get("location") or {}
    return (rowid, doc["id"], doc["event_id"], doc["start_ts"], doc["end_ts"], doc["status"],
            loc.get("quartier"), loc.get("commune"), doc.get("organizer"), doc["source_id"],
            None if doc.get("is_free") is None else int(doc["is_free"]),
            loc.get("lat"), loc.get("lon"), body_id)


def delete_doc(conn: sqlite3.Connection, doc_id: str, gen: int = 0) -> None:
    """Delete a canonical document, logging it in ``changes``."""
    row = conn.execute("SELECT rowid FROM docs WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        return
    rowid = row[0]
    conn.execute("INSERT INTO changes(gen, doc_rowid, added) VALUES (?, ?, 0)", (gen, rowid))
    # the FTS index first: it reads the text to remove from docs_words (external content)
    conn.execute("DELETE FROM docs_fts WHERE rowid = ?", (rowid,))
    conn.execute("DELETE FROM docs_geo WHERE id = ?", (rowid,))
    body_id = conn.execute("SELECT body_id FROM docs WHERE rowid = ?", (rowid,)).fetchone()[0]
    conn.execute("DELETE FROM docs_words WHERE rowid = ?", (body_id,))
    conn.execute("DELETE FROM docs_body WHERE rowid = ?", (body_id,))
    conn.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))


def insert_doc(conn: sqlite3.Connection, doc: dict[str, Any], gen: int = 0) -> None:
    rows = DocRows(conn, gen)
    rows.add(doc)
    rows.flush()


def insert_doc_row(conn: sqlite3.Connection, doc: dict[str, Any], body_id: int) -> int:
    """Insert the ``docs`` row of ``doc`` (probing past rowid collisions); its rowid."""
    probe = 0
    while True:
        rowid = doc_rowid(doc, probe)
        try:
            conn.execute(DOC_INSERT, _doc_row(rowid, body_id, doc))
            return rowid
        except sqlite3.IntegrityError:
            if conn.execute("SELECT 1 FROM docs WHERE id = ?", (doc["id"],)).fetchone():
                raise
            probe += 1
