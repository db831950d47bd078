"""``maillage venues import``: the rooms of the reference file (a fixture written for the
test, in the reference file's columns) become venues of the city; town halls and parks are
left out; a second import changes nothing, nor what an operator wrote meanwhile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.accounts.storage import Stores
from services.venues.model import CITY
from services.venues.storage import Venues
from shared.bus import Bus
from shared.natsserver import NatsServer

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "venues"


def maillage(nats_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", "venues", "import"], cwd=REPO,
                          env={"MAILLAGE_NATS_URL": nats_url, "PATH": "/usr/bin:/bin",
                               "MAILLAGE_REFERENCE_DIR": str(FIXTURES)},
                          capture_output=True, text=True, timeout=120)


async def test_the_citys_rooms_are_imported_once(nats_server: NatsServer, bus: Bus) -> None:
    done = maillage(nats_server.url)
    assert done.returncode == 0, done.stderr
    assert "2 added, 0 already there, 2 skipped" in done.stdout
    venues = Venues(await Stores.open(bus))
    found = await venues.of_owner(CITY)
    assert [v.name for v in found] == ["L'Escale, pôle associatif",
                                       "Maison de quartier des Tilleuls"]
    tilleuls = found[1]
    assert (tilleuls.street, tilleuls.postcode, tilleuls.owner_name) == (
        "4 rue des Tilleuls", "35000", "Ville de Rennes")
    await venues.edit(tilleuls.id, {"capacity": 60}, actor="p_operator")
    again = maillage(nats_server.url)
    assert "0 added, 2 already there" in again.stdout, again.stderr
    kept = await venues.get(tilleuls.id)
    assert kept is not None and kept.capacity == 60
