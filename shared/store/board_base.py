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

Everything else in ``doc`` is returned as it was stored (the API's public form).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from shared.store.base import Outcome, SearchPage

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


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(["board", offset]).encode()).decode().rstrip("=")


def decode_offset(cursor: str) -> int:
    """The offset of a board cursor; ``ValueError`` (a 400) for anything else."""
    try:
        kind, offset = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("malformed cursor") from exc
    if kind != "board" or not isinstance(offset, int) or isinstance(offset, bool) or not (
            0 <= offset <= MAX_OFFSET):
        raise ValueError("malformed cursor")
    return offset
