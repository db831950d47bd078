"""The fetcher against hostile and odd HTTP servers, all on 127.0.0.1.

Host names go through a FakeResolver: "assoc.example" is 127.0.0.1 (fetched with
allow_private=True), while "evil.example" points at 10.0.0.1 or 169.254.169.254 and must be
refused by the guard before any connection is made, so no traffic leaves loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web

from services.harvester.fetcher import DEFAULT_USER_AGENT, FetchConfig, Fetcher
from shared.errors import FetchFailed, FetchRefused, FetchTransient

pytestmark = pytest.mark.integration

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
ETAG = 'W/"cal-7"'
LAST_MODIFIED = "Wed, 12 Mar 2025 08:30:00 GMT"
CAP = 64 * 1024


class FakeResolver:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"unknown host {host}")
        return self.table[host]


def default_resolver() -> FakeResolver:
    return FakeResolver(
        {
            "assoc.example": ["127.0.0.1"],
            "norobots.example": ["127.0.0.1"],
            "picky.example": ["127.0.0.1"],
            "brokenrobots.example": ["127.0.0.1"],
            "evil.example": ["169.254.169.254"],
            "lan.example": ["10.0.0.1"],
            "mixed.example": ["127.0.0.1", "169.254.169.254"],
        }
    )


def bomb(encoding: str, size: int = 8 * 1024 * 1024) -> bytes:
    zeros = b"\0" * (1024 * 1024)
    if encoding == "gzip":
        return gzip.compress(zeros * (size // len(zeros)))
    if encoding == "deflate":
        return zlib.compress(zeros * (size // len(zeros)))
    brotli = pytest.importorskip("brotli")
    return bytes(brotli.compress(zeros * (size // len(zeros))))


# --- the hostile server ---------------------------------------------------------------------


def make_app(seen: dict[str, Any], bombs: dict[str, bytes]) -> web.Application:
    routes = web.RouteTableDef()
    seen.update(headers=[], robots=0, active=0, max_active=0)

    @routes.get("/ok")
    async def ok(request: web.Request) -> web.Response:
        seen["headers"].append(dict(request.headers))
        return web.Response(
            body=ICS,
            content_type="text/calendar",
            headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=600"},
        )

    @routes.get("/cond-etag")
    async def cond_etag(request: web.Request) -> web.Response:
        seen["headers"].append(dict(request.headers))
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.Response(body=ICS, headers={"ETag": ETAG})

    @routes.get("/cond-lm")
    async def cond_lm(request: web.Request) -> web.Response:
        seen["headers"].append(dict(request.headers))
        if request.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return web.Response(status=304)
        return web.Response(body=ICS, headers={"Last-Modified": LAST_MODIFIED})

    async def stream(request: web.Request, chunk: bytes, pause: float) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            while True:
                await resp.write(chunk)
                await asyncio.sleep(pause)
        except (ConnectionError, RuntimeError):
            return resp

    @routes.get("/drip")
    async def drip(request: web.Request) -> web.StreamResponse:
        return await stream(request, b"x", 0.05)

    @routes.get("/endless")
    async def endless(request: web.Request) -> web.StreamResponse:
        return await stream(request, b"y" * 16384, 0)

    @routes.get("/bomb/{encoding}")
    async def compressed(request: web.Request) -> web.Response:
        encoding = request.match_info["encoding"]
        body = bombs[encoding]
        return web.Response(body=body, headers={"Content-Encoding": encoding})

    @routes.get("/small-gzip")
    async def small_gzip(request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(ICS), headers={"Content-Encoding": "gzip"})

    @routes.get("/bad-gzip")
    async def bad_gzip(request: web.Request) -> web.Response:
        return web.Response(body=b"this is not gzip at all", headers={"Content-Encoding": "gzip"})

    @routes.get("/unasked-br")
    async def unasked_br(request: web.Request) -> web.Response:
        return web.Response(body=b"\x8b\x03\x80hello\x03", headers={"Content-Encoding": "br"})

    @routes.get("/loop/a")
    async def loop_a(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop/b")

    @routes.get("/loop/b")
    async def loop_b(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/loop/a")

    @routes.get("/chain/{n}")
    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n >= 4:
            return web.Response(body=ICS)
        raise web.HTTPTemporaryRedirect(f"/chain/{n + 1}")

    @routes.get("/redirect")
    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.query["to"]})

    @routes.get("/redirect-without-location")
    async def redirect_without_location(request: web.Request) -> web.Response:
        return web.Response(status=301)

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.Response:
        headers = {}
        if "retry" in request.query:
            headers["Retry-After"] = request.query["retry"]
        return web.Response(status=int(request.match_info["code"]), headers=headers)

    @routes.get("/robots.txt")
    async def robots(request: web.Request) -> web.Response:
        if request.host.startswith("norobots.example"):
            return web.Response(status=404)
        if request.host.startswith("brokenrobots.example"):
            return web.Response(status=500)
        seen["robots"] += 1
        if request.host.startswith("picky.example"):  # a group for us replaces the * group
            return web.Response(
                text="User-agent: *\nDisallow: /\n\nUser-agent: Maillage\nDisallow: /no-maillage\n"
            )
        return web.Response(text="User-agent: *\nDisallow: /private\n")

    @routes.get("/{area:(private|public|no-maillage)}/page")
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Agenda</body></html>", content_type="text/html")

    @routes.get("/slow-concurrent/{i}")
    async def slow_concurrent(request: web.Request) -> web.Response:
        seen["active"] += 1
        seen["max_active"] = max(seen["max_active"], seen["active"])
        await asyncio.sleep(0.05)
        seen["active"] -= 1
        return web.Response(body=ICS)

    app = web.Application()
    app.add_routes(routes)
    return app


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    made = {"gzip": bomb("gzip"), "deflate": bomb("deflate")}
    try:
        made["br"] = bomb("br")
    except pytest.skip.Exception:
        pass
    return made


@pytest.fixture
async def server(bombs: dict[str, bytes]) -> AsyncIterator[tuple[int, dict[str, Any]]]:
    seen: dict[str, Any] = {}
    app = make_app(seen, bombs)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield port, seen
    await runner.cleanup()


RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: RawHandler) -> AsyncIterator[int]:
    """A bare TCP server on 127.0.0.1 that answers exactly what ``handler`` writes."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except ConnectionError:
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield srv.sockets[0].getsockname()[1]
    finally:
        srv.close()
        await srv.wait_closed()


def raw_reply(head: bytes, body: bytes, *, wait_eof: bool = False) -> RawHandler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head + b"\r\n\r\n" + body)
        await writer.drain()
        if wait_eof:
            await reader.read()

    return handler


@pytest.fixture
async def make_fetcher() -> AsyncIterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make(resolver: FakeResolver | None = None, **overrides: Any) -> Fetcher:
        settings: dict[str, Any] = {
            "allow_private": True,
            "connect_timeout": 2.0,
            "total_timeout": 5.0,
            "max_bytes": CAP,
        }
        settings.update(overrides)
        fetcher = Fetcher(FetchConfig(**settings), resolver or default_resolver())
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        await fetcher.close()


# --- ordinary behaviour --------------------------------------------------------------------


async def test_ok_fetch_returns_body_and_headers(server, make_fetcher) -> None:
    port, _ = server
    result = await make_fetcher().fetch(f"http://assoc.example:{port}/ok")
    assert (result.status, result.body, result.etag, result.last_modified) == (
        200,
        ICS,
        ETAG,
        LAST_MODIFIED,
    )
    assert result.cache_control == "max-age=600"
    assert result.content_type is not None and result.content_type.startswith("text/calendar")


async def test_content_hash_is_sha256_of_body(server, make_fetcher) -> None:
    import hashlib

    port, _ = server
    result = await make_fetcher().fetch(f"http://assoc.example:{port}/ok")
    assert result.content_hash == hashlib.sha256(ICS).hexdigest()


async def test_user_agent_sent(server, make_fetcher) -> None:
    port, seen = server
    await make_fetcher().fetch(f"http://assoc.example:{port}/ok")
    assert seen["headers"][0]["User-Agent"] == DEFAULT_USER_AGENT


async def test_small_gzip_body_is_decompressed(server, make_fetcher) -> None:
    port, _ = server
    assert (await make_fetcher().fetch(f"http://assoc.example:{port}/small-gzip")).body == ICS


async def test_environment_proxy_is_ignored(server, make_fetcher, monkeypatch) -> None:
    port, _ = server
    hits: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(await reader.read(100))

    async with raw_server(proxy) as proxy_port:
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy_port}")
        result = await make_fetcher().fetch(f"http://assoc.example:{port}/ok")
    assert (result.status, hits) == (200, [])


async def test_per_host_limit_bounds_concurrency(server, make_fetcher) -> None:
    port, seen = server
    fetcher = make_fetcher(per_host_limit=2)
    urls = [f"http://assoc.example:{port}/slow-concurrent/{i}" for i in range(6)]
    await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    assert seen["max_active"] <= 2


async def test_resolver_consulted_for_each_connection(server, make_fetcher) -> None:
    port, _ = server
    resolver = default_resolver()
    fetcher = make_fetcher(resolver)
    await fetcher.fetch(f"http://assoc.example:{port}/ok")
    await fetcher.fetch(f"http://assoc.example:{port}/ok")
    assert resolver.asked == ["assoc.example", "assoc.example"]


# --- size, time and framing ----------------------------------------------------------------


async def test_slow_drip_stopped_by_total_timeout(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchTransient) as info:
        await make_fetcher(total_timeout=0.5, max_bytes=10**6).fetch(
            f"http://assoc.example:{port}/drip"
        )
    assert info.value.kind == "timeout"


async def test_endless_body_stopped_at_cap(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/endless")
    assert info.value.kind == "too_large"


async def test_gzip_bomb_stopped_at_cap(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/bomb/gzip")
    assert info.value.kind == "too_large"


async def test_deflate_bomb_stopped_at_cap(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/bomb/deflate")
    assert info.value.kind == "too_large"


async def test_brotli_bomb_stopped_at_cap(server, make_fetcher, bombs) -> None:
    assert "br" in bombs, "Brotli is a dependency: aiohttp asks for and decodes br"
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/bomb/br")
    assert info.value.kind == "too_large"


async def test_corrupt_gzip_is_transient_bad_body(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchTransient) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/bad-gzip")
    assert info.value.kind == "bad_body"


async def test_content_length_longer_than_body_is_transient(make_fetcher) -> None:
    handler = raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 1000", b"short body")
    async with raw_server(handler) as port:
        with pytest.raises(FetchTransient) as info:
            await make_fetcher().fetch(f"http://assoc.example:{port}/")
    assert info.value.kind == "bad_body"


async def test_content_length_shorter_than_body_never_yields_extra_bytes(make_fetcher) -> None:
    # aiohttp rejects the whole read when bytes follow the declared end in the same packet
    # (bad_response); if they arrive later, only the declared bytes are kept.
    handler = raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5", b"hello, and then garbage")
    async with raw_server(handler) as port:
        try:
            body = (await make_fetcher().fetch(f"http://assoc.example:{port}/")).body
        except FetchTransient as exc:
            body = exc.kind.encode()
    assert body in (b"hello", b"bad_response")


async def test_declared_length_over_cap_refused_before_reading(make_fetcher) -> None:
    handler = raw_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999", b"", wait_eof=True)
    async with raw_server(handler) as port:
        with pytest.raises(FetchRefused) as info:
            await make_fetcher(total_timeout=30.0).fetch(f"http://assoc.example:{port}/")
    assert info.value.kind == "too_large"


async def test_connection_refused_is_transient(make_fetcher) -> None:
    async with raw_server(raw_reply(b"", b"")) as port:
        pass  # the port is closed again
    with pytest.raises(FetchTransient) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/")
    assert info.value.kind == "connection"


async def test_garbage_status_line_is_transient(make_fetcher) -> None:
    async with raw_server(raw_reply(b"SPEAK FRIEND", b"")) as port:
        with pytest.raises(FetchTransient) as info:
            await make_fetcher().fetch(f"http://assoc.example:{port}/")
    assert info.value.kind == "bad_response"


# --- redirects -----------------------------------------------------------------------------


async def test_redirect_chain_within_limit_followed(server, make_fetcher) -> None:
    port, _ = server
    result = await make_fetcher().fetch(f"http://assoc.example:{port}/chain/0")
    assert result.url == f"http://assoc.example:{port}/chain/4"


async def test_too_many_redirects_refused(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(max_redirects=2).fetch(f"http://assoc.example:{port}/chain/0")
    assert info.value.kind == "too_many_redirects"


async def test_redirect_loop_refused(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/loop/a")
    assert info.value.kind == "redirect_loop"


async def test_redirect_to_name_resolving_to_metadata_refused(server, make_fetcher) -> None:
    port, _ = server
    resolver = default_resolver()
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(resolver).fetch(
            f"http://assoc.example:{port}/redirect?to=http://evil.example:{port}/x"
        )
    assert (info.value.kind, resolver.asked) == (
        "refused_address",
        ["assoc.example", "evil.example"],
    )


async def test_redirect_to_literal_metadata_address_refused(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(
            f"http://assoc.example:{port}/redirect?to=http://169.254.169.254/latest/meta-data/"
        )
    assert info.value.kind == "refused_address"


async def test_redirect_to_file_url_refused(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_files=True).fetch(
            f"http://assoc.example:{port}/redirect?to=file:///etc/passwd"
        )
    assert info.value.kind == "scheme"


async def test_redirect_to_loopback_refused_without_allow_private(make_fetcher) -> None:
    resolver = FakeResolver({"lan.example": ["10.0.0.1"]})
    with pytest.raises(FetchRefused):
        await make_fetcher(resolver, allow_private=False).fetch("http://lan.example/agenda.ics")
    assert resolver.asked == ["lan.example"]


async def test_name_resolving_to_private_refused_before_connecting(make_fetcher) -> None:
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_private=False).fetch("http://lan.example/agenda.ics")
    assert info.value.kind == "refused_address"


async def test_one_bad_answer_among_several_refused(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused):
        await make_fetcher().fetch(f"http://mixed.example:{port}/ok")


async def test_numeric_loopback_spelling_refused_without_allow_private(make_fetcher) -> None:
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_private=False).fetch("http://0x7f.1/agenda.ics")
    assert info.value.kind == "refused_address"


async def test_redirect_without_location_fails(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchFailed) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/redirect-without-location")
    assert info.value.kind == "bad_redirect"


async def test_redirect_to_unparseable_location_fails(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchFailed) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/redirect?to=http://%5B::1/")
    assert info.value.kind == "bad_redirect"


async def test_rebinding_answer_refused_on_next_connection(server, make_fetcher) -> None:
    class Rebinding(FakeResolver):
        async def resolve(self, host: str, port: int) -> list[str]:
            self.asked.append(host)
            return ["127.0.0.1"] if len(self.asked) == 1 else ["169.254.169.254"]

    port, _ = server
    fetcher = make_fetcher(Rebinding({}))
    assert (await fetcher.fetch(f"http://assoc.example:{port}/ok")).status == 200
    with pytest.raises(FetchRefused):
        await fetcher.fetch(f"http://assoc.example:{port}/ok")


# --- status codes --------------------------------------------------------------------------


async def test_429_with_retry_after_seconds(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchTransient) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/status/429?retry=120")
    assert (info.value.kind, info.value.status, info.value.retry_after) == (
        "rate_limited",
        429,
        120.0,
    )


async def test_429_with_retry_after_http_date(server, make_fetcher) -> None:
    port, _ = server
    when = quote(formatdate(time.time() + 3600, usegmt=True))
    with pytest.raises(FetchTransient) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/status/429?retry={when}")
    assert info.value.retry_after is not None and 3000 < info.value.retry_after <= 3600


async def test_retry_after_clamped_to_one_day(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchTransient) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/status/429?retry=9999999")
    assert info.value.retry_after == 86400.0


async def test_503_is_transient_with_retry_after(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchTransient) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/status/503?retry=30")
    assert (info.value.kind, info.value.retry_after) == ("unavailable", 30.0)


async def test_500_is_transient_server_error(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchTransient) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/status/500")
    assert info.value.kind == "server_error"


@pytest.mark.parametrize("code", [401, 403, 404, 410])
async def test_permanent_client_errors_fail_with_status(server, make_fetcher, code) -> None:
    port, _ = server
    with pytest.raises(FetchFailed) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/status/{code}")
    assert (info.value.kind, info.value.status) == (f"http_{code}", code)


async def test_304_with_etag_sent_back_exactly(server, make_fetcher) -> None:
    port, seen = server
    result = await make_fetcher().fetch(f"http://assoc.example:{port}/cond-etag", etag=ETAG)
    assert (result.not_modified, result.body, result.etag) == (True, b"", ETAG)
    assert seen["headers"][0]["If-None-Match"] == ETAG


async def test_304_with_last_modified_sent_back_exactly(server, make_fetcher) -> None:
    port, seen = server
    fetcher = make_fetcher()
    url = f"http://assoc.example:{port}/cond-lm"
    result = await fetcher.fetch(url, last_modified=LAST_MODIFIED)
    assert (result.not_modified, result.last_modified) == (True, LAST_MODIFIED)
    assert seen["headers"][0]["If-Modified-Since"] == LAST_MODIFIED


async def test_stale_etag_gets_full_body(server, make_fetcher) -> None:
    port, _ = server
    result = await make_fetcher().fetch(f"http://assoc.example:{port}/cond-etag", etag='"old"')
    assert (result.not_modified, result.body) == (False, ICS)


# --- robots.txt ----------------------------------------------------------------------------


async def test_robots_disallow_refuses_html_page(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(f"http://assoc.example:{port}/private/page", html_page=True)
    assert info.value.kind == "robots"


async def test_robots_group_for_maillage_agent_applies(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchRefused):
        await make_fetcher().fetch(f"http://picky.example:{port}/no-maillage/page", html_page=True)


async def test_robots_group_for_maillage_replaces_star_group(server, make_fetcher) -> None:
    port, _ = server
    url = f"http://picky.example:{port}/public/page"
    assert (await make_fetcher().fetch(url, html_page=True)).status == 200


async def test_robots_allows_other_html_page(server, make_fetcher) -> None:
    port, _ = server
    result = await make_fetcher().fetch(f"http://assoc.example:{port}/public/page", html_page=True)
    assert result.status == 200


async def test_robots_not_checked_for_feeds(server, make_fetcher) -> None:
    port, seen = server
    result = await make_fetcher().fetch(f"http://assoc.example:{port}/private/page")
    assert (result.status, seen["robots"]) == (200, 0)


async def test_robots_cached_per_host(server, make_fetcher) -> None:
    port, seen = server
    fetcher = make_fetcher()
    for _ in range(3):
        await fetcher.fetch(f"http://assoc.example:{port}/public/page", html_page=True)
    assert seen["robots"] == 1


async def test_missing_robots_allows(server, make_fetcher) -> None:
    port, _ = server
    url = f"http://norobots.example:{port}/private/page"
    assert (await make_fetcher().fetch(url, html_page=True)).status == 200


async def test_unreachable_robots_is_transient_for_html_pages(server, make_fetcher) -> None:
    port, _ = server
    with pytest.raises(FetchTransient):
        await make_fetcher().fetch(
            f"http://brokenrobots.example:{port}/public/page", html_page=True
        )


async def test_unreachable_robots_does_not_block_feeds(server, make_fetcher) -> None:
    port, _ = server
    result = await make_fetcher().fetch(f"http://brokenrobots.example:{port}/public/page")
    assert result.status == 200


async def test_robots_ignored_when_disabled(server, make_fetcher) -> None:
    port, _ = server
    fetcher = make_fetcher(respect_robots=False)
    url = f"http://assoc.example:{port}/private/page"
    assert (await fetcher.fetch(url, html_page=True)).status == 200


async def test_robots_checked_on_redirect_hop(server, make_fetcher) -> None:
    port, _ = server
    url = f"http://assoc.example:{port}/redirect?to=/private/page"
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(url, html_page=True)
    assert info.value.kind == "robots"


# --- schemes -------------------------------------------------------------------------------


async def test_webcal_url_is_fetched_over_https(make_fetcher) -> None:
    first_bytes: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first_bytes.append(await reader.read(3))

    async with raw_server(record) as port:
        with pytest.raises(FetchTransient):
            await make_fetcher().fetch(f"webcal://assoc.example:{port}/agenda.ics")
    assert first_bytes and first_bytes[0][:1] == b"\x16"  # a TLS handshake record


async def test_file_url_refused_by_default(make_fetcher, tmp_path: Path) -> None:
    path = tmp_path / "agenda.ics"
    path.write_bytes(ICS)
    with pytest.raises(FetchRefused) as info:
        await make_fetcher().fetch(path.as_uri())
    assert info.value.kind == "scheme"


async def test_file_url_read_when_allowed(make_fetcher, tmp_path: Path) -> None:
    path = tmp_path / "agenda.ics"
    path.write_bytes(ICS)
    result = await make_fetcher(allow_files=True).fetch(path.as_uri())
    assert (result.status, result.body, result.content_type) == (200, ICS, "text/calendar")


async def test_file_url_unchanged_is_not_modified(make_fetcher, tmp_path: Path) -> None:
    path = tmp_path / "agenda.ics"
    path.write_bytes(ICS)
    fetcher = make_fetcher(allow_files=True)
    first = await fetcher.fetch(path.as_uri())
    second = await fetcher.fetch(path.as_uri(), last_modified=first.last_modified)
    assert second.not_modified


async def test_missing_file_fails_404(make_fetcher, tmp_path: Path) -> None:
    with pytest.raises(FetchFailed) as info:
        await make_fetcher(allow_files=True).fetch((tmp_path / "nope.ics").as_uri())
    assert info.value.status == 404


async def test_file_over_cap_refused(make_fetcher, tmp_path: Path) -> None:
    path = tmp_path / "big.ics"
    path.write_bytes(b"x" * (CAP + 1))
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_files=True).fetch(path.as_uri())
    assert info.value.kind == "too_large"


# --- local files: bounded, and never from a link (issue 17.2) -------------------------------


def test_file_urls_are_off_by_default_in_the_settings() -> None:
    from services.harvester.service import fetch_config
    from services.harvester.settings import SETTINGS
    from shared.settings import load

    assert fetch_config(load(SETTINGS, {})).allow_files is False


async def test_fifo_is_refused_without_blocking(make_fetcher, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "agenda.ics"
    os.mkfifo(fifo)
    try:
        with pytest.raises(FetchRefused) as info:
            await asyncio.wait_for(make_fetcher(allow_files=True).fetch(fifo.as_uri()), 10)
        assert info.value.kind == "not_a_file"
    finally:  # a reader stuck in open() (the bug) is released by a writer
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
async def test_endless_device_is_refused_at_once(make_fetcher, device: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_files=True, max_bytes=10**9).fetch(Path(device).as_uri())
    assert info.value.kind == "not_a_file"
    assert time.monotonic() - started < 5  # bounded by the refusal, not by reading 1 GB


async def test_directory_is_refused(make_fetcher, tmp_path: Path) -> None:
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_files=True).fetch(tmp_path.as_uri())
    assert info.value.kind == "not_a_file"


async def test_file_that_grows_past_its_size_is_cut_at_the_cap(make_fetcher) -> None:
    # /proc files say size 0 and then give bytes: the read itself is capped.
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_files=True, max_bytes=16).fetch("file:///proc/self/maps")
    assert info.value.kind == "too_large"


async def test_linked_file_url_is_refused_even_where_files_are_allowed(
    make_fetcher, tmp_path: Path
) -> None:
    path = tmp_path / "secret.ics"
    path.write_bytes(ICS)
    with pytest.raises(FetchRefused) as info:
        await make_fetcher(allow_files=True).fetch(path.as_uri(), linked=True)
    assert info.value.kind == "scheme"
