"""The board document of an application: public fields only, its facets and period."""

from __future__ import annotations

from services.applications.model import Application
from services.applications.project import PROJECTIONS, project
from shared.records import Entry

SUBJECT = "maillage.rec.application.velo-ecole-a1b2c3"


def record(**over: object) -> dict[str, object]:
    base = Application(
        id="velo-ecole-a1b2c3", lead="velo-solidaire", lead_name="Roazhon Vélo Solidaire",
        title="Vélo-école", summary="Des ateliers.", deadline="2027-01-15T23:59:00+01:00",
        call="c-123", call_title="Quartiers solidaires", funder="Ville de Rennes",
        opens="2026-12-01T00:00:00+01:00", themes=("sport",), skills=("animation",),
        quartiers=("Le Blosne",), wanted="Une association du Blosne",
        partners=({"id": "jardins-blosne", "name": "Jardins du Blosne"},),
        opened_by="p_secret123").to_record()
    return {**base, **over}


def test_the_kind_application_is_projected_by_project() -> None:
    assert PROJECTIONS == {"application": project}


def test_a_seeking_application_has_its_facets_and_period() -> None:
    message = project(Entry(SUBJECT, 42, "create", record()), None)
    assert (message.kind, message.rid, message.seq) == ("application", "velo-ecole-a1b2c3", 42)
    doc = message.doc
    assert doc is not None
    assert doc["facets"] == {"call": ["c-123"], "theme": ["sport"], "quartier": ["Le Blosne"],
                             "state": ["seeking"], "seeking": ["yes"]}
    assert (doc["starts"], doc["ends"]) == ("2026-12-01T00:00:00+01:00",
                                            "2027-01-15T23:59:00+01:00")
    assert doc["owner"] == "velo-solidaire" and doc["title"] == "Vélo-école"
    assert "Jardins du Blosne" in doc["text"] and "animation" in doc["text"]


def test_who_opened_it_never_reaches_the_board() -> None:
    doc = project(Entry(SUBJECT, 1, "create", record()), None).doc
    assert doc is not None and "opened_by" not in doc
    assert "p_secret123" not in repr(doc)


def test_a_formed_application_is_no_longer_seeking() -> None:
    doc = project(Entry(SUBJECT, 3, "update", record(state="formed")), None).doc
    assert doc is not None and doc["facets"]["seeking"] == ["no"]


def test_a_call_maillage_does_not_know_is_the_call_autre() -> None:
    doc = project(Entry(SUBJECT, 3, "update", record(call="", call_title="")), None).doc
    assert doc is not None and doc["facets"]["call"] == ["autre"]


def test_abandoned_and_deleted_applications_leave_the_board() -> None:
    assert project(Entry(SUBJECT, 5, "update", record(state="abandoned")), None).doc is None
    assert project(Entry(SUBJECT, 6, "delete", record()), None).doc is None
