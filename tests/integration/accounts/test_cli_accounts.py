"""``maillage accounts grant|revoke|list`` as a real command against a real nats-server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.accounts.storage import Stores
from shared.bus import Bus
from shared.natsserver import NatsServer

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


def maillage(nats_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=REPO,
                          env={"MAILLAGE_NATS_URL": nats_url, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60)


async def test_grant_list_revoke(nats_server: NatsServer, bus: Bus) -> None:
    done = maillage(nats_server.url, "accounts", "grant", "operator", "Ops@Ville.example")
    assert done.returncode == 0, done.stderr
    done = maillage(nats_server.url, "accounts", "grant", "city-agent", "ops@ville.example")
    assert "roles now: city_agent, operator" in done.stdout
    listed = maillage(nats_server.url, "accounts", "list")
    assert "ops@ville.example" in listed.stdout and "city_agent,operator" in listed.stdout
    maillage(nats_server.url, "accounts", "revoke", "operator", "ops@ville.example")
    person = await (await Stores.open(bus)).people.by_email("ops@ville.example")
    assert person is not None and person.roles == ("city_agent",)
    history = await (await Stores.open(bus)).records.history(
        f"maillage.rec.person.{person.id}")
    assert {e.actor for e in history} == {"cli"}


async def test_export_gives_the_person_s_records_and_changes(nats_server: NatsServer,
                                                             bus: Bus) -> None:
    from services.associations.storage import Associations

    stores = await Stores.open(bus)
    person = await stores.people.find_or_create("lea@exemple.fr")
    await stores.people.rename(person.id, "Léa")
    await Associations(stores).create({"name": "Les Amis du Thabor"}, actor=person.id,
                                      founder=person)
    done = maillage(nats_server.url, "accounts", "export", "lea@exemple.fr")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["person"]["name"] == "Léa"
    assert [m["association"] for m in data["memberships"]] == ["les-amis-du-thabor"]
    assert {c["record"] for c in data["changes_made"]} >= {
        f"person.{person.id}", "association.les-amis-du-thabor",
        f"membership.les-amis-du-thabor.{person.id}"}
    missing = maillage(nats_server.url, "accounts", "export", "personne@exemple.fr")
    assert missing.returncode == 1 and "no account" in missing.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("grant", "king", "a@b.fr"), "unknown role 'king'"),
    (("grant", "operator", "not-an-address"), "not an e-mail address"),
])
def test_bad_input_is_one_line(nats_server: NatsServer, args: tuple[str, ...],
                               message: str) -> None:
    done = maillage(nats_server.url, "accounts", *args)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and message in done.stderr
