"""The network's record: its id from the pair and the kind, the checks of a declaration,
and its searchable form (only confirmed links reach the board, with public fields only)."""

from __future__ import annotations

from datetime import date

import pytest

from services.network.model import (
    CONFIRMED,
    DECLINED,
    ENDED,
    PROPOSED,
    End,
    Link,
    link_id,
    parse_id,
)
from services.network.project import PROJECTIONS, project
from services.network.validate import declaration
from shared.errors import InvalidInput
from shared.records import Entry

VELO = End("velo-solidaire", "Vélo solidaire", "Centre", "Rennes", ("mobilite",), 48.11, -1.68)
JARDINS = End("jardins-blosne", "Jardins du Blosne", "Le Blosne", "Rennes", ("environnement",),
              48.09, -1.66)


def a_link(state: str, kind: str = "partnership") -> Link:
    lid = link_id(VELO.id, JARDINS.id, kind)
    a, b = (JARDINS, VELO) if lid.startswith(JARDINS.id) else (VELO, JARDINS)
    return Link(lid, kind, a, b, VELO.id, JARDINS.id, state, "Atelier vélo au jardin",
                "2021", "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00")


def entry_of(link: Link, seq: int = 7, op: str = "update") -> Entry:
    return Entry(f"maillage.rec.network.{link.id}", seq, op, link.to_record())


def test_a_two_way_link_has_one_id_whoever_declares_it() -> None:
    assert link_id("velo", "jardins", "partnership") == link_id("jardins", "velo", "partnership")
    assert link_id("velo", "jardins", "partnership") == "jardins.velo.partnership"


def test_a_one_way_link_keeps_its_direction() -> None:
    assert link_id("velo", "fede", "member") == "velo.fede.member"
    assert link_id("fede", "velo", "member") == "fede.velo.member"


@pytest.mark.parametrize("lid", ["a.b", "a.b.c.d", "a.a.partnership", "a.b.unknown", ".b.member"])
def test_ids_that_cannot_be_links_are_refused(lid: str) -> None:
    assert parse_id(lid) is None


def test_a_declaration_is_checked_field_by_field_in_french() -> None:
    with pytest.raises(InvalidInput) as caught:
        declaration({"source": "velo", "target": "velo", "kind": "amitié",
                     "note": "x" * 281, "since": "2999"}, today=date(2026, 12, 2))
    assert set(caught.value.errors) == {"target", "kind", "note", "since"}
    assert "elle-même" in caught.value.errors["target"]


@pytest.mark.parametrize(("since", "ok"), [("", True), ("2019", True), ("2019-09", True),
                                           ("2019-13", False), ("19", False),
                                           ("2026-12", True), ("2027-01", False)])
def test_since_is_a_past_year_or_month(since: str, ok: bool) -> None:
    data = {"source": "velo", "target": "jardins", "kind": "events", "since": since}
    if ok:
        assert declaration(data, today=date(2026, 12, 2)).since == since
    else:
        with pytest.raises(InvalidInput) as caught:
            declaration(data, today=date(2026, 12, 2))
        assert set(caught.value.errors) == {"since"}


def test_a_confirmed_link_is_on_the_board_with_its_facets() -> None:
    message = PROJECTIONS["network"](entry_of(a_link(CONFIRMED)), None)
    assert (message.kind, message.rid, message.seq) == (
        "network", "jardins-blosne.velo-solidaire.partnership", 7)
    doc = message.doc
    assert doc is not None
    assert doc["title"] == "Jardins du Blosne — Vélo solidaire"
    assert doc["facets"] == {"kind": ["partnership"],
                             "association": ["jardins-blosne", "velo-solidaire"],
                             "quartier": ["Centre", "Le Blosne"],
                             "theme": ["environnement", "mobilite"]}
    assert doc["lat"] == pytest.approx(48.10) and doc["lon"] == pytest.approx(-1.67)
    assert doc["note"] == "Atelier vélo au jardin" and doc["since"] == "2021"
    assert [e["name"] for e in doc["associations"]] == ["Jardins du Blosne", "Vélo solidaire"]


@pytest.mark.parametrize("state", [PROPOSED, DECLINED, ENDED])
def test_a_link_not_confirmed_leaves_the_board(state: str) -> None:
    assert project(entry_of(a_link(state)), None).doc is None


def test_a_deleted_record_leaves_the_board() -> None:
    assert project(entry_of(a_link(CONFIRMED), op="delete"), None).doc is None


def test_the_board_document_holds_no_person() -> None:
    doc = project(entry_of(a_link(CONFIRMED)), None).doc
    assert doc is not None
    flat = repr(doc)
    assert "closed_by" not in doc and "created" not in doc and "p_" not in flat


def test_ends_without_a_point_are_placed_by_the_events_geocoder() -> None:
    import os

    from services.indexer.enrich.geocode import Geocoder
    from shared.reference import load_reference, reference_dir

    directory = reference_dir(os.environ)
    if not directory.is_dir():
        pytest.skip(f"reference data not found at {directory} (set MAILLAGE_REFERENCE_DIR)")
    geocode = Geocoder(load_reference(directory)).geocode
    velo = End("velo-solidaire", "Vélo solidaire",
               address={"street": "6 cours des Alliés", "postcode": "35000", "city": "Rennes"})
    jardins = End("jardins-blosne", "Jardins du Blosne", "Le Blosne", "Rennes", (),
                  address={"street": "7 boulevard de Yougoslavie", "postcode": "35200",
                           "city": "Rennes"})
    link = Link(link_id(velo.id, jardins.id, "events"), "events", jardins, velo, velo.id,
                jardins.id, CONFIRMED)
    doc = project(entry_of(link), geocode).doc
    assert doc is not None
    ends = {e["id"]: e for e in doc["associations"]}
    assert ends["velo-solidaire"]["quartier"] == "Centre"
    assert ends["velo-solidaire"]["lat"] == pytest.approx(48.105, abs=0.01)
    assert ends["jardins-blosne"]["quartier"] == "Le Blosne"  # kept as the directory said
    assert set(doc["facets"]["quartier"]) == {"Centre", "Le Blosne"}


def test_the_board_accepts_the_document() -> None:
    from shared.store.board_base import fields

    doc = project(entry_of(a_link(CONFIRMED)), None).doc
    assert doc is not None
    indexed = fields(doc)
    assert indexed.starts is None and indexed.lat == pytest.approx(48.10)
    assert indexed.facets["association"] == ["jardins-blosne", "velo-solidaire"]


@pytest.mark.parametrize("record", [{}, {"id": "a.b.events", "kind": "events"},
                                    {"id": "a.b.events", "kind": "events", "a": None,
                                     "b": {"id": "b"}, "source": "a", "target": "b"}])
def test_a_malformed_record_is_refused_so_the_consumer_dead_letters_it(record: dict) -> None:
    entry = Entry("maillage.rec.network.a.b.events", 3, "update", record)
    with pytest.raises((KeyError, TypeError, ValueError)):
        project(entry, None)


def test_a_note_keeps_no_control_character_nor_lone_surrogate() -> None:
    found = declaration({"source": "velo", "target": "jardins", "kind": "partnership",
                         "note": "Ateliers\x00 vélo\x1b[31m\ud800 ensemble\x7f\n\tle samedi"})
    assert found.note == "Ateliers vélo[31m ensemble\x7f\n\tle samedi"
