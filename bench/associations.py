"""Associations: import of the national register, then directory search.

    python -m bench.associations [--rows 20000] [--docs 20000] [--runs 200]

Generates an RNA waldec file of ``--rows`` associations of Rennes Métropole (Latin-1, the
official layout), starts a nats-server and imports it through the same code as
``maillage associations import-rna`` (read, parse, merge, claims, writes to RECORDS); then
imports it again (nothing changes: the second run only reads). Target: 20,000 rows in
under 30 s. Waits are bounded; times are wall-clock on this (shared, noisy) machine.

Then ``--docs`` generated associations go into the SQLite directory (the indexer's write
path, :class:`shared.store.directory_sqlite.SqliteDirectory`) and a mix of directory
searches, every one with facet counts (and the "has upcoming events" facet), runs
``--runs`` times each, in process: p50 and p99 per kind and overall; then through the
query service over HTTP (one worker, one request at a time). Target over 20,000
associations: p50 <= 5 ms, p99 <= 25 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import machine, median, percentile
from services.accounts.storage import Stores
from services.associations.importer import Importer, Summary
from services.associations.registers import rna_rows
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from shared.reference import metropole_communes, reference_dir, rna_theme_codes
from shared.store.directory_base import DirectoryMessage, DirectoryQuery
from shared.store.directory_sqlite import SqliteDirectory

HEADER = ("id;id_ex;siret;rup_mi;gestion;date_creat;date_decla;date_publi;date_disso;nature;"
          "groupement;titre;titre_court;objet;objet_social1;objet_social2;adrs_complement;"
          "adrs_numvoie;adrs_repetition;adrs_typevoie;adrs_libvoie;adrs_distrib;"
          "adrs_codeinsee;adrs_codepostal;adrs_libcommune;adrg_declarant;adrg_complemid;"
          "adrg_complemgeo;adrg_libvoie;adrg_distrib;adrg_codepostal;adrg_achemine;adrg_pays;"
          "dir_civilite;siteweb;publiweb;observation;position;maj_time")
KINDS = ("Club sportif", "Amicale laïque", "Comité de quartier", "Chorale", "Jardins partagés",
         "Association des parents d’élèves", "Théâtre amateur", "Solidarité")
STREETS = ("des Alliés", "de Châtillon", "Saint-Hélier", "de Nantes", "Jean Jaurès")
CODES = ("011000", "006030", "024000", "007000", "015000", "017000")
INSEE = (("35238", "35000", "RENNES"), ("35047", "35170", "BRUZ"),
         ("35024", "35830", "BETTON"), ("35281", "35136", "SAINT-JACQUES-DE-LA-LANDE"))


def waldec(rows: int) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        insee, postcode, town = INSEE[i % len(INSEE)]
        position = "D" if i % 17 == 0 else "A"
        fields = [f"W353{i:06d}", "", "", "", "", "2001-01-01", "", "", "2020-01-01"
                  if position == "D" else "", "D", "S", f"{KINDS[i % 8]} n°{i}".upper(),
                  "", f"objet de l’association {i} : {KINDS[(i + 3) % 8].lower()}",
                  CODES[i % 6], CODES[(i + 1) % 6], "", str(1 + i % 90), "", "RUE",
                  STREETS[i % 5], "", insee, postcode, town] + [""] * 9 + [
                  "", "", "", position, "2024-01-01 00:00:00"]
        lines.append(";".join(fields))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


async def import_twice(data: bytes) -> None:
    directory = reference_dir(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServer(Path(tmp) / "nats", free_port()).start()
        try:
            bus = await Bus.connect(server.url, "bench")
            await bus.ensure()
            stores = await Stores.open(bus)
            for run in ("first import", "second import"):
                t0 = time.perf_counter()
                rows, encoding = rna_rows(data, metropole_communes(directory),
                                          rna_theme_codes(directory))
                parsed = time.perf_counter() - t0
                summary = Summary("rna", encoding)
                await asyncio.wait_for(Importer(stores, "rna").run(rows, summary), 600)
                elapsed = time.perf_counter() - t0
                print(f"{run:14} {len(rows)} rows in {elapsed:5.1f} s ({len(rows) / elapsed:6.0f}"
                      f" rows/s; parse {parsed:.1f} s): {summary.added} added, "
                      f"{summary.updated} updated, {summary.unchanged} unchanged")
            await bus.close()
        finally:
            server.stop()


THEMES = ("sport", "culture", "solidarite", "environnement", "education", "loisirs")
QUARTIERS = ("Centre", "Thabor - Saint-Hélier - Alphonse Guérin", "Bourg l'Évêque - La Touche",
             "Villejean - Beauregard", "Le Blosne", "Bréquigny", "Maurepas - Patton")
COMMUNES = ("Rennes", "Rennes", "Rennes", "Bruz", "Betton", "Cesson-Sévigné", "Pacé")
TOOLS = ("mobilizon", "helloasso", "framadate", "nextcloud", "facebook", "")
SEARCHES = {
    "no filter": DirectoryQuery(),
    "common word": DirectoryQuery(q="club"),
    "rare word": DirectoryQuery(q="chorale blosne"),
    "prefix": DirectoryQuery(q="jard"),
    "theme": DirectoryQuery(themes=("sport",)),
    "theme+quartier": DirectoryQuery(themes=("culture",), quartiers=("Le Blosne",)),
    "commune+tool": DirectoryQuery(communes=("Bruz",), tools=("helloasso",)),
    "has events": DirectoryQuery(has_events=True),
    "word+theme+state": DirectoryQuery(q="association", themes=("solidarite",),
                                       states=("active",)),
}


def directory_docs(n: int) -> list[DirectoryMessage]:
    out = []
    for i in range(n):
        commune = COMMUNES[i % len(COMMUNES)]
        doc = {"id": f"a{i}", "kind": "association", "name": f"{KINDS[i % 8]} {i}",
               "purpose": f"objet : {KINDS[(i + 3) % 8].lower()} et rencontres n°{i % 97}",
               "themes": [THEMES[i % 6], THEMES[(i * 7) % 6]], "rna_themes": [CODES[i % 6]],
               "commune": commune, "quartier": QUARTIERS[i % 7] if commune == "Rennes"
               else None, "quartiers": [QUARTIERS[(i + 2) % 7]] if i % 5 == 0 else [],
               "tools": [t for t in (TOOLS[i % 6], TOOLS[(i + 1) % 6]) if t],
               "organizers": [f"Organisateur {i}"], "aliases": [],
               "state": "dissolved" if i % 17 == 0 else "active"}
        out.append(DirectoryMessage(f"a{i}", i + 1, doc))
    return out


async def directory_search(docs: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteDirectory(Path(tmp) / "directory.sqlite")
        messages = directory_docs(docs)
        t0 = time.perf_counter()
        for start in range(0, len(messages), 256):  # the indexer's batches
            await store.apply(messages[start:start + 256])
        print(f"projection     {docs} associations written in {time.perf_counter() - t0:.1f} s")
        with_events = frozenset(f"organisateur {i}" for i in range(0, docs, 3))
        await store.search(DirectoryQuery(facets=True))  # the first read builds the view
        every: list[float] = []
        print(f"{'search (facets on)':24} {'p50 ms':>7} {'p99 ms':>7} {'results':>8}")
        for name, base in SEARCHES.items():
            query = DirectoryQuery(**{**{f: getattr(base, f) for f in base.__slots__},
                                      "facets": True, "organizers_with_events": with_events})
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                page = await store.search(query)
                times.append((time.perf_counter() - t) * 1000)
            every += times
            print(f"{name:24} {median(times):7.2f} {percentile(times, 99):7.2f} "
                  f"{page.total:8d}")
        print(f"{'all (target 5 / 25)':24} {median(every):7.2f} {percentile(every, 99):7.2f}")
        await store.close()


HTTP_SEARCHES = {
    "/healthz (baseline)": "/healthz",
    "no filter": "/v1/associations?facets=true",
    "common word": "/v1/associations?q=club&facets=true",
    "theme": "/v1/associations?theme=sport&facets=true",
    "theme+quartier": "/v1/associations?theme=culture&quartier=Le%20Blosne&facets=true",
    "has events": "/v1/associations?has_events=true&facets=true",
    "word+theme+state": "/v1/associations?q=association&theme=solidarite&state=active"
                        "&facets=true",
}


def directory_http(docs: int, runs: int) -> None:
    """The same searches through the query service (one worker, answer cache off), one
    request at a time: the time a client waits, HTTP and JSON included."""
    from bench.query_http import seed, start_server
    from shared.natsserver import free_port
    from shared.process import stop_process

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.sqlite"
        seed(path, 2000)
        directory = SqliteDirectory(Path(tmp) / "directory.sqlite")
        messages = directory_docs(docs)
        for start in range(0, len(messages), 1000):
            asyncio.run(directory.apply(messages[start:start + 1000]))
        port = free_port()
        process = start_server(path, port, microcache=False, workers=1)
        try:
            every: list[float] = []
            print(f"{'over HTTP (facets on)':24} {'p50 ms':>7} {'p99 ms':>7}")
            for name, target in HTTP_SEARCHES.items():
                url = f"http://127.0.0.1:{port}{target}"
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    with urllib.request.urlopen(url, timeout=30) as resp:
                        resp.read()
                    times.append((time.perf_counter() - t) * 1000)
                every += times if target != "/healthz" else []
                print(f"{name:24} {median(times):7.2f} {percentile(times, 99):7.2f}")
            print(f"{'all searches (HTTP)':24} {median(every):7.2f} {percentile(every, 99):7.2f}")
        finally:
            stop_process(process)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-http", action="store_true",
                        help="skip the searches through the query service")
    args = parser.parse_args()
    print(f"# associations: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print("RNA import (target: 20,000 rows < 30 s)")
    asyncio.run(import_twice(waldec(args.rows)))
    print(f"directory search over {args.docs} associations (target: p50 <= 5 ms, "
          "p99 <= 25 ms)")
    asyncio.run(directory_search(args.docs, args.runs))
    if not args.no_http:
        directory_http(args.docs, args.runs)


if __name__ == "__main__":
    main()
