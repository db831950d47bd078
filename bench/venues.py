"""The venues' list as ``/salles`` and ``GET /v1/venues`` search it, on the SQLite board.

    python -m bench.venues [--venues 2000] [--slots 40] [--queries 500]

Projects generated venues (:data:`services.venues.project.PROJECTIONS`: capacity and price
bands, equipment, a quartier) and their free slots (``--slots`` each, evenings and Saturday
afternoons over the next ten weeks) onto a fresh
:class:`shared.store.board_sqlite.SqliteBoard`, then times the list's searches
(:func:`services.venues.list_pages.search`, with facet counts as the page asks): no filter,
words, capacity, price, every equipment asked for, and "free on" a day, which first reads
that day's slots (their venues' ids), alone and with other filters. Prints the p50/p99 of
each, with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

from bench.common import machine, median, percentile
from services.venues.list_pages import Filters, search
from services.venues.model import EQUIPMENT, Slot, Venue
from services.venues.project import PROJECTIONS
from services.venues.validate import occurrence
from shared.model import Location
from shared.records import Entry
from shared.store.board_base import BoardMessage
from shared.store.board_sqlite import SqliteBoard

QUARTIERS = ("Centre", "Le Blosne", "Bréquigny", "Maurepas", "Sud gare", "Villejean",
             "Cleunay", "Thabor", "Jeanne d’Arc", "Francisco Ferrer")
WORDS = ("salle", "atelier", "cuisine", "jardin", "scène", "réunion", "local", "studio")
START = date.today() + timedelta(days=1)


def generated(venues: int, slots: int, rng: random.Random) -> list[BoardMessage]:
    out, seq = [], 0
    for i in range(venues):
        record = Venue(
            id=f"v{i}", owner=f"asso-{rng.randrange(300)}", owner_name=f"Association {i}",
            name=f"{rng.choice(WORDS).capitalize()} {i}", street=f"{i} rue du Test",
            postcode="35000", city="Rennes", capacity=rng.choice((12, 25, 40, 80, 150, 300)),
            description=" ".join(rng.sample(WORDS, 4)),
            equipment=tuple(rng.sample(tuple(EQUIPMENT), 4))).to_record()
        record["rates"] = [{"unit": "soiree", "audience": "associations",
                            "cents": rng.choice((0, 1500, 4000, 9000, 25000))}]
        quartier = rng.choice(QUARTIERS)

        def place(location: Location, quartier: str = quartier) -> Location:
            return Location(quartier=quartier, lat=48.11, lon=-1.68, precision="street")

        seq += 1
        out.append(PROJECTIONS["venue"](
            Entry(f"maillage.rec.venue.v{i}", seq, "create", record), place))
        for n in range(slots):
            day = START + timedelta(days=rng.randrange(70))
            starts, ends = occurrence(day, clock(18) if n % 2 else clock(14),
                                      clock(22) if n % 2 else clock(18))
            seq += 1
            slot = Slot(id=f"c{n}", venue=f"v{i}", starts=starts, ends=ends,
                        venue_name=f"Salle {i}", owner="x").to_record()
            out.append(PROJECTIONS["venueslot"](
                Entry(f"maillage.rec.venueslot.v{i}.c{n}", seq, "create", slot), None))
    return out


def filters(rng: random.Random) -> dict[str, Filters]:
    saturday = START + timedelta(days=(5 - START.weekday()) % 7 + 7)
    return {
        "no filter": Filters(),
        "words": Filters(q=rng.choice(WORDS)),
        "capacity ≥ 100": Filters(capacity="100"),
        "price ≤ 20 €": Filters(price="20"),
        "two equipment": Filters(equipment=["cuisine", "wifi"]),
        "free on a Saturday": Filters(free_on=saturday),
        "free on + capacity + equipment": Filters(free_on=saturday, capacity="50",
                                                  equipment=["sono"]),
    }


async def run(venues: int, slots: int, count: int) -> None:
    rng = random.Random(7)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        board = SqliteBoard(Path(tmp) / "board.sqlite")
        messages = generated(venues, slots, rng)
        t0 = time.perf_counter()
        for start in range(0, len(messages), 256):
            await board.apply(messages[start:start + 256])
        await board.settle()
        print(f"{venues:,} venues and {venues * slots:,} slots on the board in "
              f"{time.perf_counter() - t0:.2f} s")
        for name, wanted in filters(rng).items():
            timings = []
            for _ in range(count):
                t0 = time.perf_counter()
                await search(board, wanted, with_facets=True)
                timings.append((time.perf_counter() - t0) * 1000)
            total = (await search(board, wanted))[0]
            print(f"{name:32} {total:6,} found  p50 {median(timings):7.2f} ms  "
                  f"p99 {percentile(timings, 99):7.2f} ms")
        print(f"load average {os.getloadavg()[0]:.1f}")
        await board.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", type=int, default=2_000)
    parser.add_argument("--slots", type=int, default=40)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.venues, args.slots, args.queries))


if __name__ == "__main__":
    main()
