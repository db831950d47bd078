"""The search store unavailable for a while: the indexer backs off without acking, then catches
up when the store is back. Nothing lost, nothing duplicated.

The indexer runs as its own process on a real SQLite file; the test makes the store refuse
writes by holding its write lock (as a long migration or a stuck writer would): the indexer's
writes fail after SQLite's busy timeout, the batch is nak'ed with a growing delay, and no
message of it is acked until the lock is released.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.bus import EVENTS_SUBJECT, Bus
from shared.model import Event, EventMessage, Occurrence
from shared.natsserver import NatsServer
from tests.integration.faults.procs import Processes, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]


def db_counts(path: Path) -> tuple[int, int]:
    if not path.exists():
        return (0, 0)
    conn = sqlite3.connect(path, timeout=5)
    try:
        docs = conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        distinct = conn.execute("SELECT COUNT(DISTINCT id) FROM docs").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return (0, 0)
    finally:
        conn.close()
    return docs, distinct


async def publish(bus: Bus, first: int, count: int) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    for i in range(first, first + count):
        event = Event.create(source_id="asso", source_uid=f"u{i}", title=f"Concert {i}",
                             occurrences=(Occurrence(start=start + timedelta(hours=i)),))
        msg = EventMessage.upsert(event, version=1_000 + i)
        await bus.publish(f"{EVENTS_SUBJECT}.asso", msg.to_json(), msg.msg_id)


async def test_indexer_backs_off_without_acking_while_the_store_refuses_writes(
    nats_server: NatsServer, bus: Bus, procs: Processes, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "index.sqlite"
    await publish(bus, 0, 100)
    procs.start("services.indexer", {
        "MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_DATA_DIR": str(tmp_path / "data"),
        "MAILLAGE_BATCH_SIZE": "25", "MAILLAGE_ACK_WAIT": "90", "MAILLAGE_RETRY_DELAY": "1",
    }, "indexer")

    async def drained() -> bool:
        info = await bus.js.consumer_info("EVENTS", "indexer")
        return info.num_pending == 0 and info.num_ack_pending == 0

    await wait_until(lambda: db_counts(db)[0] == 100, 60, "the first 100 events indexed")
    await wait_until(drained, 30, "the first batches acked")

    blocker = sqlite3.connect(db, timeout=5, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # the store is unavailable for writes from now
        await publish(bus, 100, 200)
        await wait_until(lambda: "store write failed" in procs.log("indexer"), 60,
                         "the indexer to report the failed write", every=0.5)
        info = await bus.js.consumer_info("EVENTS", "indexer")
        assert info.ack_floor.stream_seq == 100, "a message was acked while the store was down"
        assert info.num_pending + info.num_ack_pending == 200
        assert db_counts(db) == (100, 100)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    await wait_until(lambda: db_counts(db)[0] >= 300, 60, "the indexer to catch up")
    await wait_until(drained, 30, "every message acked")
    assert db_counts(db) == (300, 300)
