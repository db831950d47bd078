"""Associations: import of the national register, then (next) directory search.

    python -m bench.associations [--rows 20000]

Generates an RNA waldec file of ``--rows`` associations of Rennes Métropole (Latin-1, the
official layout), starts a nats-server and imports it through the same code as
``maillage associations import-rna`` (read, parse, merge, claims, writes to RECORDS); then
imports it again (nothing changes: the second run only reads). Target: 20,000 rows in
under 30 s. Waits are bounded; times are wall-clock on this (shared, noisy) machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.common import machine
from services.accounts.storage import Stores
from services.associations.importer import Importer, Summary
from services.associations.registers import rna_rows
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from shared.reference import metropole_communes, reference_dir, rna_theme_codes

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    print(f"# associations: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print("RNA import (target: 20,000 rows < 30 s)")
    asyncio.run(import_twice(waldec(args.rows)))


if __name__ == "__main__":
    main()
