"""The city's venues from the reference data (``rennes_venues.csv`` of the reference
directory, ``MAILLAGE_REFERENCE_DIR``; see its SOURCES.md): the places where associations
meet or perform (maisons de quartier, MJC, social centres, associative hubs, halls), created
as venues of the city (owner :data:`~services.venues.model.CITY`) for operators to complete
with rates and slots. Town halls, parks, squares and museums are left out. A venue is created
only when its id is free: importing again changes nothing, and never overwrites what an
operator wrote. Command: ``maillage venues import``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.accounts.storage import Stores
from services.associations.validate import slug
from services.venues.model import CITY, CITY_NAME
from services.venues.storage import Venues
from shared.records import Conflict

FILE = "rennes_venues.csv"
#: The reference file's kinds that are rooms associations may use, with a French label.
KINDS = {
    "maison_de_quartier": "maison de quartier", "mjc": "maison des jeunes et de la culture",
    "centre_social": "centre social", "lieu_associatif": "lieu associatif",
    "pole_associatif": "pôle associatif", "tiers_lieu": "tiers-lieu",
    "salle_spectacle": "salle de spectacle", "salle_concert": "salle de concert",
    "centre_culturel": "centre culturel", "musique_actuelle": "lieu de musiques actuelles",
    "theatre": "théâtre",
}


@dataclass
class Summary:
    added: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0

    def report(self) -> str:
        return (f"{len(self.added)} added, {self.unchanged} already there, "
                f"{self.skipped} skipped (not a room to let)")


def rows(text: str) -> tuple[list[dict[str, Any]], int]:
    """The venues of the reference file's text, as venue form values, and how many rows
    were left out (another kind)."""
    kept, skipped = [], 0
    for row in csv.DictReader(io.StringIO(text)):
        kinds = [k for k in (row.get("kind") or "").split(";") if k in KINDS]
        name = " ".join((row.get("name") or "").split())
        if not kinds or not name:
            skipped += 1
            continue
        kept.append({
            "name": name, "street": " ".join((row.get("address") or "").split()),
            "postcode": (row.get("postcode") or "").strip(),
            "city": (row.get("city") or "").strip() or "Rennes",
            "description": f"{KINDS[kinds[0]].capitalize()} référencé dans les données de "
                           "Rennes Métropole. Tarifs et créneaux à compléter par la Ville.",
        })
    return kept, skipped


def read(directory: Path) -> tuple[list[dict[str, Any]], int]:
    return rows((directory / FILE).read_text(encoding="utf-8"))


async def import_venues(stores: Stores, values: list[dict[str, Any]], skipped: int, *,
                        actor: str) -> Summary:
    venues = Venues(stores)
    summary = Summary(skipped=skipped)
    for one in values:
        vid = slug(one["name"])
        if await venues.records.last(venues.subject(vid)) is not None:
            summary.unchanged += 1
            continue
        try:
            await venues.create(one, owner=CITY, owner_name=CITY_NAME, actor=actor, vid=vid)
        except Conflict:  # created meanwhile
            summary.unchanged += 1
            continue
        summary.added.append(vid)
    return summary
