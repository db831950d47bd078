"""The network's reads: ``/v1/network``'s and ``/reseau``'s work (every matching confirmed
link paged out of the board, then the graph, its lists and its GeoJSON) over generated
links, on SQLite.

    python -m bench.network [--associations 500] [--links 2000] [--runs 15]

Projects generated confirmed links between generated associations with the network's own
projection (:func:`services.network.project.searchable`) into a fresh
:class:`shared.store.board_sqlite.SqliteBoard`, then times the whole network (capped at
:data:`services.network.routes.MAX_EDGES`), one kind of link, and one association with its
neighbours. Prints each one's median and p99, with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import machine, median, percentile
from services.network.graph import geojson, graph, neighbourhood
from services.network.model import CONFIRMED, KINDS, End, Link, link_id
from services.network.project import searchable
from services.network.routes import links
from shared.store.board_base import BOARD, BoardMessage
from shared.store.board_sqlite import SqliteBoard

QUARTIERS = ("Centre", "Le Blosne", "Villejean - Beauregard", "Maurepas - Patton", "Thabor")
THEMES = ("culture", "sport", "environnement", "solidarite")


def messages(associations: int, count: int, rng: random.Random) -> list[BoardMessage]:
    ends = [End(f"asso-{i}", f"Association {i}", rng.choice(QUARTIERS), "Rennes",
                (rng.choice(THEMES),), 48.08 + rng.random() / 20, -1.72 + rng.random() / 15)
            for i in range(associations)]
    out: list[BoardMessage] = []
    seen: set[str] = set()
    while len(out) < count:
        a, b = rng.sample(ends, 2)
        kind = rng.choice(list(KINDS))
        lid = link_id(a.id, b.id, kind)
        if lid in seen:
            continue
        seen.add(lid)
        first, second = (a, b) if lid.startswith(a.id + ".") else (b, a)
        link = Link(lid, kind, first, second, a.id, b.id, CONFIRMED, "Ateliers communs",
                    "2020", "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00")
        out.append(BoardMessage("network", lid, len(out) + 1, searchable(link)))
    return out


async def run(associations: int, count: int, runs: int) -> None:
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        board = SqliteBoard(Path(tmp) / "board.sqlite")
        await board.apply(messages(associations, count, random.Random(1)))
        await board.settle()
        app: dict[Any, Any] = {BOARD: board}
        for label, facets in (("the whole network", {}), ("one kind", {"kind": ("events",)}),
                              ("one association", {"association": ("asso-7",)})):
            times, edges = [], 0
            for _ in range(runs):
                start = time.perf_counter()
                docs, _, _ = await links(app, facets, with_facets=True)  # type: ignore[arg-type]
                g = graph(docs)
                neighbourhood(g)
                geojson(g)
                times.append((time.perf_counter() - start) * 1000)
                edges = len(g["edges"])
            print(f"{label}: {edges} links, p50 {median(times):.1f} ms, "
                  f"p99 {percentile(times, 99):.1f} ms")
        await board.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--associations", type=int, default=500)
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.associations, args.links, args.runs))


if __name__ == "__main__":
    main()
