"""robots.txt rules per origin, cached, for fetches of HTML pages.

Feeds and calendars are published to be fetched by programs, so only HTML pages (scraped
agendas) are checked. Following RFC 9309: a robots.txt that is missing or answers 4xx allows
everything; one that cannot be reached (timeout, 5xx) makes the fetch wait
(:class:`~shared.errors.FetchTransient`), and is not cached. Rules are kept at most ``ttl``
seconds (24 h by default, the RFC's limit).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from urllib.robotparser import RobotFileParser

from yarl import URL

from shared.errors import FetchFailed, FetchRefused

MAX_ROBOTS_BYTES = 500 * 1024
MAX_ORIGINS = 4096

FetchRobots = Callable[[URL], Awaitable[bytes]]


def parse_robots(body: bytes) -> RobotFileParser:
    """A parser loaded with ``body`` (bytes beyond the RFC's 500 KiB are ignored)."""
    parser = RobotFileParser()
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
    parser.parse(text.splitlines())
    return parser


def _allow_all() -> RobotFileParser:
    return parse_robots(b"")  # no rules: everything allowed


class RobotsCache:
    """Answers "may this user agent fetch this URL?", fetching robots.txt once per origin.

    ``fetch`` returns the body of a robots.txt URL; it raises FetchFailed for an HTTP error
    status (read as "no rules"), FetchRefused when the guard or a cap refused it (also read
    as "no rules": the page itself is still checked by the guard) and FetchTransient when
    robots.txt cannot be reached (propagated: try again later).
    """

    def __init__(self, fetch: FetchRobots, user_agent: str, ttl: float = 86400.0) -> None:
        self._fetch = fetch
        self._user_agent = user_agent
        self._ttl = ttl
        self._rules: dict[str, tuple[float, RobotFileParser]] = {}

    async def allowed(self, url: URL) -> bool:
        origin = url.origin()
        key = str(origin)
        cached = self._rules.get(key)
        now = time.monotonic()
        if cached is None or now - cached[0] > self._ttl:
            try:
                parser = parse_robots(await self._fetch(origin.with_path("/robots.txt")))
            except (FetchFailed, FetchRefused):
                parser = _allow_all()
            if len(self._rules) >= MAX_ORIGINS:
                self._rules.pop(next(iter(self._rules)))
            self._rules[key] = (now, parser)
            cached = self._rules[key]
        return cached[1].can_fetch(self._user_agent, str(url))

    def clear(self) -> None:
        self._rules.clear()
