"""Store contract: French search, snippets, related documents, facet terms, suggestions."""

from __future__ import annotations

import pytest

from shared.store.base import SearchQuery


async def found(store, q: str) -> list[str]:
    page = await store.search(SearchQuery(q=q, limit=50))
    return [d["title"] for d in page.items]


@pytest.mark.parametrize(("q", "title"), [
    ("concerts", "Concert de chorale"),
    ("CONCERT", "Concert de chorale"),
    ("répar", "Atelier de réparation vélo"),
    ("reparation velo", "Atelier de réparation vélo"),
    ("fete", "Fête de l'École"),
    ("écoles", "Fête de l'École"),
])
async def test_french_search(store, make, q, title) -> None:
    await store.apply([make.upsert(make.event("a", "Concert de chorale")),
                       make.upsert(make.event("b", "Atelier de réparation vélo", hour=10)),
                       make.upsert(make.event("c", "Fête de l'École", hour=12))])
    assert await found(store, q) == [title]


async def test_all_query_words_are_required(store, make) -> None:
    await store.apply([make.upsert(make.event("a", "Concert de jazz")),
                       make.upsert(make.event("b", "Concert de rock", hour=20))])
    assert await found(store, "concert jazz") == ["Concert de jazz"]


async def test_search_matches_description_and_place(store, make) -> None:
    await store.apply([make.upsert(make.event(
        "a", "Soirée", description_text="Un spectacle de marionnettes",
        location=make.place(name="Théâtre du Vieux Saint-Étienne")))])
    assert await found(store, "marionnette") == ["Soirée"]
    assert await found(store, "vieux saint etienne") == ["Soirée"]


async def test_snippet_marks_matched_words_and_escapes_the_rest(store, make) -> None:
    await store.apply([make.upsert(make.event(
        "a", "Soirée", description_text="Deux <b>concerts</b> & un bal"))])
    page = await store.search(SearchQuery(q="concert"))
    assert page.items[0]["snippet"] == "Deux &lt;b&gt;<mark>concerts</mark>&lt;/b&gt; &amp; un bal"
    assert page.items[0]["title_html"] == "Soirée"


async def test_titles_of_a_text_search_are_marked_and_escaped(store, make) -> None:
    await store.apply([make.upsert(make.event("a", "Vélos & <i>réparation</i>"))])
    (item,) = (await store.search(SearchQuery(q="reparation velo"))).items
    assert item["title_html"] == (
        "<mark>Vélos</mark> &amp; &lt;i&gt;<mark>réparation</mark>&lt;/i&gt;")
    assert item["snippet"] == item["title_html"]  # no description: the title


async def test_results_belong_to_the_caller_and_follow_new_versions(store, make) -> None:
    # the SQLite store hands out parsed documents kept between searches (shared.store.parsed)
    await store.apply([make.upsert(make.event("a", "Concert de chorale"))])
    first = (await store.search(SearchQuery(q="concert"))).items[0]
    first["title"] = "changed by the caller"
    first.pop("id")
    (again,) = (await store.search(SearchQuery())).items
    assert again["title"] == "Concert de chorale" and "id" in again
    assert "snippet" not in again and "score" not in again  # nothing left by the text search
    await store.apply([make.upsert(make.event("a", "Concert de jazz"))])
    (newer,) = (await store.search(SearchQuery())).items
    assert newer["title"] == "Concert de jazz"


async def test_related_shares_theme_quartier_and_period(store, make) -> None:
    base = make.event("a", "Concert", themes=("musique",), keywords=("jazz",))
    same = make.event("b", "Jam session", hour=20, themes=("musique",), keywords=("jazz",))
    theme_only = make.event("c", "Chorale", day=3, themes=("musique",))
    other_q = make.event("d", "Jazz ailleurs", themes=("musique",), keywords=("jazz",),
                         location=make.place(name="Loin", quartier="Maurepas", lat=48.13))
    too_late = make.event("e", "Plus tard", day=30, themes=("musique",))
    unrelated = make.event("f", "Foot", hour=21, themes=("sport",))
    await store.apply([make.upsert(e) for e in (base, same, theme_only, other_q, too_late,
                                                 unrelated)])
    (doc,) = await store.event_docs(base.id)
    related = await store.related(doc, limit=6)
    assert [d["title"] for d in related] == ["Jam session", "Chorale"]


async def test_terms_counts_upcoming_documents(store, make) -> None:
    await store.apply([make.upsert(make.event("a", themes=("musique",))),
                       make.upsert(make.event("b", hour=20, themes=("musique", "sport"))),
                       make.upsert(make.event("c", day=-40, themes=("sport",)))])
    assert await store.terms("themes") == [{"value": "musique", "count": 2},
                                           {"value": "sport", "count": 1}]
    assert await store.terms("themes", limit=1) == [{"value": "musique", "count": 2}]


async def test_suggest_completes_keywords_organizers_places_and_titles(store, make) -> None:
    await store.apply([make.upsert(make.event(
        "a", "Atelier de réparation", keywords=("repair café",), organizer="Réseau Répar'Acteurs",
        location=make.place(name="Maison de quartier de Villejean")))])
    got = await store.suggest("répar")
    kinds = {(s["kind"], s["text"]) for s in got}
    assert ("keyword", "repair café") not in kinds
    assert ("organizer", "Réseau Répar'Acteurs") in kinds
    assert ("title", "Atelier de réparation") in kinds
    assert {"kind": "place", "text": "Maison de quartier de Villejean"} in await store.suggest(
        "villej")


async def test_suggest_ignores_one_letter_prefixes(store, make) -> None:
    await store.apply([make.upsert(make.event("a", "Atelier"))])
    assert await store.suggest("a") == []
