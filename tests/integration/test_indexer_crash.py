"""``kill -9`` of the indexer process mid-stream, then a restart: nothing lost, nothing doubled.

The indexer runs as its own process (``python -m services.indexer``) against a real
nats-server and a real SQLite file. Messages are acked only after their batch is committed,
and writes are idempotent by version, so whatever was in flight when the process died is
redelivered and applied exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.bus import EVENTS_SUBJECT, Bus
from shared.model import Event, EventMessage, Occurrence
from shared.natsserver import NatsServer

pytestmark = pytest.mark.integration

TOTAL = 3000


def make_messages(count: int) -> list[EventMessage]:
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    messages = []
    for i in range(count):
        event = Event.create(
            source_id=f"src{i % 7}",
            source_uid=f"uid-{i}",
            title=f"Atelier numéro {i} au jardin partagé",
            description="<p>Un atelier <b>ouvert à tous</b>, entrée libre.</p>",
            occurrences=(Occurrence(start=base + timedelta(minutes=17 * i)),),
        )
        messages.append(EventMessage.upsert(event, version=1_000 + i))
    return messages


def db_counts(path: Path) -> tuple[int, int, int]:
    if not path.exists():
        return (0, 0, 0)
    conn = sqlite3.connect(path, timeout=30)
    try:
        docs = conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
        distinct = conn.execute("SELECT COUNT(DISTINCT id) FROM docs").fetchone()[0]
        events = conn.execute("SELECT COUNT(*) FROM events WHERE deleted = 0").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return (0, 0, 0)
    finally:
        conn.close()
    return docs, distinct, events


def start_indexer(nats: NatsServer, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MAILLAGE_NATS_URL": nats.url,
        "MAILLAGE_DATA_DIR": str(data_dir),
        "MAILLAGE_BATCH_SIZE": "25",
        "MAILLAGE_ACK_WAIT": "2",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "services.indexer"], env=env)


async def wait_for(predicate, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_kill_9_mid_stream_loses_and_duplicates_nothing(
    bus: Bus, nats_server: NatsServer, tmp_path: Path
) -> None:
    for msg in make_messages(TOTAL):
        await bus.publish(f"{EVENTS_SUBJECT}.{msg.source_id}", msg.to_json(), msg.msg_id)
    db = tmp_path / "data" / "index.sqlite"

    first = start_indexer(nats_server, tmp_path / "data")
    try:
        await wait_for(lambda: db_counts(db)[0] >= 200, 60, "the indexer to start writing")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    docs_at_kill = db_counts(db)[0]
    assert docs_at_kill < TOTAL, "the indexer finished before it could be killed mid-stream"

    second = start_indexer(nats_server, tmp_path / "data")
    try:
        await wait_for(lambda: db_counts(db)[0] >= TOTAL, 120, "the restarted indexer")

        async def drained() -> bool:
            info = await bus.js.consumer_info("EVENTS", "indexer")
            return info.num_pending == 0 and info.num_ack_pending == 0

        deadline = asyncio.get_running_loop().time() + 30
        while not await drained():
            assert asyncio.get_running_loop().time() < deadline, "consumer never drained"
            await asyncio.sleep(0.1)
    finally:
        second.terminate()
        second.wait(15)

    assert db_counts(db) == (TOTAL, TOTAL, TOTAL)
