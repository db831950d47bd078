"""What Maillage would harvest from an address, before the association confirms it.

The same path as a harvest: the SSRF-guarded :class:`~services.harvester.fetcher.Fetcher`
(robots.txt respected, size and time capped, never a file) and the bounded parser processes
of :class:`~services.harvester.parse_pool.ParsePool`, through the harvester's own
:meth:`~services.harvester.worker.Harvester.read` (paged APIs followed on the source's own
site). Nothing is published. The result says, in French, how many events, the next five and
what is worth knowing (items without event dates, times without a time zone, refusals).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.harvester.fetcher import Fetcher
from services.harvester.formats.base import ParseResult
from services.harvester.parse_pool import ParsePool, parse_limits
from services.harvester.safety import Resolver
from services.harvester.service import fetch_config
from services.harvester.sources import Source
from services.harvester.worker import Harvester
from services.monitor.errors_fr import error_fr, skip_reason_fr
from shared.bus import Bus
from shared.errors import MaillageError
from shared.settings import Settings

#: Previews run at once by one replica of the site (each may take a parser process).
AT_ONCE = 2
NEXT = 5
ROBOTS_FR = "robots.txt interdit cette page\u00a0: le site demande aux robots de ne pas la " \
            "lire, et Maillage respecte ce choix. Retirez cette page de robots.txt, ou donnez " \
            "l’adresse d’un flux ICS ou RSS."
#: A DTSTART with a time but neither TZID nor a final Z (floating, RFC 5545 § 3.3.5).
FLOATING_ICS = re.compile(rb"^DTSTART(?![^:\r\n]*TZID)[^:\r\n]*:\d{8}T\d{6}\r?$", re.M)
ICS_ZONE = re.compile(rb"^X-WR-TIMEZONE[;:]", re.M)
#: A JSON-LD/JSON start time without an offset ("2026-12-05T18:00" or with seconds).
FLOATING_JSON = re.compile(
    rb'"(?:startDate|start_date|begins_on|begin|start)"\s*:\s*"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?"')


@dataclass(frozen=True, slots=True, order=True)
class Upcoming:
    start: datetime
    title: str
    place: str = ""


@dataclass
class Preview:
    url: str
    format: str = ""
    found: int = 0
    upcoming: int = 0
    next: list[Upcoming] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    error_kind: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class Previewer:
    """One per site replica: its fetcher and parser processes start on the first preview."""

    def __init__(self, settings: Settings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.resolver = resolver  # tests give a fake one (no traffic but to loopback)
        self.slots = asyncio.Semaphore(AT_ONCE)
        self._harvester: Harvester | None = None

    def _reader(self, bus: Bus) -> Harvester:
        if self._harvester is None:
            # never a file; robots.txt read afresh: a person who just changed it sees it
            config = replace(fetch_config(self.settings), allow_files=False, robots_ttl=0)
            limits = replace(parse_limits(self.settings), workers=1)
            self._harvester = Harvester(self.settings, bus, Fetcher(config, self.resolver),
                                        parser=ParsePool(limits))
        return self._harvester

    async def close(self) -> None:
        if self._harvester is not None:
            await self._harvester.fetcher.close()
            await self._harvester.parser.close()
            self._harvester = None

    async def preview(self, bus: Bus, source: Source) -> Preview:
        async with self.slots:
            reader = self._reader(bus)
            out = Preview(source.url)
            try:
                first = await reader.fetcher.fetch(source.url, html_page=source.format == "html")
                if is_page(first.content_type) and source.format != "html":
                    # a web page: harvested as one, so robots.txt has its say (a feed is
                    # for machines and is read whatever robots.txt says)
                    source = replace(source, format="html")
                    first = await reader.fetcher.fetch(source.url, html_page=True)
                parsed = await reader.read(source, first)
            except MaillageError as exc:
                out.error_kind = exc.kind
                out.error = ROBOTS_FR if exc.kind == "robots" else error_fr(exc.kind)
                return out
        if not isinstance(parsed, ParseResult):  # a funder's calls: not for associations
            out.error = "Ce document contient des appels à projets, pas un agenda."
            return out
        return summarise(out, parsed, first.body, reader.clock())


def is_page(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() in ("text/html",
                                                                  "application/xhtml+xml")


def summarise(out: Preview, parsed: ParseResult, body: bytes, now: datetime) -> Preview:
    out.format = parsed.format
    out.found = len(parsed.events)
    coming = sorted(
        (Upcoming(o.start, e.title, (e.location.name or e.location.address or "")
                  if e.location else ""), e.id)
        for e in parsed.events for o in e.occurrences if (o.end or o.start) >= now)
    seen: set[str] = set()
    for item, event_id in coming:
        out.upcoming += event_id not in seen
        if event_id not in seen and len(out.next) < NEXT:
            out.next.append(item)
        seen.add(event_id)
    out.warnings = warnings(parsed, body)
    return out


def warnings(parsed: ParseResult, body: bytes) -> list[str]:
    found: list[str] = []
    if parsed.linked:
        n = len(parsed.linked)
        found.append(f"{n}\u00a0élément{'s' if n > 1 else ''} sans date d’événement\u00a0: "
                     "Maillage lira leur page à chaque récolte pour y trouver la date.")
    reasons = Counter(skip_reason_fr(s.reason) for s in parsed.skipped)
    for reason, n in reasons.most_common():
        items = f"{n}\u00a0élément{'s' if n > 1 else ''}"
        if "sans date" in reason.lower():
            found.append(f"{items} sans date d’événement\u00a0: "
                         + ("ils ne seront pas publiés." if n > 1 else "il ne sera pas publié."))
        else:
            found.append(f"{items} laissé{'s' if n > 1 else ''} de côté\u00a0: {reason}")
    floating = (parsed.format == "ics" and not ICS_ZONE.search(body)
                and bool(FLOATING_ICS.search(body))) or bool(FLOATING_JSON.search(body))
    if floating:
        found.append("Heures sans fuseau horaire, lues comme Europe/Paris (heure de Rennes)"
                      "\u00a0: vérifiez les heures ci-dessous.")
    if not parsed.events and not parsed.linked:
        found.append("Aucun événement trouvé dans ce document.")
    return found


def as_context(preview: Preview) -> dict[str, Any]:
    from services.query.web.calls import french_date

    return {"preview": preview,
            "next": [{"when": french_date(u.start.isoformat()), "title": u.title,
                      "place": u.place} for u in preview.next]}

