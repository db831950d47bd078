"""Fixtures of the accounts and associations tests: the site (query service app) on a
loopback port with a real nats-server and SQLite store, a browser-like HTTP client that keeps
cookies, and the steps people take (sign in from the outbox, fill a form)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from services.query.app import create_app
from services.query.settings import SETTINGS as QUERY_SETTINGS
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from shared.settings import Settings, load
from shared.store.sqlite import SqliteStore

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TOKEN = re.compile(r'name="jeton" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/connexion/lien\?jeton=[\w-]+")


def site_settings(data_dir: Path, port: int, nats_url: str, **env: str) -> Settings:
    base = {"MAILLAGE_DATA_DIR": str(data_dir), "MAILLAGE_HTTP_PORT": str(port),
            "MAILLAGE_PUBLIC_URL": f"http://127.0.0.1:{port}", "MAILLAGE_NATS_URL": nats_url,
            "MAILLAGE_RATE_LIMIT": "0", "MAILLAGE_DEMO": "true"}
    return load(QUERY_SETTINGS, {**base, **env})


@dataclass
class Site:
    """One replica of the site: its URL, data directory (outbox) and app."""

    url: str
    data_dir: Path
    app: web.Application
    runner: web.AppRunner

    def outbox_messages(self) -> list[email.message.EmailMessage]:
        folder = self.data_dir / "outbox"
        files = sorted(folder.glob("*.eml")) if folder.is_dir() else []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in files]  # type: ignore[misc]

    async def link_for(self, address: str, *, after: int = 0, wait: float = 10) -> str:
        """The sign-in link of the newest mail to ``address`` (waiting for it to arrive)."""
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            found = [m for m in self.outbox_messages()[after:]
                     if str(m["To"]).lower() == address.lower()]
            if found:
                body = found[-1].get_body(preferencelist=("plain",))
                assert body is not None
                match = LINK.search(body.get_content())
                assert match, body.get_content()
                return match.group(0)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no mail to {address} in the outbox")
            await asyncio.sleep(0.05)


async def start_site(data_dir: Path, bus: Bus, nats_url: str, *, port: int | None = None,
                     store_path: Path | None = None, **env: str) -> Site:
    port = port or free_port()
    store_path = store_path or data_dir / "index.sqlite"
    app = create_app(site_settings(data_dir, port, nats_url, **env), SqliteStore(store_path),
                     bus=bus)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Site(f"http://127.0.0.1:{port}", data_dir, app, runner)


@pytest.fixture
async def site(tmp_path: Path, bus: Bus, nats_server: NatsServer) -> AsyncIterator[Site]:
    running = await start_site(tmp_path / "site", bus, nats_server.url)
    try:
        yield running
    finally:
        await running.runner.cleanup()


class Browser:
    """An HTTP client that behaves like a browser: cookies, forms with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies of 127.0.0.1 too
            headers={"Accept": "text/html"})

    async def close(self) -> None:
        await self.session.close()

    async def get(self, path: str, **kw: Any) -> tuple[int, str]:
        async with self.session.get(self.base + path, **kw) as resp:
            return resp.status, await resp.text()

    async def token(self, path: str) -> str:
        status, html = await self.get(path)
        assert status == 200, html
        match = CSRF.search(html)
        assert match, html
        return match.group(1)

    async def post(self, path: str, data: dict[str, str], *, token_from: str | None = None,
                   headers: dict[str, str] | None = None,
                   follow: bool = True) -> aiohttp.ClientResponse:
        form = dict(data)
        if token_from is not None:
            form["csrf"] = await self.token(token_from)
        resp = await self.session.post(self.base + path, data=form, headers=headers,
                                       allow_redirects=follow)
        await resp.read()
        return resp

    async def sign_in(self, site: Site, address: str) -> None:
        before = len(site.outbox_messages())
        resp = await self.post("/connexion", {"email": address}, token_from="/connexion")
        assert resp.status == 200, await resp.text()
        link = await site.link_for(address, after=before)
        path = "/" + link.split("/", 3)[3]
        status, html = await self.get(path)
        assert status == 200, html
        token = TOKEN.search(html)
        assert token
        resp = await self.post("/connexion/lien", {"jeton": token.group(1)},
                               token_from=path)
        assert resp.status == 200 and resp.url.path == "/compte", await resp.text()


@pytest.fixture
async def browser(site: Site) -> AsyncIterator[Callable[..., Awaitable[Browser]]]:
    made: list[Browser] = []

    async def make(base: str | None = None) -> Browser:
        b = Browser(base or site.url)
        made.append(b)
        return b

    try:
        yield make
    finally:
        for b in made:
            await b.close()
