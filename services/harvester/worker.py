"""Harvest one source: fetch, parse, publish what changed, and report.

The rules that keep the stream correct:

* an unchanged source (304, or the same body hash) publishes nothing;
* an event is published only when its content hash changed since the last harvest;
* an event that disappeared from its source is retracted, but only after a harvest that
  succeeded and found at least one event: a failed fetch, an empty body, an unparseable file or
  an empty result never retracts the previous good events;
* every harvest publishes one :class:`HarvestStatus` for the monitor;
* a document is parsed in a bounded process (:mod:`services.harvester.parse_pool`), never on
  the event loop: one past its time, memory or occurrence limits fails that harvest (the
  previous events are kept) while the replica's other sources go on; the documents of one
  harvest (pages, event pages) are parsed one at a time within one budget of parse time.

A source of ``kind = "calls"`` goes through the same steps with calls for projects
(:mod:`services.harvester.formats.calls`) published on the CALLS stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from services.harvester.event_pages import MEMO_BYTES, EventPages
from services.harvester.fetcher import Fetcher, FetchResult
from services.harvester.formats.base import ParseContext, ParseResult
from services.harvester.formats.calls import CallsResult
from services.harvester.parse_pool import ParseBudget, ParseJob, ParsePool, parse_limits
from services.harvester.safety import Origin, origin
from services.harvester.schedule import next_check
from services.harvester.sources import Source
from services.harvester.state import SourceState
from shared.bus import EVENTS_SUBJECT, STATUS_SUBJECT, Bus, subject_token
from shared.calls import CallMessage, call_id, calls_subject
from shared.errors import MaillageError, ParseError, TransientError
from shared.metrics import record_harvest
from shared.model import EventMessage, HarvestStatus, Skipped, event_id, now_version
from shared.settings import Settings

log = logging.getLogger(__name__)


Parsed = ParseResult | CallsResult

#: Bytes of a bus message kept for its headers (Nats-Msg-Id...): a larger item is skipped.
MESSAGE_HEADROOM = 4096
#: Bytes of a source's state kept for what is not the published items (event page memos).
STATE_RESERVE = 30 * MEMO_BYTES + 64 * 1024
#: Skipped items a status record lists, and characters kept of each text it quotes.
REPORTED_SKIPS = 100
REPORTED_CHARS = 300
#: Share of MAILLAGE_PARSE_TIMEOUT a parser spends before it gives up by itself (with a
#: clear message) rather than be stopped from outside.
DOCUMENT_SHARE = 0.8


def _occurrences(parsed: Parsed) -> int:
    if isinstance(parsed, CallsResult):
        return 0
    return sum(len(event.occurrences) for event in parsed.events)


@dataclass(slots=True)
class Counts:
    new: int = 0
    changed: int = 0
    removed: int = 0


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One harvested item (an event or a call) and how to publish it at a version."""

    id: str
    digest: str
    message: Callable[[int], EventMessage | CallMessage]
    uid: str | None = None  # the source's own id and title, to name a skipped item
    title: str | None = None


def outgoing(source: Source, parsed: Parsed) -> list[Outgoing]:
    if isinstance(parsed, CallsResult):
        return [Outgoing(c.id, c.content_hash(), partial(CallMessage.upsert, c),
                         c.publisher_id, c.title)
                for c in parsed.calls]
    items = []
    declared: dict[str, Any] = {}
    if source.themes:
        declared["organizer_themes"] = list(source.themes)
    if source.organizer:  # who runs the source: its own events speak for it when merged
        declared["source_organizer"] = source.organizer
    for event in parsed.events:
        if declared:
            event = event.with_(extra={**event.extra, **declared})
        items.append(Outgoing(event.id, event.content_hash(), partial(EventMessage.upsert, event),
                              event.source_uid, event.title))
    return items


def shortened(text: str | None, limit: int = REPORTED_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit - 1] + "…"


def reported(skipped: list[Skipped]) -> tuple[Skipped, ...]:
    """What a status record says of the skipped items: the first :data:`REPORTED_SKIPS`,
    their texts shortened, then how many more (a document may skip thousands, with titles
    of any length, and the record must fit on the bus)."""
    listed = tuple(Skipped(shortened(s.reason) or "", shortened(s.uid), shortened(s.title))
                   for s in skipped[:REPORTED_SKIPS])
    if len(skipped) > REPORTED_SKIPS:
        more = len(skipped) - REPORTED_SKIPS
        listed += (Skipped(f"{more:,} more skipped items (not listed)"),)
    return listed


def retraction(source: Source, item_id: str, version: int) -> EventMessage | CallMessage:
    reason = "removed from its source"
    if source.kind == "calls":
        return CallMessage.retract(item_id, source.id, version, reason)
    return EventMessage.retract(item_id, source.id, version, reason)


class Harvester:
    """Harvests sources and publishes their events; one instance per replica."""

    def __init__(
        self,
        settings: Settings,
        bus: Bus,
        fetcher: Fetcher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        parser: ParsePool | None = None,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.fetcher = fetcher
        self.clock = clock
        # Documents are parsed in bounded child processes, never on the event loop.
        self.parser = parser or ParsePool(parse_limits(settings))
        self._owns_parser = parser is None

    async def close(self) -> None:
        """Stop the parser processes the harvester started."""
        if self._owns_parser:
            await self.parser.close()

    def context(self, source: Source, url: str, occurrences: int | None = None) -> ParseContext:
        """What a parser of ``url`` needs; ``occurrences`` is what the source may still give."""
        s = self.settings
        return ParseContext(
            source_id=source.id,
            now=self.clock(),
            url=url,
            organizer=source.organizer,
            timezone=s.timezone,
            window_past=timedelta(days=s.window_past_days),
            window_future=timedelta(days=s.window_future_days),
            max_occurrences=s.max_occurrences,
            max_document_occurrences=(
                s.max_source_occurrences if occurrences is None else occurrences),
            document_budget_s=s.parse_timeout * DOCUMENT_SHARE,
            options=dict(source.options),
        )

    async def harvest(
        self, source: Source, state: SourceState, version: int | None = None
    ) -> HarvestStatus:
        """Harvest ``source``, update ``state`` in place and publish the status record.

        ``version`` is the job's slot (see :mod:`services.harvester.scheduler`): a retried job
        publishes the same message ids, which the server drops as duplicates.
        """
        started = self.clock()
        version = version or now_version(started)
        t0 = time.monotonic()
        status: HarvestStatus
        result: FetchResult | None = None
        retry_after: float | None = None
        deadline = asyncio.timeout(self.settings.harvest_timeout)
        try:
            try:
                async with deadline:  # however slow its pages, one harvest ends
                    # A feed whose events live on linked pages is read whole each time: its
                    # pages are what may have changed (each costs a conditional GET, a 304 if
                    # not).
                    pages = bool(state.pages)
                    result = await self.fetcher.fetch(
                        source.url,
                        etag=None if pages else state.etag,
                        last_modified=None if pages else state.last_modified,
                        html_page=source.format == "html",
                    )
                    unchanged = (result.content_hash == state.body_hash and state.published
                                 and not pages)
                    if result.not_modified or unchanged:
                        counts, parsed = Counts(), None
                    else:
                        budget = ParseBudget(self.settings.source_parse_budget)
                        parsed = await self._parse_all(source, result, budget)
                        await self._read_event_pages(source, state, result, parsed, budget)
                        counts = await self._publish_changes(source, state, parsed, version)
                        state.body_hash = result.content_hash
            except TimeoutError:
                if not deadline.expired():
                    raise
                raise TransientError(
                    f"the harvest took more than {self.settings.harvest_timeout:g} s "
                    "(MAILLAGE_HARVEST_TIMEOUT): it was stopped", kind="harvest_timeout",
                ) from None
            state.etag, state.last_modified = result.etag, result.last_modified
            state.errors = 0
            state.last_success = started.isoformat()
            state.last_error = None
            status = HarvestStatus(
                source_id=source.id,
                url=source.url,
                started=started,
                duration_ms=int((time.monotonic() - t0) * 1000),
                ok=True,
                http_status=result.status,
                body_bytes=len(result.body),
                not_modified=parsed is None,
                found=len(outgoing(source, parsed)) if parsed else len(state.published),
                new=counts.new,
                changed=counts.changed,
                removed=counts.removed,
                skipped=reported(parsed.skipped) if parsed else (),
            )
        except MaillageError as exc:
            retry_after = getattr(exc, "retry_after", None)
            message = shortened(exc.message)  # it may quote the source at any length
            state.errors += 1
            state.last_error = f"{exc.kind}: {message}"
            state.disabled = state.errors >= self.settings.max_errors
            status = HarvestStatus(
                source_id=source.id,
                url=source.url,
                started=started,
                duration_ms=int((time.monotonic() - t0) * 1000),
                ok=False,
                http_status=getattr(exc, "status", None) or (result.status if result else None),
                body_bytes=len(result.body) if result else 0,
                found=len(state.published),
                error_kind=exc.kind,
                error_message=message,
            )
            log.warning(
                "harvest failed",
                extra={"source_id": source.id, "url": source.url, "error": message},
            )
        state.next_check = self._next_check(source, state, result, started, retry_after).isoformat()
        record_harvest(status)
        await self.bus.publish(
            f"{STATUS_SUBJECT}.{subject_token(source.id)}",
            status.to_json(),
            msg_id=f"status.{source.id}.{version}",
        )
        return status

    def _next_check(
        self,
        source: Source,
        state: SourceState,
        result: FetchResult | None,
        now: datetime,
        retry_after: float | None,
    ) -> datetime:
        s = self.settings
        return next_check(
            now=now,
            interval=timedelta(seconds=source.interval or s.default_interval),
            cache_control=result.cache_control if result else None,
            expires=result.expires if result else None,
            retry_after=retry_after if retry_after is not None else (
                result.retry_after if result else None),
            errors=state.errors,
            min_interval=timedelta(seconds=s.min_interval),
            max_interval=timedelta(seconds=s.max_interval),
            jitter_seed=source.id,
        )

    async def _parse(
        self, source: Source, page: FetchResult, fmt: str | None, occurrences: int,
        budget: ParseBudget,
    ) -> Parsed:
        ctx = self.context(source, page.url, occurrences)
        return await self.parser.parse(
            ParseJob(page.body, ctx, fmt, page.content_type, kind=source.kind), budget
        )

    @staticmethod
    def _home(source: Source, first: FetchResult) -> set[Origin]:
        """The source's own site: the origin of its URL and of where that URL redirected."""
        return {o for o in (origin(source.url), origin(first.url)) if o is not None}

    async def _read_event_pages(
        self, source: Source, state: SourceState, first: FetchResult, parsed: Parsed,
        budget: ParseBudget,
    ) -> None:
        """Complete a feed's dateless items with the events of their pages (event_pages)."""
        if not isinstance(parsed, ParseResult) or not (parsed.linked or state.pages):
            return
        cap = self.settings.max_source_occurrences
        pages = EventPages(self.fetcher, partial(self.parser.parse, budget=budget),
                           self.settings.max_event_pages)
        state.pages = await pages.complete(
            parsed,
            lambda url, left: self.context(source, url, left),
            self._home(source, first),
            state.pages,
            cap - _occurrences(parsed),
        )
        if _occurrences(parsed) > cap:
            raise ParseError(f"more than {cap:,} occurrences in the feed and its event pages "
                             "(MAILLAGE_MAX_SOURCE_OCCURRENCES)", kind="too_many_occurrences")

    async def read(self, source: Source, first: FetchResult) -> Parsed:
        """What a harvest would find in ``first`` (and its next pages), publishing nothing:
        the preview of a source an association adds (:mod:`services.sources_self`)."""
        return await self._parse_all(source, first,
                                     ParseBudget(self.settings.source_parse_budget))

    async def _parse_all(self, source: Source, first: FetchResult, budget: ParseBudget
                         ) -> Parsed:
        """Parse the document and follow ``next_url`` for paged APIs.

        A next page is a link found in a document: it is followed only on the source's own
        origin (scheme, host and port of its URL, or of where that URL redirected), never to
        a local file, whatever the page says.
        """
        cap = self.settings.max_source_occurrences
        parsed = await self._parse(source, first, source.format, cap, budget)
        seen = {first.url}
        pages = 1
        home = self._home(source, first)
        while parsed.next_url and parsed.next_url not in seen:
            if pages >= self.settings.max_pages:
                parsed.skipped.append(Skipped(f"stopped after {pages} pages"))
                break
            if origin(parsed.next_url) not in home:
                parsed.skipped.append(Skipped(
                    f"next page not followed: {parsed.next_url[:200]} is not on the "
                    "source's own site"))
                break
            seen.add(parsed.next_url)
            page = await self.fetcher.fetch(
                parsed.next_url, html_page=source.format == "html", linked=True
            )
            more = await self._parse(source, page, parsed.format, cap - _occurrences(parsed),
                                     budget)
            if isinstance(parsed, CallsResult) and isinstance(more, CallsResult):
                parsed.calls.extend(more.calls)
            elif isinstance(parsed, ParseResult) and isinstance(more, ParseResult):
                parsed.events.extend(more.events)
                parsed.removed_uids.extend(more.removed_uids)
            parsed.skipped.extend(more.skipped)
            parsed.next_url = more.next_url
            pages += 1
        return parsed

    def _check_state_room(self, items: list[Outgoing]) -> None:
        """Refuse, before publishing anything, a document with more items than the source's
        state can remember: the state must fit in one bus message, or the job could never
        be acknowledged and would come back, and publish again, forever."""
        room = self.bus.nc.max_payload - STATE_RESERVE
        needed = len(json.dumps({item.id: item.digest for item in items}))
        if needed > room:
            raise ParseError(
                f"{len(items):,} items in the document: more than this source's state can "
                f"remember on this message bus ({needed:,} bytes of {room:,}; NATS "
                "max_payload)", kind="too_many_items")

    async def _publish_changes(
        self, source: Source, state: SourceState, parsed: Parsed, version: int
    ) -> Counts:
        items = outgoing(source, parsed)
        removed_uids = parsed.removed_uids if isinstance(parsed, ParseResult) else []
        if not items and not removed_uids:
            # A valid document with nothing usable: maybe everything was removed, maybe the
            # source is half-broken. Never retract on that alone; say so to operators.
            parsed.skipped.append(Skipped(
                f"nothing usable in the document; the {len(state.published)} items "
                "published before are kept"))
            return Counts()
        self._check_state_room(items)
        if source.kind == "calls":
            subject = calls_subject(source.id)
            explicit = {call_id(source.id, uid) for uid in removed_uids}
        else:
            subject = f"{EVENTS_SUBJECT}.{subject_token(source.id)}"
            explicit = {event_id(source.id, uid) for uid in removed_uids}
        counts = Counts()
        current: dict[str, str] = {}
        largest = self.bus.nc.max_payload - MESSAGE_HEADROOM
        for item in items:
            if item.id in current:
                continue
            previous = state.published.get(item.id)
            if previous == item.digest:
                current[item.id] = item.digest
                continue
            msg = item.message(version)
            payload = msg.to_json()
            if len(payload) > largest:  # the bus would refuse it, and the harvest with it
                parsed.skipped.append(Skipped(
                    f"too large to publish ({len(payload):,} bytes; the message bus takes "
                    f"at most {largest:,})", item.uid, item.title))
                if previous is not None:  # what was published before stays
                    current[item.id] = previous
                continue
            current[item.id] = item.digest
            await self.bus.publish(subject, payload, msg_id=msg.msg_id)
            if previous is None:
                counts.new += 1
            else:
                counts.changed += 1
        gone = set(state.published) - set(current)
        if not items:
            gone = set()  # an incremental page of removals only: keep the rest
            current = dict(state.published)
        for item_id in sorted(gone | explicit):
            msg = retraction(source, item_id, version)
            await self.bus.publish(subject, msg.to_json(), msg_id=msg.msg_id)
            current.pop(item_id, None)
            counts.removed += 1
        state.published = current
        return counts
