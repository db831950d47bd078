import json
from dataclasses import replace
from datetime import UTC, datetime

from services.harvester.formats import parse_document
from services.harvester.formats.base import ParseContext
from services.indexer.enrich import Enricher
from services.indexer.enrich.audience import infer_audience, infer_free
from shared.model import Location, Occurrence, Status


def test_enrich_sanitizes_and_derives_text(enricher, make_event):
    out = enricher.enrich(make_event(description="<p>Salut<script>x()</script></p><p>b</p>"))
    assert (out.description, out.description_text) == ("<p>Salut</p><p>b</p>", "Salut\nb")


def test_enrich_keeps_plain_description_text_when_description_is_empty(enricher, make_event):
    out = enricher.enrich(make_event(description_text="  Ligne 1 \n\n Ligne 2 "))
    assert (out.description, out.description_text) == ("", "Ligne 1\nLigne 2")


def test_enrich_fills_every_field(enricher, make_event):
    out = enricher.enrich(
        make_event(
            "Concert jeune public au Triangle",
            description="Spectacle pour les enfants dès 4 ans. Entrée libre. Traduit en LSF.",
            categories=("Musique",),
            location=Location(name="Le Triangle"),
        )
    )
    assert [t.code for t in out.themes][0] == "culture"
    assert out.location.quartier == "Le Blosne" and out.location.precision == "venue"
    assert out.accessibility == ("hi", "lsf")
    assert "enfants" in out.audience and out.is_free is True
    assert out.keywords[0] == "musique"


def test_enrich_moved_online_event_is_not_placed(enricher, make_event):
    event = make_event(status=Status.MOVED_ONLINE, location=Location(name="Le Triangle"))
    assert enricher.enrich(event).location.reason == "online"


def test_enrich_without_location_keeps_none(enricher, make_event):
    assert enricher.enrich(make_event()).location is None


def test_enrich_keeps_source_is_free(enricher, make_event):
    assert enricher.enrich(make_event(description="gratuit", is_free=False)).is_free is False


def test_enrich_is_idempotent(enricher, make_event):
    events = [
        make_event("Repair café", description="Gratuit.\n\nVenez réparer", keywords=("DIY",)),
        make_event(
            "Maraude", description="<b>a &amp; b</b> < c", location=Location(lat=-1.67, lon=48.1)
        ),
        make_event("Atelier", description_text="a &amp; <b>", location=Location(name="Nowhere")),
        make_event(
            "Concert",
            categories=("Musique", "Fête"),
            extra={"organizer_themes": ["006030"]},
            accessibility=("Handicap moteur",),
            audience=("seniors",),
            price="5 €",
            location=Location(name="Le Grand Cordel MJC", city="Rennes"),
        ),
    ]
    for event in events:
        once = enricher.enrich(event)
        assert enricher.enrich(once) == once


def test_enrich_does_not_touch_identity_or_dates(enricher, make_event):
    event = make_event("Concert", categories=("Musique",))
    out = enricher.enrich(event)
    assert (out.id, out.occurrences, out.title, out.categories) == (
        event.id,
        event.occurrences,
        event.title,
        event.categories,
    )


def test_free_when_text_says_gratuit():
    assert infer_free(None, None, "Concert gratuit, sur inscription") is True


def test_free_entree_libre():
    assert infer_free(None, None, "Entrée libre dans la limite des places") is True


def test_conditional_free_with_a_price_is_not_free():
    assert infer_free(None, "8 €, gratuit pour les moins de 12 ans", "") is False


def test_conditional_free_without_price_is_unknown():
    assert infer_free(None, None, "Gratuit pour les adhérents") is None


def test_price_amount_is_not_free():
    assert infer_free(None, "Tarif : 5 €", "") is False


def test_prix_libre_is_unknown():
    assert infer_free(None, None, "Entrée à prix libre") is None


def test_free_entry_with_paid_bar_in_text_is_free():
    assert infer_free(None, None, "Entrée libre. Buvette : bière 3 €") is True


def test_audience_children_from_age():
    assert infer_audience((), "Atelier dès 6 ans") == ("enfants",)


def test_audience_teenagers_from_age_range():
    assert infer_audience((), "Stage pour les 12-15 ans") == ("jeunes",)


def test_audience_jeune_public():
    assert infer_audience((), "Spectacle jeune public") == ("enfants",)


def test_audience_students_and_family():
    assert infer_audience((), "Soirée étudiants, venez en famille") == ("etudiants", "familles")


def test_audience_not_children_when_discouraged():
    assert infer_audience((), "Déconseillé aux enfants") == ()


def test_audience_keeps_source_codes():
    assert infer_audience(("seniors", "bogus"), "") == ("seniors",)


# -- the source's keywords reach the theme tagger (issue 16, second round) ---------------------

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def harvested(doc: dict, url: str):
    context = ParseContext(source_id="assos", now=NOW, url=url)
    (event,) = parse_document(json.dumps(doc).encode(), context).events
    return event


def test_openagenda_keywords_give_themes(enricher):
    event = harvested(
        {
            "total": 1,
            "events": [
                {
                    "uid": 7001,
                    "title": {"fr": "La nuit des morts-vivants"},
                    "keywords": {"fr": ["Théâtre", "Humour"]},
                    "timings": [{"begin": "2026-03-14T20:30:00+01:00",
                                 "end": "2026-03-14T22:00:00+01:00"}],
                }
            ],
        },
        "https://api.openagenda.com/v2/agendas/1/events",
    )
    assert event.keywords == ("Théâtre", "Humour") and event.categories == ()
    out = enricher.enrich(event)
    assert {t.code: t.reason for t in out.themes} == {"culture": "keyword:theatre"}
    assert enricher.enrich(out) == out


def test_opendatasoft_keywords_give_themes(enricher):
    fields = {
        "uid": "8001",
        "title_fr": "Les jeudis de la cour",
        "firstdate_begin": "2026-03-12T17:00:00+00:00",
        "firstdate_end": "2026-03-12T19:00:00+00:00",
        "keywords_fr": "Jardinage;Nature en ville",
    }
    event = harvested(
        {"nhits": 1, "parameters": {"start": 0}, "records": [{"recordid": "r1", "fields": fields}]},
        "https://data.example.org/api/records/1.0/search/?dataset=agenda",
    )
    assert event.keywords == ("Jardinage", "Nature en ville")
    out = enricher.enrich(event)
    assert [t.code for t in out.themes] == ["environnement"]
    assert out.themes[0].reason == "keyword:jardinage"
    assert enricher.enrich(out) == out


def test_a_keyword_the_text_already_says_is_not_counted_twice(enricher, make_event):
    # "concert" is a salient term of the title: the text speaks for it, not the keyword
    out = enricher.enrich(make_event("Concert du printemps", keywords=("Concert", "Danse")))
    assert {t.code: t.reason for t in out.themes} == {
        "culture": "keyword:danse; lexicon:concert"
    }
    assert enricher.enrich(out) == out


def test_enrich_memo_reuses_a_series_enrichment_without_mixing_identities(reference, make_event):
    enricher = Enricher(reference)
    later = Occurrence(start=datetime(2025, 6, 7, 20, 30, tzinfo=UTC))
    first = make_event("Atelier vélo", uid="a", description="<p>Réparation et café</p>",
                       location=Location(name="Le Triangle"))
    second = replace(first, id="other", source_uid="b", occurrences=(later,), url="https://x.fr")
    one, two = enricher.enrich(first), enricher.enrich(second)
    assert len(enricher._memo) == 1  # computed once for the series
    assert (two.id, two.source_uid, two.occurrences, two.url) == (
        "other", "b", (later,), "https://x.fr")
    assert replace(two, id=one.id, source_uid="a", occurrences=one.occurrences,
                   url=None) == one


def test_enrich_memo_keys_every_field_enrichment_reads(reference, make_event):
    memo, fresh = Enricher(reference), Enricher(reference)
    base = make_event("Rencontre", description="Une rencontre.",
                      location=Location(name="Le Triangle"))
    variants = [
        base,
        replace(base, title="Concert"),
        replace(base, description="Concert gratuit pour les enfants"),
        replace(base, description="", description_text="Concert de jazz"),
        replace(base, categories=("Sport",)),
        replace(base, keywords=("jardinage",)),
        replace(base, status=Status.MOVED_ONLINE),
        replace(base, location=Location(name="Les Champs Libres")),
        replace(base, accessibility=("Handicap moteur",)),
        replace(base, audience=("seniors",)),
        replace(base, is_free=False),
        replace(base, price="Gratuit"),
        replace(base, extra={"organizer_themes": ["006030"]}),
    ]
    outputs = []
    for event in variants:  # each read fresh, and through the memo after all the others
        outputs.append(memo.enrich(event))
        assert outputs[-1] == replace(event, **fresh._enriched_fields([event])[0])
    assert len({(o.description, o.themes, o.keywords, o.location, o.accessibility, o.audience,
                 o.is_free) for o in outputs}) == len(variants)  # each changes the enrichment
