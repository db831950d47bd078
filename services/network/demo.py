"""The demo's links between the demo associations (demo/catalog.py), written when the site
starts with ``MAILLAGE_DEMO`` on, through the same storage code as everyone's: most
confirmed (on the map at once), one still proposed (the account page of a member of the
other side shows it). Again at each start, it changes nothing (a link is written only
when it does not exist)."""

from __future__ import annotations

import logging

from services.accounts.storage import Stores
from services.associations.storage import Associations
from services.network.model import link_id
from services.network.storage import Links, end_from
from services.network.validate import Declaration
from shared.records import Conflict

log = logging.getLogger(__name__)
ACTOR = "demo"

#: (declared by, with, kind, note, since, confirmed)
LINKS = (
    ("velo-solidaire", "jardins-blosne", "events",
     "Une balade à vélo jusqu’aux jardins partagés chaque printemps.", "2023", True),
    ("choeur-arc-en-ciel", "acces-culture", "partnership",
     "Des concerts traduits en langue des signes.", "2022", True),
    ("repair-cafe-villejean", "velo-solidaire", "equipment",
     "Prêt d’outils pour les ateliers de réparation.", "2024", True),
    ("jardins-blosne", "repair-cafe-villejean", "volunteers",
     "Des bénévoles qui passent d’un atelier à l’autre.", "2025", True),
    ("acces-culture", "velo-solidaire", "events",
     "Une balade accessible pendant la semaine du handicap.", "", False),
)


async def seed(stores: Stores) -> int:
    """Write the demo links that do not exist yet; returns how many were written."""
    associations, links = Associations(stores), Links(stores)
    written = 0
    for source_id, target_id, kind, note, since, confirmed in LINKS:
        if await links.get(link_id(source_id, target_id, kind)) is not None:
            continue
        source, target = await associations.get(source_id), await associations.get(target_id)
        if source is None or target is None:
            continue
        try:
            link = await links.declare(Declaration(source_id, target_id, kind, note, since),
                                       end_from(source, None), end_from(target, None),
                                       actor=ACTOR)
            if confirmed:
                await links.confirm(link.id, target_id, actor=ACTOR)
        except Conflict:  # another replica wrote it just now
            continue
        written += 1
    if written:
        log.info("demo links written", extra={"count": written})
    return written
