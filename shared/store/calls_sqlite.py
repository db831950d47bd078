"""The store of calls for projects: SQLite with FTS5, in its own file (``calls.sqlite``).

Layout
    ``calls``       one row per call: highest version seen, tombstone flag, dates as epoch
                    seconds, the order it was first seen (``first_seq``, for "new calls"
                    feeds and alerts) and its JSON.
    ``call_tags``   multi-valued facets (themes, audiences).
    ``calls_fts``   FTS5 over French stems (title, description, funder, tags), as the events.
    and, in :mod:`shared.store.calls_members`: ``tokens`` and ``alerts``.

Writes are idempotent and ordered by version, as for events: an older upsert never
overwrites a newer one, a retraction leaves a tombstone. A call's status is derived from its
dates at query time, never stored. One writer per process (a lock); WAL lets readers and
other processes (the query service writing interests) work alongside.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.calls import Call, CallKind, CallMessage, call_status
from shared.store.base import Outcome, SearchPage
from shared.store.calls_base import CallQuery, CallSort, call_doc
from shared.store.calls_members import MEMBERS_SCHEMA, MembersMixin, SqliteFile
from shared.store.sqlite import decode_cursor, encode_cursor, index_text
from shared.store.sqlite_query import fts_expression

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    rowid INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL UNIQUE,
    publisher TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    first_seq INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    opens_ts INTEGER,
    deadline_ts INTEGER,
    funder TEXT,
    perimeter TEXT,
    quartier TEXT,
    content_hash TEXT,
    data TEXT
);
CREATE INDEX IF NOT EXISTS calls_deadline ON calls(deleted, deadline_ts);
CREATE INDEX IF NOT EXISTS calls_first ON calls(first_seq);
CREATE TABLE IF NOT EXISTS call_tags (
    facet TEXT NOT NULL, value TEXT NOT NULL, call_rowid INTEGER NOT NULL,
    PRIMARY KEY (facet, value, call_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS call_tags_row ON call_tags(call_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS calls_fts USING fts5(
    title, body, funder, tags, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
"""

TAGS = (("themes", "themes"), ("audiences", "audiences"))
STATUS_SQL = {
    "open": "(c.deadline_ts > :now AND (c.opens_ts IS NULL OR c.opens_ts <= :now))",
    "upcoming": "(c.deadline_ts > :now AND c.opens_ts > :now)",
    "closed": "(c.deadline_ts <= :now)",
}
STATUS_CASE = (
    "CASE WHEN c.deadline_ts <= :now THEN 'closed' "
    "WHEN c.opens_ts > :now THEN 'upcoming' ELSE 'open' END"
)


def public_doc(data: str, status: str, first_seen: str, first_seq: int) -> dict[str, Any]:
    return call_doc(json.loads(data), status, first_seen, first_seq)


class CallStore(MembersMixin, SqliteFile):
    """Calls, with association tokens and alerts, in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, SCHEMA + MEMBERS_SCHEMA)

    async def close(self) -> None:
        self.close_sync()

    # -- writing -------------------------------------------------------------------------

    async def apply(self, messages: Sequence[CallMessage]) -> list[Outcome]:
        return self.apply_sync(messages)

    def apply_sync(self, messages: Sequence[CallMessage]) -> list[Outcome]:
        """Apply a batch in one transaction; one outcome per message."""
        outcomes: list[Outcome] = self._write(
            lambda conn: [self._apply_one(conn, m) for m in messages]
        )
        return outcomes

    def _apply_one(self, conn: sqlite3.Connection, msg: CallMessage) -> Outcome:
        if msg.kind == CallKind.HIDE_INTEREST:
            self._hide_interest(conn, msg.call_id, msg.interest_id or "")
            return Outcome.APPLIED
        row = conn.execute(
            "SELECT rowid, version, deleted, first_seq, first_seen, content_hash FROM calls "
            "WHERE call_id = ?", (msg.call_id,),
        ).fetchone()
        if row is not None and row[1] >= msg.version:
            return Outcome.STALE
        if row is not None:
            self._delete_index(conn, row[0])
        if msg.kind == CallKind.RETRACT or msg.call is None:
            if row is None:
                seq, seen = self._next_seq(conn), _now_iso()
            else:
                seq, seen = row[3], row[4]
            conn.execute(
                "INSERT OR REPLACE INTO calls(rowid, call_id, publisher, version, deleted, "
                "first_seq, first_seen) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (row[0] if row else None, msg.call_id, msg.publisher, msg.version, seq, seen),
            )
            return Outcome.RETRACTED
        call = msg.call
        if row is None or row[2]:  # new, or back after a withdrawal: new again
            seq, seen = self._next_seq(conn), _now_iso()
        else:
            seq, seen = row[3], row[4]
        cur = conn.execute(
            "INSERT OR REPLACE INTO calls(rowid, call_id, publisher, version, deleted, first_seq,"
            " first_seen, opens_ts, deadline_ts, funder, perimeter, quartier, content_hash, data)"
            " VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row[0] if row else None, call.id, call.publisher, msg.version, seq, seen,
                int(call.opens.timestamp()) if call.opens else None,
                int(call.deadline.timestamp()), call.funder, call.perimeter, call.quartier,
                call.content_hash(), json.dumps(call.to_dict(), ensure_ascii=False),
            ),
        )
        self._index(conn, cur.lastrowid or row[0], call)
        return Outcome.APPLIED

    @staticmethod
    def _next_seq(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT COALESCE(MAX(first_seq), 0) + 1 FROM calls").fetchone()[0])

    @staticmethod
    def _delete_index(conn: sqlite3.Connection, rowid: int) -> None:
        conn.execute("DELETE FROM calls_fts WHERE rowid = ?", (rowid,))
        conn.execute("DELETE FROM call_tags WHERE call_rowid = ?", (rowid,))

    @staticmethod
    def _index(conn: sqlite3.Connection, rowid: int, call: Call) -> None:
        tags = [(facet, v, rowid) for attr, facet in TAGS for v in getattr(call, attr)]
        conn.executemany("INSERT OR IGNORE INTO call_tags VALUES (?, ?, ?)", tags)
        conn.execute(
            "INSERT INTO calls_fts(rowid, title, body, funder, tags) VALUES (?, ?, ?, ?, ?)",
            (rowid, index_text(call.title),
             index_text(call.description_text or call.description),
             index_text(call.funder),
             index_text(" ".join([*call.themes, call.quartier or "", call.perimeter]))),
        )

    async def reset(self) -> None:
        def wipe(conn: sqlite3.Connection) -> None:
            # not executescript(): it commits first, leaving _write nothing to commit
            for table in ("calls_fts", "call_tags", "calls"):
                conn.execute(f"DELETE FROM {table}")

        self._write(wipe)

    # -- reading -------------------------------------------------------------------------

    async def get(self, cid: str, now: datetime | None = None) -> dict[str, Any] | None:
        params = {"now": int((now or datetime.now(UTC)).timestamp()), "id": cid}
        row = self._conn().execute(
            f"SELECT c.data, {STATUS_CASE}, c.first_seen, c.first_seq FROM calls c "
            "WHERE c.call_id = :id AND c.deleted = 0", params,
        ).fetchone()
        return public_doc(*row) if row else None

    async def count(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM calls WHERE deleted = 0")
                   .fetchone()[0])

    async def max_seq(self) -> int:
        return int(self._conn().execute("SELECT COALESCE(MAX(first_seq), 0) FROM calls")
                   .fetchone()[0])

    async def search(self, query: CallQuery) -> SearchPage:
        return self.search_sync(query)

    def search_sync(self, query: CallQuery) -> SearchPage:
        conn = self._conn()
        where, params, source = self._filters(query)
        order = {
            CallSort.DEADLINE: "c.deadline_ts, c.call_id",
            CallSort.NEW: "c.first_seq DESC",
            CallSort.RELEVANCE: "bm25(calls_fts), c.deadline_ts" if query.q
            else "c.deadline_ts, c.call_id",
        }[query.sort]
        if query.sort == CallSort.DEADLINE and tuple(query.statuses) == ("closed",):
            order = "c.deadline_ts DESC, c.call_id"
        offset = 0
        if query.cursor:
            values = decode_cursor(query.cursor)
            if len(values) != 2 or values[0] != str(query.sort) or not isinstance(values[1], int):
                raise ValueError("cursor does not belong to this search")
            offset = max(values[1], 0)
        sql_where = " AND ".join(where) or "1"
        rows = conn.execute(
            f"SELECT c.data, {STATUS_CASE}, c.first_seen, c.first_seq FROM {source} "
            f"WHERE {sql_where} ORDER BY {order} LIMIT {query.limit + 1} OFFSET {offset}",
            params,
        ).fetchall()
        total = int(conn.execute(f"SELECT COUNT(*) FROM {source} WHERE {sql_where}", params)
                    .fetchone()[0])
        page = SearchPage(total=total, items=[public_doc(*r) for r in rows[: query.limit]])
        if len(rows) > query.limit:
            page.next = encode_cursor([str(query.sort), offset + query.limit])
        if query.facets:
            page.facets = self._facets(conn, source, sql_where, params)
        return page

    def _filters(self, query: CallQuery) -> tuple[list[str], dict[str, Any], str]:
        params: dict[str, Any] = {"now": int(query.now.timestamp())}
        where = ["c.deleted = 0"]
        source = "calls c"
        if query.q:
            match = fts_expression(query.q, index_text)
            if match:
                source = "calls_fts JOIN calls c ON c.rowid = calls_fts.rowid"
                where.append("calls_fts MATCH :match")
                params["match"] = match
        if query.statuses:
            where.append("(" + " OR ".join(STATUS_SQL[s] for s in query.statuses) + ")")
        if query.deadline_before:
            where.append("c.deadline_ts < :before")
            params["before"] = int(query.deadline_before.timestamp())
        if query.deadline_after:
            where.append("c.deadline_ts >= :after")
            params["after"] = int(query.deadline_after.timestamp())
        if query.after_seq is not None:
            where.append("c.first_seq > :after_seq")
            params["after_seq"] = query.after_seq
        for column, values in (("funder", query.funders), ("perimeter", query.perimeters),
                               ("quartier", query.quartiers), ("publisher", query.publishers)):
            if values:
                names = [f"{column}{i}" for i in range(len(values))]
                where.append(f"c.{column} COLLATE NOCASE IN ("
                             + ", ".join(":" + n for n in names) + ")")
                params.update(zip(names, values, strict=True))
        for attr, facet in TAGS:
            values = getattr(query, attr)
            if values:
                names = [f"{facet}{i}" for i in range(len(values))]
                where.append(
                    f"c.rowid IN (SELECT call_rowid FROM call_tags WHERE facet = '{facet}' "
                    "AND value IN (" + ", ".join(":" + n for n in names) + "))"
                )
                params.update(zip(names, values, strict=True))
        return where, params, source

    @staticmethod
    def _facets(conn: sqlite3.Connection, source: str, where: str, params: dict[str, Any]
                ) -> dict[str, list[dict[str, Any]]]:
        rowids = f"SELECT c.rowid FROM {source} WHERE {where}"
        facets: dict[str, list[dict[str, Any]]] = {}
        for _attr, facet in TAGS:
            rows = conn.execute(
                f"SELECT value, COUNT(*) n FROM call_tags WHERE facet = '{facet}' "
                f"AND call_rowid IN ({rowids}) GROUP BY value ORDER BY n DESC, value", params,
            ).fetchall()
            facets[facet] = [{"value": v, "count": n} for v, n in rows]
        for name, expr in (("funder", "c.funder"), ("perimeter", "c.perimeter"),
                           ("quartier", "c.quartier"), ("status", STATUS_CASE)):
            rows = conn.execute(
                f"SELECT {expr} v, COUNT(*) n FROM {source} WHERE {where} AND {expr} IS NOT NULL"
                " GROUP BY v ORDER BY n DESC, v", params,
            ).fetchall()
            facets[name] = [{"value": v, "count": n} for v, n in rows]
        return facets


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["CallQuery", "CallSort", "CallStore", "call_status"]
