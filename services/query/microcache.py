"""A short-lived server-side cache of whole API answers ("microcaching").

Identical GETs arriving within ``MAILLAGE_MICROCACHE_SECONDS`` of each other (a front page, a
popular filter, a calendar polled by many subscribers) are answered from memory without
touching the store or serializing again. Clients are already told they may cache searches
for ``MAILLAGE_CACHE_SEARCH_SECONDS``, so a server-side copy a few seconds old changes
nothing they could observe. Only 200 answers of the API and exports are kept; the cache is
bounded in entries and bytes (least recently used out first). Requests with credentials
(Authorization, Cookie) and answers marked ``private`` or ``no-store`` are never cached.

The key holds everything an answer depends on: the path and query, and the ``Host`` when the
links of the answers are built from it (no ``MAILLAGE_PUBLIC_URL``; :func:`host_key`), so
that an answer made for one host name is never served to a request for another.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from services.query.errors import Handler

#: the public, anonymous routes of this service (not other features mounted under /v1)
CACHED_PREFIXES = ("/v1/events", "/v1/themes", "/v1/quartiers", "/v1/keywords",
                   "/v1/organizers", "/v1/suggest", "/openapi.json")
PRIVATE_REQUEST = (hdrs.AUTHORIZATION, hdrs.COOKIE)
KEPT_HEADERS = (hdrs.CONTENT_TYPE, hdrs.CACHE_CONTROL, hdrs.CONTENT_DISPOSITION, hdrs.ETAG)


def path_key(request: web.Request) -> str:
    return request.path_qs


def host_key(request: web.Request) -> str:
    return request.host.lower() + request.path_qs  # a Host holds no "/": the split is clear


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    expires: float


class MicroCache:
    def __init__(self, seconds: float, max_entries: int, max_bytes: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.size = 0

    def get(self, key: str) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self.clock():
            self.drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def put(self, key: str, body: bytes, headers: tuple[tuple[str, str], ...]) -> None:
        if len(body) > self.max_bytes // 4:
            return  # one huge export must not flush everything else
        self.drop(key)
        now = self.clock()
        # the least recently used entries come first: drop those already expired, so that
        # distinct searches do not keep the cache at its bound with answers nobody may reuse
        while self.entries and next(iter(self.entries.values())).expires <= now:
            self.drop(next(iter(self.entries)))
        self.entries[key] = Entry(body, headers, now + self.seconds)
        self.size += len(body)
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            self.drop(next(iter(self.entries)))

    def drop(self, key: str) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry.body)


def microcache_middleware(cache: MicroCache,
                          key_of: Callable[[web.Request], str] = path_key) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if (request.method not in (hdrs.METH_GET, hdrs.METH_HEAD)
                or not request.path.startswith(CACHED_PREFIXES)
                or any(h in request.headers for h in PRIVATE_REQUEST)):
            return await handler(request)
        key = key_of(request)
        entry = cache.get(key)
        if entry is not None:
            return web.Response(body=entry.body, headers=dict(entry.headers))
        response = await handler(request)
        control = response.headers.get(hdrs.CACHE_CONTROL, "")
        if (response.status == 200 and isinstance(response, web.Response)
                and isinstance(response.body, bytes) and not response.cookies
                and "private" not in control and "no-store" not in control):
            headers = tuple((k, v) for k in KEPT_HEADERS if (v := response.headers.get(k)))
            cache.put(key, response.body, headers)
        return response

    return middleware
