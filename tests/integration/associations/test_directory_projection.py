"""Association records reach the directory through the indexer's records consumer (real
nats-server, real SQLite, the real reference data for the geocoder): public fields only,
dissolved ones marked, pending ones and deleted ones out, and ``maillage reindex`` rebuilds
the directory from RECORDS."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.accounts.storage import Stores
from services.associations.storage import Associations
from services.indexer.records_consumer import RecordsIndexer
from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.bus import Bus
from shared.natsserver import NatsServer
from shared.reference import reference_dir
from shared.settings import load
from shared.store.directory_base import DirectoryQuery
from shared.store.directory_sqlite import SqliteDirectory

pytestmark = pytest.mark.integration

#: The official reference data (communes of the Métropole for the import's scope, polygons for the
#: geocoder) cannot be committed; where it is absent these tests say so (reference fetch).
NEEDS_REFERENCE = pytest.mark.skipif(
    not (reference_dir(os.environ) / "rennes_metropole_communes.csv").is_file(),
    reason=f"reference data not found at {reference_dir(os.environ)} (set MAILLAGE_REFERENCE_DIR)")

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "associations"


def maillage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=REPO,
                          env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=120)


async def project_until(bus: Bus, directory: SqliteDirectory, count: int) -> None:
    geocoder = make_enricher(load(INDEXER_SETTINGS, {})).geocoder
    indexer = RecordsIndexer(bus, directory, geocoder.geocode, batch_size=64)
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    try:
        async with asyncio.timeout(30):
            while await directory.count() != count:  # noqa: ASYNC110 - polling the store
                await asyncio.sleep(0.1)
    finally:
        task.cancel()


@NEEDS_REFERENCE
async def test_records_projected_placed_and_private_fields_kept_out(
        nats_server: NatsServer, bus: Bus, tmp_path: Path) -> None:
    env = {"MAILLAGE_NATS_URL": nats_server.url}
    done = maillage(env, "associations", "import-rna", str(FIXTURES / "rna_waldec_utf8.csv"))
    assert done.returncode == 0, done.stderr
    associations = Associations(await Stores.open(bus))
    await associations.create({"name": "Club secret", "contact": {"email": "x@club.example",
                                                                  "phone": "02 99 00 00 00"},
                               "contact_public": False}, actor="p_1")
    await associations.create({"name": "Club ouvert", "contact": {"email": "o@club.example"},
                               "contact_public": True}, actor="p_1")
    await associations.create({"name": "En attente"}, actor="p_2", state="pending")
    directory = SqliteDirectory(tmp_path / "directory.sqlite")
    await project_until(bus, directory, 6)  # 4 imported, 2 created; the pending one out

    page = await directory.search(DirectoryQuery(limit=50))
    by_name = {item["name"]: item for item in page.items}
    assert "En attente" not in by_name
    assert "contact" not in by_name["Club secret"]
    assert "requested_by" not in by_name["Club secret"]
    assert by_name["Club ouvert"]["contact"] == {"email": "o@club.example"}
    velo = by_name["VÉLO CLUB DES ALLIÉS"]
    assert velo["commune"] == "Rennes" and velo["insee"] == "35238"
    assert velo["themes"] == ["sport"] and velo["themes_from"] == "rna"  # from 011000
    assert by_name["Club secret"]["themes"] == [] and by_name["Club secret"]["themes_from"] is None
    assert velo["quartier"]  # "6 cours des Alliés" placed in a Rennes quartier
    bruz = by_name["AMICALE DES BOULISTES DE BRUZ"]
    assert bruz["state"] == "dissolved" and bruz["commune"] == "Bruz"
    assert "quartier" not in bruz  # quartiers are Rennes's only
    raw = (tmp_path / "directory.sqlite").read_bytes()
    assert b"x@club.example" not in raw and b"02 99 00 00 00" not in raw
    await directory.close()


@NEEDS_REFERENCE
def test_reindex_replays_the_records_into_the_directory(
        nats_server: NatsServer, tmp_path: Path) -> None:
    env = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_DATA_DIR": str(tmp_path / "data")}
    assert maillage(env, "associations", "import-rna",
                    str(FIXTURES / "rna_waldec_latin1.csv")).returncode == 0
    done = maillage(env, "reindex", "--yes")
    assert done.returncode == 0, done.stderr
    assert "4 associations in the directory" in done.stdout
    again = maillage(env, "reindex", "--yes")
    assert "4 associations in the directory" in again.stdout


async def test_a_poison_record_is_dead_lettered_and_does_not_block_the_others(
        bus: Bus, tmp_path: Path) -> None:
    await bus.js.publish("maillage.rec.association.broken", b"{not json")
    await bus.js.publish("maillage.rec.association.noname",
                         b'{"op": "create", "record": {"id": "noname"}}')  # no name
    associations = Associations(await Stores.open(bus))
    await associations.create({"name": "Après le poison"}, actor="p_1")
    directory = SqliteDirectory(tmp_path / "directory.sqlite")
    await project_until(bus, directory, 1)
    assert (await directory.search(DirectoryQuery())).items[0]["name"] == "Après le poison"
    info = await bus.js.stream_info("DLQ")
    assert info.state.messages == 2
    first = json.loads((await bus.js.get_msg("DLQ", info.state.first_seq)).data or b"{}")
    assert first["subject"] == "maillage.rec.association.broken"
    assert "undecodable association record" in first["reason"]
    await directory.close()


async def test_links_made_before_the_projection_starts_are_in_every_document(
        bus: Bus, tmp_path: Path) -> None:
    """As at the indexer's start: the associations with links are projected again (more than
    ONE_BY_ONE of them: in one read of all the records), and the consumer's own messages of
    the same records, arriving after, do not take their links away."""
    from services.associations import links
    from services.indexer.records_consumer import ONE_BY_ONE
    from tests.directory_projection import project_directory

    stores = await Stores.open(bus)
    associations = Associations(stores)
    count = ONE_BY_ONE + 10
    for n in range(count):
        await associations.create({"name": f"Club numéro {n}"}, actor="test", aid=f"club-{n}")
        lid = links.link_id(links.ORGANIZER, f"Les amis du club {n}")
        await stores.records.create(links.subject(stores.records, lid), {
            "id": lid, "kind": links.ORGANIZER, "value": f"Les amis du club {n}",
            "links": [], "decisions": {f"Les amis du club {n}": f"club-{n}"}}, actor="op")
    directory = SqliteDirectory(tmp_path / "directory.sqlite")
    await project_directory(bus, directory)
    assert await directory.count() == count
    for n in range(count):
        doc = await directory.get(f"club-{n}")
        assert doc is not None and f"Les amis du club {n}" in doc["organizers"], n
    await directory.close()
