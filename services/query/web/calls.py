"""The French pages of calls for projects: ``/appels`` (list, filters) and ``/appels/{id}``.

Server-rendered with the web page's Jinja environment (``setup_web`` must run first) and
``base.html``; deadline badges, filters as a plain GET form, subscribe links to the ICS and RSS
exports of the current search. Call :func:`setup_calls_web` after ``setup_calls``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from services.query.web.fr import MONTHS, clock
from services.query.web.respond import JINJA, render
from services.query.web.state import back_url
from shared.calls import CALL_AUDIENCES, PERIMETERS
from shared.taxonomy import THEMES

THEME_LABELS = {t.code: t.label for t in THEMES}
STATUS_LABELS = {"open": "Ouverts", "upcoming": "À venir", "closed": "Clôturés",
                 "all": "Tous"}
FILTERS = ("q", "theme", "audience", "status", "perimeter", "quartier", "funder")
TZ = ZoneInfo("Europe/Paris")


def french_date(value: str) -> str:
    moment = datetime.fromisoformat(value).astimezone(TZ)
    text = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"
    if (moment.hour, moment.minute) not in ((0, 0), (23, 59)):
        text += f" à {clock(moment)}"
    return text


def badge(doc: dict[str, Any], now: datetime | None = None) -> dict[str, str]:
    """The deadline badge of a call: text and a class (urgent, soon, open, upcoming, closed)."""
    now = now or datetime.now(UTC)
    if doc["status"] == "closed":
        return {"text": "Clôturé", "cls": "closed"}
    if doc["status"] == "upcoming":
        return {"text": "Ouvre le " + french_date(doc["opens"]).split(" à ")[0],
                "cls": "upcoming"}
    left = datetime.fromisoformat(doc["deadline"]) - now
    days = left.days
    if left.total_seconds() < 86400:
        return {"text": "Clôture aujourd’hui", "cls": "urgent"}
    if days < 7:
        return {"text": f"Plus que {days + 1} jours", "cls": "urgent"}
    if days < 30:
        return {"text": f"Clôture dans {days + 1} jours", "cls": "soon"}
    return {"text": "Ouvert", "cls": "open"}


def amount_text(amount: dict[str, Any] | None) -> str:
    if not amount:
        return ""
    parts = []
    euros = [f"{v:,.0f} €".replace(",", "\u202f") for v in (amount.get("min"),
             amount.get("max")) if v]
    if len(euros) == 2:
        parts.append(f"de {euros[0]} à {euros[1]}")
    elif euros:
        parts.append(("jusqu’à " if amount.get("max") else "à partir de ") + euros[0])
    if amount.get("rate"):
        parts.append(f"{amount['rate']:g} % du budget")
    if amount.get("text"):
        parts.append(amount["text"])
    return " · ".join(parts)


def calls_title(q: str, selected: dict[str, list[str]], error: str | None) -> str:
    """A title of its own for each search of calls (RGAA 8.6)."""
    labels = {"theme": THEME_LABELS, "audience": dict(CALL_AUDIENCES),
              "perimeter": dict(PERIMETERS), "status": STATUS_LABELS}
    parts = [f"« {q} »"] if q else []
    for name, names in labels.items():
        parts += [names.get(v, v) for v in selected.get(name, []) if v and not (
            name == "status" and v == "open")]
    title = (", ".join(parts) + " — " if parts else "") + "Appels à projets — Maillage"
    return ("Erreur : " + title) if error else title


async def calls_page(request: web.Request) -> web.Response:
    from services.query.calls_routes import CALL_STORE, call_query
    from services.query.errors import ApiError

    params = request.rel_url.query
    error = None
    try:
        page = await request.app[CALL_STORE].search(call_query(request, facets=True, strict=False))
        items, total, next_cursor, facets = page.items, page.total, page.next, page.facets
    except (ApiError, ValueError) as exc:
        error = exc.body_data["error"]["message"] if isinstance(exc, ApiError) else str(exc)
        items, total, next_cursor, facets = [], 0, None, {}
    kept = [(k, v) for k in FILTERS for v in params.getall(k, []) if v]
    query_string = urlencode(kept)
    selected = {k: params.getall(k, []) for k in FILTERS}
    q = params.get("q", "").strip()
    return render(
        request, "calls_list.html", items=items, total=total, facets=facets, error=error,
        selected=selected, q=q, title=calls_title(q, selected, error),
        next_url=("?" + urlencode([*kept, ("cursor", next_cursor)])) if next_cursor else None,
        ics_url="/v1/calls.ics" + ("?" + query_string if query_string else ""),
        rss_url="/v1/calls.rss" + ("?" + query_string if query_string else ""),
    )


async def call_page(request: web.Request) -> web.Response:
    from services.accounts.web import csrf_token
    from services.applications.routes import of_call
    from services.associations.pages import interest_context
    from services.query.calls_routes import CALL_STORE

    store = request.app[CALL_STORE]
    doc = await store.get(request.match_info["id"])
    if doc is None:
        return render(request, "call_not_found.html", status=404)
    funder = urlencode([("funder", doc["funder"])])
    interests, interest_form = await interest_context(request, doc)
    return render(request, "call.html", item=doc, interests=interests,
                  applications=await of_call(request, doc["id"]),
                  back_url=back_url(request, "/appels"),
                  interest_form=interest_form,
                  csrf=csrf_token(request) if interest_form.get("associations") else "",
                  ics_url=f"/v1/calls.ics?{funder}", rss_url=f"/v1/calls.rss?{funder}")


def setup_calls_web(app: web.Application) -> None:
    env = app[JINJA]
    env.filters["date_fr"] = french_date
    env.filters["montant"] = amount_text
    env.filters["labels"] = lambda codes, names: ", ".join(names.get(c, c) for c in codes)
    env.globals.update(
        call_badge=badge, THEME_LABELS=THEME_LABELS, AUDIENCE_LABELS=dict(CALL_AUDIENCES),
        PERIMETER_LABELS=dict(PERIMETERS), STATUS_LABELS=STATUS_LABELS,
    )
    app.router.add_get("/appels", calls_page)
    app.router.add_get("/appels/{id}", call_page)
