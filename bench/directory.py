"""The directory's search with facets (``/associations``) over generated associations.

    python -m bench.directory [--associations 20000] [--queries 2000]

Builds :class:`services.associations.directory.Directory` from generated association
records (names and purposes from a small vocabulary, themes, RNA codes, quartiers,
communes, declared tools, some with upcoming events), then times searches as the page makes
them: every filter's facet counts plus one page of results, for a mix of no filter, a word,
one or two filters and a word with filters. Prints the build time and the p50/p99 of a search.
Target (issue 20): p50 <= 5 ms, p99 <= 25 ms over 20,000 associations. Then the linker
(:class:`services.associations.linking.Linker`) over the same associations: its build time
and the time to link one organizer (names, unknown names, names with a typo).
"""

from __future__ import annotations

import argparse
import random
import time

from bench.common import machine, median, percentile
from services.associations.directory import Directory
from services.associations.linking import Linker
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


def queries(n: int, rng: random.Random) -> list[dict[str, object]]:
    themes = [t.code for t in THEMES]
    out: list[dict[str, object]] = []
    for _ in range(n):
        kind = rng.random()
        q: dict[str, object] = {}
        if kind < .2:
            pass
        elif kind < .45:
            q["q"] = rng.choice(WORDS)
        elif kind < .7:
            q["themes"] = [rng.choice(themes)]
            if rng.random() < .5:
                q["quartiers"] = [rng.choice(QUARTIERS)]
        elif kind < .85:
            q["tool_codes"] = rng.sample(list(TOOLS), 2)
            q["upcoming"] = True
        else:
            q["q"] = " ".join(rng.sample(WORDS, 2))
            q["communes"] = [rng.choice(COMMUNES)]
        q["offset"] = rng.choice((0, 0, 0, 20, 40))
        out.append(q)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory")
    parser.add_argument("--associations", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(20)
    generated = records(args.associations, rng)
    busy = [f"Orga {i}" for i in range(0, args.associations, 3)]
    directory = Directory()
    started = time.perf_counter()
    directory.build(generated, upcoming_organizers=busy)
    built = time.perf_counter() - started
    timings = []
    for q in queries(args.queries, rng):
        t0 = time.perf_counter()
        directory.search(**q)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - t0) * 1000)
    print(f"machine: {machine()}")
    print(f"directory of {len(directory.entries):,} associations built in {built:.2f} s")
    print(f"search with facets ({len(timings):,} queries): p50 {median(timings):.2f} ms, "
          f"p99 {percentile(timings, 99):.2f} ms (target p50 <= 5 ms, p99 <= 25 ms)")
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
