"""The directory of associations in the search stores: the contract both stores keep.

The directory is a projection of the association records of the ``RECORDS`` stream
(docs/decisions/0001-store-of-record.md), written by the indexer's records consumer
(:mod:`services.indexer.records_consumer`) next to the events: SQLite (``directory.sqlite``
beside the events' index) or Elasticsearch (the index ``<MAILLAGE_ES_INDEX>-associations``).

:meth:`DirectoryStore.apply` takes :class:`DirectoryMessage` batches and is idempotent by
the record's stream sequence: a message whose sequence is not above the stored one changes
nothing (``Outcome.STALE``; a ``refresh`` of the stored sequence itself does), a removal
(``doc`` ``None``: deleted, refused, or no longer listed) leaves a tombstone so that an
older message arriving late cannot bring it back.

A document is the association's public form (never its private fields: the projection is
made from :meth:`services.associations.model.Association.public`) plus where it is: the
head office's ``commune``, ``insee``, ``quartier``, ``lat``/``lon`` (geocoded), and the
facet values in :data:`FACETS`. Searches filter by words (name, acronym, aliases, purpose),
facets (AND across facets, OR within one), ``states`` and whether the association has
upcoming events (``with_events``: the organizer names that have some, given by the caller,
who reads them from the events' store); results are ordered by relevance, else by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.store.base import Outcome, SearchPage, decode_tagged_offset, encode_tagged_offset

#: Facet name -> the document field holding its values (a list).
FACETS = {"theme": "themes", "rna_theme": "rna_themes", "quartier": "quartier_values",
          "commune": "commune_values", "tool": "tools", "state": "state_values",
          "declared_tool": "declared_tools", "harvested_tool": "harvested_tools"}
#: Document fields only the stores use (not shown by the API).
INTERNAL = ("quartier_values", "commune_values", "state_values", "organizer_keys",
            "name_key")


@dataclass(frozen=True, slots=True)
class DirectoryMessage:
    """One association record's new state: ``doc`` is its searchable form, or ``None``
    when it must leave the directory; ``seq`` is the record's stream sequence."""

    aid: str
    seq: int
    doc: dict[str, Any] | None
    #: The same record projected again because what is around it changed (its links, its
    #: sources): applied when ``seq`` is the stored one too, not only above it.
    refresh: bool = False


@dataclass(frozen=True, slots=True)
class DirectoryQuery:
    q: str | None = None
    themes: tuple[str, ...] = ()
    rna_themes: tuple[str, ...] = ()
    quartiers: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    #: ``True``: only associations with upcoming events; ``False``: only without;
    #: ``None``: both. Needs ``organizers_with_events``.
    has_events: bool | None = None
    #: Organizer names (:func:`organizer_key`) and sources (:func:`source_key`) that have
    #: upcoming events, for ``has_events`` and its facet; ``None`` when unknown (then no
    #: ``has_events`` facet).
    organizers_with_events: frozenset[str] | None = None
    limit: int = 20
    cursor: str | None = None
    facets: bool = False


def organizer_key(name: str) -> str:
    """How an organizer name is compared with the events' organizers."""
    return " ".join(name.casefold().split())


def source_key(source_id: str) -> str:
    """How a source an association's events come by is compared with the events' sources:
    it starts with a space, which :func:`organizer_key` never gives."""
    return " source " + source_id


def event_keys(doc: dict[str, Any]) -> list[str]:
    """The keys of what an association's events come by: its names and organizer names
    (:func:`organizer_key`) and its sources (:func:`source_key`)."""
    names = [doc.get("name") or "", *(doc.get("organizers") or ())]
    return sorted({organizer_key(o) for o in names if o}
                  | {source_key(str(s["id"])) for s in doc.get("sources") or ()
                     if s.get("id")})


def name_key(name: str) -> str:
    """The sort key of a name: case-folded, accents kept apart (``é`` after ``e``)."""
    return " ".join(name.casefold().split())


def facet_values(doc: dict[str, Any]) -> dict[str, list[str]]:
    """The facet values of a document (as :data:`FACETS` names them)."""
    return {facet: [str(v) for v in doc.get(field) or () if v]
            for facet, field in FACETS.items()}


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the fields the stores index: facet values, name key, organizer keys."""
    quartiers = [doc.get("quartier"), *(doc.get("quartiers") or ())]
    return {**doc,
            "quartier_values": list(dict.fromkeys(q for q in quartiers if q)),
            "commune_values": [doc["commune"]] if doc.get("commune") else [],
            "state_values": [doc.get("state") or "active"],
            "organizer_keys": event_keys(doc),
            "name_key": name_key(str(doc.get("name") or ""))}


def public_doc(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in INTERNAL}


def encode_offset(offset: int) -> str:
    return encode_tagged_offset("dir", offset)


def decode_offset(cursor: str) -> int:
    """The offset of a directory cursor; ``ValueError`` (a 400) for anything else."""
    return decode_tagged_offset("dir", cursor, MAX_OFFSET)


#: Deepest result reachable by paging (Elasticsearch's default ``max_result_window``).
MAX_OFFSET = 10_000


def shape_facets(counts: dict[str, dict[str, int]]) -> dict[str, list[dict[str, Any]]]:
    """``{facet: [{"value", "count"}]}``, most frequent first, then by value."""
    return {facet: [{"value": v, "count": n}
                    for v, n in sorted(values.items(), key=lambda p: (-p[1], p[0])) if n]
            for facet, values in counts.items()}


class DirectoryStore(Protocol):
    """What the indexer writes to and the query service reads from."""

    async def apply(self, messages: Sequence[DirectoryMessage]) -> list[Outcome]: ...

    async def search(self, query: DirectoryQuery) -> SearchPage: ...

    async def get(self, aid: str) -> dict[str, Any] | None: ...

    async def count(self) -> int: ...

    async def settle(self) -> None:
        """Make every write made so far visible to searches now (searches may lag a write
        by up to a second otherwise): for tools and tests that write, then read at once."""

    async def reset(self) -> None: ...

    async def close(self) -> None: ...
