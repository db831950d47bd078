"""Several processes opening one new SQLite file at the same moment (query workers forking
at start, or a worker replaced while its sibling serves) all get a WAL connection."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

from shared.store.sqlite_open import connect_wal

ROUNDS = 40
PROCESSES = 4


def _open(path: str, go: mp.synchronize.Event) -> None:
    go.wait()
    conn = connect_wal(path)
    conn.executescript("CREATE TABLE IF NOT EXISTS a(x); CREATE TABLE IF NOT EXISTS b(y);")
    conn.close()


def test_processes_opening_a_new_file_together_all_succeed(tmp_path: Path) -> None:
    # Before connect_wal, about one process in sixty died here with "database is locked":
    # SQLite answers the journal-mode change at once, without its busy handler.
    ctx = mp.get_context("fork")
    failed = 0
    for i in range(ROUNDS):
        go = ctx.Event()
        path = str(tmp_path / f"{i}.sqlite")
        procs = [ctx.Process(target=_open, args=(path, go)) for _ in range(PROCESSES)]
        for proc in procs:
            proc.start()
        go.set()
        for proc in procs:
            proc.join(timeout=60)
            failed += proc.exitcode != 0
        mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    assert failed == 0

