"""Counts and facet counts of filtered sets, kept across writes for :mod:`shared.store.sqlite`.

Counting a large set (all upcoming documents, a common word) and its facets costs a scan of
the set; doing it again after every write made the first search after a write take seconds.
So the store keeps, per filtered set, its rowids (a sorted array), its size and the counts of
its tags, and after a write *upgrades* them instead of recounting: every write logs, in table
``changes``, the canonical documents it removed (with their tags) and added, by generation.
An upgrade drops the removed rowids that were in the set and evaluates the set's filter on the
added rowids only. ``meta.log_from`` is the oldest generation the log is complete from
(older sets, or too many changes, are recounted).
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass
from typing import Any

from shared.store.sqlite_query import SearchPlan, facet_sql

#: Generations of ``changes`` kept by the writer.
KEEP_GENERATIONS = 64
#: Beyond this many logged changes, recounting is cheaper than upgrading.
MAX_DELTA = 20_000
CHUNK = 500
#: Up to this many added documents, each is tested on its own (a rowid lookup).
ONE_BY_ONE = 200


@dataclass(slots=True)
class SetStats:
    gen: int
    rowids: array[int]  # sorted
    tags: Counter[tuple[str, str]] | None = None

    @property
    def count(self) -> int:
        return len(self.rowids)

    def facet_rows(self) -> list[tuple[str, str, int]]:
        assert self.tags is not None
        return [(f, v, n) for (f, v), n in self.tags.items() if n > 0]


def prune(conn: sqlite3.Connection, gen: int) -> None:
    """Drop log entries older than :data:`KEEP_GENERATIONS` (inside the write transaction)."""
    cut = gen - KEEP_GENERATIONS
    if cut > 0:
        conn.execute("DELETE FROM changes WHERE gen <= ?", (cut,))
        conn.execute("UPDATE meta SET value = MAX(value, ?) WHERE key = 'log_from'", (cut,))


def compute(conn: sqlite3.Connection, plan: SearchPlan, gen: int, facets: bool) -> SetStats:
    rowids = array("q", sorted(r[0] for r in conn.execute(plan.rowids_sql, plan.count_params)))
    tags = None
    if facets:
        tags = Counter({(f, v): n for f, v, n in conn.execute(facet_sql(plan),
                                                               plan.count_params)})
    return SetStats(gen, rowids, tags)


def _in(rowids: array[int], rowid: int) -> bool:
    i = bisect_left(rowids, rowid)
    return i < len(rowids) and rowids[i] == rowid


def upgrade(conn: sqlite3.Connection, plan: SearchPlan, old: SetStats, gen: int,
            log_from: int) -> SetStats | None:
    """``old`` brought to generation ``gen`` from the change log, or ``None`` when it cannot
    be (log incomplete or too long)."""
    if old.gen < log_from:
        return None
    log = conn.execute(
        "SELECT doc_rowid, added, tags FROM changes WHERE gen > ? AND gen <= ?"
        " ORDER BY gen, rowid LIMIT ?", (old.gen, gen, MAX_DELTA + 1)).fetchall()
    if len(log) > MAX_DELTA:
        return None
    first_removed: dict[int, str] = {}  # rowid -> tags, when its first change removed it
    seen: set[int] = set()
    present: dict[int, bool] = {}  # rowid -> exists now (its last change added it)
    for rowid, added, tags in log:
        if rowid not in seen:
            seen.add(rowid)
            if not added:
                first_removed[rowid] = tags
        present[rowid] = bool(added)
    rowids = array("q", old.rowids)
    counts = Counter(old.tags) if old.tags is not None else None
    for rowid, tags in first_removed.items():
        i = bisect_left(rowids, rowid)
        if i < len(rowids) and rowids[i] == rowid:
            del rowids[i]
            if counts is not None:
                for facet, value in json.loads(tags):
                    if facet != "place":
                        counts[(facet, value)] -= 1
    now = [r for r, there in present.items() if there]
    inside = _members(conn, plan, now)
    for rowid in inside:
        if not _in(rowids, rowid):
            insort(rowids, rowid)
    if counts is not None:
        for i in range(0, len(inside), CHUNK):
            chunk = inside[i:i + CHUNK]
            marks = ",".join("?" * len(chunk))
            for facet, value in conn.execute(
                f"SELECT facet, value FROM doc_tags WHERE doc_rowid IN ({marks})"
                " AND facet != 'place'", chunk):
                counts[(facet, value)] += 1
    return SetStats(gen, rowids, counts)


def _members(conn: sqlite3.Connection, plan: SearchPlan, rowids: list[int]) -> list[int]:
    """Which of ``rowids`` are in the filtered set: one rowid lookup each when they are few
    (and there is no text query), else one query for all."""
    text = plan.source.startswith("docs_fts")
    if not rowids:
        return []
    # a MATCH costs the same for one rowid as for many (FTS5 expands the prefix term first)
    if len(rowids) <= ONE_BY_ONE and not text:
        sql = plan.member_sql
        return [r for r in rowids if conn.execute(sql, [*plan.count_params, r]).fetchone()]
    col = "f.rowid" if text else "d.rowid"
    out: list[int] = []
    for i in range(0, len(rowids), CHUNK):
        chunk = rowids[i:i + CHUNK]
        out += [r[0] for r in conn.execute(
            f"{plan.rowids_sql} AND {col} IN ({','.join('?' * len(chunk))})",
            [*plan.count_params, *chunk])]
    return out


def stats(conn: sqlite3.Connection, plan: SearchPlan, gen: int, log_from: int,
          old: SetStats | None, facets: bool) -> SetStats:
    """The stats of ``plan``'s set at ``gen``, upgraded from ``old`` when possible."""
    if old is not None and (old.tags is not None or not facets):
        if old.gen == gen:
            return old
        upgraded = upgrade(conn, plan, old, gen, log_from)
        if upgraded is not None:
            return upgraded
    return compute(conn, plan, gen, facets)


def meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())
