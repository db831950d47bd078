"""The page of one occurrence ``/evenement/{id}``: details, JSON-LD, sources, related events.

The description is the indexer's sanitized HTML; it is sanitized once more here (the same
allowlist, idempotent) so that a document written by anything else cannot inject markup.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.indexer.enrich.sanitize import sanitize
from services.query.context import SETTINGS, STORE, TZ, base_url
from services.query.exports import jsonld
from services.query.exports.feed import Feed
from shared.model import exact_point

from . import fr, series
from .event_actions import google_url, link_preview, outlook_url
from .images import IMAGES, image_url, local_url
from .respond import render
from .state import back_url

RELATED_LIMIT = 6
DATES_LIMIT = 24


def merged_sources(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every source the event came from, once each."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for doc in docs:
        for source in doc.get("sources") or ():
            key = (source.get("source_id"), source.get("url"))
            seen.setdefault(key, source)
    return list(seen.values())


def json_ld(item: dict[str, Any], base: str, request: web.Request,
            image: str | None = None) -> str:
    """The schema.org Event as JSON, safe inside a ``<script>`` element. Its ``image`` is
    ``image``, the copy this site serves (as ``og:image``), never the source's URL: a page
    names no other site's image that a reader's robot would fetch."""
    url = f"{base}/evenement/{item['id']}"
    feed = Feed(title=request.app[SETTINGS].calendar_name, description="", base_url=base,
                self_url=url, html_url=url, tz=request.app[TZ],
                generated=datetime.now(UTC))
    data = jsonld.event(item, feed)
    data.pop("image", None)
    if image:
        data["image"] = image
    return script_json({"@context": "https://schema.org", **data})


async def associations_of(request: web.Request, doc: dict[str, Any]
                          ) -> list[tuple[str, str]]:
    """(name, page) of the listed associations the event comes from (the indexer's links),
    as the directory's projection knows them."""
    from services.associations.directory_api import DIRECTORY

    directory = request.app.get(DIRECTORY)
    ids = (doc.get("extra") or {}).get("associations") or []
    found = await asyncio.gather(*(directory.get(str(aid)) for aid in ids)) \
        if directory is not None else []
    return [(e["name"], f"/associations/{e['id']}") for e in found if e is not None]


def script_json(data: Any) -> str:
    """``data`` as JSON, safe inside a ``<script>`` element: ``</script>`` or ``<!--`` in a
    title must not end or confuse the element."""
    raw = json.dumps(data, ensure_ascii=False)
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def map_url(
    loc: dict[str, Any], point: tuple[float, float] | None, commune_only: bool
) -> str | None:
    """OpenStreetMap at the event's place, or around its commune when that is all we know."""
    if point is not None:
        return (f"https://www.openstreetmap.org/?mlat={point[0]}&mlon={point[1]}"
                f"#map=17/{point[0]}/{point[1]}")
    if commune_only:  # no marker: the centre of a commune is not the event's place
        return f"https://www.openstreetmap.org/#map=13/{loc['lat']}/{loc['lon']}"
    return None


async def event_page(request: web.Request) -> web.Response:
    store = request.app[STORE]
    tz = request.app[TZ]
    today = datetime.now(tz).date()
    doc = await store.get(request.match_info["id"])
    if doc is None:
        return render(request, "not_found.html", status=404)
    siblings = await store.event_docs(doc["event_id"])
    now = datetime.now(UTC)
    dates = series.upcoming(siblings, now)  # the coming dates of the event, this one too
    related = await store.related(doc, limit=RELATED_LIMIT) or []
    base = base_url(request)
    loc = doc.get("location") or {}
    point = exact_point(loc)
    commune_only = point is None and loc.get("lat") is not None and bool(loc.get("commune"))
    page_url = f"{base}/evenement/{doc['id']}"
    when = fr.period(doc, tz, today)
    place = fr.place_label(doc)
    image = shown_image(request, doc)
    image_abs = base + image["url"] if image else None
    return render(
        request,
        "event.html",
        item=doc,
        today=today,
        when=when,
        start=fr.bounds(doc, tz)[0],
        place=place,
        location=loc,
        description=sanitize(doc.get("description") or ""),
        status_text=fr.status_label(doc.get("status")),
        dates=[(d, fr.period(d, tz, today)) for d in dates[:DATES_LIMIT]],
        more_dates=max(0, len(dates) - DATES_LIMIT),
        rhythm=series.rhythm(dates, tz),
        sources=merged_sources([doc, *siblings]),
        related=[(d, fr.period(d, tz, today)) for d in related],
        json_ld=json_ld(doc, base, request, image_abs),
        page_url=page_url,
        commune_only=commune_only,
        map_url=map_url(loc, point, commune_only),
        back_url=back_url(request),
        image=image,
        ics_url=f"/evenement/{doc['id']}/agenda.ics",
        google_url=google_url(doc, tz, page_url),
        outlook_url=outlook_url(doc, tz, page_url),
        preview=link_preview(doc, page_url=page_url, when=when, place=place,
                             image=image_abs),
        associations=await associations_of(request, doc),
    )


def shown_image(request: web.Request, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The source's image once it is in this site's cache (``url``, ``width``, ``height``);
    until then ``None``, and it is fetched in the background for the next visitor."""
    url = image_url(doc)
    if url is None:
        return None
    images = request.app[IMAGES]
    size = images.size(url)
    if size is None:
        images.warm(url)
        return None
    return {"url": local_url(doc, url), "width": size[0], "height": size[1]}
