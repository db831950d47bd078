"""The change log of :mod:`shared.store.sqlite`: what each write generation did to ``docs``.

Every write logs, in table ``changes``, the canonical documents it removed (with their tags)
and added, by generation. Readers in other processes follow it to keep their in-memory index
(:mod:`shared.store.sqlite_bitmaps`) current without rereading the tables: after a write they
read only the documents it touched. ``meta.log_from`` is the oldest generation the log is
complete from; a reader older than that rebuilds.
"""

from __future__ import annotations

import sqlite3
from typing import Any

#: Rows of ``changes`` kept by the writer (whole generations are dropped, oldest first): a
#: reader that fell further behind rebuilds its index.
KEEP_ROWS = 50_000


def prune(conn: sqlite3.Connection, gen: int) -> None:
    """Drop the oldest generations beyond :data:`KEEP_ROWS` rows (inside the write
    transaction)."""
    row = conn.execute(
        "SELECT gen FROM changes WHERE rowid <= (SELECT MAX(rowid) FROM changes) - ?"
        " ORDER BY rowid DESC LIMIT 1", (KEEP_ROWS,)).fetchone()
    if row is not None:
        conn.execute("DELETE FROM changes WHERE gen <= ?", (row[0],))
        conn.execute("UPDATE meta SET value = MAX(value, ?) WHERE key = 'log_from'", (row[0],))


def meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())
