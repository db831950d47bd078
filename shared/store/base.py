"""The search-store contract, shared by the SQLite and Elasticsearch implementations.

The index is a projection of the events stream. :meth:`SearchStore.apply` takes a batch of
:class:`~shared.model.EventMessage` and makes their effect durable in one commit; it is
idempotent and ordered by version per event:

* an upsert replaces the event's documents when its version is newer than the stored one;
* a retraction leaves a tombstone (the version, no documents), so an older upsert arriving late
  cannot resurrect the event;
* anything not newer than what is stored is ignored (``Outcome.STALE``).

A search document is one occurrence of an event (:func:`occurrence_docs`): the event's fields,
flattened, with the occurrence's dates and id. The query service reads documents as plain dicts.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from shared.model import Event, EventMessage, Occurrence, occurrence_id


class Outcome(StrEnum):
    APPLIED = "applied"
    RETRACTED = "retracted"
    STALE = "stale"


class Sort(StrEnum):
    DATE = "date"
    RELEVANCE = "relevance"
    DISTANCE = "distance"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Search parameters, already validated by the caller (the query service)."""

    q: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 20
    cursor: str | None = None
    themes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    quartiers: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    organizers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    include_cancelled: bool = False
    free: bool | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    sort: Sort = Sort.DATE
    facets: bool = False


@dataclass(slots=True)
class SearchPage:
    total: int
    items: list[dict[str, Any]]
    next: str | None = None
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class SearchStore(Protocol):
    """What the indexer writes to and the query service reads from."""

    async def apply(self, messages: Sequence[EventMessage]) -> list[Outcome]: ...

    async def search(self, query: SearchQuery) -> SearchPage: ...

    async def get(self, doc_id: str) -> dict[str, Any] | None: ...

    async def event_docs(self, event_id: str) -> list[dict[str, Any]]: ...

    async def count(self) -> int: ...

    async def related(self, doc: dict[str, Any], limit: int = 6) -> list[dict[str, Any]]:
        """Upcoming documents of other events sharing the theme or keywords, the quartier and
        the period (± 14 days) of ``doc``, best first."""
        ...

    async def terms(
        self, facet: str, *, start: datetime | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """``[{"value", "count"}]`` of a facet (themes, keywords, quartier, commune,
        organizer, accessibility, audience, sources) over upcoming documents."""
        ...

    async def suggest(self, prefix: str, limit: int = 8) -> list[dict[str, Any]]:
        """Completions for a search box: ``[{"text", "kind"}]`` (title, keyword, organizer,
        place)."""
        ...

    async def reset(self) -> None: ...

    async def warm(self) -> bool:
        """Bring read-side structures up to date (called before serving and then every
        second by the query service, so that requests do not pay for it); True when it
        built long-lived structures anew (the caller may then freeze its heap)."""
        ...

    async def close(self) -> None: ...


def encode_tagged_offset(tag: str, offset: int) -> str:
    """An offset cursor (the directory's, the board's): ``[tag, offset]``, base64url."""
    return base64.urlsafe_b64encode(json.dumps([tag, offset]).encode()).decode().rstrip("=")


def decode_tagged_offset(tag: str, cursor: str, max_offset: int) -> int:
    """The offset of a cursor made by :func:`encode_tagged_offset` with ``tag``;
    ``ValueError`` (a 400) for anything else."""
    try:
        kind, offset = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("malformed cursor") from exc
    if kind != tag or not isinstance(offset, int) or isinstance(offset, bool) or not (
            0 <= offset <= max_offset):
        raise ValueError("malformed cursor")
    return offset


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def occurrence_doc(event: Event, occ: Occurrence) -> dict[str, Any]:
    """The search document of one occurrence of ``event``."""
    data = event.to_dict()
    data.pop("occurrences")
    data.pop("schema")
    end = occ.end or occ.start
    return {
        **data,
        "id": occurrence_id(event.id, occ.key()),
        "event_id": event.id,
        "start": occ.start.isoformat(),
        "end": end.isoformat(),
        "start_ts": _ts(occ.start),
        "end_ts": _ts(end),
        "all_day": occ.all_day,
        "status": str(occ.status) if occ.status != "scheduled" else str(event.status),
        "themes": [t.code for t in event.themes],
        "theme_reasons": {t.code: t.reason for t in event.themes},
        "sources": [{"source_id": event.source_id, "event_id": event.id, "url": event.url}],
    }


def occurrence_docs(event: Event) -> list[dict[str, Any]]:
    return [occurrence_doc(event, occ) for occ in event.occurrences]
