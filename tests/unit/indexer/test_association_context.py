"""The associations an event comes from, and their themes as its themes' prior
(services/indexer/associations.py with the enricher)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from services.associations.links import ORGANIZER, SOURCE, link_id
from services.indexer.associations import AssociationContext
from services.indexer.enrich import Enricher
from shared.model import Event, Occurrence
from shared.reference import Reference

ASSOCIATIONS = [
    {"id": "rec-volley", "name": "Rennes Étudiants Club Volley-Ball", "acronym": "REC Volley",
     "themes": ["011170"], "state": "active"},
    {"id": "jardins", "name": "Les Jardins du Blosne", "themes": ["environnement"]},
    {"id": "gone", "name": "Club dissous", "themes": ["sport"], "state": "dissolved"},
]


def event(title: str, organizer: str | None = None, source: str = "src") -> Event:
    return Event.create(source_id=source, source_uid=title, title=title, organizer=organizer,
                        occurrences=(Occurrence(start=datetime(2026, 12, 5, 14, tzinfo=UTC)),))


def test_a_linked_organizer_gives_its_themes_and_the_reason() -> None:
    context = AssociationContext(ASSOCIATIONS)
    enricher = Enricher(Reference.empty(Path("nowhere")), associations=context.annotate)
    out = enricher.enrich(event("[M15] Journée 5", "REC VOLLEY"))
    assert out.extra["associations"] == ["rec-volley"]
    assert [(t.code, t.reason) for t in out.themes] == [("sport", "association:011170")]
    assert enricher.enrich(out) == out  # idempotent
    plain = Enricher(Reference.empty(Path("nowhere")))
    assert plain.enrich(event("[M15] Journée 5", "REC VOLLEY")).themes == ()


def test_link_records_win_and_sources_count_too() -> None:
    links = [
        {"id": link_id(ORGANIZER, "Les Smashers"), "links": [], "decisions": {
            "Les Smashers": "rec-volley"}},
        {"id": link_id(ORGANIZER, "REC Volley"), "links": [], "decisions": {"REC Volley": ""}},
        {"id": link_id(SOURCE, "agenda-jardins"), "links": [
            {"part": "", "association": "jardins", "confidence": 0.93, "reason": "domain",
             "status": "linked"}], "decisions": {}},
    ]
    context = AssociationContext(ASSOCIATIONS, links)
    assert context.associations_of(event("Plateau", "Les Smashers")) == ["rec-volley"]
    assert context.associations_of(event("Plateau", "REC Volley")) == []  # an operator said no
    assert context.associations_of(event("Troc", None, "agenda-jardins")) == ["jardins"]
    assert context.associations_of(event("Match", "Club dissous")) == []
    declared = event("Compost", "Jardins Blosne", "jardins-src")
    declared = declared.with_(extra={"source_organizer": "Les Jardins du Blosne"})
    assert context.associations_of(declared) == ["jardins"]  # its source's organizer
    out = context.annotate(event("Troc", "Inconnu", "agenda-jardins"))
    assert out.extra == {"associations": ["jardins"], "association_themes": ["environnement"]}
    assert context.annotate(event("Fête", "Inconnu")).extra == {}
