"""Event images: fetched once from the source, resized and served from this site.

A source may give an event an image (``image``, an http(s) URL). The page never links it
(no hot-linking: the visitor's browser would tell the source's host who reads what, and a
heavy or vanished image would break the page): it shows ``/evenement/{id}/image``, which this
module answers from a cache under ``<data dir>/images``.

The image is fetched with the harvester's :class:`~services.harvester.fetcher.Fetcher` (the
SSRF guard checks every address and redirect; ``MAILLAGE_ALLOW_PRIVATE`` as for webhooks),
with a size cap, decoded by Pillow from the usual web formats only (with a pixel cap against
decompression bombs), turned upright, flattened to RGB and reduced to fit
:data:`MAX_SIZE` (the 1200 px of link previews), then stored as JPEG. A failure is remembered
for :data:`RETRY_AFTER` seconds, so a broken URL costs one fetch an hour at most.

The event page asks for the image in the background on a visit and shows it (and names it in
``og:image``) once it is in the cache: a page never waits for another site.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
import time
import warnings
from pathlib import Path

from aiohttp import hdrs, web
from PIL import Image, ImageOps

from services.harvester.fetcher import FetchConfig, Fetcher
from services.harvester.safety import Resolver
from services.query.context import SETTINGS, STORE
from services.query.errors import ApiError
from services.query.http import cache_for
from shared.clean import http_url
from shared.errors import MaillageError
from shared.settings import data_path

log = logging.getLogger(__name__)

MAX_SIZE = (1200, 1200)
MAX_BYTES = 8 * 1024 * 1024
#: Pixels Pillow may decode (a 6000×5000 photo); beyond, the image is refused unread.
MAX_PIXELS = 30_000_000
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
RETRY_AFTER = 3600.0
QUALITY = 82
YEAR = 365 * 24 * 3600


class ImageRefused(MaillageError):
    """The fetched bytes are not an image we show."""


def resized(body: bytes) -> bytes:
    """The JPEG of ``body`` (an image of :data:`FORMATS`) within :data:`MAX_SIZE`."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(body), formats=FORMATS) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise ImageRefused(f"image of {img.width}×{img.height} pixels")
                img.draft("RGB", MAX_SIZE)  # JPEG: decode at a reduced scale directly
                img.load()
                upright = ImageOps.exif_transpose(img)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning,
                Image.DecompressionBombError) as exc:
            raise ImageRefused(f"not a readable image: {exc}") from exc
    if upright.mode in ("RGBA", "LA", "P"):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    upright = upright.convert("RGB")
    upright.thumbnail(MAX_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:24]


class ImageCache:
    """Resized images by source URL, on disk; one fetch at a time per URL."""

    def __init__(self, directory: Path, fetcher: Fetcher, *,
                 retry_after: float = RETRY_AFTER) -> None:
        self.directory = directory
        self.fetcher = fetcher
        self.retry_after = retry_after
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Path | None]] = set()

    def path(self, url: str) -> Path:
        return self.directory / f"{key(url)}.jpg"

    def cached(self, url: str) -> Path | None:
        path = self.path(url)
        return path if path.is_file() else None

    def size(self, url: str) -> tuple[int, int] | None:
        """Width and height of the cached image (read from its header)."""
        path = self.cached(url)
        if path is None:
            return None
        try:
            with Image.open(path) as img:
                return img.size
        except OSError:
            return None

    def failed_recently(self, url: str) -> bool:
        marker = self.directory / f"{key(url)}.failed"
        try:
            return time.time() - marker.stat().st_mtime < self.retry_after
        except OSError:
            return False

    async def get(self, url: str) -> Path | None:
        """The cached image of ``url``, fetched and resized first if needed."""
        if (path := self.cached(url)) is not None:
            return path
        if self.failed_recently(url):
            return None
        lock = self._locks.setdefault(key(url), asyncio.Lock())
        try:
            async with lock:
                if (path := self.cached(url)) is not None:
                    return path
                return await self._fetch(url)
        finally:
            if not lock.locked():  # a late waiter keeps its lock; at worst a second fetch
                self._locks.pop(key(url), None)

    async def _fetch(self, url: str) -> Path | None:
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            result = await self.fetcher.fetch(url, linked=True)
            jpeg = await asyncio.to_thread(resized, result.body)
        except MaillageError as exc:
            log.info("event image %s not shown: %s", url, exc)
            (self.directory / f"{key(url)}.failed").write_text(str(exc)[:500])
            return None
        path = self.path(url)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(jpeg)
        partial.replace(path)  # readers see the whole file or none
        return path

    def warm(self, url: str) -> None:
        """Fetch ``url`` in the background if it is neither cached nor failing."""
        if self.cached(url) is not None or self.failed_recently(url):
            return
        if key(url) in self._locks:
            return  # already on its way
        task = asyncio.create_task(self.get(url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.fetcher.close()


IMAGES = web.AppKey("event_images", ImageCache)


def image_url(doc: dict[str, object]) -> str | None:
    """The source's image URL of a document (http(s) only), if any."""
    return http_url(doc.get("image"))


def local_url(doc: dict[str, object], url: str) -> str:
    return f"/evenement/{doc['id']}/image?v={key(url)}"


async def event_image(request: web.Request) -> web.StreamResponse:
    doc = await request.app[STORE].get(request.match_info["id"])
    url = image_url(doc) if doc else None
    path = await request.app[IMAGES].get(url) if url else None
    if path is None:
        raise ApiError(404, "this event has no image to show", code="image_not_found",
                       details={"id": request.match_info["id"]})
    response = web.Response(body=await asyncio.to_thread(path.read_bytes),
                            content_type="image/jpeg")
    if url and request.query.get("v") == key(url):  # the same source image for good
        response.headers[hdrs.CACHE_CONTROL] = f"public, max-age={YEAR}, immutable"
    else:
        cache_for(response, request.app[SETTINGS].cache_static_seconds)
    return response


def setup_images(app: web.Application, resolver: Resolver | None = None) -> None:
    settings = app[SETTINGS]
    config = FetchConfig(allow_private=bool(getattr(settings, "allow_private", False)),
                         max_bytes=MAX_BYTES, total_timeout=15.0)
    app[IMAGES] = ImageCache(data_path(settings, "images", "x").parent,
                             Fetcher(config, resolver))
    app.router.add_get("/evenement/{id}/image", event_image)

    async def close(app: web.Application) -> None:
        await app[IMAGES].close()

    app.on_cleanup.append(close)
