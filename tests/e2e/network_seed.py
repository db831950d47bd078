"""The board of the network's browser tests and screenshots: every link message of
``RECORDS`` (the demo's links, written when the site starts) projected as the indexer's
board consumer does, with the events' geocoder placing each association's head office."""

from __future__ import annotations

from typing import Any


async def seed(site: Any) -> None:
    from services.accounts.storage import Stores
    from services.network.project import PROJECTIONS
    from shared.records import RECORDS_SUBJECT
    from shared.store.board_base import BOARD
    from tests.directory_projection import reference_geocode

    stores = await Stores.open(site.bus)
    geocode = reference_geocode()
    messages = [PROJECTIONS["network"](entry, geocode)
                async for entry in stores.records.scan(f"{RECORDS_SUBJECT}.network.>")]
    await site.app[BOARD].apply(messages)
    await site.app[BOARD].settle()
