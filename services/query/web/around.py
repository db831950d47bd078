""""Autour de moi": events within a distance of an address or of the visitor's position.

The page's form sends ``autour`` (an address, a known place, a quartier or a commune) and
``radius_km``; :func:`resolve` places the text offline, with the indexer's geocoder over the
reference data (venues, streets of Rennes, communes; loaded once, on the first such search)
or a quartier's name (its label point on the map, :mod:`.boundaries`), then redirects to the
same page with ``near=lat,lon`` (the API's parameter) and the text kept to name the chip.
With JavaScript, "Utiliser ma position" fills ``near`` from the browser's geolocation
(rounded to about 100 m) and skips the geocoder.

Each result then shows its distance (:func:`annotate`), from its exact place only: an event
known only by its commune has none.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from typing import Any

import orjson
from aiohttp import web

from services.indexer.enrich.geocode import Geocoder
from services.query.context import SETTINGS
from shared.errors import ConfigError
from shared.geo import distance_m
from shared.model import Location, exact_point
from shared.reference import load_reference, reference_dir

from .boundaries import current as current_layer
from .state import PageState

log = logging.getLogger(__name__)

DEFAULT_RADIUS_KM = "2"
RADII_KM = ("1", "2", "5", "10", "20")
#: What the position button sends as ``autour`` (no geocoding: ``near`` comes with it).
MY_POSITION = "ma position"
GEOCODER = web.AppKey("around_geocoder", dict)
PLACED = frozenset({"source", "venue", "street", "commune"})


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


async def geocoder(app: web.Application) -> Geocoder | None:
    """The geocoder over the reference data, loaded on first use (about a second)."""
    holder = app[GEOCODER]
    if "geocoder" not in holder:
        async with holder.setdefault("lock", asyncio.Lock()):
            if "geocoder" not in holder:
                configured = getattr(app[SETTINGS], "reference_dir", "")
                directory = reference_dir({"MAILLAGE_REFERENCE_DIR": configured})
                try:
                    reference = await asyncio.to_thread(load_reference, directory)
                    holder["geocoder"] = Geocoder(reference)
                except ConfigError as exc:
                    log.warning("addresses cannot be placed: %s", exc)
                    holder["geocoder"] = None
    found: Geocoder | None = holder["geocoder"]
    return found


def quartier_point(app: web.Application, text: str) -> tuple[float, float] | None:
    """The label point of the quartier ``text`` names (``Maurepas``, ``le blosne``)."""
    layer = current_layer(app)
    if layer is None:
        return None
    wanted = folded(text)
    for feature in orjson.loads(layer.body)["features"]:
        props = feature["properties"]
        if props["kind"] != "quartier":
            continue
        name = folded(props["name"])
        if wanted == name or wanted in (p.strip() for p in name.split(" - ")):
            lon, lat = props["label"]
            return lat, lon
    return None


async def locate(app: web.Application, text: str) -> tuple[float, float] | None:
    point = quartier_point(app, text)
    if point is not None:
        return point
    found = await geocoder(app)
    if found is None:
        return None
    placed = await asyncio.to_thread(found.geocode, Location(address=text))
    if placed.lat is None or placed.lon is None or placed.precision not in PLACED:
        return None
    return placed.lat, placed.lon


async def resolve(request: web.Request, state: PageState) -> str | None:
    """Redirect (303) to the page around the address the visitor typed; the French error
    when it cannot be placed; ``None`` when there is no address to place."""
    text = " ".join(request.rel_url.query.get("autour", "").split())[:120]
    if not text or "near" in state.filters or text == MY_POSITION:
        return None
    point = await locate(request.app, text)
    if point is None:
        return (f"Adresse introuvable\u202f: «\u202f{text}\u202f». Essayez une rue de Rennes "
                "(«\u202f10 cours des Alliés\u202f»), un lieu connu, un quartier ou une commune "
                "de la métropole, ou utilisez votre position.")
    filters = state.with_filter("near", [f"{point[0]:.5f},{point[1]:.5f}"])
    if "radius_km" not in filters:
        filters.add("radius_km", DEFAULT_RADIUS_KM)
    raise web.HTTPSeeOther(state.url(filters, autour=text))


def distance_label(metres: float) -> str:
    """``350 m`` (to 10 m), ``1,2 km``, ``12 km``, with a non-breaking space."""
    if metres < 1000:
        return f"{max(10, round(metres, -1)):.0f}\u00a0m"
    km = metres / 1000
    text = f"{km:.1f}".replace(".", ",") if km < 10 else f"{km:.0f}"
    return f"{text}\u00a0km"


def annotate(items: list[dict[str, Any]], state: PageState) -> None:
    """Give each item with an exact place its ``distance`` from ``near``."""
    raw = state.value("near")
    try:
        lat, lon = (float(p) for p in raw.split(","))
    except ValueError:
        return
    for item in items:
        point = exact_point(item.get("location"))
        if point is not None:
            item["distance"] = distance_label(distance_m(lat, lon, point[0], point[1]))


def setup_around(app: web.Application) -> None:
    app[GEOCODER] = {}
