"""Headers a client can forge, played against the real service on loopback: a ``Host`` that
would poison the links of cached exports, and ``X-Forwarded-For`` behind reverse proxies."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from multidict import CIMultiDict

pytestmark = pytest.mark.integration

EVIL = "evil.example"


def links(rss: str) -> list[str]:
    root = ET.fromstring(rss)
    return [el.text or "" for el in root.iter("link")] + [
        el.get("href", "") for el in root.iter("{http://www.w3.org/2005/Atom}link")]


async def test_forged_host_cannot_poison_the_cached_feed_of_the_next_visitors(
        make_client) -> None:
    client = await make_client(MAILLAGE_PUBLIC_URL="")  # the default of every deployment
    forged = await client.get("/v1/events.rss", headers={"Host": EVIL})
    visitor = await client.get("/v1/events.rss")  # within the answer cache's seconds
    body = await visitor.text()
    assert visitor.status == 200 and EVIL not in body
    port = client.server.port
    assert links(body) and all(u.startswith(f"http://127.0.0.1:{port}/") for u in links(body))
    assert forged.status == 400
    assert (await forged.json())["error"]["code"] == "invalid_host"


@pytest.mark.parametrize("path", ["/v1/events.ics", "/v1/events.jsonld", "/v1/calls.rss",
                                  "/", "/v1/events"])
async def test_every_route_refuses_a_host_outside_the_allowlist(make_client, path) -> None:
    client = await make_client(MAILLAGE_PUBLIC_URL="")
    resp = await client.get(path, headers={"Host": f"{EVIL}:8080"})
    assert resp.status == 400
    body = await resp.json()
    assert set(body["error"]) == {"code", "message", "details"}


async def test_each_allowed_host_gets_its_own_cached_answer(make_client) -> None:
    client = await make_client(MAILLAGE_PUBLIC_URL="",
                               MAILLAGE_ALLOWED_HOSTS="agenda.example,127.0.0.1")
    first = await (await client.get("/v1/events.rss", headers={"Host": "agenda.example"})).text()
    second = await (await client.get("/v1/events.rss")).text()
    assert all(u.startswith("http://agenda.example/") for u in links(first))
    assert "agenda.example" not in second


async def test_with_a_public_url_links_never_follow_the_host(make_client) -> None:
    client = await make_client(MAILLAGE_PUBLIC_URL="https://maillage.example/")
    assert (await client.get("/v1/events.rss", headers={"Host": EVIL})).status == 400
    localhost = await (await client.get("/v1/events.rss", headers={"Host": "localhost"})).text()
    assert all(u.startswith("https://maillage.example/") for u in links(localhost))
    public = await client.get("/v1/events.ics", headers={"Host": "MAILLAGE.example"})
    assert public.status == 200


async def test_probes_and_scrapers_answer_whatever_the_host(make_client) -> None:
    client = await make_client()
    for path in ("/healthz", "/metrics"):
        assert (await client.get(path, headers={"Host": "10.42.0.7:8080"})).status == 200


async def test_clients_behind_a_trusted_proxy_have_their_own_buckets(make_client) -> None:
    client = await make_client(MAILLAGE_RATE_LIMIT="0.1", MAILLAGE_RATE_BURST="1",
                               MAILLAGE_TRUSTED_PROXIES="127.0.0.0/8, 10.0.0.0/8")

    async def status(chain: str) -> int:
        return (await client.get("/v1/themes", headers={"X-Forwarded-For": chain})).status

    # each proxy appends the address it saw: the client is the right-most untrusted one
    assert await status("203.0.113.1, 10.0.0.3") == 200
    assert await status("203.0.113.2, 10.0.0.3") == 200
    # a client writing its own header cannot pick another bucket: its proxy appends its address
    assert await status("203.0.113.9, 203.0.113.1, 10.0.0.3") == 429


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(make_client) -> None:
    client = await make_client(MAILLAGE_RATE_LIMIT="0.1", MAILLAGE_RATE_BURST="1",
                               MAILLAGE_TRUSTED_PROXIES="10.0.0.0/8")
    first = await client.get("/v1/themes", headers={"X-Forwarded-For": "203.0.113.1"})
    other = await client.get("/v1/themes", headers={"X-Forwarded-For": "203.0.113.2"})
    assert (first.status, other.status) == (200, 429)


async def test_a_proxy_that_adds_its_own_header_line_still_names_the_client(
        make_client) -> None:
    """Some proxies (HAProxy's ``option forwardfor``) add an ``X-Forwarded-For`` line of
    their own instead of appending to the client's: only the first line was read, which is
    the client's, so a client picked its bucket by writing any address there."""
    client = await make_client(MAILLAGE_RATE_LIMIT="0.1", MAILLAGE_RATE_BURST="1",
                               MAILLAGE_TRUSTED_PROXIES="127.0.0.0/8")

    async def status(forged: str) -> int:
        lines = [("X-Forwarded-For", forged), ("X-Forwarded-For", "203.0.113.7")]
        return (await client.get("/v1/themes", headers=CIMultiDict(lines))).status

    assert await status("198.51.100.1") == 200
    assert await status("198.51.100.2") == 429  # the same client, whatever it wrote
