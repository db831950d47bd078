"""Measure theme assignment against a hand-labelled set of events.

Two sets, in ``tests/data``:

``themes_labelled.jsonl`` (``--set own``, the default)
    The project's own labels, written with the lexicon.
``themes_real.jsonl`` (``--set real``)
    Events written in the style of real French calendars the lexicon was not written from
    (a sports club, a civic collective, a parish, programming meetups, a tourist office, fan
    conventions, neighbourhood centres), many with long descriptions that wander off the
    subject. Its split was fixed by a hash of the id before any tuning; the ``test`` part
    (about a third) is held out: tune on ``dev`` only.

``themes_association.jsonl`` (``--set association``)
    Events with the themes of the association that publishes them (``association_themes``,
    taxonomy or RNA codes, as the indexer fills ``extra["association_themes"]`` from the
    association records): events of club, company, garden, charity and meetup calendars
    written for it (``A...``: titles that only make sense knowing who publishes them,
    ``[M15] Journée 5``, and events off the association's subject, ``Loto du club``), and
    lines ``{"ref": "real:R001", "association_themes": [...]}`` that give the events of one
    organizer of ``themes_real.jsonl`` (a sports club, a parish, programming meetups) their
    association. ``--no-association`` drops the association's themes: the figures with and
    without say what the prior brings.

``themes_classes.jsonl`` (``--set classes``)
    Development cases, all ``dev``, written for the failure classes a blind evaluation found
    (``scripts/eval_blind.py``; issue 16, second round): team fixtures named by their teams
    and league, source keywords, a venue read as the subject, a word in the wrong sense,
    audiences, Christmas markets and fairs. Each line has a ``class``; the figures are
    printed per class too.

Each line: ``id``, ``source_kind``, ``title``, ``description`` (text or HTML), ``categories``,
optional ``keywords`` (the source's tags), optional ``organizer_themes`` (RNA codes),
``expected`` (theme codes) and ``split`` (``dev``: looked at while tuning; ``test``: held
out).

Labelling convention: the themes a careful editor would file the event under, by subject
(at most three); audience themes (``famille``, ``jeunesse``, ``seniors``) only when the
event is designed for that public, not merely open to it; an empty list when the text says
nothing about the subject.

    .venv/bin/python scripts/eval_themes.py [--set own|real|classes] [--split dev|test|all]
        [--errors] [--no-association]

Prints precision, recall and F1 per theme, then micro and macro averages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.indexer.enrich import Enricher  # noqa: E402
from shared.model import PARIS, Event, Occurrence  # noqa: E402
from shared.reference import load_reference, reference_dir  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = {
    "own": DATA_DIR / "themes_labelled.jsonl",
    "real": DATA_DIR / "themes_real.jsonl",
    "classes": DATA_DIR / "themes_classes.jsonl",
    "association": DATA_DIR / "themes_association.jsonl",
}


def to_event(row: dict) -> Event:
    extra = {"organizer_themes": row["organizer_themes"]} if row.get("organizer_themes") else {}
    if row.get("association_themes"):
        extra["association_themes"] = row["association_themes"]
    return Event.create(
        source_id=row["source_kind"],
        source_uid=row["id"],
        title=row["title"],
        occurrences=(Occurrence(start=datetime(2025, 5, 3, 20, tzinfo=PARIS)),),
        description=row["description"],
        categories=tuple(row.get("categories", ())),
        keywords=tuple(row.get("keywords", ())),
        extra=extra,
    )


def load_rows(path: Path, association: bool = True) -> list[dict]:
    """The rows of a set; a ``ref`` line is the referenced row with the line's fields."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    referenced: dict[str, dict[str, dict]] = {}
    out = []
    for row in rows:
        if "ref" in row:
            which, _, rid = row["ref"].partition(":")
            if which not in referenced:
                referenced[which] = {r["id"]: r for r in load_rows(SETS[which])}
            row = {**referenced[which][rid], **{k: v for k, v in row.items() if k != "ref"}}
        if not association:
            row = {k: v for k, v in row.items() if k != "association_themes"}
        out.append(row)
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="own", dest="which")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="list wrong predictions")
    parser.add_argument("--no-association", action="store_true",
                        help="leave the associations' themes out")
    args = parser.parse_args()

    enricher = Enricher(load_reference(reference_dir(os.environ)))
    data = SETS[args.which]
    rows = load_rows(data, association=not args.no_association)
    if args.split != "all":
        rows = [r for r in rows if r.get("split") == args.split]

    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    exact = 0
    by_class: dict[str, Counter[str]] = {}
    started = time.perf_counter()
    for row in rows:
        out = enricher.enrich(to_event(row))
        got = {t.code for t in out.themes}
        want = set(row["expected"])
        exact += got == want
        for code in got & want:
            tp[code] += 1
        for code in got - want:
            fp[code] += 1
        for code in want - got:
            fn[code] += 1
        if "class" in row:
            counts = by_class.setdefault(row["class"], Counter())
            counts.update(tp=len(got & want), fp=len(got - want), fn=len(want - got),
                          exact=got == want, n=1)
        if args.errors and got != want:
            reasons = "; ".join(f"{t.code}<{t.reason}>" for t in out.themes)
            print(f"{row['id']} {row['title'][:60]!r}\n    want={sorted(want)} got={reasons}")
    elapsed = time.perf_counter() - started

    codes = sorted(set(tp) | set(fp) | set(fn))
    print(f"\n{data.name}: {len(rows)} events, split={args.split}")
    print(f"{'theme':20} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    f_scores = []
    for code in codes:
        p, r, f = prf(tp[code], fp[code], fn[code])
        f_scores.append(f)
        print(f"{code:20} {p:6.2f} {r:6.2f} {f:6.2f} {tp[code] + fn[code]:8d}")
    p, r, f = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    print(f"{'micro':20} {p:6.2f} {r:6.2f} {f:6.2f} {sum(tp.values()) + sum(fn.values()):8d}")
    macro = sum(f_scores) / len(f_scores) if f_scores else 0.0
    print(f"{'macro F1':20} {macro:20.2f}")
    print(f"exact set match: {exact}/{len(rows)}; {elapsed / max(1, len(rows)) * 1e3:.2f} ms/event")
    for name, c in sorted(by_class.items()):
        p, r, _ = prf(c["tp"], c["fp"], c["fn"])
        print(f"  class {name:40} P {p:4.2f} R {r:4.2f} exact {c['exact']}/{c['n']}")


if __name__ == "__main__":
    main()
