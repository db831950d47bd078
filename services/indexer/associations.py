"""Which associations an event comes from, for the enrichment (the themes' prior).

:class:`AssociationContext` holds, read from the store of record (``RECORDS``), the
association records and the link records (:mod:`services.associations.links`). For an event
it gives the associations its organizer and its source are linked to:

* a link record for the organizer string (or the source) says it: operators' decisions and
  the links made without review (:func:`~services.associations.links.effective`);
* an organizer no link record knows yet (the site links new organizers within a minute) is
  linked on the spot by the same :class:`~services.associations.linking.Linker`, confident
  links only; so is a source's declared organizer (``extra["source_organizer"]``) when no
  link record knows the source yet.

:meth:`AssociationContext.annotate` writes them into ``extra["associations"]`` (ids) and
``extra["association_themes"]`` (their declared themes: taxonomy codes or RNA codes, read by
:func:`services.indexer.enrich.themes.assign_themes` as a prior, reason ``association:``).

It also holds what the directory's projection needs beyond an association's own record
(:func:`services.associations.project.related`: the organizer names linked to it, its
sources), and says after each reload which associations that changed for
(:attr:`AssociationContext.listeners`), so that the indexer projects them again.

It says too what changed for the events (:attr:`AssociationContext.affected`, told to
:attr:`AssociationContext.event_listeners`): the indexer publishes those events again
(:mod:`services.indexer.relink`) so that they get their associations' themes now.

:meth:`AssociationContext.follow` keeps it current: a change of an association, a link or a
source an association added (a core subscription to their subjects) reloads them, at most
every :data:`RELOAD_EVERY_S` seconds, and the registry's sources every
:data:`SOURCES_EVERY_S` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from nats.js.errors import NotFoundError

from services.associations.linking import LINKED, Linker
from services.associations.links import (
    LINK,
    ORGANIZER,
    SOURCE,
    effective,
    link_id,
)
from services.associations.model import ASSOCIATION
from services.associations.project import Related, related
from services.indexer.relink import Affected
from shared.bus import Bus
from shared.model import Event
from shared.records import Records, follow

log = logging.getLogger(__name__)

RELOAD_EVERY_S = 5.0
#: Seconds between two reads of the registry's sources (no record says it changed).
SOURCES_EVERY_S = 60.0
#: Records of the sources an association added itself (services/sources_self).
SOURCE_RECORD = "source"
#: Told, after a reload, the associations whose related part changed.
Listener = Callable[[set[str]], Awaitable[None]]
#: Told, after a reload, the organizers and sources whose events' associations changed.
EventListener = Callable[[Affected], Awaitable[None]]
#: Organizer strings whose links are remembered between reloads.
CACHE = 20_000


def declared_themes(record: Mapping[str, Any]) -> list[str]:
    """An association's themes as declared: taxonomy codes and RNA codes."""
    out: list[str] = []
    for key in ("themes", "rna_themes"):
        value = record.get(key)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        out += [str(v).strip() for v in items if str(v).strip() and str(v).strip() not in out]
    return out


class AssociationContext:
    def __init__(self, associations: Iterable[Mapping[str, Any]] = (),
                 link_records: Iterable[Mapping[str, Any]] = (),
                 sources: Sequence[Any] = ()) -> None:
        self.related: dict[str, Related] = {}
        self.themes: dict[str, list[str]] = {}
        self.links: dict[str, list[str]] = {}
        self._named: dict[str, tuple[str, str]] = {}  # link id -> (kind, value)
        self._names: dict[str, set[str]] = {}  # association id -> its names
        self.listeners: list[Listener] = []
        self.event_listeners: list[EventListener] = []
        #: what the last load changed for events (nothing before the first reload from the
        #: store of record: that one is what the events were indexed with, or a start)
        self.affected = Affected()
        self._followed = False
        self._records: dict[str, list[Mapping[str, Any]]] = {}
        #: one more on each load: the enrichment workers load the records again when it moved
        self.version = 0
        self.load(associations, link_records, sources)

    def load(self, associations: Iterable[Mapping[str, Any]],
             link_records: Iterable[Mapping[str, Any]], sources: Sequence[Any] = ()
             ) -> set[str]:
        """Hold these records; the associations whose related part changed."""
        associations, link_records = list(associations), list(link_records)
        around = related(link_records, sources)
        if (around == self.related and self._records.get("associations") == associations
                and self._records.get("links") == link_records):
            self.affected = Affected()  # a periodic reload that found nothing new: the
            return set()  # linker and the workers' copies stay as they are
        changed = {aid for aid in around.keys() | self.related.keys()
                   if around.get(aid) != self.related.get(aid)}
        found = [a for a in associations if a.get("state", "active") == "active"]
        themes = {str(a["id"]): declared_themes(a) for a in found}
        links = {str(r["id"]): [e["association"] for e in effective(r)] for r in link_records}
        named = {str(r["id"]): (str(r.get("kind") or ""), str(r.get("value") or ""))
                 for r in link_records}
        names = {str(a["id"]): {str(n) for n in (a.get("name"), a.get("acronym"),
                                                 *(a.get("aliases") or ()),
                                                 *(a.get("organizers") or ())) if n}
                 for a in found}
        affected = self._affected(themes, links, named, names, around) if self._followed \
            else Affected()
        linker = Linker(found)

        @lru_cache(maxsize=CACHE)
        def link(organizer: str, url: str) -> tuple[str, ...]:
            return tuple(lk.association for lk in linker.link(organizer, context=(url,) if url
                                                              else ())
                         if lk.status == LINKED)

        # loaded in a thread while events are enriched: all together, built first
        self.themes, self.links, self._link, self.related = themes, links, link, around
        self._named, self._names, self.affected = named, names, affected
        self._records = {"associations": associations, "links": link_records}
        self.version += 1
        return changed

    def _affected(self, themes: dict[str, list[str]], links: dict[str, list[str]],
                  named: dict[str, tuple[str, str]], names: dict[str, set[str]],
                  around: dict[str, Related]) -> Affected:
        """What changes for events from the records held to these: the organizers and
        sources whose link names other associations, and everything an association whose
        themes changed (or that came or went) publishes under."""
        out = Affected()
        for lid in links.keys() | self.links.keys():
            if links.get(lid, []) != self.links.get(lid, []):
                kind, value = named.get(lid) or self._named.get(lid) or ("", "")
                if value:
                    (out.sources if kind == SOURCE else out.organizers).add(value)
        moved = {aid for aid in themes.keys() | self.themes.keys()
                 if themes.get(aid) != self.themes.get(aid)}
        for aid in moved:
            out.organizers |= names.get(aid) or self._names.get(aid) or set()
            for lid, aids in (*links.items(), *self.links.items()):
                if aid in aids:
                    kind, value = named.get(lid) or self._named.get(lid) or ("", "")
                    if value:
                        (out.sources if kind == SOURCE else out.organizers).add(value)
            for source in (around.get(aid) or self.related.get(aid) or Related()).sources:
                out.sources.add(str(source["id"]))
        return out

    def snapshot(self) -> dict[str, list[Mapping[str, Any]]]:
        """The records it was loaded from (``AssociationContext(**snapshot)`` is the same
        context): what the enrichment workers load (:mod:`services.indexer.enrich_pool`)."""
        return {"associations": self._records["associations"],
                "link_records": self._records["links"]}

    def associations_of(self, event: Event) -> list[str]:
        ids: list[str] = []
        if event.organizer and event.organizer.strip():
            known = self.links.get(link_id(ORGANIZER, event.organizer))
            ids += known if known is not None else self._link(event.organizer, event.url or "")
        source = self.links.get(link_id(SOURCE, event.source_id))
        declared = str(event.extra.get("source_organizer") or "").strip()
        if source is None and declared:  # the source's declared organizer speaks for it
            source = list(self._link(declared, ""))
        ids += source or []
        return [a for i, a in enumerate(ids) if a in self.themes and a not in ids[:i]]

    def annotate(self, event: Event) -> Event:
        ids = self.associations_of(event)
        themes: list[str] = []
        for aid in ids:
            themes += [t for t in self.themes[aid] if t not in themes]
        extra = {k: v for k, v in event.extra.items()
                 if k not in ("associations", "association_themes")}
        if ids:
            extra["associations"] = ids
        if themes:
            extra["association_themes"] = themes
        return event if extra == event.extra else event.with_(extra=extra)

    # -- from the store of record ---------------------------------------------------------------

    async def reload(self, records: Records, bus: Bus | None = None) -> None:
        """Read the associations, the links and (with ``bus``) the registry's sources again,
        then tell the listeners what changed."""
        from services.associations.links import registry_sources

        try:
            associations, link_records = await asyncio.gather(
                records.latest(records.subject(ASSOCIATION) + ".*"),
                records.latest(records.subject(LINK) + ".*"))
        except NotFoundError:  # a stack older than the store of record: no associations yet
            log.info("no RECORDS stream: events are themed without their associations")
            return
        sources = await registry_sources(bus) if bus is not None else []
        changed = await asyncio.to_thread(self.load, [e.record for e in associations],
                                          [e.record for e in link_records], sources)
        self._followed = True
        if changed:
            for listener in self.listeners:
                await listener(changed)
        if self.affected:
            for on_events in self.event_listeners:
                await on_events(self.affected)

    async def follow(self, bus: Bus, every_s: float = RELOAD_EVERY_S,
                     sources_every_s: float = SOURCES_EVERY_S) -> None:
        """Reload on each change of an association, a link or an association's own source,
        and every ``sources_every_s`` seconds (runs until cancelled)."""
        records = Records(bus.js)
        await follow(bus.nc, [records.subject(k) + ".>"
                              for k in (ASSOCIATION, LINK, SOURCE_RECORD)],
                     lambda: self.reload(records, bus), settle_s=every_s,
                     every_s=sources_every_s,
                     on_error=lambda exc: log.warning("associations not reloaded: %s", exc))
