"""Enrichment CPU per distinct event, stage by stage (issue 15, point 4).

Every event is distinct (title and description), so the enricher's memos do not hide the
cost. Three sets, all built here without the clock or randomness that varies from run to
run, so the same events are enriched every time (:func:`golden_events` is also the input of
the golden check, ``tests/unit/indexer/test_enrich_golden.py``):

``generated``
    the events of ``bench.indexing`` (title, one short HTML paragraph, a venue of Rennes),
    with a distinct description each;
``real``
    the labelled and real events of ``tests/data`` (themes and places), each once as
    written;
``hard``
    events assembled from fragments that exercise every step: long HTML descriptions (lists,
    links, entities, scripts), accents and ligatures, addresses, postcodes, towns,
    coordinates, accessibility and audience words, prices, age ranges, quoted titles of works,
    sports fixtures, the ``extra`` the harvesters and the associations step fill.

    python -m bench.enrich [--runs 3] [--set all|generated|real|hard] [--profile]
    python -m bench.enrich --write-golden     # tests/data/enrich_golden.json, from this code

Prints the CPU time (``time.process_time``) per event of each stage on a fresh enricher,
the median of ``--runs`` runs; ``--profile`` prints cProfile's top functions instead.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.common import machine
from shared.model import PARIS, Event, EventMessage, Location, Occurrence, Status
from shared.reference import load_reference, reference_dir

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
START = datetime(2026, 5, 3, 20, 30, tzinfo=PARIS)  # enrichment never reads dates

TITLES = ["Atelier vélo", "Concert de chorale", "Repair café", "Conférence climat",
          "Balade nature", "Tournoi de foot", "Café des langues", "Atelier numérique"]
VENUES = ["Le Triangle", "Les Champs Libres", "Maison des Associations", "Parc du Thabor",
          "Antipode MJC", "Salle de la Cité"]


def _event(uid: str, title: str, **kw: Any) -> Event:
    start = START + timedelta(minutes=37 * len(uid))
    return Event.create(source_id="golden", source_uid=uid, title=title,
                        occurrences=(Occurrence(start, start + timedelta(hours=2)),), **kw)


def generated(n: int = 1000) -> Iterator[Event]:
    """The events of ``bench.indexing``, each description made distinct."""
    for i in range(n):
        yield _event(
            f"g{i}", f"{TITLES[i % 8]} {i}",
            description=f"<p>{TITLES[(i + 3) % 8]} ouvert à tous, entrée libre. Séance {i}.</p>",
            location=Location(name=VENUES[i % 6], city="Rennes"),
            categories=(TITLES[i % 8].split()[0],),
        )


def _jsonl(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def real() -> Iterator[Event]:
    """The labelled and real events and places of ``tests/data``."""
    real_rows = {row["id"]: row for row in _jsonl("themes_real.jsonl")}
    for name in ("themes_real.jsonl", "themes_labelled.jsonl", "themes_blind.jsonl",
                 "themes_classes.jsonl", "themes_association.jsonl"):
        for number, row in enumerate(_jsonl(name)):
            if "ref" in row:  # a real event again, with its associations' themes
                row = {**real_rows[row["ref"].partition(":")[2]], **row, "id": f"ref{number}"}
            extra = {k: row[k] for k in ("association_themes", "organizer_themes") if k in row}
            yield _event(f"{name}:{row['id']}", row["title"],
                         description=row.get("description") or "",
                         categories=tuple(row.get("categories") or ()),
                         keywords=tuple(row.get("keywords") or ()), extra=extra)
    for name in ("places_labelled.jsonl", "places_blind.jsonl"):
        for row in _jsonl(name):
            text = row["text"]
            yield _event(f"{name}:{row['id']}:name", f"Rendez-vous {row['id']}",
                         location=Location(name=text))
            yield _event(f"{name}:{row['id']}:address", f"Permanence {row['id']}",
                         location=Location(name="Salle", address=text))


_HARD_TITLES = [
    "Fête du jeu à l’École Œuvre", "Spectacle « Les arbres qui marchent »", "Marché bio",
    "US Vern – AS Chantepie (R2)", "Seniors F : match de hand", "Retraite spirituelle",
    "Marche pour le climat", "Atelier C++ et .NET", "Don du sang", "Sans-papiers : soirée",
    "Exposition « Les Bretons et la mer »", "Visite de la cathédrale", "Jeûne et méditation",
    "Master class de piano", "Concert à la cathédrale", "Tournoi de tarot", "Repas partagé",
    "Vide-grenier de Saint-Sulpice-la-Forêt", "Atelier tricot à la médiathèque",
    "Conférence : mémoire et résistance", "Entraînement U13", "LOTO DU CLUB", "Café js",
    "Initiation à la langue des signes (LSF)", "Balade à vélo", "Braderie solidaire",
    "Ciné-débat : « La Terre vue du ciel »", "Œnologie : dégustation à l'aveugle",
    "Assemblée générale de l’association Jeunes Ambitieux", "Forum emploi et alternance",
]
_SENTENCES = [
    "Pour les 6-12 ans et leurs parents.", "Dès 4 ans.", "Réservé aux seniors de plus de 60 ans.",
    "Entrée libre et gratuite.", "Tarif : 5 € ; gratuit pour les moins de 12 ans.", "Prix libre.",
    "Buvette et galettes-saucisses sur place.", "Venez à vélo ou en bus (ligne C4).",
    "Spectacle traduit en LSF, boucle magnétique disponible.", "Salle non accessible aux PMR.",
    "Accessible aux personnes à mobilité réduite.",
    "Sous-titrage SME pour sourds et malentendants.", "Audiodescription et visite tactile.",
    "Pas de boucle magnétique.", "Facile à lire (FALC).",
    "Rendez-vous place de la Mairie, au pied de l’église.",
    "Organisé par le collectif Familles en Fête.",
    "Au programme : jeux, goûter, tournoi de foot et concert.", "Inscription obligatoire.",
    "Atelier de réparation de vélos avec l’association.", "Prévoir une gourde et un pique-nique.",
    "Randonnée de 12 km, dénivelé modéré, bâtons conseillés.", "Projection suivie d’un débat.",
    "Ouvert à tous, tout public.", "Pour toute la famille, en famille.",
    "Lycéens et étudiants bienvenus.", "Les bénéfices iront à l’école de basket.",
    "Garde d’enfants possible sur place.",
    "Conférence sur la biodiversité et les oiseaux migrateurs du marais.",
    "Séance de code Python pour débutants : apprendre la programmation.",
    "Une exposition « Regards croisés » de photographies anciennes.",
    "Le pot de l’amitié clôturera la soirée.", "Déconseillé aux enfants de moins de 12 ans.",
    "Cumul emploi-retraite : préparer sa retraite avec la Carsat.",
    "Match de Nationale 3 masculine, 9e journée.", "Pour les ados de 12 à 17 ans.",
    "Bébés lecteurs : 0-3 ans.", "Adultes uniquement.", "Free entry.", "Sans frais d’inscription.",
]
_NAMES = ["Le Triangle", "Les Champs Libres", "Antipode MJC - Rennes", "Salle de la Cité",
          "Salle des fêtes de Pacé", "Médiathèque, Saint-Jacques-de-la-Lande", "Mairie",
          "Salle du conseil, mairie de Chantepie", "Théâtre", "Saint-Malo, salle du Quai",
          "8 rue Legraverend Rennes", "MAISON DES ASSOCIATIONS", "Champs Libre", "Nowhere"]
_ADDRESSES = ["10 cours des Alliés, 35000 Rennes", "Bd de la Liberté", "6 av. Janvier",
              "12 r. St-Hélier 35000 Rennes", "Place Sainte-Anne", "1 rue de Rennes, 35510 Cesson",
              "rue de la Chapelle", "2 allée des Cerisiers 35740 Pacé", "22 rue du Port, Brest"]
_CITIES = [None, "Rennes", "Cesson-Sévigné", "St-Grégoire", "Vern/Seiche", "Brest", "RENNES CEDEX"]


def _html(rng: random.Random, sentences: list[str]) -> str:
    """The sentences as one of the shapes sources send: plain lines, paragraphs, a list, a
    page with scripts, styles and links."""
    shape = rng.randrange(5)
    if shape == 0:
        return "\n".join(sentences)
    if shape == 1:
        return "".join(f"<p>{s}</p>" for s in sentences)
    if shape == 2:
        items = "".join(f"<li>{s}</li>" for s in sentences[1:])
        return f"<div><h2>{sentences[0]}</h2><ul>{items}</ul></div>"
    if shape == 3:
        body = "<br>\n".join(s.replace("é", "&eacute;").replace("'", "&#39;") for s in sentences)
        return (f"<style>p{{color:red}}</style><script>alert(1)</script><p>{body}</p>"
                '<p><a href="https://example.org/x" onclick="x()">Infos</a> '
                '<a href="javascript:alert(1)">piège</a>&nbsp;!</p>')
    return ("<p>" + "&nbsp;".join(sentences)
            + "</p><!-- commentaire --><table><tr><td>x</td></tr></table>")


def hard(n: int = 1500, seed: int = 15) -> Iterator[Event]:
    """Events assembled from the fragments above; every one distinct."""
    rng = random.Random(seed)
    for i in range(n):
        sentences = rng.sample(_SENTENCES, rng.randint(1, 8))
        if rng.random() < 0.25:  # long descriptions: several times the read limit
            sentences = sentences * rng.randint(4, 12)
        sentences.append(f"Édition n°{i}.")
        location = None
        if rng.random() < 0.85:
            kind = rng.randrange(4)
            if kind == 0:
                location = Location(name=rng.choice(_NAMES), city=rng.choice(_CITIES))
            elif kind == 1:
                location = Location(name=rng.choice(_NAMES), address=rng.choice(_ADDRESSES),
                                    postcode=rng.choice([None, "35000", "35510", "29200"]))
            elif kind == 2:
                lat, lon = rng.choice([(48.1113, -1.6800), (-1.68, 48.11), (48.11, 1.68),
                                       (0.0, 0.0), (47.2, -1.55), (48.6, -1.9)])
                location = Location(name=rng.choice(_NAMES), lat=lat, lon=lon)
            else:
                location = Location(name="En ligne", online=rng.random() < 0.5)
        extra: dict[str, Any] = {}
        if rng.random() < 0.2:
            extra["organizer_themes"] = rng.choice([["011000"], "009000;024000", ["999999"]])
        if rng.random() < 0.15:
            extra["accessibility"] = {"hi": True, "vi": rng.random() < 0.5, "mi": "true"}
        if rng.random() < 0.1:
            extra["accessibility_features"] = rng.choice(
                [["signLanguage", "audioDescription"], "wheelchairAccessible,braille",
                 {"closedCaptions": True}])
        if rng.random() < 0.1:
            extra["association_themes"] = rng.choice([["sport"], ["011170", "culture"]])
        yield _event(
            f"h{i}", f"{rng.choice(_HARD_TITLES)} #{i}",
            description=_html(rng, sentences) if rng.random() < 0.9 else "",
            description_text="" if rng.random() < 0.9 else f"Texte seul  {i}\n\n  ligne",
            location=location,
            categories=tuple(rng.sample(["Musique", "Sport", "Fête", "Culture", "Atelier",
                                         "Jeune public", "Solidarité", "Visite"],
                                        rng.randint(0, 2))),
            keywords=tuple(rng.sample(["DIY", "vélo", "LSF", "Famille", "climat;nature",
                                       "jeux vidéo", "#bio"], rng.randint(0, 2))),
            accessibility=tuple(rng.sample(["hi", "LSF", "Handicap moteur", "pi"],
                                           rng.randint(0, 1))),
            audience=tuple(rng.sample(["enfants", "adultes"], rng.randint(0, 1))),
            is_free=rng.choice([None, None, None, True, False]),
            price=rng.choice([None, None, "Gratuit", "5 €", "Gratuit pour les adhérents",
                              "0 €", "10 euros, 5 € réduit"]),
            status=rng.choice([Status.SCHEDULED] * 6 + [Status.MOVED_ONLINE, Status.CANCELLED]),
            extra=extra,
        )


SETS: dict[str, Callable[[], Iterator[Event]]] = {
    "generated": generated, "real": real, "hard": hard,
}


def golden_events() -> list[Event]:
    """Every event of the three sets, in a fixed order."""
    return [e for make in SETS.values() for e in make()]


GOLDEN = DATA / "enrich_golden.json"


def enriched_digests(enrich_many: Callable[[list[Event]], list[Event]],
                     batch: int = 256) -> dict[str, str]:
    """source_uid -> :func:`digest` of the enriched event, for every golden event, enriched
    ``batch`` at a time."""
    events = golden_events()
    enriched = [e for i in range(0, len(events), batch)
                for e in enrich_many(events[i : i + batch])]
    return {e.source_uid: digest(e) for e in enriched}


def digest(event: Event) -> str:
    """A short digest of everything an event holds (enriched or not)."""
    raw = orjson.dumps(event.to_dict(), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()[:16]


# -- measuring ------------------------------------------------------------------------------


def _stages(enricher: Any) -> list[tuple[str, Callable[[Any], Any]]]:
    """(name, step) of the indexer's path for a list of events, each step given the
    previous one's output: decode the stream's messages, then each part of
    ``Enricher._enriched_fields`` over every event (the whole enrichment is timed apart)."""
    from services.indexer.enrich import keywords as kw
    from services.indexer.enrich.audience import infer_audience, infer_free
    from services.indexer.enrich.themes import TextHits, assign_themes

    def texts(events: list[Event]) -> Any:
        return [(e, enricher._text(e.description, e.description_text)) for e in events]

    def hits(rows: Any) -> Any:
        return [(e, t, TextHits.of(e.title, t[1])) for e, t in rows]

    def places(rows: Any) -> Any:
        for e, _, _ in rows:
            if e.location is not None:
                enricher.geocoder.geocode(e.location)
        return rows

    def themes(rows: Any) -> Any:
        for e, _, h in rows:
            if hasattr(kw, "keywords_and_given"):
                _, given = kw.keywords_and_given(e.categories, e.keywords, e.title, h)
            else:  # the code before it (to compare)
                made = kw.make_keywords(e.categories, e.keywords, e.title, h)
                given = kw.source_keywords(made, e.categories, e.title, h)
            assign_themes(e.categories, e.extra, h, given)
        return rows

    def other(rows: Any) -> Any:
        for e, t, _ in rows:
            full_text = "\n".join(p for p in (e.title, t[1]) if p)
            enricher.accessibility.codes(e.accessibility, e.extra, full_text)
            infer_audience(e.audience, "\n".join([full_text, *e.categories]))
            infer_free(e.is_free, e.price, full_text)
        return [e for e, _, _ in rows]

    return [
        ("decode", lambda raws: [EventMessage.from_json(r).event for r in raws]),
        ("sanitize", texts), ("text", hits), ("geocode", places),
        ("keywords+themes", themes), ("access+audience+free", other),
    ]


def _one_by_one(enrich: Callable[[Event], Event]) -> Callable[[list[Event]], list[Event]]:
    return lambda events: [enrich(e) for e in events]


#: Events timed together: the figures keep, for each chunk, its fastest run, since on a
#: shared machine a run's CPU time also counts the caches and cores other work takes.
CHUNK = 256  # the indexer's batches are larger (1,024); enrich_many is given a chunk


def _enricher() -> Any:
    """The indexer's enricher (without reference data when there is none, as the indexer)."""
    from services.indexer.service import enricher_for
    from services.indexer.settings import SETTINGS
    from shared.settings import load

    settings = load(SETTINGS, os.environ)
    return enricher_for(settings.reference_dir, settings.timezone)


def measure(events: list[Event], runs: int) -> dict[str, tuple[float, float]]:
    """CPU µs per event of each stage: (median of the runs, sum of each chunk's fastest
    run). Every run has a fresh enricher and cold memos, as distinct events find them."""
    from services.indexer.enrich import Enricher
    from services.indexer.enrich.theme_text import _read_description

    reference = _enricher().reference
    raws = [EventMessage.upsert(e, 1).to_json() for e in events]
    decoded = [EventMessage.from_json(r).event for r in raws]
    chunks = range(0, len(events), CHUNK)
    times: dict[str, list[list[float]]] = {}  # stage -> run -> chunk -> seconds

    def timed(run: int, name: str, step: Callable[[Any], Any], data: Any) -> Any:
        t0 = time.process_time()
        out = step(data)
        times.setdefault(name, [[] for _ in range(runs)])[run].append(time.process_time() - t0)
        return out

    for run in range(runs):
        enricher = Enricher(reference)
        _read_description.cache_clear()
        stages = _stages(enricher)
        for i in chunks:
            data: Any = raws[i : i + CHUNK]
            for name, step in stages:
                data = timed(run, name, step, data)
        one_by_one = _one_by_one(Enricher(reference).enrich)
        _read_description.cache_clear()
        for i in chunks:
            timed(run, "enrich, one by one", one_by_one, decoded[i : i + CHUNK])
        if hasattr(Enricher, "enrich_many"):
            enrich_many = Enricher(reference).enrich_many
            _read_description.cache_clear()
            for i in chunks:
                timed(run, "enrich_many", enrich_many, decoded[i : i + CHUNK])
    scale = 1e6 / len(events)
    return {
        name: (statistics.median(sum(r) for r in per_run) * scale,
               sum(min(c) for c in zip(*per_run, strict=True)) * scale)
        for name, per_run in times.items()
    }


def profile(events: list[Event], top: int = 40) -> str:

    enricher = _enricher()
    profiler = cProfile.Profile()
    profiler.enable()
    for event in events:
        enricher.enrich(event)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--set", choices=("all", *SETS), default="all")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--write-golden", action="store_true",
                        help=f"write the enriched events' digests to {GOLDEN.name}")
    args = parser.parse_args()
    if args.write_golden:
        from services.indexer.enrich import Enricher

        enricher = Enricher(load_reference(reference_dir(os.environ)))
        digests = enriched_digests(enricher.enrich_many, batch=1)
        GOLDEN.write_text(json.dumps(digests, indent=0, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(digests)} digests written to {GOLDEN}")
        return
    names = list(SETS) if args.set == "all" else [args.set]
    print(machine())
    for name in names:
        events = list(SETS[name]())
        if args.profile:
            print(f"== {name}: {len(events)} events\n{profile(events)}")
            continue
        figures = measure(events, args.runs)
        print(f"{name:10} {len(events):5} events, CPU µs per event (median of runs / "
              "fastest run of each chunk)\n" + "\n".join(
                  f"    {stage:22} {median:7.1f} {floor:7.1f}"
                  for stage, (median, floor) in figures.items()))


if __name__ == "__main__":
    main()
