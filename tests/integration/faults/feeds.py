"""A loopback feed server the fault tests steer: serve a calendar, hold a request, or garbage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from aiohttp import web

from shared.natsserver import free_port


def calendar(count: int, prefix: str = "ev") -> bytes:
    """An iCalendar document of ``count`` events on the coming days, Europe/Paris."""
    day = date.today() + timedelta(days=2)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//maillage-tests//FR"]
    for i in range(count):
        when = day + timedelta(days=i % 200)
        lines += [
            "BEGIN:VEVENT", f"UID:{prefix}-{i}@tests", "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=Europe/Paris:{when:%Y%m%d}T{10 + i % 8:02d}0000",
            f"SUMMARY:Atelier {prefix} numéro {i}", "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass
class Feeds:
    port: int
    bodies: dict[str, bytes] = field(default_factory=dict)
    hold: set[str] = field(default_factory=set)  # paths whose next request hangs
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@asynccontextmanager
async def feed_server() -> AsyncIterator[Feeds]:
    feeds = Feeds(free_port())

    async def handler(request: web.Request) -> web.Response:
        path = request.match_info["path"]
        feeds.hits[path] = feeds.hits.get(path, 0) + 1
        if path == "robots.txt":
            return web.Response(text="User-agent: *\nAllow: /\n")
        if path in feeds.hold:
            feeds.hold.discard(path)
            await asyncio.sleep(3600)  # until the client goes away
        if path not in feeds.bodies:
            raise web.HTTPNotFound()
        return web.Response(body=feeds.bodies[path], content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/{path:.*}", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", feeds.port).start()
    try:
        yield feeds
    finally:
        await runner.cleanup()


def sources_file(directory: Path, entries: dict[str, str]) -> Path:
    """A sources file for ``{source_id: url}``."""
    path = directory / "sources.toml"
    path.write_text("".join(
        f'[[sources]]\nid = "{sid}"\nurl = "{url}"\nformat = "ics"\n\n'
        for sid, url in entries.items()))
    return path
