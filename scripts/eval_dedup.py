"""Measure cross-source dedup: pairwise precision, recall and F1 on a labelled set.

    python scripts/eval_dedup.py ../shared/corpus [--synthetic 400] [--seed 1]

Two parts, both indexed through the real SQLite store (members -> clusters):

1. the corpus organisation that publishes the same agenda as ICS, RSS, Atom and an HTML event
   page (Douai collectif), parsed with the project's parsers; the truth is "same folded title
   on the same local day" (the feeds carry the same titles);
2. synthetic Rennes events with realistic perturbations and known truth: title variants
   (case, accents, prefixes/suffixes, extra words), starts shifted by up to ±15 min, a date-only
   copy, venue spelling variants, missing venues, jittered or commune-level coordinates, and
   hard negatives: other events at the same venue and time, weekly series, same title at
   another venue, numbered series ("Réunion de quartier - X") at the same hour.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.model import PARIS, Event, EventMessage, Location, Occurrence  # noqa: E402
from shared.store.sqlite import SqliteStore  # noqa: E402
from shared.text import fold  # noqa: E402

DOUAI = {
    "ics": ("ics/fr__douaicollectif_adamgibbons_ics.ics", {}),
    "rss": ("rss/fr__douaicollectif_agenda.rss", {"dates_in_text": True}),
    "atom": ("rss/fr__douaicollectif_agenda.atom", {"dates_in_text": True}),
    "html": ("html/fr__douaicollectif_event_page_nextjs_jsonld.html", {}),
}


def corpus_events(corpus: Path) -> tuple[list[Event], list[str]]:
    from services.harvester.formats import parse_document
    from services.harvester.formats.base import ParseContext

    events: list[Event] = []
    notes = []
    for name, (rel, options) in DOUAI.items():
        path = corpus / rel
        if not path.exists():
            notes.append(f"{name}: {rel} missing")
            continue
        ctx = ParseContext(source_id=f"douai-{name}", now=datetime(2025, 11, 1, tzinfo=UTC),
                           window_past=timedelta(days=3650), window_future=timedelta(days=3650),
                           options=options)
        result = parse_document(path.read_bytes(), ctx)
        notes.append(f"{name}: {len(result.events)} events, {len(result.skipped)} skipped"
                     + (f" ({result.skipped[0].reason})" if result.skipped else ""))
        events += result.events
    return events, notes


VENUES = [
    ("MJC Bréquigny", ["Mjc de Brequigny", "MJC Bréquigny - Rennes"], 48.0893, -1.6852),
    ("Les Champs Libres", ["Champs Libres", "les champs libres (Rennes)"], 48.1056, -1.6745),
    ("Maison de quartier de Villejean", ["MQ Villejean", "Maison de Quartier Villejean"],
     48.1213, -1.7069),
    ("Salle de la Cité", ["Salle de la cite", "La Cité"], 48.1115, -1.6795),
    ("Le Jardin Moderne", ["Jardin Moderne", "le jardin moderne"], 48.1202, -1.7105),
    ("Bibliothèque des Champs Manceaux", ["Bibliothèque Champs-Manceaux"], 48.0960, -1.6700),
]
TITLES = ["Repair café", "Atelier couture", "Concert de la chorale", "Bal folk",
          "Conférence sur le climat", "Atelier vélo", "Cours de yoga", "Lecture de contes",
          "Projection-débat : la ville de demain", "Vide-grenier solidaire",
          "Initiation au tricot", "Soirée jeux de société", "Permanence informatique",
          "Balade nature et oiseaux", "Exposition de photographies", "Jam session jazz",
          "Atelier zéro déchet", "Rencontre avec une autrice", "Scène ouverte slam",
          "Marche pour le climat"]


def variant_title(rng: random.Random, title: str) -> str:
    choice = rng.randrange(7)
    if choice == 0:
        return title.upper()
    if choice == 1:
        return fold(title).capitalize()
    if choice == 2:
        return title + rng.choice([" - Rennes", " (entrée libre)", " #3", " à la MJC"])
    if choice == 3:
        return rng.choice(["Soirée ", "Atelier : ", "[Agenda] "]) + title
    if choice == 4:
        return title.replace("Atelier", "Atelier participatif")
    return title


def synthetic(n: int, seed: int) -> tuple[list[Event], dict[str, str]]:
    """Events from 1-3 sources each, and the true label of every (event, start)."""
    rng = random.Random(seed)
    base = datetime.now(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    events: list[Event] = []
    truth: dict[str, str] = {}

    def add(label: str, source: str, uid: str, title: str, start: datetime, venue: tuple,
            *, venue_name: str | None, coords: str, all_day: bool = False) -> None:
        name, _, lat, lon = venue
        if coords == "jitter":
            lat, lon = lat + rng.uniform(-0.0015, 0.0015), lon + rng.uniform(-0.0015, 0.0015)
        loc = None
        if venue_name is not None or coords != "none":
            loc = Location(name=venue_name, city="Rennes",
                           lat=48.1147 if coords == "commune" else (lat if coords != "none"
                                                                   else None),
                           lon=-1.6794 if coords == "commune" else (lon if coords != "none"
                                                                   else None),
                           precision={"commune": "commune", "none": None}.get(coords, "venue"))
        occ = (Occurrence(start=start.replace(hour=0, minute=0), end=None, all_day=True)
               if all_day else Occurrence(start=start, end=start + timedelta(hours=2)))
        ev = Event.create(source_id=source, source_uid=uid, title=title, occurrences=(occ,),
                          location=loc, source_format=source.split("-")[0])
        events.append(ev)
        truth[ev.id] = label

    for i in range(n):
        title = rng.choice(TITLES)
        venue = rng.choice(VENUES)
        start = base + timedelta(days=rng.randint(1, 60), hours=rng.choice([10, 14, 18, 20]),
                                 minutes=rng.choice([0, 30]))
        label = f"e{i}"
        sources = rng.sample(["ics-mjc", "rss-ville", "html-asso", "openagenda-metropole"],
                             rng.choice([1, 2, 2, 3]))
        for k, src in enumerate(sources):
            t = title if k == 0 else variant_title(rng, title)
            shift = timedelta(minutes=0 if k == 0 else rng.choice([-15, -10, 0, 0, 5, 15]))
            vname = venue[0] if k == 0 else rng.choice([venue[0], *venue[1], None])
            coords = "exact" if k == 0 else rng.choice(["exact", "jitter", "commune", "none"])
            add(label, src, f"{label}-{k}", t, start + shift, venue, venue_name=vname,
                coords=coords, all_day=(k > 0 and src.startswith("rss") and rng.random() < 0.2))
        kind = rng.randrange(4)  # a hard negative next to it
        if kind == 0:  # another event at the same venue and time, from another source
            other = rng.choice([t for t in TITLES if t != title])
            add(f"n{i}", "html-autre", f"n{i}", other, start, venue, venue_name=venue[0],
                coords="exact")
        elif kind == 1:  # the same series a week later (recurring), another source
            add(f"w{i}", "rss-ville", f"w{i}", title, start + timedelta(days=7), venue,
                venue_name=venue[0], coords="exact")
        elif kind == 2:  # same title at another venue, same time
            far = rng.choice([v for v in VENUES if v is not venue])
            add(f"f{i}", "html-autre", f"f{i}", title, start, far, venue_name=far[0],
                coords="exact")
        else:  # numbered series at the same hour, other venue unknown
            add(f"s{i}", "rss-ville", f"s{i}", f"Réunion de quartier - {venue[0]}", start,
                venue, venue_name=None, coords="none")
            add(f"t{i}", "html-asso", f"t{i}", "Réunion de quartier - Maurepas", start, venue,
                venue_name=None, coords="none")
    return events, truth


async def clusters_of(events: list[Event]) -> dict[str, str]:
    """member (event id) -> cluster id, after indexing everything."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "eval.sqlite")
        await store.apply([EventMessage.upsert(e, 1) for e in events])
        conn = store._conn()
        rows = conn.execute("SELECT event_id, id, cluster_id FROM members").fetchall()
        await store.close()
    return {f"{ev}/{mid}": cid for ev, mid, cid in rows}


def pairwise(pred: dict[str, str], truth: dict[str, str]) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(pred), 2):
        same_pred = pred[a] == pred[b]
        same_true = truth[a] == truth[b]
        tp += same_pred and same_true
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    return tp, fp, fn


def report(name: str, tp: int, fp: int, fn: int) -> None:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{name:28} pairs: tp={tp} fp={fp} fn={fn}  precision={p:.3f} recall={r:.3f} "
          f"F1={f1:.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--synthetic", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    events, notes = corpus_events(args.corpus)
    for note in notes:
        print("corpus", note)
    pred = await clusters_of(events)
    by_id = {e.id: e for e in events}
    truth = {}
    for key in pred:
        ev = by_id[key.split("/")[0]]
        day = ev.occurrences[0].start.astimezone(PARIS).date()
        truth[key] = f"{' '.join(fold(ev.title).split())}|{day}"
    report("corpus (Douai collectif)", *pairwise(pred, truth))

    events, labels = synthetic(args.synthetic, args.seed)
    pred = await clusters_of(events)
    truth = {key: labels[key.split("/")[0]] for key in pred}
    report(f"synthetic ({len(events)} copies)", *pairwise(pred, truth))


if __name__ == "__main__":
    asyncio.run(main())
