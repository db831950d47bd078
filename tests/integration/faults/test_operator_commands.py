"""``maillage sources|status|dlq|reindex`` against a real nats-server and a real SQLite file.

The commands run in-process through the same argparse wiring as ``maillage`` (they call
``asyncio.run`` themselves, so these tests are synchronous).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.cli.commands import register
from services.harvester.registry import RegisteredSource, SourceRegistry
from services.harvester.state import SourceState, StateStore
from shared.bus import EVENTS_SUBJECT, Bus
from shared.errors import ConfigError
from shared.model import Event, EventMessage, Occurrence
from shared.natsserver import NatsServer

pytestmark = pytest.mark.integration

SOURCES = """\
[[sources]]
id = "velo"
url = "https://velo.example/agenda.ics"

[[sources]]
id = "chorale"
url = "https://chorale.example/feed.xml"
format = "rss"
"""


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="maillage")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code: int = args.func(args)
    return code


@pytest.fixture
def env(nats_server: NatsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES)
    monkeypatch.setenv("MAILLAGE_NATS_URL", nats_server.url)
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "data"))
    assert cli("sources", "import", str(sources)) == 0
    yield tmp_path


def on_bus(url: str, work):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        bus = await Bus.connect(url, name="test-check")
        try:
            await bus.ensure()
            return await work(bus)
        finally:
            await bus.close()

    return asyncio.run(main())


def state_of(url: str, source_id: str) -> SourceState:
    async def work(bus: Bus) -> SourceState:
        return await StateStore(await bus.kv("harvest_state")).get(source_id)

    result: SourceState = on_bus(url, work)
    return result


def test_sources_list_shows_each_source_with_its_state(
    env: Path, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed(bus: Bus) -> None:
        state = SourceState(errors=2, last_error="timeout: timed out", published={"ev_1": "h"})
        await StateStore(await bus.kv("harvest_state")).put("velo", state)

    on_bus(nats_server.url, seed)
    assert cli("sources", "list", "--json") == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["velo"]["status"], rows["velo"]["errors"], rows["velo"]["events"]) == (
        "failing", 2, 1)
    assert rows["chorale"]["status"] == "waiting"  # never harvested yet


def test_sources_list_shows_times_on_the_operators_clock_and_no_next_check_when_disabled(
    env: Path, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed(bus: Bus) -> None:
        store = StateStore(await bus.kv("harvest_state"))
        await store.put("velo", SourceState(last_success="2026-12-02T08:28:32.25+00:00",
                                            next_check="2026-12-02T09:28:32+00:00"))
        await store.put("chorale", SourceState(next_check="2026-12-02T10:42:00+00:00"))

    on_bus(nats_server.url, seed)
    assert cli("sources", "disable", "chorale") == 0
    capsys.readouterr()
    assert cli("sources", "list") == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "2026-12-02 10:28 CET" in lines["velo"] and "2026-12-02 09:28 CET" in lines["velo"]
    assert "11:42" not in lines["chorale"] and "CET" not in lines["chorale"]
    assert cli("sources", "list", "--json") == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["chorale"]["next_check"] is None
    assert rows["velo"]["next_check"] == "2026-12-02T09:28:32+00:00"  # JSON: ISO, as stored


def record_of(url: str, source_id: str) -> RegisteredSource | None:
    async def work(bus: Bus) -> RegisteredSource | None:
        return await SourceRegistry(bus).get(source_id)

    result: RegisteredSource | None = on_bus(url, work)
    return result


def test_disable_then_enable_flips_the_registry_and_resets_errors(
    env: Path, nats_server: NatsServer
) -> None:
    async def seed(bus: Bus) -> None:  # disabled by the harvester after too many errors
        state = SourceState(errors=10, disabled=True, next_check="2099-01-01T00:00:00+00:00")
        await StateStore(await bus.kv("harvest_state")).put("velo", state)

    on_bus(nats_server.url, seed)
    assert cli("sources", "disable", "velo") == 0
    record = record_of(nats_server.url, "velo")
    assert record is not None and not record.enabled and record.updated_by.startswith("cli:")
    assert cli("sources", "enable", "velo") == 0
    record = record_of(nats_server.url, "velo")
    assert record is not None and record.enabled
    state = state_of(nats_server.url, "velo")
    assert (state.disabled, state.errors, state.next_check) == (False, 0, None)


def test_disable_of_an_unknown_source_is_a_config_error(env: Path) -> None:
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        cli("sources", "disable", "nope")


def test_harvest_now_queues_one_job_and_says_when_one_is_pending(
    env: Path, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("sources", "harvest-now", "velo") == 0
    assert cli("sources", "harvest-now", "velo") == 0
    assert "already queued" in capsys.readouterr().err

    async def jobs(bus: Bus) -> int:
        return (await bus.js.stream_info("JOBS")).state.messages

    assert on_bus(nats_server.url, jobs) == 1


def test_sources_add_registers_a_valid_source_and_refuses_a_duplicate(
    env: Path, nats_server: NatsServer
) -> None:
    assert cli("sources", "add", "cafe", "https://cafe.example/agenda.ics",
               "--organizer", 'Café "associatif"', "--interval", "7200") == 0
    added = record_of(nats_server.url, "cafe")
    assert added is not None
    assert (added.source.organizer, added.source.interval) == ('Café "associatif"', 7200)
    with pytest.raises(ConfigError, match="already exists"):
        cli("sources", "add", "cafe", "https://cafe.example/other.ics")
    with pytest.raises(ConfigError, match="'interval' must be a positive"):
        cli("sources", "add", "cafe2", "https://cafe.example/2.ics", "--interval", "0")


def test_export_then_import_is_unchanged_and_remove_forgets_the_source(
    env: Path, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert cli("sources", "export") == 0
    exported = env / "exported.toml"
    exported.write_text(capsys.readouterr().out)
    assert cli("sources", "import", str(exported)) == 0
    assert "0 added, 0 updated, 2 unchanged, 0 rejected" in capsys.readouterr().out
    assert cli("sources", "remove", "velo") == 0
    assert record_of(nats_server.url, "velo") is None
    with pytest.raises(ConfigError, match="unknown source 'velo'"):
        cli("sources", "harvest-now", "velo")


def test_status_reports_streams_consumers_and_sources(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("status", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert {"EVENTS", "STATUS", "JOBS", "DLQ"} <= set(report["streams"])
    assert report["consumers"]["indexer"] is None
    assert cli("status") == 0
    streams = [line for line in capsys.readouterr().out.splitlines() if "  stream " in line]
    assert len(streams) == len(report["streams"])
    assert len({line.index(" messages") for line in streams}) == 1  # one column, any name


def test_dlq_replay_republishes_to_the_original_subject_and_empties_the_dlq(
    env: Path, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    payload = '{"kind": "upsert", "broken": true}'

    async def seed(bus: Bus) -> None:
        await bus.dead_letter("EVENTS", f"{EVENTS_SUBJECT}.velo", payload.encode(),
                              "undecodable event message: 'event_id'", seq=42)

    on_bus(nats_server.url, seed)
    assert cli("dlq", "list") == 0
    assert "undecodable event message" in capsys.readouterr().out
    assert cli("dlq", "replay", "--all") == 0

    async def check(bus: Bus) -> tuple[int, bytes]:
        dlq = (await bus.js.stream_info("DLQ")).state.messages
        last = await bus.js.get_last_msg("EVENTS", f"{EVENTS_SUBJECT}.velo")
        return dlq, last.data or b""

    assert on_bus(nats_server.url, check) == (0, payload.encode())


def test_dlq_list_of_an_empty_dlq_says_none(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fresh stack has an empty DLQ (first sequence 0): listing it is no error."""
    assert cli("dlq", "list") == 0
    assert "0 dead letter(s)" in capsys.readouterr().out
    assert cli("dlq", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_dlq_replay_of_a_missing_sequence_is_a_config_error(env: Path) -> None:
    with pytest.raises(ConfigError, match="no dead letter with sequence 7"):
        cli("dlq", "replay", "7")
    with pytest.raises(ConfigError, match="no dead letter with sequence 0"):
        cli("dlq", "replay", "0")


def upserts(count: int) -> list[EventMessage]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    return [EventMessage.upsert(Event.create(
        source_id="velo", source_uid=f"u{i}", title=f"Balade à vélo {i}",
        occurrences=(Occurrence(start=start + timedelta(hours=i % 5000)),)), version=10 + i)
        for i in range(count)]


async def publish_all(bus: Bus, messages: list[EventMessage]) -> None:
    for msg in messages:
        await bus.publish(f"{EVENTS_SUBJECT}.velo", msg.to_json(), msg.msg_id)


def test_reindex_rebuilds_the_store_from_the_stream(
    env: Path, nats_server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = upserts(40)
    messages.append(EventMessage.retract(messages[0].event_id, "velo", 99, "removed"))
    on_bus(nats_server.url, lambda bus: publish_all(bus, messages))
    assert cli("reindex", "--yes", "--batch-size", "16") == 0
    assert "39 documents in the store" in capsys.readouterr().out
    db = sqlite3.connect(env / "data" / "index.sqlite")
    try:
        assert db.execute("SELECT COUNT(*) FROM docs").fetchone()[0] == 39
    finally:
        db.close()


def test_ctrl_c_of_a_reindex_says_the_store_is_incomplete(
    env: Path, nats_server: NatsServer
) -> None:
    """The reindex empties the store first: stopped halfway, it says so and what to do,
    instead of a blank line over a search that silently lacks events."""
    on_bus(nats_server.url, lambda bus: publish_all(bus, upserts(6000)))
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "reindex", "--yes",
                             "--batch-size", "50"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ), text=True)
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:  # progress, one line every 10 % without a terminal
        lines.append(line)
        if line.startswith("reindexing: ") and not line.startswith("reindexing: 0/"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    err = "".join(lines) + err
    assert proc.returncode == 130, err
    assert "Traceback" not in err and out == ""
    assert re.search(r"reindex interrupted after \d+ of 6000 messages: the search store is "
                     r"incomplete until 'maillage reindex' runs again to the end", err), err
