"""The directory's search with facets (``/associations``, ``/v1/associations``) over generated
associations.

    python -m bench.directory [--associations 20000] [--queries 2000] [--no-http]

Projects generated association records (names and purposes from a small vocabulary, themes,
RNA codes, quartiers, communes, declared tools, organizer names and sources linked to some)
into the SQLite directory as the indexer does (:func:`services.associations.project.searchable`,
:class:`shared.store.directory_sqlite.SqliteDirectory`), then times searches as the page makes
them (every filter's facet counts, the "has upcoming events" one too, plus one page of
results; a mix of no filter, a word, one or two filters and a word with filters): in
process (:func:`services.associations.directory_api.parse_query` and the store's search),
then over HTTP through the query service (one worker, one request at a time), the page
``/associations`` and the API ``/v1/associations`` with the same searches. Prints p50/p99.
Target (issue 20): p50 <= 5 ms, p99 <= 25 ms over 20,000 associations. Then the linker
(:class:`services.associations.linking.Linker`) over the same associations: its build time
and the time to link one organizer (names, unknown names, names with a typo).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from multidict import MultiDict

from bench.common import machine, median, percentile
from services.associations.directory_api import parse_query
from services.associations.linking import Linker
from services.associations.project import Related, searchable
from shared.store.directory_base import DirectoryMessage, organizer_key, source_key
from shared.store.directory_sqlite import SqliteDirectory
from shared.taxonomy import THEMES
from shared.vocab import TOOLS

WORDS = ("vélo", "jardin", "chorale", "théâtre", "danse", "football", "volley", "solidarité",
         "quartier", "musique", "lecture", "échecs", "randonnée", "cinéma", "photo", "yoga",
         "entraide", "numérique", "parents", "seniors", "bretonne", "festival", "atelier")
FORMS = ("Association", "Club", "Collectif", "Amicale", "Compagnie", "Cercle", "Union")
QUARTIERS = ("Centre", "Le Blosne", "Bréquigny", "Maurepas - Bellangerais", "Sud gare",
             "Villejean - Beauregard", "Saint Martin", "Cleunay - Arsenal - Redon - La Courrouze")
COMMUNES = ("Rennes", "Cesson-Sévigné", "Saint-Jacques-de-la-Lande", "Bruz", "Pacé", "Betton",
            "Chantepie", "Vezin-le-Coquet", "Thorigné-Fouillard", "Le Rheu")


def records(n: int, rng: random.Random) -> list[dict[str, object]]:
    themes = [t.code for t in THEMES]
    tools = list(TOOLS)
    out: list[dict[str, object]] = []
    for i in range(n):
        words = rng.sample(WORDS, 3)
        out.append({
            "id": f"a{i}", "name": f"{rng.choice(FORMS)} {words[0]} {words[1]} {i}",
            "purpose": f"Pour le {words[2]} et le {words[0]} en {rng.choice(QUARTIERS)}.",
            "themes": rng.sample(themes, rng.randint(0, 2)),
            "rna_themes": [rng.choice(("011000", "006000", "019000", "024000"))],
            "quartiers": rng.sample(QUARTIERS, rng.randint(0, 2)),
            "address": {"city": rng.choice(COMMUNES)},
            "tools": rng.sample(tools, rng.randint(0, 4)),
            "organizers": [f"Orga {i}"], "state": "active" if rng.random() > .05
            else "dissolved"})
    return out


def queries(n: int, rng: random.Random) -> list[list[tuple[str, str]]]:
    """Searches as the page's parameters (``outil``, ``a_venir`` are the API's ``tool``,
    ``has_events``)."""
    themes = [t.code for t in THEMES]
    out: list[list[tuple[str, str]]] = []
    for _ in range(n):
        kind = rng.random()
        q: list[tuple[str, str]] = []
        if kind < .2:
            pass
        elif kind < .45:
            q.append(("q", rng.choice(WORDS)))
        elif kind < .7:
            q.append(("theme", rng.choice(themes)))
            if rng.random() < .5:
                q.append(("quartier", rng.choice(QUARTIERS)))
        elif kind < .85:
            q += [("outil", code) for code in rng.sample(list(TOOLS), 2)]
            q.append(("a_venir", "oui"))
        else:
            q.append(("q", " ".join(rng.sample(WORDS, 2))))
            q.append(("commune", rng.choice(COMMUNES)))
        q.append(("page", str(rng.choice((1, 1, 1, 2, 3)))))
        out.append(q)
    return out


def as_api(page: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The API's parameters of a page's search (as the page itself translates them)."""
    names = {"outil": "tool", "a_venir": "has_events"}
    out = [("facets", "true"), ("limit", "20")]
    for name, value in page:
        if name == "page":
            continue
        out.append((names.get(name, name), "true" if name == "a_venir" else value))
    return out


def messages(generated: list[dict[str, object]]) -> list[DirectoryMessage]:
    """The indexer's projection of the records; every fourth has a linked organizer name and
    a source (a Google calendar)."""
    out = []
    for seq, r in enumerate(generated, 1):
        around = Related() if seq % 4 else Related(
            (f"Collectif {r['id']}",), ({"id": f"src-{r['id']}", "format": None,
                                        "url": "https://calendar.google.com/x.ics",
                                        "tool": "google-agenda"},))
        out.append(DirectoryMessage(str(r["id"]), seq, searchable(dict(r), None, around)))
    return out


async def in_process(store: SqliteDirectory, searches: list[list[tuple[str, str]]],
                     busy: frozenset[str]) -> list[float]:
    from dataclasses import replace

    from shared.store.directory_base import encode_offset

    timings = []
    for page in searches:
        number = int(dict(page)["page"])
        params = MultiDict(as_api(page))
        if number > 1:
            params.add("cursor", encode_offset((number - 1) * 20))
        t0 = time.perf_counter()
        await store.search(replace(parse_query(params, 100), organizers_with_events=busy))
        timings.append((time.perf_counter() - t0) * 1000)
    return timings


def over_http(directory: Path, searches: list[list[tuple[str, str]]]) -> None:
    from bench.query_http import seed, start_server
    from shared.natsserver import free_port
    from shared.process import stop_process

    path = directory.parent / "index.sqlite"
    seed(path, 2000)
    port = free_port()
    process = start_server(path, port, microcache=False, workers=1)
    try:
        for name, route in (("/healthz (the HTTP stack alone)", "/healthz"),
                            ("page /associations", "/associations"),
                            ("API /v1/associations", "/v1/associations")):
            times = []
            for page in searches:
                query = "" if route == "/healthz" else "?" + urlencode(
                    as_api(page) if route.startswith("/v1/") else page)
                url = f"http://127.0.0.1:{port}{route}{query}"
                t = time.perf_counter()
                try:
                    with urllib.request.urlopen(url, timeout=30) as resp:
                        resp.read()
                except urllib.error.HTTPError as exc:  # a page past the last one is a 404
                    if exc.code != 404 or route != "/associations":  # page, rendered all the same
                        raise
                    exc.read()
                times.append((time.perf_counter() - t) * 1000)
            print(f"{name} over HTTP ({len(times):,} requests): p50 {median(times):.2f} ms, "
                  f"p99 {percentile(times, 99):.2f} ms")
    finally:
        stop_process(process)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory")
    parser.add_argument("--associations", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    rng = random.Random(20)
    generated = records(args.associations, rng)
    searches = queries(args.queries, rng)
    busy = frozenset({organizer_key(f"Orga {i}") for i in range(0, args.associations, 3)}
                     | {source_key(f"src-a{i}") for i in range(0, args.associations, 8)})
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "directory.sqlite"
        store = SqliteDirectory(path)
        started = time.perf_counter()
        projected = messages(generated)
        for i in range(0, len(projected), 256):  # the indexer's batches
            asyncio.run(store.apply(projected[i:i + 256]))
        count = asyncio.run(store.count())
        built = time.perf_counter() - started
        timings = asyncio.run(in_process(store, searches, busy))
        print(f"directory of {count:,} associations projected in {built:.2f} s")
        print(f"search with facets in process ({len(timings):,} queries): "
              f"p50 {median(timings):.2f} ms, p99 {percentile(timings, 99):.2f} ms "
              "(target p50 <= 5 ms, p99 <= 25 ms)")
        asyncio.run(store.close())
        if not args.no_http:
            over_http(path, searches)
    started = time.perf_counter()
    linker = Linker(generated)
    built = time.perf_counter() - started
    organizers = [str(r["name"]) for r in rng.sample(generated, 200)]
    organizers += [f"{rng.choice(WORDS)} {rng.choice(WORDS)} {n}" for n in range(200)]
    organizers += [str(r["name"])[:-3] + "x" for r in rng.sample(generated, 100)]  # typos
    link_ms = []
    for organizer in organizers:
        t0 = time.perf_counter()
        linker.link(organizer)
        link_ms.append((time.perf_counter() - t0) * 1000)
    print(f"linker over {len(generated):,} associations built in {built:.2f} s; linking one "
          f"organizer p50 {median(link_ms):.2f} ms, p99 {percentile(link_ms, 99):.2f} ms")


if __name__ == "__main__":
    main()
