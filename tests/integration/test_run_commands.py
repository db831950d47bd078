"""The operator commands act on the stack ``maillage run`` runs, not on what their own directory
holds: ``maillage reindex`` in a second terminal rebuilds that stack's search store with that
stack's reference data (here, what ``maillage reference fetch`` stored under its data
directory), and so does it from another directory of the machine."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.cli import opstools
from services.cli.reference_fetch import (
    build_communes,
    build_quartiers,
    build_rna,
    build_streets,
    store,
)
from shared.bus import EVENTS_SUBJECT, Bus
from shared.model import Event, EventMessage, Location, Occurrence
from shared.natsserver import free_port
from tests.integration.faults.procs import wait_until_sync
from tests.integration.test_reference_fetch import communes, overpass, quartiers, rna_csv
from tests.integration.test_run import get_json, stop_cleanly

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

#: Inside the third square quartier of the reference data written below.
PLACE = Location(name="Salle polyvalente", lat=48.102, lon=-1.694)


def fetched_reference(directory: Path) -> None:
    """What ``maillage reference fetch`` stores, built from small exports in the official
    formats (the loopback fetch itself is tested in test_reference_fetch)."""
    for files in (build_quartiers(quartiers()), build_communes(communes()),
                  build_rna(rna_csv()), build_streets(overpass())):
        store(directory, files)


def publish(nats_url: str, event: Event) -> None:
    async def main() -> None:
        bus = await Bus.connect(nats_url, name="test-publisher")
        try:
            await bus.ensure()  # the services may not have created the streams yet
            msg = EventMessage.upsert(event, version=1)
            await bus.publish(f"{EVENTS_SUBJECT}.salle", msg.to_json(), msg.msg_id)
        finally:
            await bus.close()

    asyncio.run(main())


def quartier_of(base: str) -> str | None:
    items = get_json(f"{base}/v1/events?q=ludoth%C3%A8que")["items"]
    return items[0]["location"]["quartier"] if items else None


def maillage(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command as an operator types it in a second terminal: no setting in its environment."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAILLAGE_NATS_URL", "MAILLAGE_DATA_DIR", "MAILLAGE_REFERENCE_DIR")}
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_reindex_in_a_second_terminal_rebuilds_the_running_stacks_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"  # stands for the clone: 'make run' runs from it
    data = checkout / "var"
    fetched_reference(data / "reference")
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAILLAGE_DATA_DIR", "MAILLAGE_REFERENCE_DIR", "MAILLAGE_NATS_URL")}
    env.update({"MAILLAGE_HTTP_PORT": str(port), "MAILLAGE_INGEST_PORT": str(free_port()),
                "MAILLAGE_MONITOR_PORT": str(free_port()), "MAILLAGE_NATS_PORT": str(free_port()),
                "MAILLAGE_METRICS_PORT": "0"})
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run"], cwd=checkout, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_sync(lambda: (data / "nats.url").exists(), 60, "the stack's NATS URL")
        stack = json.loads((data / "stack.json").read_text())
        assert stack["MAILLAGE_REFERENCE_DIR"] == str(data / "reference")
        assert (data / "stack.json").stat().st_mode & 0o077 == 0
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        publish((data / "nats.url").read_text().strip(), Event.create(
            source_id="salle", source_uid="jeux-1", title="Après-midi ludothèque",
            location=PLACE, occurrences=(Occurrence(start=start),)))
        wait_until_sync(lambda: quartier_of(base) == "Quartier 3", 90,
                        "the running indexer to place the event", every=0.3)

        done = maillage(checkout, "reindex", "--yes")
        assert done.returncode == 0, done.stderr
        assert f"1 documents in the store ({data / 'index.sqlite'})" in done.stdout
        wait_until_sync(lambda: quartier_of(base) is not None, 30, "the reindexed event",
                        every=0.3)
        assert quartier_of(base) == "Quartier 3"  # the stack's reference data, not another

        elsewhere = tmp_path / "elsewhere"  # ~ or any directory: found through the checkout
        elsewhere.mkdir()
        monkeypatch.setattr(opstools, "REPO_ROOT", checkout)
        assert opstools.stack_environ({})["MAILLAGE_DATA_DIR"] == str(data)
        found = opstools.stack_environ({"MAILLAGE_DATA_DIR": str(elsewhere / "var")})
        assert found["MAILLAGE_REFERENCE_DIR"] == str(data / "reference")
        other = opstools.stack_environ({"MAILLAGE_NATS_URL": "nats://127.0.0.1:1"})
        assert "MAILLAGE_REFERENCE_DIR" not in other  # another stack, named explicitly
    finally:
        stop_cleanly(proc, data)
    assert not (data / "stack.json").exists() and not (data / "nats.url").exists()
