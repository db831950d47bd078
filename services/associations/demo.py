"""The demo's associations (demo/catalog.py), created when the site starts with
``MAILLAGE_DEMO`` on, through the same storage code as everyone's; again at each start, it
changes nothing (each association is created only when its id is free).

Each gets a website at ``https://<id>.test`` (``.test`` is reserved: it never resolves), so
that signing in with an address at that domain joins it at once.
"""

from __future__ import annotations

import logging

from demo.catalog import ASSOCIATIONS
from services.accounts.storage import Stores
from services.associations.storage import Associations
from shared.errors import InvalidInput
from shared.records import Conflict

log = logging.getLogger(__name__)
ACTOR = "demo"


def website(association_id: str) -> str:
    return f"https://{association_id}.test/"


async def seed(stores: Stores) -> int:
    """Create the demo associations that do not exist yet; returns how many were created."""
    associations = Associations(stores)
    created = 0
    for demo in ASSOCIATIONS:
        if await associations.get(demo.id) is not None:
            continue
        street, postcode, city = demo.address
        values = {"name": demo.name, "website": website(demo.id), "organizers": [demo.name],
                  "contact": {"email": f"contact@{demo.id}.test"}, "contact_public": False,
                  "purpose": demo.purpose, "rna_themes": list(demo.themes),
                  "quartiers": list(demo.quartiers), "tools": list(demo.tools),
                  "address": {k: v for k, v in (("street", street), ("postcode", postcode),
                                                ("city", city)) if v}}
        try:
            await associations.create(values, actor=ACTOR, aid=demo.id)
        except (Conflict, InvalidInput):  # another replica created it just now
            continue
        created += 1
    if created:
        log.info("demo associations created", extra={"count": created})
    return created
