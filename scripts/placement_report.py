"""How many demo and corpus events the offline geocoder places, and where.

    python scripts/placement_report.py [CORPUS_DIR]

Prints, for the demo sources and for every corpus file that parses, the share of events
with coordinates, in a Rennes Métropole commune and in a Rennes quartier, by precision.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from demo.generate import generate
from services.harvester.formats import parse_document
from services.harvester.formats.base import ParseContext
from services.indexer.enrich import Enricher, load_reference, reference_dir
from shared.errors import MaillageError
from shared.model import Event


def events_of(paths: list[Path], now: datetime) -> list[Event]:
    found: list[Event] = []
    for path in paths:
        ctx = ParseContext(source_id=path.stem, now=now, url=f"https://example.org/{path.name}",
                           window_past=timedelta(days=9000), window_future=timedelta(days=3650))
        try:
            found += parse_document(path.read_bytes(), ctx).events
        except MaillageError:
            continue
    return found


def report(name: str, events: list[Event], enricher: Enricher) -> None:
    enriched = [enricher.enrich(e) for e in events]
    with_place = [e for e in enriched if e.location is not None]
    located = [e for e in with_place if e.location.lat is not None]  # type: ignore[union-attr]
    communes = [e for e in located if e.location.commune]  # type: ignore[union-attr]
    quartiers = [e for e in located if e.location.quartier]  # type: ignore[union-attr]
    precision = Counter(e.location.precision for e in located)  # type: ignore[union-attr]
    n = len(enriched) or 1
    print(f"{name}: {len(enriched)} events, {len(with_place)} with a place; "
          f"coordinates {len(located) / n:.0%}, in a Rennes Métropole commune "
          f"{len(communes) / n:.0%}, in a Rennes quartier {len(quartiers) / n:.0%}; "
          f"precision {dict(precision)}")


def main() -> None:
    enricher = Enricher(load_reference(reference_dir({})))
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), date.today(), "http://127.0.0.1:8090")
        demo = sorted((Path(tmp) / "site").rglob("*.*"))
        report("demo", events_of(demo, datetime.now(UTC)), enricher)
    if len(sys.argv) > 1:
        corpus = sorted(p for p in Path(sys.argv[1]).rglob("*") if p.is_file() and p.suffix
                        in {".ics", ".rss", ".xml", ".atom", ".html", ".json"})
        events = events_of(corpus, datetime(2026, 1, 15, tzinfo=UTC))
        report("corpus", events, enricher)
        french_prefixes = ("fr__", "openagenda", "opendatasoft")
        french = [e for e in events if e.source_id.startswith(french_prefixes)]
        report("corpus, French sources", french, enricher)


if __name__ == "__main__":
    main()
