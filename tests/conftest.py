"""Fixtures shared by every test: a real nats-server per test, loopback HTTP servers.

No test sends traffic anywhere but 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from aiohttp import web

from shared.bus import Bus
from shared.natsserver import NatsServer, free_port

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def script() -> Callable[[str], ModuleType]:
    """Loads one of the repository's scripts/ (not a package) as a module, by name."""

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        # Registered under its name, as an import would: dataclasses look their module up
        # there to read string annotations.
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh nats-server with JetStream on a free loopback port, its store in tmp_path."""
    server = NatsServer(tmp_path / "nats", free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    connected = await Bus.connect(nats_server.url, name="test")
    await connected.ensure()
    try:
        yield connected
    finally:
        await connected.close()


@dataclass
class FeedServer:
    """A loopback HTTP server standing for association websites; edit ``files`` freely."""

    port: int
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    robots: str = "User-agent: *\nAllow: /\n"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def put(self, path: str, body: str | bytes, content_type: str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.files["/" + path.lstrip("/")] = (data, content_type)
        return self.url(path)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    server = FeedServer(port=free_port())

    async def handler(request: web.Request) -> web.Response:
        server.hits[request.path] = server.hits.get(request.path, 0) + 1
        if request.path == "/robots.txt":
            return web.Response(text=server.robots)
        if request.path not in server.files:
            raise web.HTTPNotFound()
        body, content_type = server.files[request.path]
        return web.Response(body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", server.port).start()
    try:
        yield server
    finally:
        await runner.cleanup()
