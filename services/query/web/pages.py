"""The agenda page ``/``: search, filters with counts, and its four views.

``vue=liste`` (default) lists by day with a "next events" link; ``vue=calendrier`` is a month
grid (``mois=2026-12``), ``vue=semaine`` a week (``semaine=`` any day of it) and
``vue=carte`` a map with, always, the list of places under it (the page without JavaScript,
or offline, is that list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from services.query.context import SETTINGS, STORE, TZ, base_url, now
from services.query.errors import ApiError
from services.query.exports.naming import selection_name
from shared.store.base import SearchPage, SearchQuery
from shared.taxonomy import THEME_BY_CODE
from shared.vocab import ACCESSIBILITY, ACCESSIBILITY_FAMILIES

from . import around, fr, series, views
from .respond import render
from .search import build_query, french_error, resolve_names, search
from .state import CHIP_NAMES, PageState, chip_value

LIST_LIMIT = 30
CALENDAR_LIMIT = 500
MAP_LIMIT = 300
#: Google Agenda's "add by URL" (``cid``: the webcal address of the subscription).
GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/render?"
VIEW_TABS = (("liste", "Liste"), ("calendrier", "Mois"), ("semaine", "Semaine"),
             ("carte", "Carte"))


@dataclass(frozen=True, slots=True)
class Period:
    """The days a calendar view shows, and links to the previous, next and current ones."""

    first: date
    last: date  # inclusive
    label: str
    prev_url: str
    next_url: str
    current_url: str
    anchor: date  # first day of the month, or the Monday of the week


def parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:10]) if len(raw) >= 10 else None
    except ValueError:
        return None


def parse_month(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw[:7] + "-01") if len(raw) >= 7 else None
    except ValueError:
        return None


def calendar_period(state: PageState, today: date) -> Period:
    start_filter = parse_day(state.value("from")) or state.period_first_day(today)
    if state.view == "calendrier":
        anchor = (parse_month(state.month) or start_filter or today).replace(day=1)
        first, end = views.month_bounds(anchor.year, anchor.month)
        prev = (anchor - timedelta(days=1)).replace(day=1)
        nxt = (anchor + timedelta(days=32)).replace(day=1)
        return Period(
            first, end - timedelta(days=1), fr.month_label(anchor.year, anchor.month),
            state.url(mois=prev.strftime("%Y-%m")), state.url(mois=nxt.strftime("%Y-%m")),
            state.url(mois=today.strftime("%Y-%m")), anchor,
        )
    day = parse_day(state.week) or start_filter or today
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    label = f"semaine du {fr.day_label(monday, today)} au {fr.day_label(sunday, today)}"
    return Period(
        monday, sunday, label,
        state.url(semaine=(monday - timedelta(days=7)).isoformat()),
        state.url(semaine=(monday + timedelta(days=7)).isoformat()),
        state.url(semaine=today.isoformat()), monday,
    )


async def filter_options(request: web.Request, state: PageState,
                         page: SearchPage) -> dict[str, Any]:
    facets = page.facets or {}
    access_counts = views.facet_buckets(facets, "accessibility")
    quartiers = views.facet_buckets(facets, "quartier", "quartiers")
    if quartiers is None:
        terms = await request.app[STORE].terms("quartier", limit=100)
        if terms is not None:
            quartiers = {str(t["value"]): int(t["count"]) for t in terms}
        else:  # the store has neither: the quartiers of the results shown
            quartiers = {}
            for item in page.items:
                name = (item.get("location") or {}).get("quartier")
                if name:
                    quartiers[name] = quartiers.get(name, 0) + 1
    # every quartier with upcoming events stays offered, with 0 when this search has none
    known = await request.app[STORE].terms("quartier", limit=100) or []
    return {
        "themes": views.options(views.facet_buckets(facets, "themes", "theme"),
                                state.values("theme"), fr.theme_label, order=THEME_BY_CODE,
                                always=THEME_BY_CODE),
        "quartiers": views.options(quartiers, state.values("quartier"), str,
                                   always=[str(t["value"]) for t in known]),
        "accessibility": views.options(
            access_counts, state.values("accessibility"), fr.access_label,
            order=ACCESSIBILITY if access_counts is not None else ACCESSIBILITY_FAMILIES,
            always=ACCESSIBILITY_FAMILIES),
        "free": state.value("free").lower() in ("true", "1", "oui", "yes"),
    }


def page_title(state: PageState, period: Period | None, error: str | None) -> str:
    """A title of its own for each page (RGAA 8.6): the search, the filters, the view and its
    period, before the site's name; an error says so first."""
    parts = [f"« {state.q} »"] if state.q else []
    pairs = [(name, value) for name in CHIP_NAMES if name != "q"
             for value in state.values(name)]
    for name, value in pairs:
        if name == "free":
            parts.append("gratuit" if chip_value(name, value) == "oui" else "payant")
        elif name in ("from", "to"):
            parts.append(f"{CHIP_NAMES[name].lower()} {chip_value(name, value)}")
        else:
            parts.append(chip_value(name, value))
    if state.view == "calendrier" and period is not None:
        parts.append(period.label)
    elif state.view == "semaine" and period is not None:
        parts.append(period.label)
    elif state.view == "carte":
        parts.append("carte")
    head = ", ".join(parts)
    head = head[:1].upper() + head[1:]
    title = (f"{head} — " if head else "") + "Agenda des associations rennaises — Maillage"
    return ("Erreur : " + title) if error else title


def view_context(state: PageState, page: SearchPage, query: SearchQuery | None,
                 period: Period | None, tz: ZoneInfo, today: date) -> dict[str, Any]:
    if state.view == "calendrier" and period is not None:
        return {"weeks": views.month_grid(period.anchor.year, period.anchor.month, page.items,
                                          tz, today),
                "weekdays": fr.DAYS}
    if state.view == "semaine" and period is not None:
        return {"days": views.week_days(period.anchor, page.items, tz, today)}
    if state.view == "carte":
        places, unlocated = views.places(page.items)
        return {"places": places, "unlocated": unlocated,
                "map_data": views.map_data(places, tz, today)}
    floor = query.start.astimezone(tz).date() if query and query.start else today
    return {
        "days": views.group_by_day(page.items, tz, today, floor=floor),
        "next_url": state.url(cursor=page.next) if page.next else None,
    }


async def api_page(request: web.Request) -> web.Response:
    return render(request, "api.html")


async def home(request: web.Request) -> web.Response:
    state = PageState(request.rel_url.query)
    if state.shortcut:  # the form's "Quand ?" button: the canonical address of the choice
        raise web.HTTPSeeOther(state.url())
    tz = request.app[TZ]
    today = now(request).astimezone(tz).date()
    period = calendar_period(state, today) if state.view in ("calendrier", "semaine") else None
    limit = {"calendrier": CALENDAR_LIMIT, "semaine": CALENDAR_LIMIT,
             "carte": MAP_LIMIT}.get(state.view, LIST_LIMIT)
    span = {"from": period.first.isoformat(), "to": period.last.isoformat()} if period else {}
    error, status, query = None, 200, None
    await resolve_names(request, state)
    around_error = await around.resolve(request, state)  # an address: redirects to near=
    try:
        query = build_query(request, state, limit=limit, **span)
        page = await search(request, query)
    except ApiError as exc:
        error, status, page = french_error(exc), 400, SearchPage(total=0, items=[])
    if state.view == "liste":  # a recurring event once, at its next date, with its rhythm
        page.items[:] = await series.fold(request.app[STORE], page.items, tz)
    if around_error:
        error, status = around_error, 400
    around.annotate(page.items, state)
    base = base_url(request)
    context = {
        "state": state, "today": today, "period": period, "page": page, "error": error,
        "title": page_title(state, period, error),
        "tabs": VIEW_TABS, "truncated": page.total > len(page.items) and state.view != "liste",
        "options": await filter_options(request, state, page),
        "presets": state.date_presets(),
        "ics_url": state.feed_url(base, "ics"), "rss_url": state.feed_url(base, "rss"),
        "webcal_url": "webcal://" + state.feed_url(base, "ics").split("://", 1)[-1],
        "google_subscribe_url": GOOGLE_SUBSCRIBE + urlencode(
            {"cid": "webcal://" + state.feed_url(base, "ics").split("://", 1)[-1]}),
        "calendar_title": selection_name(state.search_params(), today,
                                         request.app[SETTINGS].calendar_name),
        "widget_url": state.url(path="/integrer", vue=None, mois=None, semaine=None),
        **view_context(state, page, query, period, tz, today),
    }
    return render(request, "home.html", status=status, **context)
