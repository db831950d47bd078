"""The directory's view and search (services/associations/directory.py), without I/O."""

from __future__ import annotations

from services.associations.directory import Directory
from services.associations.links import ORGANIZER, SOURCE, RegisteredSource, link_id

RECORDS = [
    {"id": "velo", "name": "Roazhon Vélo Solidaire", "acronym": "RVS", "state": "active",
     "purpose": "Atelier d’autoréparation de vélos.", "rna_themes": ["011000"],
     "quartiers": ["Centre"], "address": {"city": "Rennes"}, "tools": ["helloasso"],
     "organizers": ["Roazhon Vélo Solidaire"]},
    {"id": "jardins", "name": "Les Jardins du Blosne", "state": "active",
     "themes": ["environnement"], "quartiers": ["Le Blosne"], "address": {"city": "Rennes"},
     "website": "https://jardins.example", "links": {"mastodon": "https://m.example/@j"}},
    {"id": "cine", "name": "Ciné-club", "state": "dissolved", "themes": ["culture"],
     "address": {"city": "Bruz"}},
    {"id": "waiting", "name": "En attente", "state": "pending"},
]
LINKS = [
    {"id": link_id(ORGANIZER, "Jardins Blosne"), "kind": ORGANIZER, "value": "Jardins Blosne",
     "links": [], "decisions": {"Jardins Blosne": "jardins"}},
    {"id": link_id(SOURCE, "agenda-jardins"), "kind": SOURCE, "value": "agenda-jardins",
     "links": [{"part": "", "association": "jardins", "confidence": 0.93, "reason": "domain",
                "status": "linked"}], "decisions": {}},
]
SOURCES = [RegisteredSource("agenda-jardins",
                            "https://calendar.google.com/calendar/ical/x/public/basic.ics",
                            None, None, None),
           RegisteredSource("velo-own", "https://velo.example/feed.rss", "rss", None, "velo")]


def directory() -> Directory:
    d = Directory()
    d.build(RECORDS, LINKS, SOURCES, upcoming_organizers=["Jardins Blosne"])
    return d


def test_entries_gather_names_sources_tools_and_upcoming() -> None:
    d = directory()
    assert list(d.entries) == ["cine", "jardins", "velo"]  # listed ones, by name
    jardins = d.get("jardins")
    assert jardins is not None and jardins.upcoming
    assert jardins.organizers == ["Jardins Blosne"]
    assert [s["id"] for s in jardins.sources] == ["agenda-jardins"]
    assert [(t["code"], t["how"]) for t in jardins.tools] == [
        ("google-agenda", "detected"), ("site-web", "detected"), ("mastodon", "detected")]
    velo = d.get("velo")
    assert velo is not None and velo.themes == ["sport"] and not velo.upcoming
    assert [s["id"] for s in velo.sources] == ["velo-own"]  # a source it added itself
    assert {t["code"]: t["how"] for t in velo.tools} == {"site-agenda": "detected",
                                                         "helloasso": "declared"}


def test_search_by_words_acronym_and_filters_with_facets() -> None:
    d = directory()
    assert [e.id for e in d.search("vélos").items] == ["velo"]
    assert [e.id for e in d.search("rvs").items] == ["velo"]
    assert d.search("nothing here").total == 0
    found = d.search(communes=["Rennes"], upcoming=True)
    assert [e.id for e in found.items] == ["jardins"]
    # each filter's counts are among what the other filters keep
    assert found.facets["commune"] == {"Rennes": 1, "Bruz": 0}
    assert found.facets["upcoming"] == {"oui": 1}
    assert d.search(communes=["Rennes"]).facets["upcoming"] == {"oui": 1}
    assert d.search(themes=["culture", "sport"]).total == 2  # any value within a filter
    assert d.search(themes=["culture"], tool_codes=["helloasso"]).total == 0
    page = d.search(offset=2, limit=2)
    assert page.total == 3 and [e.id for e in page.items] == ["velo"]
    assert d.search(offset=10).items == []


def test_inventory_counts_active_associations_only() -> None:
    inventory = directory().inventory()
    assert inventory["associations"] == 2 and inventory["with_tools"] == 2
    google = inventory["tools"]["google-agenda"]
    assert (google["count"], google["detected"], google["harvested"]) == (1, 1, 1)
    assert inventory["tools"]["helloasso"]["declared"] == 1
