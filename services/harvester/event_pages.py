"""Event pages behind agenda feeds.

Many association sites (WordPress, Drupal, Next.js) publish an "agenda" feed whose items carry
only a publication date and link to a page that holds the event as schema.org (JSON-LD or
microdata). The RSS parser skips such an item ("no event date") and lists it in
``ParseResult.linked``; :class:`EventPages` then reads its page when the link is on the
source's own site (scheme, host and port):

* through the harvester's fetcher: SSRF guard, robots.txt (it is an HTML page), the per-host
  limit, and never a local file (a link found in a document);
* at most ``max_pages`` pages per harvest (``MAILLAGE_MAX_EVENT_PAGES``);
* with a conditional GET from what the source's state remembers of each page (ETag,
  Last-Modified, the body's hash and what was read from it): an unchanged page costs one 304
  and no parse, and a page that fails for now (timeout, 5xx) keeps what it gave last time;
  a page whose event is too large to remember (``MEMO_BYTES``) is read in full each time;
* parsed like any document, in the bounded parser processes, one page at a time within the
  harvest's parse budget; a page over a limit fails the harvest and stops the other reads.

The event read from the page keeps the feed item's uid, so its identity is the feed's; an item
whose page holds no event either stays skipped, its reason saying why.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from services.harvester.fetcher import Fetcher
from services.harvester.formats.assemble import in_window
from services.harvester.formats.base import LinkedItem, ParseContext, ParseResult
from services.harvester.formats.rss import NO_DATE
from services.harvester.parse_pool import Parsed, ParseJob
from services.harvester.safety import Origin, origin
from shared.errors import FetchTransient, MaillageError, ParseError
from shared.model import Event, Skipped, event_id

Memo = dict[str, Any]
#: Largest memo of one page kept in the source's state (which must fit in one bus message):
#: a page whose event is larger is read in full at each harvest rather than remembered.
MEMO_BYTES = 8 * 1024
#: (the event read from the page or None, why not, what to remember of the page)
Outcome = tuple[Event | None, str | None, Memo | None]


def _same_page(a: str | None, b: str) -> bool:
    return bool(a) and str(a).rstrip("/") == b.rstrip("/")


def pick(events: list[Event], page_url: str, title: str) -> Event | None:
    """The page's own event: the one whose URL is the page's, the only one, or the one
    with the item's title (a page may also list related events)."""
    for event in events:
        if _same_page(event.url, page_url):
            return event
    if len(events) == 1:
        return events[0]
    wanted = title.casefold()
    return next((e for e in events if e.title.casefold() == wanted), None)


class EventPages:
    """Completes a parsed feed with the events of its items' pages (see the module)."""

    def __init__(
        self,
        fetcher: Fetcher,
        parse: Callable[[ParseJob], Awaitable[Parsed]],
        max_pages: int,
    ) -> None:
        self.fetcher = fetcher
        self.parse = parse
        self.max_pages = max_pages

    async def complete(
        self,
        parsed: ParseResult,
        context: Callable[[str, int], ParseContext],
        home: set[Origin],
        memos: dict[str, Memo],
        occurrences_left: int,
    ) -> dict[str, Memo]:
        """Add to ``parsed`` the events found on its linked items' pages; return what to
        remember of the pages read (the source state's ``pages``)."""
        todo: list[LinkedItem] = []
        reasons: dict[str, str] = {}
        for item in parsed.linked:
            if origin(item.url) not in home:
                reasons[item.uid] = f"{NO_DATE}; its link leads to another site"
            elif len(todo) >= self.max_pages:
                reasons[item.uid] = (f"{NO_DATE}; its page was not read (more than "
                                     f"{self.max_pages} event pages in one harvest)")
            else:
                todo.append(item)
        outcomes = await _all_or_none([
            self._read(item, context, home, memos.get(item.url) or {}, occurrences_left)
            for item in todo
        ])
        kept: dict[str, Memo] = {}
        found: dict[str, Event] = {}
        for item, (event, reason, memo) in zip(todo, outcomes, strict=True):
            if memo is not None:
                kept[item.url] = memo
            if event is not None:
                found[item.uid] = _as_item(event, item, parsed, context(item.url, 0))
            elif reason:
                reasons[item.uid] = reason
        _apply(parsed, found, reasons)
        return kept

    async def _read(
        self,
        item: LinkedItem,
        context: Callable[[str, int], ParseContext],
        home: set[Origin],
        memo: Memo,
        occurrences_left: int,
    ) -> Outcome:
        try:
            page = await self.fetcher.fetch(
                item.url, etag=memo.get("etag"), last_modified=memo.get("last_modified"),
                html_page=True, linked=True,
            )
        except FetchTransient as exc:  # a page down for now: what it gave last time stays
            cached = memo.get("event")
            if cached:
                return Event.from_dict(cached), None, memo
            return None, f"{NO_DATE}; its page could not be read ({exc.message})", None
        except MaillageError as exc:
            return None, f"{NO_DATE}; its page could not be read ({exc.message})", None
        if origin(page.url) not in home:
            return None, f"{NO_DATE}; its page redirects to another site", None
        validators = {"etag": page.etag, "last_modified": page.last_modified}
        if page.not_modified or (memo and page.content_hash == memo.get("hash")):
            cached = memo.get("event")
            return (Event.from_dict(cached) if cached else None, memo.get("reason"),
                    {**memo, **validators})
        ctx = context(page.url, occurrences_left)
        event: Event | None = None
        try:
            result = await self.parse(ParseJob(page.body, ctx, "html", page.content_type))
        except ParseError as exc:
            if exc.kind != "parse":  # the page is over a limit: that fails the harvest
                raise
            reason: str | None = f"{NO_DATE}; its page has no event either ({exc.message})"
        else:
            assert isinstance(result, ParseResult)
            event = pick(result.events, page.url, item.title)
            reason = None
            if event is None:
                why = result.skipped[0].reason if result.skipped else (
                    f"{len(result.events)} events, none of them this item's")
                reason = f"{NO_DATE}; its page gives no usable event ({why})"
        memo = {**validators, "hash": page.content_hash,
                "event": event.to_dict() if event else None, "reason": reason}
        if len(json.dumps(memo)) > MEMO_BYTES:  # read in full next time instead
            return event, reason, None
        return event, reason, memo


async def _all_or_none(reads: list[Coroutine[Any, Any, Outcome]]) -> list[Outcome]:
    """Every outcome; when one read fails the harvest, the others are cancelled (their
    fetches and parses stopped), never left running for a harvest that is over."""
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _as_item(event: Event, item: LinkedItem, parsed: ParseResult, ctx: ParseContext) -> Event:
    """The page's event under the feed item's identity, its dates kept to the window."""
    data = event.to_dict()
    data.update(
        id=event_id(ctx.source_id, item.uid),
        source_id=ctx.source_id,
        source_uid=item.uid,
        title=event.title or item.title,
        description=event.description or item.description,
        url=event.url or item.url,
        source_format=parsed.format,
        extra={**event.extra, "event_page": item.url},
    )
    made = Event.from_dict(data)
    return made.with_(occurrences=tuple(in_window(list(made.occurrences), ctx)))


def _apply(parsed: ParseResult, found: dict[str, Event], reasons: dict[str, str]) -> None:
    skipped: list[Skipped] = []
    for entry in parsed.skipped:
        if entry.reason == NO_DATE and entry.uid in found:
            event = found.pop(entry.uid)
            if event.occurrences:
                parsed.events.append(event)
            else:
                skipped.append(Skipped("its page's event is outside the harvest window",
                                       entry.uid, entry.title))
        elif entry.reason == NO_DATE and entry.uid in reasons:
            skipped.append(Skipped(reasons[entry.uid], entry.uid, entry.title))
        else:
            skipped.append(entry)
    parsed.skipped[:] = skipped
    parsed.linked.clear()
