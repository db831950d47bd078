"""The board's search (words, facets with their counts, period, place, sorts) over generated
documents, on SQLite.

    python -m bench.board [--documents 20000] [--queries 2000]

Applies generated ``skill`` and ``slot`` documents (titles and texts from a small vocabulary,
skill and quartier facets, a period for some, a place for most, a handful of owners) to a
fresh :class:`shared.store.board_sqlite.SqliteBoard` as the board consumer does, then times
searches as a page makes them (facet counts and one page of 20; a mix of no filter, a word,
one or two facets, a period, a place within 3 km sorted by distance, soonest first, a later
page). Prints the write time and the searches' p50/p99, with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import machine, median, percentile
from shared.store.board_base import BoardMessage, BoardQuery, BoardSort, encode_offset
from shared.store.board_sqlite import SqliteBoard

WORDS = ("comptabilité", "graphisme", "jardinage", "bricolage", "traduction", "juridique",
         "numérique", "photographie", "cuisine", "musique", "théâtre", "vélo", "couture",
         "informatique", "communication", "animation", "secourisme", "menuiserie")
SKILLS = tuple(w.replace("é", "e") for w in WORDS)
QUARTIERS = ("Centre", "Le Blosne", "Bréquigny", "Maurepas", "Sud gare", "Villejean",
             "Saint Martin", "Cleunay", "Thabor", "Jeanne d’Arc", "Francisco Ferrer")


def messages(n: int, rng: random.Random) -> list[BoardMessage]:
    out = []
    for i in range(n):
        words = rng.sample(WORDS, 3)
        kind = "skill" if i % 4 else "slot"
        doc: dict[str, object] = {
            "id": f"d{i}", "title": f"{words[0].capitalize()} et {words[1]} {i}",
            "text": f"Nous proposons de l’aide en {words[2]} pour les associations.",
            "facets": {"skill": [SKILLS[WORDS.index(w)] for w in words[:2]],
                       "quartier": [rng.choice(QUARTIERS)],
                       "state": [rng.choice(("offer", "need"))]},
            "owner": f"asso-{rng.randrange(500)}",
            "updated": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}T10:00:00+01:00"}
        if rng.random() < .6:
            day = rng.randint(1, 28)
            doc |= {"starts": f"2027-01-{day:02d}T09:00:00+01:00",
                    "ends": f"2027-01-{min(28, day + rng.randint(0, 5)):02d}T18:00:00+01:00"}
        if rng.random() < .8:
            doc |= {"lat": 48.11 + rng.uniform(-.08, .08), "lon": -1.68 + rng.uniform(-.1, .1)}
        out.append(BoardMessage(kind, f"d{i}", i + 1, doc))
    return out


def queries(n: int, rng: random.Random) -> list[BoardQuery]:
    out = []
    for _ in range(n):
        roll = rng.random()
        kw: dict[str, object] = {"with_facets": True}
        if roll < .15:
            pass
        elif roll < .4:
            kw["q"] = rng.choice(WORDS)
        elif roll < .6:
            kw["facets"] = {"skill": tuple(rng.sample(SKILLS, 2)),
                            **({"quartier": (rng.choice(QUARTIERS),)} if rng.random() < .5
                               else {})}
        elif roll < .75:
            kw |= {"start": "2027-01-10T00:00:00+01:00", "end": "2027-01-12T00:00:00+01:00",
                   "sort": BoardSort.SOONEST}
        elif roll < .9:
            kw |= {"near": (48.11, -1.68, 3.0), "sort": BoardSort.DISTANCE,
                   "q": rng.choice(WORDS)}
        else:
            kw |= {"q": rng.choice(WORDS), "facets": {"state": ("offer",)},
                   "sort": BoardSort.RECENT}
        if rng.random() < .2:
            kw["cursor"] = encode_offset(rng.choice((20, 40)))
        out.append(BoardQuery("skill", **kw))  # type: ignore[arg-type]
    return out


async def run(documents: int, count: int) -> None:
    rng = random.Random(20)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        board = SqliteBoard(Path(tmp) / "board.sqlite")
        generated = messages(documents, rng)
        t0 = time.perf_counter()
        for start in range(0, len(generated), 256):
            await board.apply(generated[start:start + 256])
        written = time.perf_counter() - t0
        t0 = time.perf_counter()
        await board.settle()
        loaded = time.perf_counter() - t0
        print(f"board of {documents:,} documents written in {written:.2f} s "
              f"(batches of 256), its view built in {loaded * 1000:.0f} ms")
        timings = []
        for query in queries(count, rng):
            t0 = time.perf_counter()
            await board.search(query)
            timings.append((time.perf_counter() - t0) * 1000)
        print(f"search with facets ({len(timings):,} queries): p50 {median(timings):.2f} ms, "
              f"p99 {percentile(timings, 99):.2f} ms; load average {os.getloadavg()[0]:.1f}")
        await board.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    asyncio.run(run(args.documents, args.queries))


if __name__ == "__main__":
    main()
