"""Associations for the browser tests of the directory, the association page and /outils:
named as organizers of the seeded agenda (tests/e2e/site.py) so that their pages show
upcoming events, with head offices, themes, quartiers, tools; one dissolved; one organizer
written with a typo waiting in the operators' review queue."""

from __future__ import annotations

from typing import Any

ASSOCIATIONS: list[dict[str, Any]] = [
    {"id": "jardin-moderne", "name": "Le Jardin Moderne", "rna": "W353000111",
     "siren": "403052111", "themes": ["culture"], "rna_themes": ["006030"],
     "purpose": "Lieu de ressources pour les musiques actuelles : répétition, formation, "
                "concerts.",
     "address": {"street": "11 rue du Manoir de Servigné", "postcode": "35000",
                 "city": "Rennes"},
     "quartiers": ["Cleunay - Arsenal - Redon - La Courrouze"],
     "website": "https://www.jardinmoderne.org", "links": {"facebook":
                                                           "https://facebook.com/jardinmoderne"},
     "tools": ["google-agenda", "helloasso", "lettre-information"]},
    {"id": "petite-rennes", "name": "La Petite Rennes", "themes": ["environnement"],
     "rna_themes": ["011000"], "purpose": "Atelier vélo participatif et solidaire.",
     "address": {"street": "4 rue Saint-Malo", "postcode": "35000", "city": "Rennes"},
     "tools": ["nextcloud-agenda", "paheko", "mastodon"]},
    {"id": "cercle-celtique", "name": "Cercle celtique de Rennes", "themes": ["culture",
                                                                           "patrimoine"],
     "purpose": "Danses, musiques et costumes de Haute-Bretagne.",
     "address": {"street": "10 rue Saint-Louis", "postcode": "35000", "city": "Rennes"},
     "tools": ["openagenda", "helloasso"]},
    {"id": "utopia-56", "name": "Utopia 56 Rennes", "themes": ["solidarite"],
     "purpose": "Accueil et accompagnement des personnes exilées.",
     "address": {"city": "Rennes", "postcode": "35000"}, "tools": ["signal", "google-drive"]},
    {"id": "cine-lices", "name": "Ciné-club des Lices", "themes": ["culture"],
     "purpose": "Projections et débats.", "state": "dissolved",
     "address": {"city": "Cesson-Sévigné", "postcode": "35510"}},
]
#: An organizer as a feed writes it with a typo: the linker asks an operator.
UNCERTAIN = "La Petite Renes"


async def seed(site: Any) -> None:
    from services.accounts.storage import Stores
    from services.associations import links
    from services.associations.directory_api import DIRECTORY
    from services.associations.storage import Associations
    from tests.directory_projection import project_directory, reference_geocode

    stores = await Stores.open(site.bus)
    associations = Associations(stores)
    for values in ASSOCIATIONS:
        values = dict(values)
        aid = values.pop("id")
        state = values.pop("state", "active")
        if await associations.get(aid) is None:
            await associations.create(values, actor="test", aid=aid, state=state)
    named = await links.named_in(site.store)
    named.append(links.Named(links.ORGANIZER, UNCERTAIN, UNCERTAIN, UNCERTAIN))
    await links.refresh(stores.records, named, actor="test")
    # what the indexer does: the records, links and sources into the directory's store
    await project_directory(site.bus, site.app[DIRECTORY], geocode=reference_geocode())
