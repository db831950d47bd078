"""``GET /v1/search``: one search across kinds, events, calls for projects and associations.

    q          words (the rule of /v1/events: one value, at most 200 characters)  every kind
    kind       event, call, association; repeated or comma-separated (default: all)
    theme      theme codes (/v1/themes), any of them matches                      every kind
    quartier   quartiers, any of them matches                                     every kind
    limit      page size (1..max, default 20)
    cursor     the ``next`` of the previous page

Any other parameter is a 400 (``unknown parameter``), as on /v1/events and /v1/associations.

Order: the dated items first, upcoming events (by start) and open or upcoming calls (by
deadline) merged by date, then the associations (best match first). Each kind is read from its
own store in that store's own order; the cursor holds, for each kind, the store's cursor of
the first item not shown yet (``null``: from the start, ``false``: all shown), so paging
through ``next`` reaches every result once. ``total`` and the ``kind`` facet count every
result of each kind, whatever the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web
from multidict import MultiMapping

from services.query.context import SETTINGS, TZ, public_item, run_search
from services.query.errors import invalid_parameter
from services.query.params import check_names, list_values, parse_int, single
from shared.store.base import SearchPage, SearchQuery
from shared.store.sqlite import decode_cursor, encode_cursor

KINDS = ("event", "call", "association")
#: kind -> the field its items are ordered by (the associations have no date: they come last)
DATED = {"event": "start", "call": "deadline"}
PARAMETERS = frozenset({"q", "kind", "theme", "quartier", "limit", "cursor"})
#: The cursor carries one store cursor per kind: longer than one store's.
MAX_CURSOR = 1000
CURSOR_TAG = "search"
#: a store cursor; False once every item was shown; None: from the start
Position = str | Literal[False] | None


class Search:
    """One request's search: the validated parameters and how to read each kind's store."""

    def __init__(self, request: web.Request) -> None:
        params = request.rel_url.query
        check_names(params, PARAMETERS)
        self.request = request
        asked = list_values(params, "kind")
        for kind in asked:
            if kind not in KINDS:
                raise invalid_parameter("kind", f"unknown value {kind!r}; expected event, "
                                        "call or association")
        self.kinds = tuple(k for k in KINDS if k in (asked or KINDS))
        self.q = (single(params, "q") or "").strip() or None
        self.themes = list_values(params, "theme")
        self.quartiers = list_values(params, "quartier")
        raw_limit = single(params, "limit")
        max_limit = int(getattr(request.app[SETTINGS], "max_limit", 100))
        self.limit = parse_int("limit", raw_limit, 1, max_limit) if raw_limit else min(
            20, max_limit)
        self.positions = read_cursor(params, self.kinds)
        self.now = datetime.now(UTC)

    async def page(self, kind: str, cursor: str | None, limit: int) -> SearchPage:
        """``limit`` items of ``kind`` from ``cursor``, in its store's order."""
        if kind == "event":
            return await run_search(self.request, SearchQuery(
                q=self.q, start=self.now, themes=self.themes, quartiers=self.quartiers,
                limit=limit, cursor=cursor))
        if kind == "call":
            from services.query.calls_routes import search_calls
            from shared.store.calls_base import CallQuery

            calls: SearchPage = await search_calls(self.request, CallQuery(
                now=self.now, q=self.q, themes=self.themes, quartiers=self.quartiers,
                statuses=("open", "upcoming"), limit=limit, cursor=cursor))
            return calls
        from services.associations.directory_api import run_query
        from shared.store.directory_base import DirectoryQuery

        page: SearchPage = await run_query(self.request, DirectoryQuery(
            q=self.q, themes=self.themes, quartiers=self.quartiers, limit=limit,
            cursor=cursor))
        return page

    async def after(self, kind: str, position: Position, shown: int,
                    page: SearchPage) -> Position:
        """The position of ``kind`` once ``shown`` items of ``page`` (read from
        ``position``) were shown."""
        if shown == len(page.items):  # none left on the page (perhaps none at all)
            return page.next or False
        if shown == 0:
            return position
        # part of the page shown: the store's cursor after exactly those items
        return (await self.page(kind, position or None, shown)).next or False


def read_cursor(params: MultiMapping[str], kinds: tuple[str, ...]) -> dict[str, Position]:
    """The position of each kind in ``cursor`` (from the start without one); 400 for a cursor
    this search did not give."""
    raw = params.getall("cursor", [])
    if not raw:
        return dict.fromkeys(kinds)
    if len(raw) > 1:
        raise invalid_parameter("cursor", "given more than once")
    if not raw[0] or len(raw[0]) > MAX_CURSOR or not raw[0].isascii():
        raise invalid_parameter("cursor", "malformed cursor")
    try:
        tag, positions = decode_cursor(raw[0])
    except (ValueError, TypeError):
        raise invalid_parameter("cursor", "malformed cursor") from None
    if tag != CURSOR_TAG or not isinstance(positions, dict) or any(
            not (p is None or p is False or isinstance(p, str)) for p in positions.values()):
        raise invalid_parameter("cursor", "malformed cursor")
    if set(positions) != set(kinds):
        raise invalid_parameter("cursor", "cursor does not belong to this search (kind)")
    return positions


def moment(value: str, tz: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


async def cross_kind_search(request: web.Request) -> dict[str, Any]:
    """The body of ``/v1/search``: total, items (each with ``kind``), next, kind facet."""
    search = Search(request)
    tz = request.app[TZ]
    counts: dict[str, int] = {}
    pages: dict[str, SearchPage] = {}
    for kind in search.kinds:  # every kind is read, for its count, even when all shown
        position = search.positions[kind]
        pages[kind] = await search.page(kind, None if position is False else position,
                                        1 if position is False else search.limit)
        counts[kind] = pages[kind].total
    heads = {kind: [] if search.positions[kind] is False else pages[kind].items
             for kind in search.kinds if kind in DATED}
    shown = dict.fromkeys(search.kinds, 0)
    items: list[dict[str, Any]] = []
    while len(items) < search.limit:  # merge the dated kinds, each in its store's order
        ready = [k for k in heads if shown[k] < len(heads[k])]
        if not ready:
            break
        kind = min(ready, key=lambda k: moment(heads[k][shown[k]][DATED[k]], tz))
        doc = heads[kind][shown[kind]]
        items.append({"kind": kind, **(public_item(doc) if kind == "event" else doc)})
        shown[kind] += 1
    positions: dict[str, Position] = {}
    for kind in heads:
        positions[kind] = await search.after(kind, search.positions[kind], shown[kind],
                                             pages[kind])
    if "association" in search.kinds:
        position = search.positions["association"]
        room = search.limit - len(items)
        if position is not False and room and all(positions[k] is False for k in heads):
            page = pages["association"]
            if len(page.items) > room:  # read again: the cursor after the room left
                page = await search.page("association", position or None, room)
            items += [{**d, "kind": "association"} for d in page.items]
            position = page.next or False
        positions["association"] = position
    done = all(p is False for p in positions.values())
    return {
        "total": sum(counts.values()),
        "items": items,
        "next": None if done else encode_cursor([CURSOR_TAG, positions]),
        "facets": {"kind": [{"value": k, "count": n} for k, n in counts.items()]},
    }
