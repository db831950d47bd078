"""``/v1/events/{id}``, the vocabularies (``/v1/themes`` ...) and ``/v1/suggest``."""

from __future__ import annotations

from typing import Any

import pytest

from shared.model import Event
from shared.store.sqlite import SqliteStore
from shared.taxonomy import THEMES

from .conftest import CENTRE, occ, seed, theme

pytestmark = pytest.mark.integration


async def get_json(client: Any, path: str, **params: Any) -> Any:
    resp = await client.get(path, params=params)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def first_id(client: Any, **params: Any) -> str:
    body = await get_json(client, "/v1/events", limit=1, **params)
    return str(body["items"][0]["id"])


async def test_event_detail_lists_the_other_occurrences(client) -> None:
    doc_id = await first_id(client, keyword="vélo")
    body = await get_json(client, f"/v1/events/{doc_id}")
    assert body["item"]["id"] == doc_id
    assert len(body["occurrences"]) == 2
    assert doc_id not in {o["id"] for o in body["occurrences"]}
    assert all(o["event_id"] == body["item"]["event_id"] for o in body["occurrences"])


async def test_event_detail_lists_its_sources(client, events) -> None:
    body = await get_json(client, f"/v1/events/{await first_id(client, source='chorale')}")
    assert [(s["source_id"], s["url"]) for s in body["sources"]] == [
        ("chorale", "https://chorale.example/agenda/concert")]


async def test_event_detail_has_related_events(client, store_path) -> None:
    store = SqliteStore(store_path)
    await seed(store, [Event.create(
        source_id="theatre", source_uid="t1", title="Théâtre d'impro", occurrences=[occ(3, 21)],
        location=CENTRE, themes=theme("culture"), keywords=("chant",))])
    await store.close()
    body = await get_json(client, f"/v1/events/{await first_id(client, source='chorale')}")
    assert [r["title"] for r in body["related"]] == ["Théâtre d'impro"]


async def test_unknown_event_is_a_404_in_the_error_shape(client) -> None:
    resp = await client.get("/v1/events/oc_0000000000000000")
    assert resp.status == 404
    assert (await resp.json())["error"] == {
        "code": "event_not_found", "message": "no such event",
        "details": {"id": "oc_0000000000000000"}}


async def test_themes_lists_every_theme_with_label_and_count(client) -> None:
    items = (await get_json(client, "/v1/themes"))["items"]
    assert [t["value"] for t in items] == [t.code for t in THEMES]
    by_code = {t["value"]: t for t in items}
    assert by_code["culture"] == {"value": "culture", "label": "Culture et arts", "count": 1}
    assert by_code["environnement"]["count"] == 3


async def test_quartiers_with_counts(client) -> None:
    items = (await get_json(client, "/v1/quartiers"))["items"]
    assert {t["value"]: t["count"] for t in items} == {
        "Centre": 2, "Sud-Gare": 3, "Bréquigny": 1}


async def test_keywords_most_frequent_first(client) -> None:
    items = (await get_json(client, "/v1/keywords", limit=2))["items"]
    assert len(items) == 2 and items[0]["count"] == 3


async def test_organizers(client) -> None:
    items = (await get_json(client, "/v1/organizers"))["items"]
    assert {"value": "Cercle Paul Bert", "count": 1} in items


async def test_suggest_completes_a_prefix(client) -> None:
    items = (await get_json(client, "/v1/suggest", q="chor"))["items"]
    assert items and all(set(s) == {"text", "kind"} for s in items)
    assert any("chorale" in s["text"].lower() for s in items)


async def test_suggest_blank_prefix_is_empty(client) -> None:
    assert (await get_json(client, "/v1/suggest", q=" "))["items"] == []


async def test_suggest_without_q_is_a_400(client) -> None:
    resp = await client.get("/v1/suggest")
    assert resp.status == 400
    assert (await resp.json())["error"]["details"] == {"parameter": "q", "reason": "required"}


async def test_keyword_suggestions_are_spelled_as_the_events_write_them(
        store_path, make_client) -> None:
    """The indexer keeps keywords as folded slugs ("atelier-velo"); the search box offers
    them as the events write them ("atelier vélo")."""
    store = SqliteStore(store_path)
    await seed(store, [Event.create(
        source_id="velo", source_uid="samedi", title="Atelier vélo du samedi",
        occurrences=[occ(5, 14)], location=CENTRE, themes=theme("environnement"),
        keywords=("atelier-velo",))])
    await store.close()
    client = await make_client()
    items = (await get_json(client, "/v1/suggest", q="atelier"))["items"]
    texts = [i["text"] for i in items if i["kind"] == "keyword"]
    assert "atelier vélo" in texts and "atelier-velo" not in texts


async def test_event_page_says_a_theme_comes_from_the_association(client, store_path) -> None:
    from shared.model import ThemeTag

    store = SqliteStore(store_path)
    await seed(store, [Event.create(
        source_id="volley", source_uid="j5", title="[M15] Journée 5", occurrences=[occ(4, 15)],
        themes=(ThemeTag("sport", "association:011170"), ThemeTag("jeunesse", "age:M15")))])
    await store.close()
    resp = await client.get(f"/evenement/{await first_id(client, source='volley')}")
    html = await resp.text()
    assert resp.status == 200, html
    assert html.count("(thème de l’association)") == 1
    tags = html[html.index("<dt>Thèmes</dt>"):]
    tags = tags[:tags.index("</ul>")]
    assert tags.index("Sport") < tags.index("(thème de l’association)") < tags.index("Jeunesse")
