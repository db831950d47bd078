"""``maillage associations import-rna|import-city`` as real commands against a real
nats-server: summary, idempotence, provenance, both encodings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.accounts.storage import Stores
from services.associations.storage import Associations
from shared.bus import Bus
from shared.natsserver import NatsServer
from shared.reference import reference_dir

#: The official reference data (communes of the Métropole for the import's scope, polygons for the
#: geocoder) cannot be committed; where it is absent these tests say so (reference fetch).
NEEDS_REFERENCE = pytest.mark.skipif(
    not (reference_dir(os.environ) / "rennes_metropole_communes.csv").is_file(),
    reason=f"reference data not found at {reference_dir(os.environ)} (set MAILLAGE_REFERENCE_DIR)")
pytestmark = [pytest.mark.integration, NEEDS_REFERENCE]
REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "associations"


def maillage(nats_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], cwd=REPO,
                          env={"MAILLAGE_NATS_URL": nats_url, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60)


def summary(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


async def test_rna_import_summary_then_a_second_import_changes_nothing(
        nats_server: NatsServer, bus: Bus) -> None:
    first = summary(maillage(nats_server.url, "associations", "import-rna",
                             str(FIXTURES / "rna_waldec_latin1.csv"), "--json"))
    assert first["encoding"] == "latin-1" and first["rows"] == 9
    assert (first["added"], first["updated"], first["unchanged"]) == (4, 0, 0)
    assert first["skipped"] == {"deleted from the register (position S)": 1,
                                "head office outside Rennes Métropole": 1}
    reasons = {r["line"]: r["reason"] for r in first["rejected"]}
    assert set(reasons) == {7, 9, 10} and "appears again (first on line 2)" in reasons[10]
    assert first["dropped"] == [{"line": 8, "value": "siret: 73282932000075"}]

    stores = await Stores.open(bus)
    all_before = await stores.records.latest("maillage.rec.association.*")
    second = summary(maillage(nats_server.url, "associations", "import-rna",
                              str(FIXTURES / "rna_waldec_utf8.csv"), "--json"))
    assert (second["added"], second["updated"], second["unchanged"]) == (0, 0, 4)
    all_after = await stores.records.latest("maillage.rec.association.*")
    assert [e.seq for e in all_after] == [e.seq for e in all_before]  # nothing written

    found = {a.rna: a for a in await Associations(stores).all()}
    assert set(found) == {"W353000101", "W353000102", "W353000103", "W353000107"}
    bruz = found["W353000103"]
    assert bruz.state == "dissolved" and not bruz.active and bruz.listed
    assert await stores.claims.owner("rna", "W353000101") == found["W353000101"].id
    history = await stores.records.history(f"maillage.rec.association.{bruz.id}")
    assert [(e.actor, e.reason) for e in history] == [("cli", "RNA import")]


async def test_what_the_association_wrote_survives_a_new_import(
        nats_server: NatsServer, bus: Bus) -> None:
    summary(maillage(nats_server.url, "associations", "import-rna",
                     str(FIXTURES / "rna_waldec_utf8.csv"), "--json"))
    stores = await Stores.open(bus)
    associations = Associations(stores)
    velo = next(a for a in await associations.all() if a.rna == "W353000101")
    await associations.edit(velo.id, {"purpose": "Le vélo pour toutes et tous"}, actor="p_1")
    summary(maillage(nats_server.url, "associations", "import-rna",
                     str(FIXTURES / "rna_waldec_utf8.csv"), "--json"))
    city = summary(maillage(nats_server.url, "associations", "import-city",
                            str(FIXTURES / "city_organisations.csv"), "--json"))
    assert city["rejected"] == [{"line": 5, "reason": "ORG-0004: no name (nom_usage)"}]
    assert (city["added"], city["updated"]) == (2, 1)  # the club: the register's, by name
    after = await associations.get(velo.id)
    assert after is not None and after.purpose == "Le vélo pour toutes et tous"
    assert after.provenance["purpose"] == "self"
    assert after.city_id == "ORG-0001" and after.rna == "W353000101"
    assert after.name == "Vélo Club des Alliés"  # the city's spelling ranks above
    assert await stores.claims.owner("city", "ORG-0001") == velo.id
    again = summary(maillage(nats_server.url, "associations", "import-city",
                             str(FIXTURES / "city_organisations.json"), "--json"))
    assert (again["added"], again["updated"]) == (0, 0) and again["unchanged"] == 2


def test_the_report_and_bad_files(nats_server: NatsServer, tmp_path: Path) -> None:
    done = maillage(nats_server.url, "associations", "import-rna",
                    str(FIXTURES / "rna_waldec_utf8.csv"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == ("9 row(s) read (utf-8): 4 added, 0 updated, "
                                           "0 unchanged, 3 rejected")
    assert "importing rna_waldec_utf8.csv" in done.stderr  # the progress
    other = tmp_path / "other.csv"
    other.write_text("nom;ville\nA;Rennes\n", encoding="utf-8")
    bad = maillage(nats_server.url, "associations", "import-rna", str(other))
    assert bad.returncode == 1 and "missing column(s)" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
    missing = maillage(nats_server.url, "associations", "import-city", str(tmp_path / "no"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
