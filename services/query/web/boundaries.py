"""The map's own base layer: quartier and commune boundaries, ``/carte/limites.geojson``.

Without map tiles (offline, no tile server configured, a tile server down) the map still means
something: the outlines of the 12 quartiers of Rennes and of the communes of Rennes Métropole,
labelled, drawn from the reference directory (``MAILLAGE_REFERENCE_DIR``, see
:mod:`shared.reference`).

The official polygons (about 77,000 vertices, 3 MB) are simplified once with shapely's
``coverage_simplify``, which keeps the edge two neighbours share identical in both (no gaps nor
overlaps between quartiers), and coordinates are rounded to 5 decimals (about a metre): about
100 KB, 30 KB gzipped. Each feature carries ``kind`` (``quartier`` or ``commune``), ``code``,
``name`` and ``label`` (a point inside the area, ``[lon, lat]``, where its name is written).

The page links the layer with its content hash (``?v=``): that URL never changes meaning, so
it is cached for a year (``immutable``); the ETag and 304 come from the HTTP middleware.
The reference directory is looked at again every :data:`CHECK_INTERVAL` seconds: data fetched
while the service runs gives a new layer under a new URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import shapely
from aiohttp import hdrs, web
from shapely.geometry import mapping, shape

from services.query.context import SETTINGS
from services.query.errors import ApiError
from services.query.http import cache_for
from shared.errors import ConfigError
from shared.reference import area_features, directory_stamp, reference_dir

from .respond import WEB_CONFIG

log = logging.getLogger(__name__)

PATH = "/carte/limites.geojson"
#: Degrees (about 45 m north-south, 30 m east-west at Rennes): invisible at an agenda's zooms.
TOLERANCE = 0.0004
DECIMALS = 5
CHECK_INTERVAL = 60.0
YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Layer:
    body: bytes  # the GeoJSON FeatureCollection
    version: str  # a hash of the body

    @property
    def url(self) -> str:
        return f"{PATH}?v={self.version}"


LAYER = web.AppKey("boundaries", dict)


def simplified(geometries: list[dict[str, Any]], tolerance: float) -> list[Any]:
    """The geometries as shapely shapes, simplified together (shared edges stay shared)."""
    shapes = [shape(g) for g in geometries]
    if not shapes:
        return []
    out = shapely.coverage_simplify(shapes, tolerance, simplify_boundary=True)
    return list(shapely.set_precision(out, 10 ** -DECIMALS))


def features(kind: str, areas: list[tuple[str, str, dict[str, Any]]],
             tolerance: float) -> list[dict[str, Any]]:
    shapes = simplified([g for _, _, g in areas], tolerance)
    out = []
    for (code, name, geometry), simple in zip(areas, shapes, strict=True):
        if simple.is_empty:
            continue
        inside = shape(geometry).point_on_surface()  # on the original: always inside it
        out.append({
            "type": "Feature",
            "properties": {"kind": kind, "code": code, "name": name,
                           "label": [round(inside.x, DECIMALS), round(inside.y, DECIMALS)]},
            "geometry": mapping(simple),
        })
    return out


def build_layer(directory: Path, tolerance: float = TOLERANCE) -> Layer | None:
    """The layer of the reference directory, or ``None`` when it has no quartier file
    (communes are drawn when present)."""
    try:
        quartiers = area_features(directory, "quartier")
    except ConfigError as exc:
        log.warning("map without boundaries: %s", exc)
        return None
    try:
        communes = area_features(directory, "commune")
    except ConfigError as exc:
        log.warning("map without commune boundaries: %s", exc)
        communes = []
    collection = {
        "type": "FeatureCollection",
        # communes first: the quartiers of Rennes are drawn over the commune of Rennes
        "features": features("commune", communes, tolerance)
        + features("quartier", quartiers, tolerance),
    }
    body = orjson.dumps(collection)
    return Layer(body, hashlib.blake2b(body, digest_size=6).hexdigest())


def current(app: web.Application) -> Layer | None:
    layer: Layer | None = app[LAYER].get("layer")
    return layer


def publish(app: web.Application, layer: Layer | None) -> None:
    app[LAYER]["layer"] = layer
    app[WEB_CONFIG]["boundaries_url"] = layer.url if layer else ""


async def boundaries(request: web.Request) -> web.Response:
    layer = current(request.app)
    if layer is None:
        raise ApiError(404, "no boundaries: the reference data is missing",
                       details={"setting": "MAILLAGE_REFERENCE_DIR"})
    response = web.Response(body=layer.body, content_type="application/geo+json")
    if request.query.get("v") == layer.version:  # this URL's content never changes
        response.headers[hdrs.CACHE_CONTROL] = f"public, max-age={YEAR}, immutable"
    else:
        cache_for(response, request.app[SETTINGS].cache_static_seconds)
    return response


async def keep_layer(app: web.Application) -> AsyncIterator[None]:
    """Build the layer before the first request, then again when the reference data changes."""
    configured = getattr(app[SETTINGS], "reference_dir", "")
    directory = reference_dir({"MAILLAGE_REFERENCE_DIR": configured})
    stamp = await asyncio.to_thread(directory_stamp, directory)
    publish(app, await asyncio.to_thread(build_layer, directory))

    async def follow() -> None:
        nonlocal stamp
        while True:
            await asyncio.sleep(CHECK_INTERVAL)
            now = await asyncio.to_thread(directory_stamp, directory)
            if now != stamp:
                stamp = now
                try:
                    publish(app, await asyncio.to_thread(build_layer, directory))
                except Exception:  # a half-written file: the next check reads it again
                    log.exception("boundaries of %s not rebuilt", directory)

    task = asyncio.create_task(follow())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def setup_boundaries(app: web.Application) -> None:
    app[LAYER] = {}
    app[WEB_CONFIG].setdefault("boundaries_url", "")
    app.router.add_get(PATH, boundaries)
    app.cleanup_ctx.append(keep_layer)
