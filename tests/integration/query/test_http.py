"""HTTP behaviour: ETag and 304, Cache-Control, gzip, CORS and preflight, rate limit."""

from __future__ import annotations

import gc

import pytest

from shared.model import Event
from shared.store.sqlite import SqliteStore

from .conftest import occ, seed, theme

pytestmark = pytest.mark.integration


async def test_etag_and_304_on_if_none_match(client) -> None:
    resp = await client.get("/v1/events")
    etag = resp.headers["ETag"]
    assert etag.startswith('W/"')
    again = await client.get("/v1/events", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["ETag"] == etag
    assert await again.read() == b""


async def test_stale_etag_gets_the_full_answer(client) -> None:
    resp = await client.get("/v1/events", headers={"If-None-Match": 'W/"stale"'})
    assert resp.status == 200 and (await resp.json())["items"]


async def test_etag_differs_between_searches(client) -> None:
    one = await client.get("/v1/events", params={"theme": "sport"})
    two = await client.get("/v1/events", params={"theme": "culture"})
    assert one.headers["ETag"] != two.headers["ETag"]


async def test_exports_support_304_too(client) -> None:
    resp = await client.get("/v1/events.ics")
    again = await client.get("/v1/events.ics", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status == 304


async def test_searches_are_cached_briefly_and_openapi_longer(client) -> None:
    search = await client.get("/v1/events")
    spec = await client.get("/openapi.json")
    assert search.headers["Cache-Control"] == "public, max-age=60"
    assert spec.headers["Cache-Control"] == "public, max-age=3600"


async def test_cache_durations_come_from_settings(make_client) -> None:
    client = await make_client(MAILLAGE_CACHE_SEARCH_SECONDS="5")
    assert (await client.get("/v1/themes")).headers["Cache-Control"] == "public, max-age=5"


async def test_errors_are_not_cached(client) -> None:
    resp = await client.get("/v1/events", params={"limit": "0"})
    assert resp.headers["Cache-Control"] == "no-store"


async def test_gzip_for_clients_that_accept_it(client) -> None:
    resp = await client.get("/v1/events", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in resp.headers["Vary"]
    assert (await resp.json())["items"]  # the client decompresses


async def test_no_compression_without_accept_encoding(client) -> None:
    resp = await client.get("/v1/events", headers={"Accept-Encoding": "identity"},
                            auto_decompress=False)
    assert "Content-Encoding" not in resp.headers
    assert (await resp.read()).startswith(b"{")


async def test_head_has_headers_and_no_body(client) -> None:
    resp = await client.head("/v1/events")
    assert resp.status == 200 and resp.headers["ETag"]
    assert await resp.read() == b""


async def test_cors_header_on_api_exports_and_errors(client) -> None:
    for path in ("/v1/events", "/v1/events.ics", "/v1/themes", "/v1/events/nope"):
        resp = await client.get(path)
        assert resp.headers["Access-Control-Allow-Origin"] == "*", path


async def test_cors_preflight(client) -> None:
    resp = await client.options("/v1/events", headers={
        "Origin": "https://asso.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in resp.headers["Access-Control-Allow-Methods"]
    assert resp.headers["Access-Control-Allow-Headers"] == "if-none-match"


async def test_preflight_of_an_unknown_route_is_a_404(client) -> None:
    resp = await client.options("/v1/nothing-here")
    assert resp.status == 404


async def test_rate_limit_answers_429_with_retry_after(make_client) -> None:
    client = await make_client(MAILLAGE_RATE_LIMIT="0.5", MAILLAGE_RATE_BURST="2")
    statuses = [(await client.get("/v1/themes")).status for _ in range(2)]
    assert statuses == [200, 200]
    resp = await client.get("/v1/themes")
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "2"
    body = await resp.json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["details"] == {"retry_after": 2}


async def test_health_is_never_rate_limited(make_client) -> None:
    client = await make_client(MAILLAGE_RATE_LIMIT="0.1", MAILLAGE_RATE_BURST="1")
    statuses = [(await client.get("/healthz")).status for _ in range(5)]
    assert statuses == [200] * 5


async def test_forwarded_for_is_used_only_when_trusted(make_client) -> None:
    client = await make_client(MAILLAGE_RATE_LIMIT="0.1", MAILLAGE_RATE_BURST="1",
                               MAILLAGE_TRUST_FORWARDED="true")
    first = await client.get("/v1/themes", headers={"X-Forwarded-For": "203.0.113.1"})
    other = await client.get("/v1/themes", headers={"X-Forwarded-For": "203.0.113.2"})
    again = await client.get("/v1/themes", headers={"X-Forwarded-For": "203.0.113.1"})
    assert (first.status, other.status, again.status) == (200, 200, 429)


async def test_identical_request_is_served_from_the_answer_cache(client, store_path) -> None:
    before = await (await client.get("/v1/events", params={"theme": "sport"})).json()
    store = SqliteStore(store_path)
    await seed(store, [Event.create(source_id="sport", source_uid="b2", title="Match de hand",
                                    occurrences=[occ(2, 15)], themes=theme("sport"))])
    await store.close()
    cached = await (await client.get("/v1/events", params={"theme": "sport"})).json()
    fresh = await (await client.get("/v1/events", params={"theme": "sport", "limit": 5})).json()
    assert cached == before
    assert fresh["total"] == before["total"] + 1


async def test_answer_cache_can_be_disabled(make_client, store_path) -> None:
    client = await make_client(MAILLAGE_MICROCACHE_SECONDS="0")
    before = await (await client.get("/v1/events")).json()
    store = SqliteStore(store_path)
    await seed(store, [Event.create(source_id="sport", source_uid="b2", title="Match de hand",
                                    occurrences=[occ(2, 15)], themes=theme("sport"))])
    await store.close()
    assert (await (await client.get("/v1/events")).json())["total"] == before["total"] + 1


async def test_requests_with_credentials_bypass_the_answer_cache(client, store_path) -> None:
    await client.get("/v1/themes")
    store = SqliteStore(store_path)
    await seed(store, [Event.create(source_id="sport", source_uid="b2", title="Match de hand",
                                    occurrences=[occ(2, 15)], themes=theme("sport"))])
    await store.close()
    resp = await client.get("/v1/themes", headers={"Authorization": "Bearer x"})
    counts = {t["value"]: t["count"] for t in (await resp.json())["items"]}
    assert counts["sport"] == 2


async def test_the_index_built_at_start_leaves_the_collectors_generations(make_client) -> None:
    """A full collection walking the index took 17-25 ms at 100k documents, in whichever
    search triggered it: the service freezes what it built (shared.memory.freeze_heap)."""
    frozen = gc.get_freeze_count()
    client = await make_client()
    assert (await client.get("/v1/events")).status == 200
    assert gc.get_freeze_count() > frozen
