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


def test_a_reload_says_what_changed_for_the_events() -> None:
    """After the first reload, each load names the organizers and sources whose events must
    be enriched again: a link that names another association, an association whose themes
    changed (its names, its linked organizers and sources)."""
    smashers = {"id": link_id(ORGANIZER, "Les Smashers"), "kind": ORGANIZER,
                "value": "Les Smashers", "links": [], "decisions": {"Les Smashers": "rec-volley"}}
    agenda = {"id": link_id(SOURCE, "agenda-jardins"), "kind": SOURCE, "value": "agenda-jardins",
              "links": [], "decisions": {"": "jardins"}}
    context = AssociationContext()
    context.load(ASSOCIATIONS, [agenda])
    assert not context.affected  # before the first reload: nothing is known to have changed
    context._followed = True  # as after AssociationContext.reload
    context.load(ASSOCIATIONS, [agenda])
    assert not context.affected
    context.load(ASSOCIATIONS, [agenda, smashers])
    assert context.affected.organizers == {"Les Smashers"} and not context.affected.sources
    retheme = [{**ASSOCIATIONS[1], "themes": ["culture"]}, *ASSOCIATIONS[::2]]
    context.load(retheme, [agenda, smashers])
    assert context.affected.organizers == {"Les Jardins du Blosne"}
    assert context.affected.sources == {"agenda-jardins"}


def test_a_reload_that_finds_nothing_new_keeps_the_version() -> None:
    """The periodic reload (for the registry's sources) does not rebuild the linker, nor make
    the enrichment workers load the same records again."""
    context = AssociationContext(ASSOCIATIONS)
    version = context.version
    assert context.load([dict(a) for a in ASSOCIATIONS], []) == set()
    assert context.version == version
    context.load([*ASSOCIATIONS, {"id": "new", "name": "Nouvelle", "themes": ["culture"]}], [])
    assert context.version == version + 1
