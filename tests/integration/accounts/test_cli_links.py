"""``maillage associations links review|decide|list|refresh`` as real commands against a real
nats-server and the SQLite search store of a data directory."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.accounts.storage import Stores
from services.associations import links
from services.associations.storage import Associations
from services.cli.association_links import links_review
from shared.bus import Bus
from shared.model import Event, EventMessage, Occurrence
from shared.natsserver import NatsServer
from shared.settings import COMMON, load
from shared.store.sqlite import SqliteStore

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def maillage(nats_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", "associations", "links", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={"MAILLAGE_NATS_URL": nats_url, "PATH": "/usr/bin:/bin",
                               "MAILLAGE_DATA_DIR": str(data_dir)})


async def setup_data(bus: Bus, data_dir: Path) -> Stores:
    stores = await Stores.open(bus)
    associations = Associations(stores)
    await associations.create({"name": "Amicale Laïque du Blosne", "acronym": "AL"},
                              actor="test", aid="alb")
    await associations.create({"name": "Amicale Laïque de Cleunay", "acronym": "AL"},
                              actor="test", aid="alc")
    await associations.create({"name": "Roazhon Vélo Solidaire"}, actor="test", aid="velo")
    store = SqliteStore(data_dir / "index.sqlite")
    start = datetime.now(UTC) + timedelta(days=2)
    await store.apply([EventMessage.upsert(Event.create(
        source_id="s", source_uid=o, title="Rencontre", organizer=o,
        occurrences=(Occurrence(start=start),)), 1)
        for o in ("AL", "Roazhon Vélo Solidaire", "Mairie")])
    await store.close()
    return stores


async def test_refresh_review_decide_list(nats_server: NatsServer, bus: Bus,
                                          tmp_path: Path) -> None:
    stores = await setup_data(bus, tmp_path)
    done = maillage(nats_server.url, tmp_path, "refresh")
    assert done.returncode == 0, done.stderr
    assert "3 organizer(s) and source(s) read, 2 link record(s) written; 1 link(s) made, " \
           "1 waiting for review" in done.stdout
    again = maillage(nats_server.url, tmp_path, "refresh")
    assert "0 link record(s) written" in again.stdout, again.stdout

    queue = maillage(nats_server.url, tmp_path, "review")  # not a terminal: lists, asks nothing
    assert queue.returncode == 0, queue.stderr
    assert "'AL'" in queue.stdout and "alb" in queue.stdout and "alc" in queue.stdout
    lid = links.link_id(links.ORGANIZER, "AL")
    assert lid in queue.stdout

    bad = maillage(nats_server.url, tmp_path, "decide", lid, "nope")
    assert bad.returncode == 1 and "no association 'nope'" in bad.stderr
    done = maillage(nats_server.url, tmp_path, "decide", lid, "alc")
    assert done.returncode == 0, done.stderr
    assert "linked to alc" in done.stdout
    listed = maillage(nats_server.url, tmp_path, "list")
    assert "alc" in listed.stdout and "operator" in listed.stdout
    assert "velo" in listed.stdout and "declared" not in listed.stdout  # its name, not declared
    assert "no link waiting" in maillage(nats_server.url, tmp_path, "review").stdout
    entry = await stores.records.get(links.subject(stores.records, lid))
    assert entry is not None and entry.actor == "cli" and entry.record["decisions"] == {
        "AL": "alc"}


async def test_interactive_review_records_each_answer(nats_server: NatsServer, bus: Bus,
                                                      tmp_path: Path) -> None:
    stores = await setup_data(bus, tmp_path)
    store = SqliteStore(tmp_path / "index.sqlite")
    await links.refresh(stores.records, await links.named_in(store), actor="test")
    await store.close()
    answers = iter(["2"])
    settings = load(COMMON, {"MAILLAGE_NATS_URL": nats_server.url})
    assert await links_review(argparse.Namespace(list=False), settings,
                              ask=lambda _: next(answers)) == 0
    lid = links.link_id(links.ORGANIZER, "AL")
    entry = await stores.records.get(links.subject(stores.records, lid))
    assert entry is not None and entry.record["decisions"] == {"AL": "alc"}
