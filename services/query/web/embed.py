"""The embeddable agenda: ``/widget`` (a compact page any site may frame), ``/widget.js`` (a
script that inserts that frame) and ``/integrer`` (how to do it, with a snippet generator).

The widget takes the same filters as the agenda (``q``, ``period``, several ``theme`` and
``quartier``, ``accessibility``, ``free``, ``organizer``...) plus ``limit`` (1 to 30
occurrences, default 8) and ``titre`` (a heading): "Intégrer cette sélection" on the agenda
opens ``/integrer`` with the page's filters, and the widget shows what the page showed. Names
(organizer, quartier, commune, source) match whatever their case or accents.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDict, MultiMapping

from services.query.context import STORE, TZ, base_url, now
from services.query.errors import ApiError
from shared.store.base import SearchPage
from shared.taxonomy import THEMES
from shared.vocab import ACCESSIBILITY_FAMILIES

from . import fr, views
from .respond import STATIC, render
from .search import build_query, french_error, known_names, resolve_names, search
from .state import PageState

WIDGET_LIMIT = (1, 30, 8)  # min, max, default
MAX_TITLE = 80
#: French names of the fields whose values must name something known.
FIELD_NAMES = {"organizer": "Organisateur", "quartier": "Quartier", "commune": "Commune",
               "source": "Source"}


def widget_limit(raw: str | None) -> int:
    low, high, default = WIDGET_LIMIT
    try:
        return min(high, max(low, int(raw or default)))
    except ValueError:
        return default


async def widget(request: web.Request) -> web.Response:
    params = request.rel_url.query
    state = PageState(params, path="/widget")
    await resolve_names(request, state)
    tz = request.app[TZ]
    today = now(request).astimezone(tz).date()
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


def snippet_values(state: PageState, query: MultiMapping[str]) -> MultiDict[str]:
    """The widget's parameters: every filter of the agenda (several themes, quartiers...),
    then ``limit`` and ``titre``."""
    values: MultiDict[str] = MultiDict(state.filters)
    limit = (query.get("limit") or "").strip()
    if limit:
        values["limit"] = str(widget_limit(limit))
    title = (query.get("titre") or "").strip()[:MAX_TITLE]
    if title:
        values["titre"] = title
    return values


def data_attributes(values: MultiDict[str]) -> str:
    """``data-*`` attributes of the script snippet (lists as comma lists, as the API reads)."""
    names = dict.fromkeys(values.keys())
    return " ".join(f'data-{name}="{html.escape(",".join(values.getall(name)))}"'
                    for name in names)


async def integrer(request: web.Request) -> web.Response:
    query = request.rel_url.query
    state = PageState(query, path="/integrer")
    unknown = await resolve_names(request, state)
    values = snippet_values(state, query)
    base = base_url(request)
    qs = urlencode(list(values.items()))
    widget_url = f"{base}/widget" + (f"?{qs}" if qs else "")
    data_attrs = data_attributes(values)
    store = request.app[STORE]
    quartiers = sorted(set(await known_names(request, "quartier")) | set(state.values(
        "quartier")), key=str.casefold)
    return render(
        request, "integrer.html",
        state=state, values=values, widget_url=widget_url, base=base,
        unknown=[(FIELD_NAMES[name], value) for name, value in unknown],
        preview_url="/widget" + (f"?{qs}" if qs else ""),
        iframe_snippet=(f'<iframe src="{html.escape(widget_url)}"'
                        ' title="Agenda des associations – Maillage"'
                        ' height="600" loading="lazy"'
                        ' style="width:100%;border:1px solid #ccc"></iframe>'),
        script_snippet=(f'<script src="{base}/widget.js" {data_attrs} async></script>'
                        if data_attrs else f'<script src="{base}/widget.js" async></script>'),
        themes=[(t.code, t.label) for t in THEMES],
        quartiers=quartiers,
        accessibility=[(code, fr.access_label(code)) for code in ACCESSIBILITY_FAMILIES],
        periods=list(fr.PERIODS.items()),
        organizers=await known_names(request, "organizer"),
        sources=[str(t["value"]) for t in await store.terms("sources", limit=500) or []],
    )


async def widget_js(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(STATIC / "widget.js")
    response.content_type = "text/javascript"
    return response
