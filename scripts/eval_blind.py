"""Blind evaluation of theme tagging and place geocoding on sets their author did not write.

Two sets in ``tests/data``, labelled by hand before the tagger or the geocoder was run on
them, without reading the enrichment code, its word lists or the other labelled sets:

``themes_blind.jsonl``
    245 events: ``group`` ``corpus-fr`` (the French calendars and feeds of the test corpus,
    paraphrased because their licences do not allow redistribution), ``corpus-translated``
    (German and English calendars of the corpus under permissive licences, translated into
    French) and ``written`` (events written the way Rennes associations write them). Each
    line: ``id``, ``group``, ``source`` (the corpus file, or ``written``), ``paraphrased``,
    ``source_kind``, ``title``, ``description``, ``categories``, optional ``keywords`` (the
    source's tags), ``expected`` (theme codes) and ``split`` (all ``test``: held out).
    Labelling convention (the one of ``scripts/eval_themes.py``): the themes a careful editor
    would file the event under, by subject, at most three; ``famille``, ``jeunesse`` and
    ``seniors`` only when the event is designed for that public; an empty list when the text
    says nothing about the subject.

``places_blind.jsonl``
    93 location strings as associations type them, by ``class``: Rennes venues of the
    reference data (with typos, abbreviations, upper case), Rennes addresses, Rennes streets
    named after towns, communes of the Métropole named with a place the reference does not
    know, town halls of the Métropole, towns outside it, no place at all. ``via`` says how a
    harvester passes the text on (``ics``: as the ``LOCATION`` of an ICS calendar read by the
    harvester's ICS parser; ``name``: the whole text as the location's name; ``fields``: the
    text as the name plus the given fields). ``expected``: ``commune`` (the Métropole commune,
    or ``null`` when the place is outside the Métropole or unknown: then any commune outside
    the Métropole is right), ``quartier`` (``"*"``: any Rennes quartier), ``point``
    (``exact``/``commune``/``none``, as in ``scripts/eval_geocode.py``) and ``kind``
    (``venue``/``street``/``commune``/``none``, the precision a careful human expects from
    the reference data). ``basis`` says how the label was decided (venues and streets CSV,
    point-in-polygon on the quartier and commune polygons).

Both sets go through the indexer's ``Enricher``, as events do in the running system.

    .venv/bin/python scripts/eval_blind.py [--themes] [--places] [--errors]

Prints micro precision and recall of themes (overall, per group, per theme), and for places
the share placed right (commune, quartier and point all right) per class, plus the share
with the right commune, quartier and kind of point taken one by one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar
from icalendar import Event as VEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.harvester.formats import parse_document  # noqa: E402
from services.harvester.formats.base import ParseContext  # noqa: E402
from services.indexer.enrich import Enricher  # noqa: E402
from shared.model import PARIS, Event, Location, Occurrence  # noqa: E402
from shared.reference import load_reference, reference_dir  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
THEMES = DATA_DIR / "themes_blind.jsonl"
PLACES = DATA_DIR / "places_blind.jsonl"

START = datetime(2026, 3, 14, 15, tzinfo=PARIS)
NOW = datetime(2026, 1, 15, 12, tzinfo=PARIS)
#: Precisions that stand for the place itself (``point: exact``).
EXACT = frozenset({"source", "venue", "street"})


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# --- themes -------------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, got: set[str], want: set[str]) -> None:
        self.tp += len(got & want)
        self.fp += len(got - want)
        self.fn += len(want - got)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class ThemeResult:
    micro: Counts = field(default_factory=Counts)
    by_group: dict[str, Counts] = field(default_factory=dict)
    by_theme: dict[str, Counts] = field(default_factory=dict)
    exact: int = 0
    total: int = 0
    #: (row, themes found with their reasons) for every event not tagged exactly right.
    misses: list[tuple[dict[str, Any], list[tuple[str, str]]]] = field(default_factory=list)


def theme_event(row: dict[str, Any]) -> Event:
    extra = {"organizer_themes": row["organizer_themes"]} if row.get("organizer_themes") else {}
    return Event.create(
        source_id=f"blind-{row['source_kind']}",
        source_uid=row["id"],
        title=row["title"],
        occurrences=(Occurrence(start=START),),
        description=row["description"],
        categories=tuple(row.get("categories", ())),
        keywords=tuple(row.get("keywords", ())),
        extra=extra,
    )


def evaluate_themes(rows: list[dict[str, Any]], enricher: Enricher) -> ThemeResult:
    result = ThemeResult()
    for row in rows:
        themes = enricher.enrich(theme_event(row)).themes
        got = {t.code for t in themes}
        want = set(row["expected"])
        result.total += 1
        result.exact += got == want
        result.micro.add(got, want)
        result.by_group.setdefault(row["group"], Counts()).add(got, want)
        for code in got | want:
            result.by_theme.setdefault(code, Counts()).add(got & {code}, want & {code})
        if got != want:
            result.misses.append((row, [(t.code, t.reason) for t in themes]))
    return result


def print_themes(result: ThemeResult, errors: bool) -> None:
    if errors:
        for row, found in result.misses:
            got = "; ".join(f"{code}<{reason}>" for code, reason in found) or "-"
            print(f"{row['id']} [{row['group']}] {row['title'][:70]!r}\n"
                  f"    want={sorted(row['expected'])} got={got}")
    print(f"\n{THEMES.name}: {result.total} events")
    print(f"{'':24} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for code, c in sorted(result.by_theme.items()):
        print(f"{code:24} {c.precision:6.2f} {c.recall:6.2f} {c.f1:6.2f} {c.tp + c.fn:8d}")
    for group, c in sorted(result.by_group.items()):
        print(f"{'group ' + group:24} {c.precision:6.2f} {c.recall:6.2f} {c.f1:6.2f} "
              f"{c.tp + c.fn:8d}")
    m = result.micro
    print(f"{'micro':24} {m.precision:6.2f} {m.recall:6.2f} {m.f1:6.2f} {m.tp + m.fn:8d}")
    print(f"exact set match: {result.exact}/{result.total}")


# --- places -------------------------------------------------------------------------------


@dataclass
class PlaceResult:
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    commune_ok: int = 0
    quartier_ok: int = 0
    kind_ok: int = 0
    #: (row, location found) for every string not placed right.
    misses: list[tuple[dict[str, Any], Location | None]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(self.right.values()) / max(1, sum(self.total.values()))

    def class_accuracy(self, kind: str) -> float:
        return self.right[kind] / self.total[kind] if self.total[kind] else 0.0


def ics_locations(rows: list[dict[str, Any]]) -> dict[str, Location | None]:
    """The locations the harvester's ICS parser makes of these ``LOCATION`` strings."""
    calendar = Calendar()
    calendar.add("PRODID", "-//Maillage//blind evaluation//FR")
    calendar.add("VERSION", "2.0")
    for row in rows:
        component = VEvent()
        component.add("UID", row["id"])
        component.add("SUMMARY", "Rencontre")
        component.add("DTSTART", START)
        component.add("LOCATION", row["text"])
        calendar.add_component(component)
    context = ParseContext(source_id="blind", now=NOW, url="https://example.org/agenda.ics",
                           window_future=timedelta(days=365))
    events = parse_document(calendar.to_ical(), context).events
    return {e.source_uid: e.location for e in events}


def place_event(row: dict[str, Any], location: Location | None) -> Event:
    return Event.create(source_id="blind", source_uid=row["id"], title="Rencontre",
                        occurrences=(Occurrence(start=START),), location=location)


def point_kind(loc: Location | None) -> str:
    if loc is None or loc.lat is None:
        return "none"
    return "exact" if loc.precision in EXACT else str(loc.precision)


def commune_right(loc: Location | None, expected: str | None, metropole: set[str]) -> bool:
    found = loc.commune if loc is not None else None
    if expected is None:  # outside the Métropole or unknown: no commune of the Métropole
        return found is None or found.casefold() not in metropole
    return found is not None and found.casefold() == expected.casefold()


def quartier_right(loc: Location | None, expected: str | None) -> bool:
    found = loc.quartier if loc is not None else None
    return found is not None if expected == "*" else found == expected


def kind_right(loc: Location | None, expected: str) -> bool:
    if loc is None or loc.lat is None:
        return expected == "none"
    return loc.precision == expected or (expected == "venue" and loc.precision == "source")


def evaluate_places(rows: list[dict[str, Any]], enricher: Enricher) -> PlaceResult:
    metropole = {c.name.casefold() for c in enricher.reference.commune_info.values()}
    from_ics = ics_locations([r for r in rows if r["via"] == "ics"])
    result = PlaceResult()
    for row in rows:
        if row["via"] == "ics":
            source_loc = from_ics.get(row["id"])
        else:
            source_loc = Location(name=row["text"], **row.get("fields", {}))
        loc = enricher.enrich(place_event(row, source_loc)).location
        want = row["expected"]
        commune = commune_right(loc, want["commune"], metropole)
        quartier = quartier_right(loc, want["quartier"])
        ok = commune and quartier and point_kind(loc) == want["point"]
        result.total[row["class"]] += 1
        result.right[row["class"]] += ok
        result.commune_ok += commune
        result.quartier_ok += quartier
        result.kind_ok += kind_right(loc, want["kind"])
        if not ok:
            result.misses.append((row, loc))
    return result


def print_places(result: PlaceResult, errors: bool) -> None:
    if errors:
        for row, loc in result.misses:
            want = row["expected"]
            got = ("no location" if loc is None else
                   f"commune={loc.commune} quartier={loc.quartier} precision={loc.precision}"
                   f" | {loc.reason}")
            print(f"  {row['id']} [{row['class']}] {row['text']!r}\n"
                  f"    want commune={want['commune']} quartier={want['quartier']} "
                  f"kind={want['kind']}; got {got}")
    n = sum(result.total.values())
    print(f"\n{PLACES.name}: {n} location strings; placed right (commune, quartier and point)")
    for kind in sorted(result.total):
        print(f"  {kind:35} {pct(result.right[kind], result.total[kind])}")
    print(f"  {'all':35} {pct(sum(result.right.values()), n)}")
    print(f"One by one: commune {pct(result.commune_ok, n)}, quartier "
          f"{pct(result.quartier_ok, n)}, kind of point (venue/street/commune/none) "
          f"{pct(result.kind_ok, n)}")


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "0/0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--themes", action="store_true", help="only the themes")
    parser.add_argument("--places", action="store_true", help="only the places")
    parser.add_argument("--errors", action="store_true", help="list every miss")
    args = parser.parse_args()
    both = not args.themes and not args.places
    enricher = Enricher(load_reference(reference_dir(os.environ)))
    if args.themes or both:
        print_themes(evaluate_themes(load(THEMES), enricher), args.errors)
    if args.places or both:
        print_places(evaluate_places(load(PLACES), enricher), args.errors)


if __name__ == "__main__":
    main()
