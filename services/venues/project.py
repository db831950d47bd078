"""The searchable form of venues and their free slots, on the board
(:mod:`shared.store.board_base`; the indexer's board consumer calls :data:`PROJECTIONS` with
each ``RECORDS`` entry of a venue or a slot).

``venue`` documents: the public fields, the words (name, description, owner, address,
equipment), where it is (geocoded into a quartier and a point by the events' geocoder) and
the facets the list filters on: ``quartier``, ``equipment``, ``accessibility``, ``owner``;
``equipment.<code>`` and ``accessibility.<code>`` (one per item, so that a list requires
every item asked for); ``venue`` (its id: what a "free on…" filter keeps, from the slots
found in that period); ``capacity`` ("at least N people": every band the capacity
reaches, so a filter on 50 keeps venues of 50 and more) and ``price`` ("at most N €":
every band its cheapest rate is within, so a filter on 20 keeps a rate of 20 € or less).

``slot`` documents: a free slot (``starts``/``ends``, so "free on Saturday evening" is a
period query), with its venue's id in the ``venue`` facet. A slot booked or withdrawn, or a
venue deleted, leaves the board (``doc`` ``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.venues.model import (
    CAPACITY_BANDS,
    EQUIPMENT,
    PRICE_BANDS,
    SLOT,
    VENUE,
    Slot,
    Venue,
)
from shared.model import Location
from shared.records import Entry
from shared.store.board_base import BoardMessage
from shared.vocab import ACCESSIBILITY

Geocode = Callable[[Location], Location]


def place(venue: Venue, geocode: Geocode | None) -> dict[str, Any]:
    """Quartier, commune and point of the venue's address (empty when unknown)."""
    if not venue.street and not venue.city:
        return {}
    located = Location(name=venue.name, address=venue.street or None,
                       postcode=venue.postcode or None, city=venue.city or None)
    if geocode is not None:
        located = geocode(located)
    out: dict[str, Any] = {"quartier": located.quartier,
                           "commune": located.commune or venue.city or None}
    if located.lat is not None and located.lon is not None and located.precision != "commune":
        out["lat"], out["lon"] = located.lat, located.lon
    return {k: v for k, v in out.items() if v is not None}


def capacity_bands(capacity: int | None) -> list[str]:
    return [str(b) for b in CAPACITY_BANDS if capacity is not None and capacity >= b]


def price_bands(cheapest: int | None) -> list[str]:
    return [str(b) for b in PRICE_BANDS if cheapest is not None and cheapest <= b * 100]


def venue_doc(venue: Venue, geocode: Geocode | None, updated: str = "") -> dict[str, Any]:
    where = place(venue, geocode)
    words = [venue.description, venue.owner_name, venue.address, venue.conditions,
             *(EQUIPMENT.get(e, e) for e in venue.equipment),
             *(ACCESSIBILITY.get(a, a) for a in venue.accessibility)]
    facets = {"equipment": list(venue.equipment), "accessibility": list(venue.accessibility),
              "owner": [venue.owner], "venue": [venue.id],
              "capacity": capacity_bands(venue.capacity),
              "price": price_bands(venue.cheapest)}
    # one facet per item too, so that a list can require each of several (AND across
    # facets; values of one facet are ORed)
    facets |= {f"equipment.{e}": ["1"] for e in venue.equipment}
    facets |= {f"accessibility.{a}": ["1"] for a in venue.accessibility}
    if where.get("quartier"):
        facets["quartier"] = [where["quartier"]]
    return {**venue.public(), **where, "title": venue.name,
            "text": " ".join(w for w in words if w), "facets": facets,
            "cheapest": venue.cheapest, "updated": updated, "owner": venue.owner}


def venue_message(entry: Entry, geocode: Geocode | None) -> BoardMessage:
    vid = entry.subject.rsplit(".", 1)[1]
    doc = None if entry.deleted else venue_doc(Venue.from_record(entry.record), geocode,
                                               entry.at)
    return BoardMessage("venue", vid, entry.seq, doc)


def slot_doc(slot: Slot, updated: str = "") -> dict[str, Any] | None:
    if not slot.free:
        return None
    return {**slot.public(), "title": slot.venue_name or slot.venue, "starts": slot.starts,
            "ends": slot.ends, "facets": {"venue": [slot.venue], "owner": [slot.owner]},
            "venue_name": slot.venue_name, "updated": updated, "owner": slot.owner}


def slot_message(entry: Entry, geocode: Geocode | None) -> BoardMessage:
    vid, sid = entry.subject.split(".")[-2:]
    doc = None if entry.deleted else slot_doc(Slot.from_record(entry.record), entry.at)
    return BoardMessage("slot", f"{vid}.{sid}", entry.seq, doc)


#: Record kind (in ``maillage.rec.<kind>...``) -> its board projection.
PROJECTIONS: dict[str, Callable[[Entry, Geocode | None], BoardMessage]] = {
    VENUE: venue_message,
    SLOT: slot_message,
}
