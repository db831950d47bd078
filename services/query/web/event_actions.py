"""What a visitor does with one event: add it to a calendar, share it, preview it as a link.

``/evenement/{id}/agenda.ics`` is the one occurrence as an iCalendar file (the same VEVENT as
the subscribed exports: :mod:`services.query.exports.ics`); Google Agenda and Outlook get
their "new event" links filled in; :func:`link_preview` gives the Open Graph and Twitter card
tags of the page.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from services.query.context import SETTINGS, STORE, TZ, base_url, public_item
from services.query.errors import ApiError
from services.query.exports import ics
from services.query.exports.feed import Feed, all_day_dates, moment, place_label

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/action/compose"
DETAILS_MAX = 600  # characters of description in a calendar link (URLs stay short)


def details(item: dict[str, Any], page_url: str) -> str:
    text = (item.get("description_text") or "").strip()
    if len(text) > DETAILS_MAX:
        text = text[:DETAILS_MAX].rsplit(" ", 1)[0] + "…"
    return (text + "\n\n" if text else "") + f"Sur Maillage : {page_url}"


def google_url(item: dict[str, Any], tz: ZoneInfo, page_url: str) -> str:
    """Google Agenda's form for a new event, filled in (times in UTC, ``Z``)."""
    if item.get("all_day"):
        first, after = all_day_dates(item, tz)
        dates = f"{first:%Y%m%d}/{after:%Y%m%d}"
    else:
        start = moment(item["start"]).astimezone(UTC)
        end = max(moment(item.get("end") or item["start"]).astimezone(UTC), start)
        dates = f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"
    params = {"action": "TEMPLATE", "text": item.get("title") or "", "dates": dates,
              "details": details(item, page_url), "location": place_label(item),
              "ctz": tz.key}
    return f"{GOOGLE}?{urlencode(params)}"


def outlook_url(item: dict[str, Any], tz: ZoneInfo, page_url: str) -> str:
    """Outlook's (outlook.com, Microsoft 365) form for a new event, filled in."""
    params = {"path": "/calendar/action/compose", "rru": "addevent",
              "subject": item.get("title") or "", "body": details(item, page_url),
              "location": place_label(item)}
    if item.get("all_day"):
        first, after = all_day_dates(item, tz)
        params |= {"startdt": first.isoformat(), "enddt": after.isoformat(), "allday": "true"}
    else:
        start = moment(item["start"]).astimezone(UTC)
        end = max(moment(item.get("end") or item["start"]).astimezone(UTC), start)
        params |= {"startdt": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "enddt": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "allday": "false"}
    return f"{OUTLOOK}?{urlencode(params)}"


def slug(title: str) -> str:
    """``concert-de-jazz`` for a file name (ASCII, at most 60 characters)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return words[:60].rstrip("-") or "evenement"


def single_feed(request: web.Request, item: dict[str, Any]) -> Feed:
    base = base_url(request)
    page = f"{base}/evenement/{item['id']}"
    return Feed(title=item.get("title") or request.app[SETTINGS].calendar_name,
                description="Un événement de l’agenda des associations rennaises (Maillage).",
                base_url=base, self_url=f"{page}/agenda.ics", html_url=page,
                tz=request.app[TZ], generated=datetime.now(UTC).replace(microsecond=0))


async def event_ics(request: web.Request) -> web.Response:
    doc = await request.app[STORE].get(request.match_info["id"])
    if doc is None:
        raise ApiError(404, "no such event", code="event_not_found",
                       details={"id": request.match_info["id"]})
    item = public_item(doc)
    body = ics.render([item], single_feed(request, item))
    response = web.Response(body=body, content_type=ics.CONTENT_TYPE, charset="utf-8")
    name = slug(item.get("title") or "")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


def link_preview(item: dict[str, Any], *, page_url: str, when: str, place: str,
                 image: str | None) -> list[tuple[str, str, str]]:
    """``(attribute, name, content)`` of the page's ``<meta>`` tags for link previews
    (Open Graph's ``property``, Twitter's ``name``)."""
    summary = ", ".join(p for p in (when, place) if p)
    text = (item.get("description_text") or "").strip().replace("\n", " ")
    description = summary + (" — " + text if text else "")
    if len(description) > 200:
        description = description[:200].rsplit(" ", 1)[0] + "…"
    title = item.get("title") or "Événement"
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", "Maillage"),
        ("property", "og:locale", "fr_FR"),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", page_url),
        ("name", "twitter:card", "summary_large_image" if image else "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    if image:
        tags += [("property", "og:image", image), ("name", "twitter:image", image)]
    return tags


def setup_event_actions(app: web.Application) -> None:
    app.router.add_get("/evenement/{id}/agenda.ics", event_ics)
