"""The directory of associations as the site shows it: one in-memory view, kept current.

:class:`Directory` reads the association records and the link records from the store of
record, the sources of the registry, and what the search store has upcoming, and builds for
each listed association (active or dissolved) an :class:`Entry`: its themes (declared and
from its RNA codes), its head office placed by the indexer's geocoder (commune, quartier,
point), its quartiers, the organizer names and sources its events come by, whether it has
upcoming events, and its tools (declared and detected, :mod:`services.associations.tools`).

:meth:`Directory.search` filters by words (stems of the names, acronym, purpose, organizer
names), themes, quartiers, communes, tools and "has upcoming events", with the counts of
each filter's values among the matches (facets). :meth:`Directory.follow` reloads it on each
change of an association or a link, and every :data:`REFRESH_S` seconds for what the
search store and the registry say.

This is the site's own read model until the search stores carry associations (the
``/v1/associations`` search of the projection): the pages read it through :func:`search`
only, so that they can move to the projection without change.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyroaring import BitMap

from services.associations import links, tools
from services.associations.model import ASSOCIATION, LISTED, Address
from shared.model import Location, exact_point
from shared.records import Records, follow
from shared.taxonomy import THEME_BY_CODE, rna_themes
from shared.text import fold, stems

log = logging.getLogger(__name__)

#: The directory's filters (query parameters and facets).
FILTERS = ("theme", "quartier", "commune", "tool", "upcoming")
EMPTY = BitMap()

#: Seconds between two reloads when nothing was written (the search store's upcoming events
#: and the registry's sources change without a record write).
REFRESH_S = 60.0
PAGE = 20


@dataclass(slots=True)
class Entry:
    id: str
    name: str
    acronym: str = ""
    state: str = "active"
    purpose: str = ""
    record: dict[str, Any] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)
    quartiers: list[str] = field(default_factory=list)
    commune: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    organizers: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    upcoming: bool = False
    tools: list[dict[str, Any]] = field(default_factory=list)
    words: frozenset[str] = frozenset()

    @property
    def tool_codes(self) -> set[str]:
        return {t["code"] for t in self.tools}


@dataclass(frozen=True, slots=True)
class _Index:
    ordered: list[Entry]
    entries: dict[str, Entry]
    postings: dict[str, dict[str, BitMap]]
    words: dict[str, BitMap]
    acronyms: dict[str, BitMap]
    every: BitMap


@dataclass(slots=True)
class Found:
    total: int
    items: list[Entry]
    facets: dict[str, Counter[str]]


def theme_codes(record: Mapping[str, Any]) -> list[str]:
    """The taxonomy themes of an association: declared, then from its RNA codes."""
    out: list[str] = []
    for code in record.get("themes") or ():
        if code in THEME_BY_CODE and code not in out:
            out.append(code)
    for code in record.get("rna_themes") or ():
        out += [t for t in rna_themes(str(code)) if t not in out]
    return out


def _geocoder() -> Any:
    """The indexer's geocoder with the reference data, or None without it."""
    import os

    from services.indexer.enrich.geocode import Geocoder
    from shared.errors import ConfigError
    from shared.reference import load_reference, reference_dir

    try:
        return Geocoder(load_reference(reference_dir(os.environ)))
    except ConfigError as exc:
        log.warning("directory without reference data: associations are not placed (%s)",
                    exc.message)
        return None


class Directory:
    def __init__(self, geocoder: Any = None) -> None:
        self.index([])
        self.geocoder = geocoder
        self._geocoder_loaded = geocoder is not None
        self.loaded = False  # set by the first reload

    # -- building -------------------------------------------------------------------------------

    def build(self, associations: Iterable[Mapping[str, Any]],
              link_records: Iterable[Mapping[str, Any]] = (), sources: Sequence[Any] = (),
              upcoming_organizers: Iterable[str] = (), upcoming_sources: Iterable[str] = ()
              ) -> None:
        names: dict[str, list[str]] = {}
        linked_sources: dict[str, set[str]] = {}
        for record in link_records:
            for e in links.effective(record):
                if record.get("kind") == links.SOURCE:
                    linked_sources.setdefault(e["association"], set()).add(record["value"])
                else:
                    names.setdefault(e["association"], []).append(record["value"])
        by_id = {getattr(s, "id", ""): s for s in sources}
        owners = {getattr(s, "id", ""): getattr(s, "owner", None) for s in sources}
        busy_names = {fold(o) for o in upcoming_organizers}
        busy_sources = set(upcoming_sources)
        entries: dict[str, Entry] = {}
        for r in associations:
            if r.get("state") not in LISTED:
                continue
            aid = str(r["id"])
            organizers = list(dict.fromkeys([*(r.get("organizers") or ()),
                                             *names.get(aid, [])]))
            source_ids = linked_sources.get(aid, set()) | {
                sid for sid, owner in owners.items() if owner == aid}
            its_sources = [{"id": sid, "url": getattr(by_id[sid], "url", ""),
                            "format": getattr(by_id[sid], "format", None),
                            "tool": tools.source_tool(getattr(by_id[sid], "url", ""),
                                                      getattr(by_id[sid], "format", None))}
                           for sid in sorted(source_ids) if sid in by_id]
            seen = tools.detected([by_id[s["id"]] for s in its_sources],
                                  str(r.get("website") or ""), r.get("links") or {})
            entry = Entry(
                id=aid, name=str(r.get("name") or aid), acronym=str(r.get("acronym") or ""),
                state=str(r.get("state")), purpose=str(r.get("purpose") or ""), record=dict(r),
                themes=theme_codes(r), organizers=organizers, sources=its_sources,
                upcoming=any(fold(o) in busy_names for o in organizers)
                or any(s in busy_sources for s in source_ids),
                tools=tools.tools_of(r.get("tools") or (), seen))
            self._place(entry, Address.from_record(r.get("address")),
                        [str(q) for q in r.get("quartiers") or ()])
            entry.words = frozenset(stems(" ".join([
                entry.name, entry.acronym, *(r.get("aliases") or ()), entry.purpose,
                *organizers])))
            entries[aid] = entry
        self.index(sorted(entries.values(), key=lambda e: fold(e.name)))

    def _place(self, entry: Entry, address: Address, quartiers: list[str]) -> None:
        entry.address = address.label()
        entry.commune = address.city
        found: Location | None = None
        if address and self.geocoder is not None:
            found = self.geocoder.geocode(Location(
                name=address.complement or None, address=address.street or None,
                postcode=address.postcode or None, city=address.city or None))
        if found is not None:
            entry.commune = found.commune or entry.commune
            point = exact_point(found)
            if point is not None:
                entry.lat, entry.lon = point
            if found.quartier and found.quartier not in quartiers:
                quartiers = [found.quartier, *quartiers]
        entry.quartiers = quartiers

    async def reload(self, records: Records, store: Any = None, bus: Any = None) -> None:
        if not self._geocoder_loaded:
            self.geocoder = await asyncio.to_thread(_geocoder)
            self._geocoder_loaded = True
        associations, link_records = await asyncio.gather(
            records.latest(records.subject(ASSOCIATION) + ".*"),
            records.latest(records.subject(links.LINK) + ".*"))
        sources: list[Any] = []
        if bus is not None:
            sources = await links.registry_sources(bus)
        busy: list[str] = []
        busy_sources: list[str] = []
        if store is not None:
            busy = await links.organizers(store)
            busy_sources = [str(t["value"])
                            for t in await store.terms("sources", limit=links.MAX_TERMS)]
        await asyncio.to_thread(self.build, [e.record for e in associations],
                                [e.record for e in link_records], sources, busy, busy_sources)

    async def follow(self, bus: Any, store: Any, every_s: float = REFRESH_S,
                     settle_s: float = 2.0) -> None:
        records = Records(bus.js)
        await follow(bus.nc, [records.subject(k) + ".>" for k in (ASSOCIATION, links.LINK)],
                     lambda: self.reload(records, store, bus), settle_s=settle_s,
                     every_s=every_s,
                     on_error=lambda exc: log.warning("directory not reloaded: %s", exc))

    # -- reading --------------------------------------------------------------------------------

    def get(self, aid: str) -> Entry | None:
        return self.entries.get(aid)

    def index(self, entries: list[Entry]) -> None:
        """Make ``entries`` (in display order) the directory, with a bitmap per word and per
        filter value (an entry's number is its place in the order)."""
        postings: dict[str, dict[str, BitMap]] = {name: {} for name in FILTERS}
        words: dict[str, BitMap] = {}
        acronyms: dict[str, BitMap] = {}
        for n, e in enumerate(entries):
            for name, values in (("theme", e.themes), ("quartier", e.quartiers),
                                 ("commune", [e.commune] if e.commune else []),
                                 ("tool", e.tool_codes),
                                 ("upcoming", ["oui"] if e.upcoming else [])):
                for value in values:
                    postings[name].setdefault(value, BitMap()).add(n)
            for word in e.words:
                words.setdefault(word, BitMap()).add(n)
            if e.acronym:
                acronyms.setdefault(e.acronym.upper(), BitMap()).add(n)
        # one assignment: a search running meanwhile sees the old index or the new one whole
        self._index = _Index(entries, {e.id: e for e in entries}, postings, words, acronyms,
                             BitMap(range(len(entries))))
        self.loaded = True

    @property
    def entries(self) -> dict[str, Entry]:
        return self._index.entries

    def search(self, q: str = "", *, themes: Sequence[str] = (), quartiers: Sequence[str] = (),
               communes: Sequence[str] = (), tool_codes: Sequence[str] = (),
               upcoming: bool = False, offset: int = 0, limit: int = PAGE) -> Found:
        """Entries matching every filter (any value within one filter), by name; facets count
        each filter's values among the entries matching the other filters."""
        ix = self._index
        base = ix.every
        if q.strip():
            wanted = [ix.words.get(w, EMPTY) for w in set(stems(q))]
            base = BitMap.intersection(*wanted) if len(wanted) > 1 else (
                wanted[0] if wanted else ix.every)
            base = base | ix.acronyms.get(q.strip().upper(), EMPTY)
        chosen = {"theme": themes, "quartier": quartiers, "commune": communes,
                  "tool": tool_codes, "upcoming": ["oui"] if upcoming else []}
        within: dict[str, BitMap] = {}
        for name, values in chosen.items():
            if values:
                found = [ix.postings[name].get(v, EMPTY) for v in values]
                within[name] = BitMap.union(*found) if len(found) > 1 else found[0]
        facets: dict[str, Counter[str]] = {}
        for name in FILTERS:
            others = BitMap.intersection(base, *(b for f, b in within.items() if f != name)) \
                if len(within) - (name in within) else base
            facets[name] = Counter({v: others.intersection_cardinality(b)
                                    for v, b in ix.postings[name].items()})
        matched = BitMap.intersection(base, *within.values()) if within else base
        page = [ix.ordered[n] for n in matched[offset:offset + limit]] if len(matched) > \
            offset else []
        return Found(len(matched), page, facets)

    def inventory(self) -> dict[str, Any]:
        """For the tools page: per tool, how many listed associations use it (declared or
        detected), by theme and quartier, and how many of those Maillage harvests."""
        per_tool: dict[str, dict[str, Any]] = {}
        active = [e for e in self.entries.values() if e.state == "active"]
        for e in active:
            harvested = {s["tool"] for s in e.sources if s["tool"]}
            for t in e.tools:
                row = per_tool.setdefault(t["code"], {
                    "count": 0, "declared": 0, "detected": 0, "harvested": 0,
                    "themes": Counter(), "quartiers": Counter()})
                row["count"] += 1
                row[t["how"]] += 1
                row["harvested"] += t["code"] in harvested
                row["themes"].update(e.themes)
                row["quartiers"].update(e.quartiers)
        return {"associations": len(active),
                "with_tools": sum(1 for e in active if e.tools), "tools": per_tool}
