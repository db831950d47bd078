"""Measure the offline geocoder against the venues of the reference data.

For every venue of ``rennes_venues.csv`` with coordinates:

* by name: geocode ``Location(name=<venue name>)`` (no city, no address) and compare with
  the venue's known point (error in metres, share within 50 m and 250 m, quartier found and
  equal to the CSV's ``quartier`` column);
* by address only (venues whose address names a street): the street's representative point
  against the venue point (street-level error);
* name robustness: variants of each name (aliases, upper case, no accents, article added or
  dropped, ``Salle`` prefix, ``- Rennes`` suffix, one letter dropped, ``, Rennes``) must
  still reach the same venue.

* location strings as associations type them (``tests/data/places_labelled.jsonl``):
  a commune of the Métropole named only in the text (``Salle des fêtes de Pacé``), a town
  outside it whose streets share Rennes street names (``Saint-Malo, salle du Quai``), and
  Rennes controls (``Rue de Saint-Malo``). Each line gives its class, the text, how a
  harvester passes it on (``ics``: split at commas as the ICS reader does; ``name``: the
  whole text as the name; ``fields``: the text as the name plus the given fields), and
  the expected commune, quartier (``"*"``: any Rennes quartier) and point (``exact``: a
  source, venue or street point; ``commune``: the commune's centre; ``none``: not
  placed). A line is placed right when all three match. The ``test`` split (a third, by a
  hash of the id) is held out.

    .venv/bin/python scripts/eval_geocode.py [--show-misses] [--split dev|test|all]

The name test is partly circular (the names come from the same file); the variants, the
address test and the typed locations are the informative parts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import Counter
from pathlib import Path

from icalendar import Event as VEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.harvester.formats.ics_fields import location as ics_location  # noqa: E402
from services.indexer.enrich.geocode import Geocoder  # noqa: E402
from shared.geo import distance_m  # noqa: E402
from shared.model import Location  # noqa: E402
from shared.reference import Venue, load_reference, reference_dir  # noqa: E402
from shared.text import fold  # noqa: E402


def variants(venue: Venue) -> list[tuple[str, str]]:
    name = venue.name
    out = [("alias", a) for a in venue.aliases]
    out += [("upper", name.upper()), ("no-accents", fold(name)), ("suffix", f"{name} - Rennes")]
    out += [("comma-city", f"{name}, Rennes"), ("salle-prefix", f"Salle {name}")]
    first, _, rest = name.partition(" ")
    if first.lower() in ("le", "la", "les") and rest:
        out.append(("no-article", rest))
    elif not name.lower().startswith(("l'", "le ", "la ", "les ")):
        out.append(("article", f"Le {name}"))
    if len(name) >= 8:
        middle = len(name) // 2
        out.append(("typo", name[:middle] + name[middle + 1 :]))
    return out


TYPED = Path(__file__).resolve().parent.parent / "tests" / "data" / "places_labelled.jsonl"
EXACT = frozenset({"source", "venue", "street"})


def typed_location(row: dict) -> Location:
    """The Location a harvester makes of a typed location string."""
    if row["via"] == "ics":
        component = VEvent()
        component.add("LOCATION", row["text"])
        found = ics_location(component)
        assert found is not None
        return found
    return Location(name=row["text"], **row.get("fields", {}))


def placed_right(loc: Location, expected: dict) -> bool:
    point = "none" if loc.lat is None else "exact" if loc.precision in EXACT else loc.precision
    quartier_ok = (
        loc.quartier is not None if expected["quartier"] == "*" else
        loc.quartier == expected["quartier"]
    )
    return loc.commune == expected["commune"] and quartier_ok and point == expected["point"]


def typed_locations(geocoder: Geocoder, split: str, show_misses: bool) -> None:
    rows = [json.loads(line) for line in TYPED.read_text(encoding="utf-8").splitlines() if line]
    if split != "all":
        rows = [r for r in rows if r["split"] == split]
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row in rows:
        kind = row["class"]
        loc = geocoder.geocode(typed_location(row))
        ok = placed_right(loc, row["expected"])
        right[kind] += ok
        total[kind] += 1
        if show_misses and not ok:
            print(f"  {row['id']} {row['text']!r}: commune={loc.commune} quartier={loc.quartier} "
                  f"precision={loc.precision} | {loc.reason}")
    print(f"\nLocations as associations type them ({split}): placed right",
          pct(sum(right.values()), sum(total.values())))
    for kind in sorted(total):
        print(f"  {kind:15} {pct(right[kind], total[kind])}")


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all",
                        help="part of the typed locations to measure")
    args = parser.parse_args()
    reference = load_reference(reference_dir(os.environ))
    geocoder = Geocoder(reference)
    venues = [v for v in reference.venues if v.lat is not None and v.lon is not None]
    others = [v for v in venues if v.kind != "mairie"]
    print(f"{len(venues)} venues with coordinates ({len(others)} other than town halls)\n")

    errors, placed, in_rennes, quartier_ok, quartier_found = [], 0, 0, 0, 0
    for v in venues:
        loc = geocoder.geocode(Location(name=v.name))
        if loc.lat is None:
            if args.show_misses:
                print("  by name, not placed:", v.name, "|", loc.reason)
            continue
        placed += 1
        errors.append(distance_m(loc.lat, loc.lon, v.lat, v.lon))  # type: ignore[arg-type]
        if loc.insee == "35238":
            in_rennes += 1
            quartier_found += loc.quartier is not None
        if loc.quartier:
            quartier_ok += v.quartier.partition(" - ")[2] == loc.quartier
    print("By name (Location(name=...)):")
    print("  placed:", pct(placed, len(venues)))
    print(f"  median error: {statistics.median(errors):.0f} m")
    print("  within 50 m:", pct(sum(e <= 50 for e in errors), len(venues)))
    print("  within 250 m:", pct(sum(e <= 250 for e in errors), len(venues)))
    print("  placed in Rennes with a quartier:", pct(quartier_found, in_rennes))
    print("  quartier equal to the CSV's:", pct(quartier_ok, quartier_found))

    total, same = 0, 0
    by_kind: dict[str, list[int]] = {}
    for v in others:
        for kind, text in variants(v):
            total += 1
            found = geocoder.match_venue(text)
            ok = found is not None and (found.lat, found.lon) == (v.lat, v.lon)
            same += ok
            by_kind.setdefault(kind, [0, 0])
            by_kind[kind][0] += ok
            by_kind[kind][1] += 1
            if not ok and args.show_misses:
                print(f"  variant {kind}: {text!r} -> {found.name if found else None}")
    print("\nName variants (non-town-hall venues) reaching the same venue:", pct(same, total))
    for kind, (ok, n) in sorted(by_kind.items()):
        print(f"  {kind:13} {pct(ok, n)}")

    street_errors, tried = [], 0
    for v in others:
        if not v.address or v.city not in ("Rennes", ""):
            continue
        loc = geocoder.geocode(Location(address=v.address, city="Rennes"))
        if loc.precision == "street":
            tried += 1
            street_errors.append(distance_m(loc.lat, loc.lon, v.lat, v.lon))  # type: ignore[arg-type]
        else:
            tried += 1
            if args.show_misses:
                print("  address not matched to a street:", v.address, "|", loc.reason)
    print("\nBy address only (street representative point):")
    print("  matched to a street:", pct(len(street_errors), tried))
    if street_errors:
        print(
            f"  median error: {statistics.median(street_errors):.0f} m;",
            "within 250 m:",
            pct(sum(e <= 250 for e in street_errors), len(street_errors)),
        )

    typed_locations(geocoder, args.split, args.show_misses)

if __name__ == "__main__":
    main()
