"""Opening a SQLite file in WAL mode from several processes at once."""

from __future__ import annotations

import sqlite3
import time

BUSY_TIMEOUT_S = 30.0


def connect_wal(path: str, *, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """An autocommit connection in WAL mode, with ``synchronous=NORMAL`` and a busy timeout.

    ``PRAGMA journal_mode=WAL`` may answer "database is locked" at once, without waiting
    on the busy handler: SQLite refuses to upgrade a shared lock while another connection
    holds a pending one (its deadlock avoidance), which happens when two processes open a
    new file together (query workers forking at start or on replacement). The pragma is
    retried until the timeout; every other statement waits on ``busy_timeout``."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                conn.close()
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    return conn
