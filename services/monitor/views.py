"""The monitor's pages and JSON endpoints (French for everything an operator reads)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from services.monitor import alerts as alerts_mod
from services.monitor.app import MONITOR, Monitor
from services.monitor.tracker import STATE_FR, STATES
from services.query.errors import ApiError
from shared.model import PARIS

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)

SORTS = {
    "etat": lambda r: (STATES.index(r["state"]), r["source_id"]),
    "source": lambda r: r["source_id"],
    "evenements": lambda r: (r["events"], r["source_id"]),
    "fraicheur": lambda r: (r["age_s"] if r["age_s"] is not None else float("inf"),
                            r["source_id"]),
    "echecs": lambda r: (r["consecutive_failures"], r["source_id"]),
}
SORT_FR = {"etat": "état", "source": "source", "evenements": "événements",
           "fraicheur": "fraîcheur", "echecs": "échecs"}
FLASH_FR = {
    "queued": "Récolte demandée : elle sera faite dans quelques secondes.",
    "pending": "Une récolte de cette source est déjà en attente ou en cours.",
}


def _now() -> datetime:
    return datetime.now(UTC)


def age_fr(seconds: int | None) -> str:
    if seconds is None:
        return "jamais"
    if seconds < 90:
        return "à l'instant"
    if seconds < 5400:
        return f"il y a {round(seconds / 60)} min"
    if seconds < 172800:
        return f"il y a {round(seconds / 3600)} h"
    return f"il y a {round(seconds / 86400)} j"


def trend_fr(trend: int | None) -> str:
    if trend is None or trend == 0:
        return "stable"
    return f"+{trend}" if trend > 0 else f"−{-trend}"


def when_fr(iso: str | None) -> str:
    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso).astimezone(PARIS)
    return moment.strftime("%d/%m/%Y %H:%M")


TEMPLATES.filters.update(age_fr=age_fr, trend_fr=trend_fr, when_fr=when_fr)


def render(name: str, **context: Any) -> web.Response:
    html = TEMPLATES.get_template(name).render(state_fr=STATE_FR, **context)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def select_rows(rows: list[dict[str, Any]], state: str, sort: str,
                descending: bool, q: str) -> list[dict[str, Any]]:
    if state:
        rows = [r for r in rows if r["state"] == state]
    if q:
        needle = q.casefold()
        rows = [r for r in rows if needle in r["source_id"].casefold()
                or needle in r["url"].casefold()]
    return sorted(rows, key=SORTS[sort], reverse=descending)


def _query_param(request: web.Request, name: str, allowed: tuple[str, ...] | dict[str, Any],
                 default: str) -> str:
    value = request.query.get(name, default)
    if value and value not in allowed:
        raise ApiError(400, f"invalid parameter '{name}'", code="invalid_parameter",
                       details={"parameter": name, "allowed": list(allowed)})
    return value


async def dashboard(request: web.Request) -> web.Response:
    monitor = request.app[MONITOR]
    now = _now()
    state = _query_param(request, "etat", STATES, "")
    sort = _query_param(request, "tri", SORTS, "etat")
    order = _query_param(request, "ordre", ("asc", "desc"), "asc")
    q = request.query.get("q", "").strip()[:100]
    rows = select_rows(monitor.tracker.summary(now), state, sort, order == "desc", q)

    def link(**changes: str) -> str:
        params = {"etat": state, "tri": sort, "ordre": order, "q": q, **changes}
        return "?" + urlencode({k: v for k, v in params.items() if v})

    current = alerts_mod.compute(monitor.tracker, monitor.bus, monitor.alert_policy, now)
    return render(
        "dashboard.html", rows=rows, counts=monitor.tracker.counts(now), states=STATES,
        state=state, sort=sort, order=order, q=q, sorts=SORT_FR, link=link,
        alerts=current, bus=monitor.bus, can_harvest=monitor.enqueue is not None,
        flash=FLASH_FR.get(request.query.get("flash", "")),
    )


def _source(request: web.Request) -> tuple[Monitor, dict[str, Any]]:
    monitor = request.app[MONITOR]
    health = monitor.tracker.get(request.match_info["id"])
    if health is None:
        raise ApiError(404, "unknown source", code="unknown_source")
    return monitor, health.to_dict(monitor.tracker.policy, _now())


async def source_page(request: web.Request) -> web.Response:
    monitor, row = _source(request)
    return render("source.html", s=row, history=list(reversed(row["history"])),
                  skipped=monitor.tracker.sources[row["source_id"]].skipped(),
                  can_harvest=monitor.enqueue is not None,
                  flash=FLASH_FR.get(request.query.get("flash", "")))


async def _harvest(request: web.Request) -> bool:
    monitor, row = _source(request)
    if monitor.enqueue is None:
        raise ApiError(503, "harvesting on demand is not available", code="unavailable")
    return await monitor.enqueue(row["source_id"])


async def harvest_form(request: web.Request) -> web.Response:
    queued = await _harvest(request)
    flash = "queued" if queued else "pending"
    location = f"/source/{request.match_info['id']}?flash={flash}"
    raise web.HTTPSeeOther(location)


async def harvest_api(request: web.Request) -> web.Response:
    queued = await _harvest(request)
    return web.json_response({"source_id": request.match_info["id"], "queued": queued,
                              "message": FLASH_FR["queued" if queued else "pending"]},
                             status=202 if queued else 409)


async def sources_json(request: web.Request) -> web.Response:
    monitor = request.app[MONITOR]
    now = _now()
    state = _query_param(request, "state", STATES, "")
    rows = select_rows(monitor.tracker.summary(now), state, "etat", False, "")
    return web.json_response({"sources": rows, "counts": monitor.tracker.counts(now),
                              "bus": monitor.bus.to_dict()})


async def source_json(request: web.Request) -> web.Response:
    monitor, row = _source(request)
    row["skipped"] = monitor.tracker.sources[row["source_id"]].skipped()
    return web.json_response(row)


async def alerts_json(request: web.Request) -> web.Response:
    monitor = request.app[MONITOR]
    now = _now()
    current = alerts_mod.compute(monitor.tracker, monitor.bus, monitor.alert_policy, now)
    return web.json_response(alerts_mod.to_json(current, now))


async def alerts_rss(request: web.Request) -> web.Response:
    monitor = request.app[MONITOR]
    now = _now()
    current = alerts_mod.compute(monitor.tracker, monitor.bus, monitor.alert_policy, now)
    base = f"{request.scheme}://{request.host}/"
    return web.Response(text=alerts_mod.to_rss(current, now, base),
                        content_type="application/rss+xml", charset="utf-8")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", dashboard)
    app.router.add_get("/source/{id}", source_page)
    app.router.add_post("/source/{id}/harvest", harvest_form)
    app.router.add_get("/v1/sources", sources_json)
    app.router.add_get("/v1/sources/{id}", source_json)
    app.router.add_post("/v1/sources/{id}/harvest", harvest_api)
    app.router.add_get("/v1/alerts", alerts_json)
    app.router.add_get("/alerts.rss", alerts_rss)
