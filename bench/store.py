"""Search-store benchmark: ``python -m bench.store [--docs 100000] [--path FILE]``.

Generates synthetic occurrences with skewed (Zipf-like) distributions of themes, quartiers,
keywords, organizers and sources, evening/weekend-heavy dates over ~15 months, recurring events
and a share of cross-source duplicates; indexes them in 256-message batches (as the indexer
does), then reports p50/p99 latencies of several searches in three states:

* ``first``: every query cache of the store cleared (a query never seen by this process; the
  in-memory bitmap index itself is built once when the store is opened, and timed apart);
* ``write``: right after a one-event write (a new version of an event: its documents are
  deleted and rewritten), the cost every search pays after each write of the indexer;
* ``warm``: the same query repeated between two writes (a busy front page).

Targets (2-core machine): p50 ≤ 5 ms, p99 ≤ 25 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import itertools
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.memory import fix_mmap_threshold, freeze_heap
from shared.model import PARIS, Event, EventMessage, Location, Occurrence, ThemeTag
from shared.store.base import Outcome, SearchQuery, Sort
from shared.store.sqlite import WAL_CHECKPOINT_PAGES, SqliteStore

THEMES = ["musique", "theatre", "cinema", "sport", "ecologie", "solidarite", "numerique",
          "jeunesse", "sante", "arts", "danse", "lecture", "patrimoine", "science", "cuisine",
          "jardinage", "citoyennete", "bien-etre", "jeux", "langues"]
QUARTIERS = ["Centre", "Thabor - Saint-Hélier", "Bourg-l'Évêque", "Saint-Martin", "Maurepas",
             "Jeanne d'Arc", "Francisco Ferrer", "Sud-Gare", "Cleunay", "Villejean",
             "Bréquigny", "Le Blosne"]
COMMUNES = ["Rennes"] * 6 + ["Cesson-Sévigné", "Saint-Jacques-de-la-Lande", "Bruz", "Pacé",
                            "Chantepie", "Betton"]
WORDS = ("atelier concert repair café vélo couture chorale conférence exposition balade "
         "jardin partagé compost lecture conte marché bal folk yoga danse théâtre cinéma débat "
         "projection numérique jeux société tricot cuisine solidaire brocante vide-grenier "
         "randonnée nature oiseaux photo peinture sculpture poésie slam jazz rock électro "
         "enfants famille seniors initiation découverte stage soirée apéro rencontre "
         "permanence informatique réparation couture zéro déchet climat biodiversité").split()
AUDIENCES = ["enfants", "familles", "ados", "adultes", "seniors"]
ACCESS = ["hi", "vi", "pi", "mi", "ii", "lsf"]


@functools.lru_cache(maxsize=64)
def _cum_weights(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1 / (i + 1) ** s for i in range(n)))


def zipf(rng: random.Random, items: list[str], s: float = 1.1) -> str:
    return rng.choices(items, cum_weights=_cum_weights(len(items), s))[0]


def make_events(n_docs: int, seed: int = 7) -> list[Event]:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    organizers = [f"Association {i}" for i in range(800)]
    sources = [f"source-{i}" for i in range(200)]
    vocab = WORDS + [f"mot{i}" for i in range(300)]
    events: list[Event] = []
    docs = 0
    while docs < n_docs:
        day = int(rng.triangular(-60, 400, 30))
        hour = rng.choices([10, 14, 16, 18, 19, 20, 21], [2, 3, 2, 3, 3, 4, 2])[0]
        start = (now + timedelta(days=day)).astimezone(PARIS).replace(hour=hour)
        if rng.random() < 0.15:
            count = rng.randint(2, 12)
            starts = [start + timedelta(weeks=w) for w in range(count)]
        else:
            starts = [start]
        hours = 24 * rng.randint(2, 20) if rng.random() < 0.03 else rng.choice([1, 2, 3])
        title_words = [zipf(rng, vocab, 0.9) for _ in range(rng.randint(2, 5))]
        quartier = zipf(rng, QUARTIERS)
        lat = 48.11 + rng.gauss(0, 0.02)
        lon = -1.68 + rng.gauss(0, 0.03)
        source = zipf(rng, sources, 0.8)
        ev = Event.create(
            source_id=source, source_uid=f"u{len(events)}",
            title=" ".join(title_words).capitalize(),
            occurrences=tuple(Occurrence(s, s + timedelta(hours=hours)) for s in starts),
            description_text=" ".join(zipf(rng, vocab, 0.7) for _ in range(rng.randint(10, 60))),
            location=Location(name=f"Salle {rng.randint(1, 400)}", lat=lat, lon=lon,
                              quartier=quartier, commune=zipf(rng, COMMUNES), precision="venue"),
            organizer=zipf(rng, organizers, 0.9),
            keywords=tuple({zipf(rng, vocab) for _ in range(rng.randint(2, 6))}),
            themes=tuple(ThemeTag(t, "bench") for t in {zipf(rng, THEMES)
                                                         for _ in range(rng.randint(1, 2))}),
            accessibility=tuple(rng.sample(ACCESS, 2)) if rng.random() < 0.2 else (),
            audience=(zipf(rng, AUDIENCES),) if rng.random() < 0.4 else (),
            is_free=rng.choice([True, False, None]),
            source_format=rng.choice(["ics", "rss", "html", "openagenda"]),
        )
        events.append(ev)
        docs += len(starts)
        if rng.random() < 0.05:  # the same event announced by another source
            twin = ev.with_(id=ev.id + "t", source_id=zipf(rng, sources), source_uid="t",
                            title=ev.title + " !", source_format="rss")
            events.append(twin)
            docs += len(starts)
    return events


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


class Writer:
    """One-event writes between measured searches (a new version of an event each time)."""

    def __init__(self, store: SqliteStore, events: list[Event]) -> None:
        self.store = store
        self.events = events
        # above every stored version: on a reused index (--path), the versions of an earlier
        # run would make every write stale, a no-op that only bumps the generation
        self.version = store._conn().execute(
            "SELECT COALESCE(MAX(version), 1) FROM events").fetchone()[0]
        self.rng = random.Random(1)
        self.written = self.applied = 0

    def write(self) -> None:
        self.version += 1
        self.written += 1
        event = self.rng.choice(self.events)
        outcome, = self.store.apply_sync([EventMessage.upsert(event, self.version)])
        self.applied += outcome == Outcome.APPLIED


def with_facets(make_query: Callable[[int], SearchQuery],
                facets: bool) -> Callable[[int], SearchQuery]:
    return lambda i: replace(make_query(i), facets=facets)


def measure(store: SqliteStore, make_query: Callable[[int], SearchQuery], runs: int,
            state: str, writer: Writer) -> tuple[float, float, int]:
    samples = []
    total = 0
    for i in range(runs):
        query = make_query(i)
        if state == "first":
            store._cache.clear()
            store.bitmaps.clear_caches()
        elif state == "write":
            writer.write()
        t0 = time.perf_counter()
        page = store.search_sync(query)
        samples.append((time.perf_counter() - t0) * 1000)
        total = page.total
    p50, p99 = percentiles(samples)
    return p50, p99, total


def index(store: SqliteStore, events: list[Event], batch: int, profile: Path | None) -> None:
    """Write the events in batches with ``apply_sync``; print the wall rate, the CPU time
    per event (``time.process_time``: the machine is shared, wall time follows its load)
    and the bytes the batches wrote to the WAL. Checkpoints are off while indexing, so the
    WAL only grows and its size is every frame the commits wrote (the count is
    deterministic); it is checkpointed and truncated afterwards."""
    conn = store._conn()
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not wall
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(0, len(events), batch):
        store.apply_sync([EventMessage.upsert(e, 1) for e in events[i:i + batch]])
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    docs = store.count_sync()
    wal = os.path.getsize(store.path + "-wal") if store.path != ":memory:" else 0
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    load = os.getloadavg()[0]
    print(f"indexed {len(events)} events -> {docs} documents in {took:.1f} s "
          f"({len(events) / took:.0f} events/s, {docs / took:.0f} docs/s; load {load:.1f})\n"
          f"CPU {cpu:.1f} s ({cpu / len(events) * 1e6:.0f} µs per event); WAL written "
          f"{wal / 1e6:.0f} MB ({wal / max(docs, 1) / 1e3:.1f} KB per document, batches of "
          f"{batch})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--batch", type=int, default=256, help="messages per apply")
    parser.add_argument("--first-runs", type=int, default=50,
                        help="runs with every cache cleared (a median of 10 moved by a "
                             "millisecond between runs on a noisy machine)")
    parser.add_argument("--path", type=Path, default=None, help="reuse or keep this index file")
    parser.add_argument("--index-only", action="store_true", help="index, then stop")
    parser.add_argument("--profile", type=Path, default=None,
                        help="write a cProfile of the indexing to this file")
    args = parser.parse_args()
    path = args.path or Path(tempfile.mkdtemp()) / "bench.sqlite"
    store = SqliteStore(path)
    events = make_events(args.docs)
    if store.count_sync() == 0:
        index(store, events, args.batch, args.profile)
    if args.index_only:
        return
    t0 = time.perf_counter()
    store.bitmaps.sync(store._conn())
    print(f"bitmap index of {store.count_sync()} documents built in "
          f"{time.perf_counter() - t0:.2f} s ({store.bitmaps.words()} words)", flush=True)
    freeze_heap()  # as the query service does after a build (else a full collection of the
    #                index and the generated events lands in some measured search)
    fix_mmap_threshold()  # as the query service does: large temporary arrays are mappings
    writer = Writer(store, events)
    now = datetime.now(UTC)
    base = SearchQuery(start=now, limit=20)
    cases: dict[str, Callable[[int], SearchQuery]] = {
        "no q": lambda i: base,
        "no q, next 7 days": lambda i: replace(base, end=now + timedelta(days=7)),
        "common term (atelier)": lambda i: replace(base, q="atelier"),
        "common term, relevance": lambda i: replace(base, q="atelier", sort=Sort.RELEVANCE),
        "rare term (mot250)": lambda i: replace(base, q="mot250"),
        "prefix (répar)": lambda i: replace(base, q="répar"),
        "theme+quartier": lambda i: replace(base, themes=("sport",), quartiers=("Maurepas",)),
        "near 1 km": lambda i: replace(base, near=(48.11, -1.68), radius_km=1.0,
                                       sort=Sort.DISTANCE),
    }
    print(f"{'query':32} {'facets':6} {'cache':5} {'p50 ms':>8} {'p99 ms':>8} {'total':>7}")
    for name, make_query in cases.items():
        for facets in (False, True):
            for state in ("first", "write", "warm"):
                if not facets and state == "warm":
                    continue
                runs = args.first_runs if state == "first" else args.runs
                p50, p99, total = measure(store, with_facets(make_query, facets), runs, state,
                                          writer)
                print(f"{name:32} {'yes' if facets else 'no':6} {state:5}"
                      f" {p50:8.2f} {p99:8.2f} {total:7d}", flush=True)
    print(f"writes applied: {writer.applied} of {writer.written}")


if __name__ == "__main__":
    main()
