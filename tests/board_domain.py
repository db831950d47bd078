"""A domain for the board's tests (not shipped): ``maillage.rec.testoffer.<id>`` records,
projected as ``skill`` documents, as a domain's ``project.py`` would."""

from __future__ import annotations

from services.indexer.board_domains import Geocode
from shared.model import Location
from shared.records import Entry
from shared.store.board_base import BoardMessage

KIND = "testoffer"


def project(entry: Entry, geocode: Geocode | None) -> BoardMessage:
    rid = entry.subject.rsplit(".", 1)[-1]
    record = entry.record
    if entry.deleted or record.get("hidden"):
        return BoardMessage("skill", rid, entry.seq, None)
    doc = {"id": rid, "title": record["title"], "text": record.get("text", ""),
           "facets": {"skill": list(record.get("skills", []))}, "owner": record["owner"],
           "updated": entry.at}
    if record.get("address") and geocode is not None:
        placed = geocode(Location(address=record["address"], city="Rennes"))
        if placed.lat is not None:
            doc |= {"lat": placed.lat, "lon": placed.lon}
    return BoardMessage("skill", rid, entry.seq, doc)


PROJECTIONS = {KIND: project}
