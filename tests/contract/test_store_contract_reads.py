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


# -- analysis: both stores index and search the same words (issue 21) ---------------------
# Elasticsearch's French analysis differs from the SQLite store's (light_french against
# Snowball French stems, "rock'n'roll" kept whole by the standard tokenizer, stop words
# removed after accent folding so "très" or "à" stay): the Elasticsearch store indexes the
# SQLite store's words, and these cases hold on both.

ANALYSIS_CASES = [
    ("associative", "Forum des associations"),  # Snowball: associ; light_french: no
    ("gratuitement concert", "Concert gratuit"),  # Snowball: gratuit for both
    ("roll", "Soirée rock’n’roll"),  # apostrophes split words
    ("rock'n'roll", "Soirée rock’n’roll"),  # straight and typographic apostrophes alike
    ("aujourd’hui", "Fête d'aujourd'hui"),
    ("très belle fête", "Une belle fête"),  # "très" is a stop word once folded
    ("fête à Rennes", "Fête de Rennes"),  # and "à" too
    ("l’école", "Fête de l'École"),  # elided article
]


@pytest.mark.parametrize(("q", "title"), ANALYSIS_CASES, ids=[c[0] for c in ANALYSIS_CASES])
async def test_french_analysis_is_the_same_in_every_store(store, make, q, title) -> None:
    titles = sorted({t for _, t in ANALYSIS_CASES})
    await store.apply([make.upsert(make.event(f"e{i}", t, hour=8 + i))
                       for i, t in enumerate(titles)])
    assert title in await found(store, q)


async def test_search_falls_back_to_the_description_without_plain_text(store, make) -> None:
    await store.apply([make.upsert(make.event(
        "a", "Soirée", description="<p>Un spectacle de marionnettes</p>", description_text=""))])
    assert await found(store, "marionnette") == ["Soirée"]


async def test_suggested_tags_are_counted_over_every_upcoming_document(store, make) -> None:
    await store.apply([
        make.upsert(make.event("a", "Atelier du samedi", keywords=("réparation vélo",))),
        make.upsert(make.event("b", "Atelier du dimanche", hour=10,
                               keywords=("réparation vélo",))),
        make.upsert(make.event("c", "Réparer son grille-pain", hour=11,
                               keywords=("réparer ensemble",))),
    ])
    assert await store.suggest("répar", limit=2) == [
        {"text": "réparation vélo", "kind": "keyword"},
        {"text": "réparer ensemble", "kind": "keyword"}]


async def test_a_recurring_title_is_suggested_once_and_leaves_room(store, make) -> None:
    weekly = make.event("w", "Atelier vélo", starts=[make.at(d, 9) for d in range(40)])
    await store.apply([make.upsert(weekly),
                       make.upsert(make.event("c", "Atelier couture", day=41))])
    got = await store.suggest("atel", limit=8)
    assert [s["text"] for s in got] == ["Atelier vélo", "Atelier couture"]


async def test_related_keeps_the_nearest_of_equally_related_documents(store, make) -> None:
    base = make.event("base", "Concert", day=6, themes=("musique",))
    others = [make.event(f"o{i}", f"Autre {i}", day=6 + (i % 7) * (1 if i % 2 else -1),
                         hour=8 + i % 10, themes=("musique",)) for i in range(30)]
    await store.apply([make.upsert(e) for e in (*others[::-1], base)])
    (doc,) = await store.event_docs(base.id)
    related = await store.related(doc, limit=6)
    start = doc["start_ts"]
    everything = (await store.search(SearchQuery(limit=100))).items
    gaps = sorted(abs(d["start_ts"] - start) for d in everything if d["id"] != doc["id"])
    assert [abs(d["start_ts"] - start) for d in related] == gaps[:6]
