"""What every route of the query service shares: app keys, search parsing, JSON answers.

:mod:`services.query.app` re-exports ``STORE``, ``SETTINGS``, ``TZ`` and
:func:`search_query` (the web page imports them from there).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from services.query.errors import invalid_parameter
from services.query.params import parse_search
from shared.settings import Settings
from shared.store.base import SearchPage, SearchQuery, SearchStore

STORE = web.AppKey("store", SearchStore)
SETTINGS = web.AppKey("settings", Settings)
TZ = web.AppKey("tz", ZoneInfo)
Clock = Callable[[], datetime]
#: The service's clock (an aware datetime): ``now`` of searches, rolling periods, "today" of
#: the pages. Tests move it (a subscription seen a week later).
CLOCK: web.AppKey[Clock] = web.AppKey("clock")


def utc_now() -> datetime:
    return datetime.now(UTC)


def now(request: web.Request) -> datetime:
    return request.app.get(CLOCK, utc_now)()

INTERNAL_FIELDS = frozenset({"start_ts", "end_ts"})


def search_query(request: web.Request, **extra: Any) -> SearchQuery:
    """The validated :class:`SearchQuery` of a request (400 :class:`ApiError` on bad input)."""
    app = request.app
    extra.setdefault("max_limit", app[SETTINGS].max_limit)
    return parse_search(request.rel_url.query, tz=app[TZ], now=now(request), **extra)


async def run_search(request: web.Request, query: SearchQuery) -> SearchPage:
    """``store.search(query)``; a cursor the store cannot read is the client's 400."""
    try:
        return await request.app[STORE].search(query)
    except (ValueError, OverflowError) as exc:
        if query.cursor is None:
            raise
        raise invalid_parameter("cursor", str(exc) or "malformed cursor") from None


def public_item(doc: dict[str, Any]) -> dict[str, Any]:
    """The API view of a stored document: internal fields removed."""
    return {k: v for k, v in doc.items() if k not in INTERNAL_FIELDS}


def strip_internal(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`public_item` in place, for documents this request owns (a search page's: the
    stores make them for each search); copying a page's 20 documents was 3% of a text
    search's time in the service."""
    for doc in docs:
        for name in INTERNAL_FIELDS:
            doc.pop(name, None)
    return docs


def json_response(data: Any, *, status: int = 200) -> web.Response:
    """A compact UTF-8 JSON answer (orjson: several times faster than :mod:`json` on the
    search pages, which are most of this service's work)."""
    return web.Response(body=orjson.dumps(data), status=status,
                        content_type="application/json")


def base_url(request: web.Request) -> str:
    """The public base URL: setting ``MAILLAGE_PUBLIC_URL``, else from the request (whose
    ``Host`` the service checked against ``MAILLAGE_ALLOWED_HOSTS``:
    :mod:`services.query.trust`)."""
    configured = request.app[SETTINGS].public_url
    if configured:
        return str(configured).rstrip("/")
    return f"{request.scheme}://{request.host}"
