"""The board form of venues and slots: public fields only, facets as bands, slots out of the
board once booked or withdrawn, deletions as removals."""

from __future__ import annotations

from dataclasses import replace

from services.venues.project import PROJECTIONS
from shared.model import Location
from shared.records import Entry

VENUE = {"id": "salle-cite", "owner": "velo-solidaire", "owner_name": "Roazhon Vélo",
         "name": "Salle de la Cité", "street": "10 rue Saint-Louis", "postcode": "35000",
         "city": "Rennes", "description": "Grande salle lumineuse", "capacity": 80,
         "equipment": ["cuisine", "wifi"], "accessibility": ["mi", "places_fauteuil"],
         "rates": [{"unit": "soiree", "audience": "associations", "cents": 1500},
                   {"unit": "journee", "audience": "particuliers", "cents": 12000}],
         "created_by": "p_secret"}


def geocode(location: Location) -> Location:
    return replace(location, lat=48.11, lon=-1.68, quartier="Centre", commune="Rennes",
                   precision="street")


def test_a_venue_is_placed_with_banded_facets_and_no_private_field() -> None:
    entry = Entry("maillage.rec.venue.salle-cite", 7, "create", VENUE, at="2026-12-02T10:00")
    message = PROJECTIONS["venue"](entry, geocode)
    assert (message.kind, message.rid, message.seq) == ("venue", "salle-cite", 7)
    doc = message.doc
    assert doc is not None and doc["title"] == "Salle de la Cité"
    assert "p_secret" not in str(doc) and "created_by" not in doc
    assert doc["facets"]["quartier"] == ["Centre"]
    assert doc["facets"]["capacity"] == ["10", "20", "50"]  # at least 50, not 100
    assert doc["facets"]["price"] == ["20", "50", "100", "200", "500"]  # 15 € ≤ 20
    assert doc["facets"]["equipment"] == ["cuisine", "wifi"]
    assert doc["owner"] == "velo-solidaire" and (doc["lat"], doc["lon"]) == (48.11, -1.68)
    assert "Cuisine" in doc["text"] and "Roazhon Vélo" in doc["text"]


def test_a_free_venue_is_in_every_price_band_and_one_without_rates_in_none() -> None:
    free = {**VENUE, "rates": [{"unit": "heure", "audience": "associations", "cents": 0}]}
    doc = PROJECTIONS["venue"](Entry("maillage.rec.venue.v", 1, "create", free), None).doc
    assert doc is not None and doc["facets"]["price"][0] == "0"
    bare = {**VENUE, "rates": [], "capacity": None}
    doc = PROJECTIONS["venue"](Entry("maillage.rec.venue.v", 1, "create", bare), None).doc
    assert doc is not None and doc["facets"]["price"] == [] and doc["facets"]["capacity"] == []
    assert "quartier" not in doc["facets"]  # no geocoder: no quartier made up


def test_a_deleted_venue_leaves_the_board() -> None:
    entry = Entry("maillage.rec.venue.salle-cite", 9, "delete", VENUE)
    assert PROJECTIONS["venue"](entry, geocode).doc is None


SLOT = {"id": "c1", "venue": "salle-cite", "starts": "2026-12-12T18:00:00+01:00",
        "ends": "2026-12-12T22:00:00+01:00", "state": "free", "venue_name": "Salle de la Cité",
        "owner": "velo-solidaire", "booking": ""}


def test_a_free_slot_is_a_period_on_the_board_and_a_booked_one_leaves_it() -> None:
    message = PROJECTIONS["venueslot"](
        Entry("maillage.rec.venueslot.salle-cite.c1", 3, "create", SLOT), None)
    assert (message.kind, message.rid) == ("slot", "salle-cite.c1")
    assert message.doc is not None
    assert (message.doc["starts"], message.doc["ends"]) == (SLOT["starts"], SLOT["ends"])
    assert message.doc["facets"]["venue"] == ["salle-cite"]
    for state in ("booked", "withdrawn"):
        gone = PROJECTIONS["venueslot"](Entry("maillage.rec.venueslot.salle-cite.c1", 4,
                                              "update", {**SLOT, "state": state}), None)
        assert gone.doc is None and gone.seq == 4
