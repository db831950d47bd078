"""Every error answer has the one shape {"error": {"code", "message", "details"}}, is JSON,
is not cached and is readable cross-origin, whatever produced it."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.query.app import create_app
from shared.store.sqlite import SqliteStore

from .conftest import query_settings

pytestmark = pytest.mark.integration

BAD_REQUESTS = [
    ("/v1/events", {"colour": "red"}, "colour"),
    ("/v1/events", {"q": "x" * 201}, "q"),
    ("/v1/events", {"from": "tomorrow"}, "from"),
    ("/v1/events", {"from": "2026-07-02", "to": "2026-07-01"}, "to"),
    ("/v1/events", {"limit": "1000"}, "limit"),
    ("/v1/events", {"theme": "nope"}, "theme"),
    ("/v1/events", {"accessibility": "nope"}, "accessibility"),
    ("/v1/events", {"audience": "nope"}, "audience"),
    ("/v1/events", {"status": "nope"}, "status"),
    ("/v1/events", {"free": "maybe"}, "free"),
    ("/v1/events", {"include_cancelled": "maybe"}, "include_cancelled"),
    ("/v1/events", {"facets": "maybe"}, "facets"),
    ("/v1/events", {"near": "48.1"}, "near"),
    ("/v1/events", {"radius_km": "3"}, "radius_km"),
    ("/v1/events", {"bbox": "1,2"}, "bbox"),
    ("/v1/events", {"sort": "price"}, "sort"),
    ("/v1/events", {"cursor": "!!!"}, "cursor"),
    ("/v1/events.ics", {"limit": "0"}, "limit"),
    ("/v1/events.rss", {"theme": "nope"}, "theme"),
    ("/v1/events.jsonld", {"near": "x,y"}, "near"),
    ("/v1/events.csv", {"sort": "relevance"}, "sort"),
    ("/v1/themes", {"limit": "5"}, "limit"),
    ("/v1/quartiers", {"limit": "0"}, "limit"),
    ("/v1/keywords", {"limit": "x"}, "limit"),
    ("/v1/organizers", {"other": "1"}, "other"),
    ("/v1/suggest", {}, "q"),
    ("/v1/suggest", {"q": "x" * 101}, "q"),
    ("/v1/suggest", {"q": "a", "limit": "21"}, "limit"),
]


def assert_shape(body: Any, code: str) -> None:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


async def check(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    assert resp.headers["Cache-Control"] == "no-store"
    body = await resp.json()
    assert_shape(body, code)
    return body


@pytest.mark.parametrize(("path", "params", "parameter"), BAD_REQUESTS)
async def test_each_400_names_its_parameter(client, path, params, parameter) -> None:
    body = await check(await client.get(path, params=params), 400, "invalid_parameter")
    assert body["error"]["details"]["parameter"] == parameter
    assert body["error"]["details"]["reason"]


async def test_unknown_route_404(client) -> None:
    await check(await client.get("/v1/nothing"), 404, "not_found")


async def test_unknown_event_404(client) -> None:
    await check(await client.get("/v1/events/oc_missing"), 404, "event_not_found")


async def test_method_not_allowed_405_says_allow(client) -> None:
    resp = await client.post("/v1/events", data=b"{}")
    await check(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


async def test_rate_limited_429(make_client) -> None:
    client = await make_client(MAILLAGE_RATE_LIMIT="0.01", MAILLAGE_RATE_BURST="1")
    await client.get("/v1/events")
    resp = await client.get("/v1/events")
    await check(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 1


async def test_error_is_readable_cross_origin(client) -> None:
    resp = await client.get("/v1/events", params={"limit": "0"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


class BrokenStore(SqliteStore):
    """A real store whose reads fail, as when the index file is unreadable."""

    async def search(self, query: Any) -> Any:
        raise RuntimeError("disk I/O error")

    async def count(self) -> int:
        raise RuntimeError("disk I/O error")


@pytest.fixture
async def broken_client(store_path) -> Any:
    client = TestClient(TestServer(create_app(query_settings(), BrokenStore(store_path)),
                                   host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_unexpected_failure_500_hides_the_cause(broken_client) -> None:
    body = await check(await broken_client.get("/v1/events"), 500, "internal_error")
    assert "disk" not in str(body)


async def test_unreadable_store_health_503(broken_client) -> None:
    await check(await broken_client.get("/healthz"), 503, "unavailable")


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/events/oc_missing", "/openapi.jsonx",
                                  "/v1.json", "/widget.jsx"])
async def test_api_paths_answer_json_even_to_a_browser(client, path) -> None:
    resp = await client.get(path, headers=BROWSER)
    assert resp.status == 404 and resp.content_type == "application/json"


async def test_unknown_page_is_a_french_html_page_for_a_browser(client) -> None:
    resp = await client.get("/page-inconnue", headers=BROWSER)
    assert resp.status == 404 and resp.content_type == "text/html"
    assert resp.headers["Cache-Control"] == "no-store"
    html = await resp.text()
    assert '<html lang="fr">' in html and "<title>Page introuvable — Maillage</title>" in html
    assert 'href="/">Retour à l’agenda</a>' in html
    # a script or a client asking for anything keeps the one JSON shape
    await check(await client.get("/page-inconnue"), 404, "not_found")


async def test_wrong_method_on_a_page_is_french_for_a_browser(client) -> None:
    resp = await client.delete("/integrer", headers=BROWSER)
    assert resp.status == 405 and "Action impossible" in await resp.text()
    assert "GET" in resp.headers["Allow"]


async def test_page_with_a_trailing_slash_redirects_to_the_page(client) -> None:
    resp = await client.get("/integrer/?theme=culture", headers=BROWSER,
                            allow_redirects=False)
    assert resp.status in (301, 308)
    assert resp.headers["Location"] == "/integrer?theme=culture"


async def test_unexpected_failure_is_a_french_page_for_a_browser(broken_client) -> None:
    resp = await broken_client.get("/", headers=BROWSER)
    assert resp.status in (200, 500)  # the page may report the failure itself
    assert resp.content_type == "text/html" and "disk" not in await resp.text()
