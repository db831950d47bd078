"""Event images through the SSRF guard: resized and cached; refused addresses, non-images
and decompression bombs give no image (and no second fetch for an hour)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

from services.harvester.fetcher import FetchConfig, Fetcher
from services.query.web.images import ImageCache, resized


class FakeResolver:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(self, host: str, port: int) -> list[str]:
        if host not in self.table:
            raise OSError(f"unknown host {host}")
        return self.table[host]


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 30, 128) if mode == "RGBA" else
              (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width``×``height`` pixels, with a tiny body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, list[str]]]:
    hits: list[str] = []
    bodies = {"/big.png": png(3000, 1000), "/alpha.png": png(50, 40, "RGBA"),
              "/page.html": b"<html>not an image</html>", "/bomb.png": bomb_png(40000, 40000)}

    async def handler(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=bodies[request.path], content_type="image/png")

    app = web.Application()
    app.router.add_get("/{name}", handler)
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv, hits
    await srv.close()


def cache(tmp_path: Path, allow_private: bool = True) -> ImageCache:
    resolver = FakeResolver({"assoc.example": ["127.0.0.1"], "evil.example": ["10.0.0.1"],
                             "meta.example": ["169.254.169.254"]})
    return ImageCache(tmp_path / "images",
                      Fetcher(FetchConfig(allow_private=allow_private), resolver))


async def test_image_is_resized_cached_and_fetched_once(
        server: tuple[TestServer, list[str]], tmp_path: Path) -> None:
    srv, hits = server
    images = cache(tmp_path)
    url = f"http://assoc.example:{srv.port}/big.png"
    path = await images.get(url)
    assert path is not None and images.size(url) == (1200, 400)
    with Image.open(path) as img:
        assert img.format == "JPEG"
    assert await images.get(url) == path
    assert hits == ["/big.png"]
    await images.close()


async def test_transparency_is_flattened_on_white(
        server: tuple[TestServer, list[str]], tmp_path: Path) -> None:
    srv, _ = server
    images = cache(tmp_path)
    path = await images.get(f"http://assoc.example:{srv.port}/alpha.png")
    assert path is not None
    with Image.open(path) as img:
        r, g, b = img.convert("RGB").getpixel((10, 10))
        assert r > 220 and 120 < g < 160  # half-transparent red over white
    await images.close()


@pytest.mark.parametrize("host", ["evil.example", "meta.example"])
async def test_private_addresses_are_refused_before_any_connection(
        server: tuple[TestServer, list[str]], tmp_path: Path, host: str) -> None:
    srv, hits = server
    images = cache(tmp_path, allow_private=False)
    assert await images.get(f"http://{host}:{srv.port}/big.png") is None
    assert hits == []
    await images.close()


@pytest.mark.parametrize("name", ["page.html", "bomb.png"])
async def test_what_is_not_a_reasonable_image_is_refused_and_remembered(
        server: tuple[TestServer, list[str]], tmp_path: Path, name: str) -> None:
    srv, hits = server
    images = cache(tmp_path)
    url = f"http://assoc.example:{srv.port}/{name}"
    assert await images.get(url) is None
    assert images.failed_recently(url)
    assert await images.get(url) is None
    assert hits == [f"/{name}"]  # not fetched again within the hour
    await images.close()


def test_resized_keeps_small_images_at_their_size() -> None:
    with Image.open(io.BytesIO(resized(png(300, 200)))) as img:
        assert img.size == (300, 200)
