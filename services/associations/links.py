"""Links of organizers and sources to associations, kept as records (decision 0001).

``maillage.rec.link.<id>``: what one organizer string (``o-<digest>``) or one source
(``s-<source id>``) names::

    {"id", "kind": "organizer" | "source", "value": the organizer as written or the source id,
     "label": what people read (the organizer, or the source's declared organizer and URL),
     "links": [proposals of services.associations.linking, one per part: association,
               confidence, reason, status (linked | review), candidates],
     "decisions": {part: association id, or "" for none}, "decided_by", "decided_at"}

``links`` are recomputed by :func:`refresh` (the site every :data:`REFRESH_S` seconds,
``maillage associations links refresh``); ``decisions`` are what operators said in the
review queue (the page ``/operateurs/liens``, ``maillage associations links review``) and
always win over the proposals, which never touch them (the same rule as an association's
own fields over imports). A record's history is the audit trail of both.

:func:`effective` gives the associations a record names for good: the decision for a part
when there is one, else the proposal when it was linked without review.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.accounts.storage import Stores
from services.associations.linking import LINKED, TO_REVIEW, Linker
from services.associations.model import ASSOCIATION
from shared.records import NotFound, Record, Records, digest, now_iso, token

log = logging.getLogger(__name__)

LINK = "link"
ORGANIZER = "organizer"
SOURCE = "source"
#: Seconds between two refreshes by the site.
REFRESH_S = 600.0


@dataclass(frozen=True, slots=True)
class Named:
    """Something a feed names: an organizer string, or a source and what it declares."""

    kind: str
    value: str
    label: str
    text: str  # what is linked (the organizer string, or the source's declared organizer)
    context: tuple[str, ...] = ()


def link_id(kind: str, value: str) -> str:
    if kind == SOURCE:
        return "s-" + token(value)
    return "o-" + digest(" ".join(value.casefold().split()))[:24]


def subject(records: Records, lid: str) -> str:
    return records.subject(LINK, lid)


def effective(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The associations ``record`` names for good: ``[{association, confidence, reason,
    part}]``, operators' decisions first."""
    decisions: dict[str, str] = record.get("decisions") or {}
    out: list[dict[str, Any]] = []
    for link in record.get("links") or ():
        part = link.get("part", "")
        if part in decisions:
            continue
        if link.get("status") == LINKED:
            out.append({"association": link["association"], "confidence": link["confidence"],
                        "reason": link["reason"], "part": part})
    for part, aid in decisions.items():
        if aid:
            out.append({"association": aid, "confidence": 1.0, "reason": "operator",
                        "part": part})
    unique: dict[str, dict[str, Any]] = {}
    for e in out:
        unique.setdefault(e["association"], e)
    return list(unique.values())


def pending(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The proposals of ``record`` waiting for an operator (review, not decided yet)."""
    decisions = record.get("decisions") or {}
    return [link for link in record.get("links") or ()
            if link.get("status") == TO_REVIEW and link.get("part", "") not in decisions]


async def associations_records(records: Records) -> list[Record]:
    entries = await records.latest(records.subject(ASSOCIATION) + ".*")
    return [e.record for e in entries]


async def all_links(records: Records) -> list[Record]:
    return [e.record for e in await records.latest(records.subject(LINK) + ".*")]


async def review_queue(records: Records) -> list[Record]:
    """The link records with a proposal waiting for an operator, by label."""
    waiting = [r for r in await all_links(records) if pending(r)]
    return sorted(waiting, key=lambda r: str(r.get("label", "")).casefold())


async def links_of(records: Records, aid: str) -> list[Record]:
    """The link records that name association ``aid`` for good."""
    return [r for r in await all_links(records)
            if any(e["association"] == aid for e in effective(r))]


@dataclass(slots=True)
class Refreshed:
    seen: int = 0
    written: int = 0
    linked: int = 0
    review: int = 0


async def refresh(records: Records, named: Iterable[Named], *, actor: str,
                  linker: Linker | None = None) -> Refreshed:
    """Link each of ``named`` with the current association records and write the records whose
    proposals changed (a second run with nothing new writes nothing); decisions are kept."""
    named = list(named)
    if linker is None:
        linker = await asyncio.to_thread(Linker, await associations_records(records))

    def propose(linker: Linker = linker) -> list[list[dict[str, Any]]]:
        return [[lk.as_dict() for lk in linker.link(item.text, context=item.context)]
                for item in named]

    # CPU work off the event loop: the site keeps serving meanwhile
    all_proposals = await asyncio.to_thread(propose)
    known = {r["id"]: r for r in await all_links(records)}  # one read, then only changes
    counts = Refreshed()
    for item, proposals in zip(named, all_proposals, strict=True):
        counts.seen += 1
        lid = link_id(item.kind, item.value)

        def change(current: Record | None, item: Named = item, lid: str = lid,
                   proposals: list[dict[str, Any]] = proposals) -> Record | None:
            if current is None:
                if not proposals:
                    return None  # nothing named, nothing to keep
                current = {"id": lid, "kind": item.kind, "value": item.value,
                           "decisions": {}, "decided_by": "", "decided_at": ""}
            return {**current, "label": item.label, "links": proposals}

        record = known.get(lid)
        if record is None or change(record) != record:
            entry = await records.write(subject(records, lid), change, actor=actor,
                                        reason="linked")
            record = entry.record if entry is not None else None
            counts.written += entry is not None
        if record is not None:
            counts.linked += len(effective(record))
            counts.review += len(pending(record))
    return counts


async def decide(records: Records, lid: str, part: str, association: str, *,
                 actor: str) -> Record:
    """An operator says which association ``part`` of a link record names (``""``: none)."""

    def change(current: Record) -> Record:
        parts = {link.get("part", "") for link in current.get("links") or ()}
        if part not in parts:
            raise NotFound(f"{lid}: no part {part!r}")
        return {**current, "decisions": {**(current.get("decisions") or {}), part: association},
                "decided_by": actor, "decided_at": now_iso()}

    entry = await records.update(subject(records, lid), change, actor=actor, reason="decided")
    return entry.record


@dataclass(frozen=True, slots=True)
class RegisteredSource:
    """What linking and the directory read of a registry source."""

    id: str
    url: str
    format: str | None
    organizer: str | None
    owner: str | None  # the association that added it itself


async def registry_sources(bus: Any) -> list[RegisteredSource]:
    """The event sources of the registry."""
    from services.harvester.registry import SourceRegistry

    try:
        registered = await SourceRegistry(bus).list()
    except Exception:  # noqa: BLE001 - no registry yet: the organizers alone
        log.debug("source registry unavailable for linking", exc_info=True)
        return []
    return [RegisteredSource(r.source.id, r.source.url, r.source.format, r.source.organizer,
                             r.owner) for r in registered if r.source.kind != "calls"]


#: Organizers (and sources) read from the search store at most: under Elasticsearch's
#: default bucket limit, and more than a city's associations publish under.
MAX_TERMS = 10_000


async def organizers(store: Any, *, limit: int = MAX_TERMS) -> list[str]:
    """The organizers of the search store's upcoming events, the most frequent first."""
    terms = await store.terms("organizer", limit=limit)
    return [o for o in (str(t.get("value") or "").strip() for t in terms) if o]


async def named_in(store: Any, sources: Sequence[Any] = (), *,
                   names: Sequence[str] | None = None,
                   contexts: dict[str, tuple[str, ...]] | None = None) -> list[Named]:
    """What the search store's upcoming events and the sources name: each organizer (of
    ``names``, else of :func:`organizers`) with the URLs of a few of its events (a website's
    domain is evidence; read once per organizer when ``contexts`` keeps them between calls),
    each source with its declared organizer and its URL."""
    from shared.store.base import SearchQuery

    out: list[Named] = []
    contexts = {} if contexts is None else contexts
    for organizer in names if names is not None else await organizers(store):
        context = contexts.get(organizer)
        if context is None:
            page = await store.search(SearchQuery(organizers=(organizer,), limit=3))
            context = contexts[organizer] = tuple(str(d["url"]) for d in page.items
                                                  if d.get("url"))
        out.append(Named(ORGANIZER, organizer, organizer, organizer, context))
    for source in sources:
        declared = getattr(source, "organizer", None) or ""
        label = f"{declared} ({source.url})" if declared else source.url
        out.append(Named(SOURCE, source.id, label, declared, (source.url,)))
    return out


async def refresh_all(stores: Stores, store: Any, sources: Sequence[Any] = (), *,
                      actor: str) -> Refreshed:
    """Link everything the search store and the sources name."""
    named = await named_in(store, sources)
    counts = await refresh(stores.records, named, actor=actor)
    log.info("links refreshed", extra={"seen": counts.seen, "written": counts.written,
                                       "linked": counts.linked, "review": counts.review})
    return counts
