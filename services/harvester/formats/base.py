"""What every format parser takes and returns.

A format module exposes ``parse(body: bytes, ctx: ParseContext) -> ParseResult``. It never
fetches anything: the worker fetches, the parser reads bytes. It raises
:class:`~shared.errors.ParseError` (one clear line) when the document cannot be read as that
format at all; items that cannot be used are reported in ``ParseResult.skipped`` with a reason,
and the rest of the document is still used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.model import DEFAULT_TZ, Event, Skipped


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs to know about the source and the expansion window."""

    source_id: str
    now: datetime
    url: str | None = None
    organizer: str | None = None
    timezone: str = DEFAULT_TZ
    window_past: timedelta = timedelta(days=30)
    window_future: timedelta = timedelta(days=400)
    max_occurrences: int = 800
    #: Occurrences the whole document may give (what is left of its source's cap).
    max_document_occurrences: int = 20_000
    #: Seconds one series may spend expanding; past it, its expansion stops (reported).
    time_budget_s: float = 2.0
    #: Seconds the whole document may spend; past it, the document is refused.
    document_budget_s: float = 8.0
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def window_start(self) -> datetime:
        return self.now - self.window_past

    @property
    def window_end(self) -> datetime:
        return self.now + self.window_future


@dataclass(frozen=True, slots=True)
class LinkedItem:
    """A feed item without an event date, whose link may lead to a page holding the event
    (a schema.org Event); the item's ``uid`` stays the event's identity."""

    uid: str
    title: str
    url: str
    description: str = ""


@dataclass(slots=True)
class ParseResult:
    """Events found, items skipped with their reason, and the next page for paged APIs.

    ``removed_uids`` lists the source uids an incremental harvest reported as removed from the
    source (e.g. OpenAgenda ``removed: true``); the worker retracts the matching events.
    ``linked`` lists skipped feed items whose page the worker may read (an agenda feed whose
    items only link to event pages).
    """

    format: str
    events: list[Event] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    next_url: str | None = None
    removed_uids: list[str] = field(default_factory=list)
    linked: list[LinkedItem] = field(default_factory=list)
