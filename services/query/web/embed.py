"""The embeddable agenda: ``/widget`` (a compact page any site may frame), ``/widget.js`` (a
script that inserts that frame) and ``/integrer`` (how to do it, with a snippet generator).

The widget takes the same filters as the agenda (``organizer``, ``source``, ``theme``,
``quartier``...) plus ``limit`` (1 to 30 occurrences, default 8) and ``titre`` (a heading).
"""

from __future__ import annotations

import html
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict

from services.query.context import STORE, TZ, base_url
from services.query.errors import ApiError
from shared.store.base import SearchPage
from shared.taxonomy import THEMES

from . import fr, views
from .respond import STATIC, render
from .search import build_query, french_error, search
from .state import PageState

WIDGET_LIMIT = (1, 30, 8)  # min, max, default
MAX_TITLE = 80
#: Fields of the snippet generator: parameter -> kept in the widget URL.
EMBED_FIELDS = ("organizer", "source", "theme", "quartier", "limit", "titre")


def widget_limit(raw: str | None) -> int:
    low, high, default = WIDGET_LIMIT
    try:
        return min(high, max(low, int(raw or default)))
    except ValueError:
        return default


async def widget(request: web.Request) -> web.Response:
    params = request.rel_url.query
    state = PageState(params, path="/widget")
    tz = request.app[TZ]
    today = datetime.now(tz).date()
    title = (params.get("titre") or "").strip()[:MAX_TITLE]
    error = None
    try:
        page = await search(request, build_query(request, state, limit=widget_limit(
            params.get("limit"))))
    except ApiError as exc:
        error, page = french_error(exc), SearchPage(total=0, items=[])
    base = base_url(request)
    return render(
        request, "widget.html", widget=True, status=400 if error else 200,
        title=title, error=error, page=page, base=base, today=today,
        days=views.group_by_day(page.items, tz, today, floor=today),
        hours=lambda item: fr.hours(item, tz),
        agenda_url=f"{base}/" + (f"?{state.query_string()}" if state.filters else ""),
    )


def snippet_values(params: MultiDict[str] | web.Request) -> MultiDict[str]:
    query = params.rel_url.query if isinstance(params, web.Request) else params
    values: MultiDict[str] = MultiDict()
    for name in EMBED_FIELDS:
        value = (query.get(name) or "").strip()
        if value:
            values[name] = value[:MAX_TITLE] if name == "titre" else value
    if "limit" in values:
        values["limit"] = str(widget_limit(values["limit"]))
    return values


async def integrer(request: web.Request) -> web.Response:
    values = snippet_values(request)
    base = base_url(request)
    qs = urlencode(list(values.items()))
    widget_url = f"{base}/widget" + (f"?{qs}" if qs else "")
    data_attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in values.items())
    organizers = await request.app[STORE].terms("organizer", limit=500) or []
    sources = await request.app[STORE].terms("sources", limit=500) or []
    return render(
        request, "integrer.html",
        values=values, widget_url=widget_url, base=base,
        preview_url="/widget" + (f"?{qs}" if qs else ""),
        iframe_snippet=(f'<iframe src="{html.escape(widget_url)}"'
                        ' title="Agenda des associations – Maillage"'
                        ' height="600" loading="lazy"'
                        ' style="width:100%;border:1px solid #ccc"></iframe>'),
        script_snippet=(f'<script src="{base}/widget.js" {data_attrs} async></script>'
                        if data_attrs else f'<script src="{base}/widget.js" async></script>'),
        themes=[(t.code, t.label) for t in THEMES],
        organizers=[str(t["value"]) for t in organizers],
        sources=[str(t["value"]) for t in sources],
    )


async def widget_js(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(STATIC / "widget.js")
    response.content_type = "text/javascript"
    return response
