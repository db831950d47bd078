"""An import meets associations already on Maillage under the same name (issue 20): the
register's row is that association, not one more of that name."""

from __future__ import annotations

import pytest

from services.accounts.storage import Stores
from services.associations import links
from services.associations.importer import Importer, Summary
from services.associations.registers import rna_row
from services.associations.storage import Associations
from shared.bus import Bus

pytestmark = pytest.mark.integration
COMMUNES = {"35238": "Rennes"}


def register_row(line: int, rna: str, name: str, purpose: str) -> dict[str, str]:
    return {"id": rna, "titre": name, "objet": purpose, "adrs_codeinsee": "35238",
            "position": "A", "date_creat": "2012-04-03"}


async def test_an_association_without_its_rna_number_gets_it_instead_of_a_namesake(
        bus: Bus) -> None:
    stores = await Stores.open(bus)
    associations = Associations(stores)
    await associations.create({"name": "Roazhon Vélo Solidaire",
                               "purpose": "Atelier participatif de réparation de vélos"},
                              actor="demo", aid="velo-solidaire")
    row = rna_row(2, register_row(2, "W353000555", "ROAZHON VELO SOLIDAIRE",
                                  "réparer des vélos"), COMMUNES)
    summary = await Importer(stores, "rna").run([row], Summary("rna"))
    assert (summary.added, summary.updated, summary.rejected) == (0, 1, [])
    everyone = await associations.all()
    assert [a.id for a in everyone] == ["velo-solidaire"]  # no public duplicate
    velo = everyone[0]
    assert velo.rna == "W353000555" and velo.founded == "2012-04-03"
    assert velo.name == "Roazhon Vélo Solidaire" and velo.provenance["name"] == "self"
    assert velo.purpose.startswith("Atelier participatif")  # its own words are kept
    assert await stores.claims.owner("rna", "W353000555") == "velo-solidaire"
    again = await Importer(stores, "rna").run([row], Summary("rna"))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)


async def test_a_name_borne_by_several_associations_is_left_for_review(bus: Bus) -> None:
    stores = await Stores.open(bus)
    associations = Associations(stores)
    for aid in ("repair-cafe", "repair-cafe-2"):
        await associations.create({"name": "Repair Café Villejean"}, actor="demo", aid=aid)
    row = rna_row(7, register_row(7, "W353000556", "REPAIR CAFE VILLEJEAN", ""), COMMUNES)
    summary = await Importer(stores, "rna").run([row], Summary("rna"))
    assert summary.added == 0 and summary.updated == 0
    [(line, reason)] = summary.rejected
    assert line == 7 and "repair-cafe, repair-cafe-2" in reason
    assert sorted(a.id for a in await associations.all()) == ["repair-cafe", "repair-cafe-2"]


async def test_an_organizer_linked_to_the_association_stays_linked_after_the_import(
        bus: Bus) -> None:
    stores = await Stores.open(bus)
    await Associations(stores).create({"name": "Repair Café Villejean"}, actor="demo",
                                      aid="repair-cafe-villejean")
    named = [links.Named("organizer", name, name, name)
             for name in ("Repair Café Villejean", "REPAIR CAFE VILLEJEAN")]
    await links.refresh(stores.records, named, actor="test")
    row = rna_row(2, register_row(2, "W353000557", "REPAIR CAFE VILLEJEAN", ""), COMMUNES)
    await Importer(stores, "rna").run([row], Summary("rna"))
    counts = await links.refresh(stores.records, named, actor="test")
    assert (counts.linked, counts.review) == (2, 0)
    for record in await links.all_links(stores.records):
        assert [e["association"] for e in links.effective(record)] == [
            "repair-cafe-villejean"]
