"""Polite and safe HTTP fetching for the harvester.

One :class:`Fetcher` per process holds an aiohttp session whose resolver runs the SSRF guard
(:mod:`services.harvester.safety`) and hands the connection only the addresses it checked.
Redirects are followed by hand so every hop is checked; bodies are read in chunks and
counted after decompression, so a gzip bomb stops at ``max_bytes``; one ``total_timeout``
bounds the network time of the whole fetch (redirects, slow drip; waiting for a free
per-host slot is not counted). Failures are classified from one table
(:mod:`services.harvester.fetch_errors`) into FetchTransient / FetchFailed / FetchRefused.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import hdrs
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from services.harvester.fetch_errors import (
    map_client_error,
    parse_retry_after,
    refuse,
    status_error,
)
from services.harvester.file_fetch import read_file_url
from services.harvester.robots import MAX_ROBOTS_BYTES, RobotsCache
from services.harvester.safety import (
    CheckedURL,
    Resolver,
    SystemResolver,
    check_url,
    resolve_checked,
)
from shared.errors import FetchFailed, FetchRefused, FetchTransient, MaillageError

DEFAULT_USER_AGENT = (
    "Maillage/0.1 (+https://github.com/maillage/maillage; agenda des associations rennaises)"
)
ACCEPT = (
    "text/calendar, application/rss+xml, application/atom+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchConfig:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 10 * 1024 * 1024  # counted after decompression
    max_redirects: int = 5
    per_host_limit: int = 2
    allow_private: bool = False
    respect_robots: bool = True
    allow_files: bool = False  # file:// URLs of configured sources (tests); never linked ones
    robots_ttl: float = 86400.0


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # final URL, after redirects
    status: int
    body: bytes
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    retry_after: float | None = None
    content_hash: str = field(default="")  # sha256 hex of body (of b"" for a 304)


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that resolves through the SSRF guard: only checked addresses out."""

    def __init__(self, resolver: Resolver, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await resolve_checked(self._resolver, host, port, self._allow_private)
        return [
            ResolveResult(
                hostname=host,
                host=str(addr),
                port=port,
                family=socket.AF_INET if addr.version == 4 else socket.AF_INET6,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for addr in addresses
        ]

    async def close(self) -> None:
        return None


class Fetcher:
    """Fetches source URLs politely and safely. Create once, ``await close()`` at the end."""

    def __init__(self, config: FetchConfig | None = None, resolver: Resolver | None = None):
        self.config = config or FetchConfig()
        self._resolver = resolver or SystemResolver()
        self._session: aiohttp.ClientSession | None = None
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._robots = RobotsCache(
            self._fetch_robots, self.config.user_agent, self.config.robots_ttl
        )

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self._resolver, self.config.allow_private),
                use_dns_cache=False,
                force_close=True,  # a lying Content-Length cannot poison a reused connection
                limit=100,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trust_env=False,  # never use environment proxies or .netrc
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
                headers={hdrs.USER_AGENT: self.config.user_agent, hdrs.ACCEPT: ACCEPT},
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=self.config.connect_timeout,
                    sock_connect=self.config.connect_timeout,
                ),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        html_page: bool = False,
        linked: bool = False,
    ) -> FetchResult:
        """Fetch ``url``; raise FetchTransient, FetchFailed or FetchRefused when it fails.

        ``linked`` marks a URL found in a fetched document (a next page, an event page): a
        ``file:`` URL is then refused even where files are allowed for configured sources.
        """
        if url[:5].lower() == "file:":
            if linked:
                raise refuse(f"a link found in a document names a local file: {url}", "scheme")
            if not self.config.allow_files:
                raise refuse("file:// URLs are not allowed here", "scheme")
            return await self._fetch_file(url, last_modified)
        headers: dict[str, str] = {}
        if etag:
            headers[hdrs.IF_NONE_MATCH] = etag
        if last_modified:
            headers[hdrs.IF_MODIFIED_SINCE] = last_modified
        check_robots = html_page and self.config.respect_robots
        return await self._run(url, headers, self.config.max_bytes, check_robots)

    async def _fetch_file(self, url: str, last_modified: str | None) -> FetchResult:
        timeout = self.config.total_timeout
        read = asyncio.to_thread(read_file_url, url, self.config.max_bytes, last_modified, timeout)
        try:
            got = await asyncio.wait_for(read, timeout)
        except TimeoutError as exc:  # a read stuck in the kernel (a network file system)
            raise FetchTransient(f"reading {url} took too long", kind="timeout") from exc
        return FetchResult(
            url=url,
            status=304 if got.not_modified else 200,
            body=got.body,
            not_modified=got.not_modified,
            last_modified=got.last_modified,
            content_type=got.content_type,
            content_hash=hashlib.sha256(got.body).hexdigest(),
        )

    async def _run(
        self, url: str, headers: dict[str, str], max_bytes: int, check_robots: bool
    ) -> FetchResult:
        budget = _Budget(self.config.total_timeout)
        try:
            return await self._follow(url, headers, max_bytes, check_robots, budget)
        except MaillageError:
            raise
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            raise map_client_error(exc, url) from exc

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        check_robots: bool,
        budget: _Budget,
    ) -> FetchResult:
        target = check_url(url, self.config.allow_private)
        seen = {str(target.url)}
        for _hop in range(self.config.max_redirects + 1):
            if check_robots and not await self._robots.allowed(target.url):
                raise refuse(f"robots.txt of {target.host} disallows {target.url}", "robots")
            result, location = await self._hop(target, headers, max_bytes, budget)
            if location is None:
                assert result is not None
                return result
            try:
                next_url = target.url.join(URL(location))
            except ValueError as exc:
                raise FetchFailed(
                    f"invalid redirect Location from {target.url}", kind="bad_redirect"
                ) from exc
            target = check_url(next_url, self.config.allow_private)
            if str(target.url) in seen:
                raise refuse(f"redirect loop back to {target.url}", "redirect_loop")
            seen.add(str(target.url))
        raise refuse(
            f"more than {self.config.max_redirects} redirects from {url}", "too_many_redirects"
        )

    async def _hop(
        self, target: CheckedURL, headers: dict[str, str], max_bytes: int, budget: _Budget
    ) -> tuple[FetchResult | None, str | None]:
        """One request under the host's slot; only time holding the slot uses the budget."""
        slot = self._host_slots.setdefault(
            target.host, asyncio.Semaphore(self.config.per_host_limit)
        )
        async with slot:
            if budget.left <= 0:
                raise TimeoutError
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                async with asyncio.timeout(budget.left):
                    return await self._request(target, headers, max_bytes)
            finally:
                budget.left -= loop.time() - started

    async def _request(
        self, target: CheckedURL, headers: dict[str, str], max_bytes: int
    ) -> tuple[FetchResult | None, str | None]:
        """(result, None) when final, (None, location) for a redirect."""
        session = self._get_session()
        async with session.get(target.url, headers=headers, allow_redirects=False) as resp:
            if resp.status in REDIRECTS:
                location = resp.headers.get(hdrs.LOCATION)
                if not location:
                    raise FetchFailed(
                        f"HTTP {resp.status} redirect without Location from {target.url}",
                        kind="bad_redirect",
                        status=resp.status,
                    )
                return None, location
            if resp.status == 304:
                return self._result(resp, b"", not_modified=True, sent=headers), None
            if not 200 <= resp.status < 300:
                raise status_error(resp.status, resp.headers, str(target.url))
            body = await _read_capped(resp, max_bytes)
            return self._result(resp, body, not_modified=False, sent=headers), None

    @staticmethod
    def _result(
        resp: aiohttp.ClientResponse, body: bytes, *, not_modified: bool, sent: dict[str, str]
    ) -> FetchResult:
        h = resp.headers
        etag = h.get(hdrs.ETAG)
        last_modified = h.get(hdrs.LAST_MODIFIED)
        if not_modified:  # a 304 may omit validators: keep the ones that still hold
            etag = etag or sent.get(hdrs.IF_NONE_MATCH)
            last_modified = last_modified or sent.get(hdrs.IF_MODIFIED_SINCE)
        return FetchResult(
            url=str(resp.url),
            status=resp.status,
            body=body,
            not_modified=not_modified,
            etag=etag,
            last_modified=last_modified,
            content_type=h.get(hdrs.CONTENT_TYPE),
            cache_control=h.get(hdrs.CACHE_CONTROL),
            expires=h.get(hdrs.EXPIRES),
            retry_after=parse_retry_after(h.get(hdrs.RETRY_AFTER)),
            content_hash=hashlib.sha256(body).hexdigest(),
        )

    async def _fetch_robots(self, url: URL) -> bytes:
        result = await self._run(str(url), {}, MAX_ROBOTS_BYTES, check_robots=False)
        return result.body


class _Budget:
    """Seconds of network time left for one fetch, shared by its redirect hops."""

    __slots__ = ("left",)

    def __init__(self, seconds: float) -> None:
        self.left = seconds


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, decompressed, refusing past ``max_bytes`` without reading the rest."""
    declared = resp.headers.get(hdrs.CONTENT_LENGTH, "")
    if declared.isdigit() and not resp.headers.get(hdrs.CONTENT_ENCODING):
        if int(declared) > max_bytes:
            resp.close()
            raise _too_large(resp.url, max_bytes)
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            resp.close()
            raise _too_large(resp.url, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(url: Any, max_bytes: int) -> FetchRefused:
    return refuse(f"body of {url} exceeds {max_bytes} bytes", "too_large")
