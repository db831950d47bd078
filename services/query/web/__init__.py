"""The public French web page: server-rendered, works without JavaScript."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

HERE = Path(__file__).parent
JINJA = web.AppKey("jinja", jinja2.Environment)

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]

CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors *"
)


def french_day(value: datetime) -> str:
    return f"{DAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"


def local(value: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(value).astimezone(tz)


def group_by_day(items: list[dict[str, Any]], tz: ZoneInfo) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[french_day(local(item["start"], tz))].append(item)
    return list(groups.items())


def render(request: web.Request, template: str, **context: Any) -> web.Response:
    html = request.app[JINJA].get_template(template).render(**context)
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


async def home(request: web.Request) -> web.Response:
    from services.query.app import STORE, TZ, search_query
    from services.query.errors import ApiError

    tz = request.app[TZ]
    error = None
    try:
        query = search_query(request)
        page = await request.app[STORE].search(query)
        items, total, next_cursor = page.items, page.total, page.next
    except ApiError as exc:
        error = exc.body_data["error"]["message"]
        items, total, next_cursor = [], 0, None
    return render(
        request,
        "home.html",
        q=request.rel_url.query.get("q", ""),
        days=group_by_day(items, tz),
        total=total,
        next_cursor=next_cursor,
        error=error,
        tz=tz,
    )


async def event_page(request: web.Request) -> web.Response:
    from services.query.app import STORE

    doc = await request.app[STORE].get(request.match_info["id"])
    if doc is None:
        return render(request, "not_found.html")
    return render(request, "event.html", item=doc)


def setup_web(app: web.Application) -> None:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tz = ZoneInfo("Europe/Paris")
    env.filters["heure"] = lambda v: local(v, tz).strftime("%H:%M")
    env.filters["jour"] = lambda v: french_day(local(v, tz))
    env.globals["now"] = lambda: datetime.now(UTC)
    app[JINJA] = env
    app.router.add_get("/", home)
    app.router.add_get("/evenement/{id}", event_page)
    app.router.add_static("/static", HERE / "static")
