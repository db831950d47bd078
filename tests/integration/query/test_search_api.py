"""``GET /v1/events`` over real HTTP on loopback, against a seeded SQLite file."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def search(client: Any, **params: Any) -> dict[str, Any]:
    resp = await client.get("/v1/events", params=params)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


async def test_default_lists_upcoming_by_date_without_past_or_cancelled(client) -> None:
    body = await search(client)
    assert titles(body) == [
        "Atelier de réparation vélo",
        "Concert de la chorale du Thabor",
        "Tournoi de basket des jeunes",
        "Vide-grenier de printemps",
        "Repas solidaire; soupe, pain & fromage — « entrée » à prix libre",
        "Atelier de réparation vélo",
        "Atelier de réparation vélo",
    ]
    assert body["total"] == 7 and body["next"] is None


async def test_items_have_no_internal_fields(client) -> None:
    item = (await search(client, limit=1))["items"][0]
    assert "start_ts" not in item and "end_ts" not in item
    assert {"id", "event_id", "title", "start", "end", "status", "sources"} <= set(item)


async def test_full_text_is_accent_insensitive_and_stemmed(client) -> None:
    assert set(titles(await search(client, q="REPARATIONS velo"))) == {"Atelier de réparation vélo"}


async def test_full_text_highlights_title_and_snippet(client) -> None:
    (item,) = (await search(client, q="chorale"))["items"]
    assert item["title_html"] == "Concert de la <mark>chorale</mark> du Thabor"
    assert "<mark>chorale</mark>" in item["snippet"]


async def test_theme_filter_takes_any_of_several(client) -> None:
    body = await search(client, theme="sport,culture")
    assert titles(body) == ["Concert de la chorale du Thabor", "Tournoi de basket des jeunes"]


async def test_keyword_filter(client) -> None:
    assert titles(await search(client, keyword="basket")) == ["Tournoi de basket des jeunes"]


async def test_quartier_filter(client) -> None:
    assert set(titles(await search(client, quartier="Sud-Gare"))) == {
        "Atelier de réparation vélo"}


async def test_commune_filter(client) -> None:
    assert titles(await search(client, commune="Cesson-Sévigné")) == [
        "Vide-grenier de printemps"]


async def test_accessibility_requires_every_code(client) -> None:
    assert titles(await search(client, accessibility="hi,lsf")) == [
        "Concert de la chorale du Thabor"]
    assert titles(await search(client, accessibility="hi,mi")) == []


async def test_free_filter(client) -> None:
    assert titles(await search(client, free="false")) == ["Tournoi de basket des jeunes"]


async def test_audience_filter_accepts_english_names(client) -> None:
    assert titles(await search(client, audience="families")) == ["Vide-grenier de printemps"]


async def test_organizer_filter(client) -> None:
    assert titles(await search(client, organizer="Cercle Paul Bert")) == [
        "Tournoi de basket des jeunes"]


async def test_source_filter(client) -> None:
    assert titles(await search(client, source="chorale")) == ["Concert de la chorale du Thabor"]


async def test_cancelled_shown_on_request(client) -> None:
    assert "Conférence sur le climat" in titles(await search(client, include_cancelled="true"))
    assert titles(await search(client, status="cancelled")) == ["Conférence sur le climat"]


async def test_from_in_the_past_includes_past_occurrences(client) -> None:
    from datetime import date, timedelta

    body = await search(client, **{"from": (date.today() - timedelta(days=5)).isoformat()})
    assert titles(body)[0] == "Répétition passée de la chorale"


async def test_to_bounds_the_period(client) -> None:
    from datetime import date, timedelta

    body = await search(client, to=(date.today() + timedelta(days=2)).isoformat())
    assert titles(body) == ["Atelier de réparation vélo", "Concert de la chorale du Thabor"]


async def test_near_with_radius(client) -> None:
    body = await search(client, near="48.1211,-1.6030", radius_km="1")
    assert titles(body) == ["Vide-grenier de printemps"]


async def test_sort_by_distance(client) -> None:
    body = await search(client, near="48.0853,-1.6919", sort="distance", limit=2)
    assert titles(body)[0] == "Tournoi de basket des jeunes"


async def test_bbox(client) -> None:
    body = await search(client, bbox="-1.62,48.11,-1.59,48.13")
    assert titles(body) == ["Vide-grenier de printemps"]


async def test_cursor_pagination_walks_every_result_once(client) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        body = await search(client, **params)
        assert body["total"] == 7
        seen += [i["id"] for i in body["items"]]
        if body["next"] is None:
            break
        params["cursor"] = body["next"]
    assert len(seen) == len(set(seen)) == 7


async def test_garbage_cursor_is_a_400_on_cursor(client) -> None:
    resp = await client.get("/v1/events", params={"cursor": "bm90IGEgY3Vyc29y"})
    assert resp.status == 400
    assert (await resp.json())["error"]["details"]["parameter"] == "cursor"


async def test_facets_count_the_filtered_set(client) -> None:
    body = await search(client, free="true")
    facets = body["facets"]
    themes = {f["value"]: f["count"] for f in facets["theme"]}
    assert themes == {"culture": 1, "environnement": 3, "solidarite": 1}
    quartiers = {f["value"]: f["count"] for f in facets["quartier"]}
    assert quartiers == {"Centre": 2, "Sud-Gare": 3}
    assert {"accessibility", "keyword", "organizer"} <= set(facets)


async def test_facets_carry_french_labels(client) -> None:
    facets = (await search(client, theme="culture"))["facets"]
    assert facets["theme"] == [{"value": "culture", "count": 1, "label": "Culture et arts"}]
    labels = {f["value"]: f["label"] for f in facets["accessibility"]}
    assert labels["lsf"] == "Langue des signes française (LSF)"


async def test_facets_can_be_skipped(client) -> None:
    assert "facets" not in await search(client, facets="false")


@pytest.mark.parametrize("path", ["/v1/events", "/v1/search"])
@pytest.mark.parametrize("query", [
    [("q", "a" * 201)],
    [("q", " " * 150 + "vélo" * 20)],  # 230 characters as sent, 80 once stripped
    [("q", "vélo"), ("q", "x" * 5000)],  # a second q was never read, nor counted
], ids=["long", "padded", "repeated"])
async def test_q_is_one_value_of_at_most_200_characters_on_both_searches(
        client, path, query) -> None:
    resp = await client.get(path, params=query)
    assert resp.status == 400, await resp.text()
    error = (await resp.json())["error"]
    assert error["code"] == "invalid_parameter" and error["details"]["parameter"] == "q"
