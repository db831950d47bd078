"""Dedup rules (shared/store/dedup.py, dedup_merge.py) on plain documents."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.store.dedup import clusters, features, match
from shared.store.dedup_merge import merge

T0 = 1_800_000_000


def doc(i: str, source: str, title: str, *, minutes: int = 0, name: str | None = "MJC Bréquigny",
        lat: float | None = 48.0893, lon: float | None = -1.6852, **kw) -> dict:
    loc = None if name is None and lat is None else {
        "name": name, "lat": lat, "lon": lon, "precision": "venue" if lat else None}
    return {"id": i, "event_id": "ev_" + i, "source_id": source, "title": title,
            "start_ts": T0 + 60 * minutes, "end_ts": T0 + 60 * minutes + 3600,
            "location": loc, "status": "scheduled", "sources": [], **kw}


def test_title_variant_within_tolerance_matches() -> None:
    a = features(doc("a", "s1", "Atelier vélo"))
    b = features(doc("b", "s2", "ATELIER VELO - Rennes", minutes=15))
    assert match(a, b) is not None


def test_start_beyond_tolerance_does_not_match() -> None:
    a = features(doc("a", "s1", "Atelier vélo"))
    assert match(a, features(doc("b", "s2", "Atelier vélo", minutes=31))) is None


def test_same_source_never_matches() -> None:
    a = features(doc("a", "s1", "Atelier vélo"))
    assert match(a, features(doc("b", "s1", "Atelier vélo"))) is None


def test_other_named_venue_far_away_does_not_match() -> None:
    a = features(doc("a", "s1", "Bal folk"))
    b = features(doc("b", "s2", "Bal folk", name="Les Champs Libres", lat=48.1056, lon=-1.6745))
    assert match(a, b) is None


def test_unknown_place_needs_a_closer_title() -> None:
    a = features(doc("a", "s1", "Concert de jazz"))
    assert match(a, features(doc("b", "s2", "Concert jazz", name=None, lat=None))) is not None
    assert match(a, features(doc("c", "s2", "Concert rock", name=None, lat=None))) is None


def test_same_url_matches_despite_titles() -> None:
    a = features(doc("a", "s1", "Réunion", url="https://x.fr/agenda/r1"))
    b = features(doc("b", "s2", "Rencontre mensuelle", url="http://www.x.fr/agenda/r1/"))
    assert match(a, b) is not None


def test_vague_copy_cannot_glue_events_at_distant_places() -> None:
    a = doc("a", "s1", "Bal folk")
    b = doc("b", "s2", "Bal folk", name="Les Champs Libres", lat=48.1056, lon=-1.6745)
    vague = doc("c", "s3", "Bal folk", name=None, lat=None)
    groups = clusters([features(d) for d in (a, b, vague)])
    assert len(groups) == 2


@given(st.permutations(range(6)))
def test_clusters_do_not_depend_on_input_order(order) -> None:
    docs = [doc("a", "s1", "Bal folk"), doc("b", "s2", "Grand bal folk", minutes=5),
            doc("c", "s3", "Bal folk", name=None, lat=None), doc("d", "s1", "Bal folk",
                                                                  minutes=10),
            doc("e", "s4", "Atelier couture"), doc("f", "s2", "Bal folk", minutes=20)]
    feats = [features(docs[i]) for i in order]
    assert clusters(feats) == clusters([features(d) for d in docs])


def test_merge_rules_and_provenance() -> None:
    """Two sources naming the same organiser: the richer text and a cancellation win."""
    ics = doc("b", "ics", "Bal folk", source_format="ics", description_text="court",
              themes=["danse"], accessibility=["hi"], organizer="Cercle celtique")
    rss = doc("a", "rss", "BAL FOLK", source_format="rss", description_text="bien plus long",
              themes=["musique"], accessibility=["pi"], status="cancelled",
              organizer="Le Cercle Celtique",
              location={"name": "MJC", "lat": 48.0, "lon": -1.6, "precision": "source"})
    for members in ([ics, rss], [rss, ics]):
        out = merge(members)
        assert out["id"] == "a" and out["members"] == ["a", "b"]
        assert out["title"] == "Bal folk" and out["provenance"]["title"] == "ics"
        assert out["description_text"] == "bien plus long"
        assert out["provenance"]["location"] == "rss"
        assert out["status"] == "cancelled"
        assert out["themes"] == ["danse", "musique"]
        assert out["accessibility"] == ["hi", "pi"]


def own(i: str, source: str, organiser: str, **kw) -> dict:
    """A member from ``organiser``'s own source (declared in the sources file)."""
    return doc(i, source, kw.pop("title", "Concert de la chorale"), organizer=organiser,
               extra={"source_organizer": organiser}, **kw)


COPY = {"title": "Concert de la chorale", "source_format": "openagenda",  # ranks first
        "status": "cancelled", "description_text": "Annulé ! " + "Texte bien plus long. " * 9,
        "url": "https://pirate.example/annule", "image": "https://pirate.example/i.png"}


def test_an_unrelated_copy_cannot_cancel_rewrite_or_relink_an_organisers_event() -> None:
    chorale = own("b", "chorale", "Chorale du Thabor", source_format="ics",
                  description_text="Concert de Noël.", url="https://chorale.example/noel")
    for organizer in ("Chorale du Thabor", None, "Agenda pirate"):  # claims the name, or not
        copy = doc("a", "pirate", **COPY, organizer=organizer)
        for members in ([chorale, copy], [copy, chorale]):
            out = merge(members)
            assert out["members"] == ["a", "b"]
            assert (out["status"], out["description_text"], out["url"], out["title"]) == (
                "scheduled", "Concert de Noël.", "https://chorale.example/noel",
                "Concert de la chorale")
            assert out["provenance"]["status"] == out["provenance"]["url"] == "chorale"
            # the copy stays visible as provenance, with what it announced
            assert {s["source_id"]: s["status"] for s in out["sources"]} == {
                "chorale": "scheduled", "pirate": "cancelled"}


def test_the_organisers_own_sources_decide_together() -> None:
    ics = own("b", "chorale-ics", "Chorale du Thabor", source_format="ics",
              description_text="Court.")
    rss = own("a", "chorale-rss", "chorale du thabor", source_format="rss", status="cancelled",
              description_text="La chorale annule son concert de Noël.")
    out = merge([ics, rss])
    assert (out["status"], out["description_text"]) == (
        "cancelled", "La chorale annule son concert de Noël.")


def test_without_declared_organisers_only_the_primarys_organiser_speaks() -> None:
    ics = doc("b", "ics", "Bal folk", source_format="ics", organizer="Cercle celtique",
              description_text="Court.")
    other = doc("a", "rss", "Bal folk", source_format="rss", organizer="Autre asso",
                status="cancelled", description_text="Une autre description plus longue.",
                image="https://autre.example/i.png")
    unknown = doc("c", "html", "Bal folk", source_format="html", status="cancelled",
                  description_text="Sans organisateur, mais plus longue encore.")
    out = merge([ics, other, unknown])
    assert (out["status"], out["description_text"]) == ("scheduled", "Court.")
    assert out["image"] == "https://autre.example/i.png"  # fills a gap: misleads nobody
    alone = merge([doc("d", "ics", "Bal folk", source_format="ics"), unknown])
    assert alone["status"] == "scheduled"  # an unknown organiser matches nobody


def test_a_missing_description_is_filled_from_another_source() -> None:
    chorale = own("b", "chorale", "Chorale du Thabor", source_format="ics")
    out = merge([chorale, doc("a", "agenda", "Concert de la chorale",
                              description_text="Présenté par l’agenda de la ville.")])
    assert out["description_text"] == "Présenté par l’agenda de la ville."


def test_an_organisers_own_source_never_merges_with_another_organisers_event() -> None:
    """An association's feed copying another's event names itself (its source's default
    organiser): the organiser's event stays apart from it, and goes with a member naming
    the organiser."""
    chorale = own("b", "chorale", "Chorale du Thabor")
    rival = own("a", "rival", "Les Voix Rivales", minutes=5)
    aggregator = doc("c", "ville", "Concert de la chorale", organizer="Chorale du Thabor")
    named = doc("d", "pirate", "Concert de la chorale", organizer="Agenda pirate")
    assert match(features(chorale), features(rival)) is None
    assert match(features(chorale), features(named)) is None
    groups = clusters([features(d) for d in (chorale, rival, aggregator, named)])
    assert sorted(groups) == [["a"], ["b", "c"], ["d"]]


def test_features_of_older_rows_read_without_an_organiser() -> None:
    feat = features(own("b", "chorale", "Chorale du Thabor"))
    assert (feat.organiser, feat.own) == ("chorale thabor", True)
    old = type(feat).from_json(feat.to_json()[:13])
    assert (old.organiser, old.own) == ("", False)
    assert type(feat).from_json(feat.to_json()) == feat
