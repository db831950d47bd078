"""The board: what associations post for each other, in the search stores.

The workshop's "know each other" domains (docs/decisions/0001-store-of-record.md, "The
split") each keep their records in ``RECORDS`` and project them, through the indexer, into
one shared search store, the *board*, next to the events and the directory:

=================  =====================================================================
kind               what a document is
=================  =====================================================================
``skill``          an offer or a need of skills (the shared skills sponsorship), or a
                   student's or an association's student project (``services/skills``)
``venue``          a room or hall an association or the city lets, with its rates
                   (``services/venues``; its free slots are in ``starts``/``ends`` of
                   ``slot`` documents)
``slot``           a free slot of a venue (``services/venues``)
``application``    a joint application to a call for projects looking for partners
                   (``services/applications``)
``network``        a link two associations declared between them (``services/network``)
=================  =====================================================================

One store for every kind, because their needs are the same: words, facets (AND across
facets, OR within one), a period, a place, most recent or soonest first, a cursor, facet
counts. A domain's ``project.py`` turns one of its records into a :class:`BoardMessage`;
the indexer's board consumer (:mod:`services.indexer.board_consumer`) routes each record
kind to its domain's projection and applies the messages with :meth:`BoardStore.apply`,
idempotently by the record's stream sequence (as :class:`DirectoryStore` does): a message
whose sequence is not above the stored one changes nothing (``Outcome.STALE``, unless it
is a ``refresh``), a removal (``doc`` ``None``) leaves a tombstone so that an older message
arriving late cannot bring the document back.

A document (``doc``) is a JSON object holding only public fields (never an e-mail address
or a phone number not opted in). The stores read these keys, all optional but ``title``:

``title``           the words matched first (a heading)
``text``            more words (a description, skills, the association's name...)
``facets``          ``{facet: [value, ...]}``: what the pages filter on (a theme, a
                    quartier, a skill, a state...). Facet names are the domain's own.
``starts``, ``ends`` ISO 8601 date-times with offset (a slot, an application's deadline,
                    an offer's availability); a period filter keeps the documents whose
                    ``[starts, ends]`` meets it (a missing end is the start)
``lat``, ``lon``    where it is (geocoded by the indexer), for ``near``
``updated``         ISO 8601, the record's last change (sort ``recent``)
``owner``           the association (or person) it belongs to, for :attr:`BoardQuery.owner`

Everything else in ``doc`` is returned as it was stored (the API's public form): put the
record's id in it (``id``) for the pages to link to.

The site reaches the board through the application: ``request.app[BOARD]`` (:data:`BOARD`,
here so that a domain imports it without depending on :mod:`services.query`), opened by
:func:`services.query.app.create_app` (``open_board_store``: ``board.sqlite`` or
Elasticsearch) and closed on cleanup. A search raises ``ValueError`` for an invalid query
(:func:`check`): a route answers it with a 400 in the API's error shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from aiohttp import web

from shared.store.base import Outcome, SearchPage, decode_tagged_offset, encode_tagged_offset
from shared.store.sqlite_docs import index_text

#: The kinds a board document can be (one per domain record that is searched).
KINDS = ("skill", "venue", "slot", "application", "network")
#: Deepest result reachable by paging (Elasticsearch's default ``max_result_window``).
MAX_OFFSET = 10_000
#: Most results on one page.
MAX_LIMIT = 100


class BoardSort(StrEnum):
    #: best match of ``q`` first (most recent first without ``q``)
    RELEVANCE = "relevance"
    #: most recently updated first
    RECENT = "recent"
    #: soonest ``starts`` first (documents without ``starts`` last)
    SOONEST = "soonest"
    #: nearest to ``near`` first
    DISTANCE = "distance"


@dataclass(frozen=True, slots=True)
class BoardMessage:
    """One record's new searchable form: ``doc`` is ``None`` when it must leave the board
    (deleted, withdrawn, no longer public); ``seq`` is the record's stream sequence."""

    kind: str
    rid: str
    seq: int
    doc: dict[str, Any] | None
    #: The same record projected again because something around it changed: applied when
    #: ``seq`` is the stored one too, not only above it.
    refresh: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.rid}"


@dataclass(frozen=True, slots=True)
class BoardQuery:
    kind: str
    q: str | None = None
    #: ``{facet: (value, ...)}``: AND across facets, OR within one.
    facets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Keep documents whose ``[starts, ends]`` meets ``[start, end]`` (ISO 8601 with
    #: offset; either may be ``None``). Documents without ``starts`` are kept only when
    #: both are ``None``.
    start: str | None = None
    end: str | None = None
    #: ``(lat, lon, radius_km)``: only documents within the radius.
    near: tuple[float, float, float] | None = None
    owner: str | None = None
    sort: BoardSort = BoardSort.RELEVANCE
    limit: int = 20
    cursor: str | None = None
    #: Return facet counts (over the whole filtered set, each facet's own filter left out,
    #: so that a page can show how many more each other value would give).
    with_facets: bool = False


class BoardStore(Protocol):
    """What the indexer writes to and the query service (the domains' routes) reads."""

    async def apply(self, messages: Sequence[BoardMessage]) -> list[Outcome]: ...

    async def search(self, query: BoardQuery) -> SearchPage: ...

    async def get(self, kind: str, rid: str) -> dict[str, Any] | None: ...

    async def count(self, kind: str | None = None) -> int: ...

    async def settle(self) -> None:
        """Make every write made so far visible to searches now."""

    async def reset(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Checked:
    """A valid :class:`BoardQuery`, its parts parsed (:func:`check`)."""

    sort: BoardSort
    offset: int
    #: the page's size: the query's limit, within the first :data:`MAX_OFFSET` results
    limit: int
    #: the period, as POSIX timestamps (``None``: open on that side)
    start: float | None
    end: float | None
    #: the stems of ``q``; ``None`` without words, empty for words that are all stop
    #: words (then nothing matches, as in the events' search)
    terms: list[str] | None

def timestamp(value: str, what: str) -> float:
    """The POSIX time of an ISO 8601 date-time with offset; ``ValueError`` otherwise."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: not an ISO 8601 date-time: {value!r}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"{what}: an ISO 8601 date-time needs an offset: {value!r}")
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class Fields:
    """What the stores index of a document (:func:`fields`)."""

    title: str
    text: str
    facets: dict[str, list[str]]
    starts: float | None
    ends: float | None
    lat: float | None
    lon: float | None
    updated: float | None
    owner: str | None


def fields(doc: Mapping[str, Any]) -> Fields:
    """The indexed fields of a document; ``ValueError`` when one is malformed (no title, a
    date without offset, a place out of range, facets not ``{name: [value, ...]}``): the
    board consumer dead-letters such a record rather than index half of it."""
    title = doc.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("a board document needs a title")
    text = doc.get("text") or ""
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    facets = doc.get("facets") or {}
    if not isinstance(facets, Mapping) or not all(
            isinstance(k, str) and isinstance(v, list | tuple) for k, v in facets.items()):
        raise ValueError("facets must be {name: [value, ...]}")
    starts = timestamp(doc["starts"], "starts") if doc.get("starts") else None
    ends = timestamp(doc["ends"], "ends") if doc.get("ends") else starts
    if starts is None and ends is not None:
        raise ValueError("ends without starts")
    if starts is not None and ends is not None and ends < starts:
        raise ValueError("ends before starts")
    lat, lon = doc.get("lat"), doc.get("lon")
    if (lat is None) != (lon is None):
        raise ValueError("lat and lon go together")
    if lat is not None and lon is not None:
        if isinstance(lat, bool) or isinstance(lon, bool) or not isinstance(
                lat, int | float) or not isinstance(lon, int | float) or not (
                -90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("lat/lon out of range")
    owner = doc.get("owner")
    return Fields(
        title=title, text=text,
        facets={str(k): list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
                for k, values in facets.items()},
        starts=starts, ends=ends,
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
        updated=timestamp(doc["updated"], "updated") if doc.get("updated") else None,
        owner=str(owner) if owner else None)


def check(query: BoardQuery) -> Checked:
    """``query``'s parts, parsed; ``ValueError`` with a clear message (a 400) when a part
    is invalid: an unknown kind or sort, a limit out of 1..MAX_LIMIT, a date without
    offset or a period ending before it starts, a place out of range, a bad cursor."""
    if query.kind not in KINDS:
        raise ValueError(f"unknown kind {query.kind!r} (one of {', '.join(KINDS)})")
    try:
        sort = BoardSort(query.sort)
    except ValueError as exc:
        raise ValueError(f"unknown sort {query.sort!r} "
                         f"(one of {', '.join(s.value for s in BoardSort)})") from exc
    if isinstance(query.limit, bool) or not isinstance(query.limit, int) or not (
            1 <= query.limit <= MAX_LIMIT):
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    start = timestamp(query.start, "start") if query.start else None
    end = timestamp(query.end, "end") if query.end else None
    if start is not None and end is not None and end < start:
        raise ValueError("end is before start")
    if query.near is not None:
        lat, lon, radius = query.near
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("near: latitude or longitude out of range")
        if not 0 < radius <= 20_000:
            raise ValueError("near: the radius must be above 0 and at most 20,000 km")
    elif sort is BoardSort.DISTANCE:
        raise ValueError("sort=distance needs near")
    for facet, values in query.facets.items():
        if not isinstance(values, tuple | list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"facet {facet!r}: values must be strings")
    offset = decode_offset(query.cursor) if query.cursor else 0
    terms = index_text(query.q).split() if query.q and query.q.strip() else None
    return Checked(sort, offset, min(query.limit, MAX_OFFSET - offset), start, end, terms)


#: The board of the site (``app[BOARD]``).
BOARD = web.AppKey("board", BoardStore)


def encode_offset(offset: int) -> str:
    return encode_tagged_offset("board", offset)


def decode_offset(cursor: str) -> int:
    """The offset of a board cursor; ``ValueError`` (a 400) for anything else."""
    return decode_tagged_offset("board", cursor, MAX_OFFSET)
