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
    ics = doc("b", "ics", "Bal folk", source_format="ics", description_text="court",
              themes=["danse"], accessibility=["hi"])
    rss = doc("a", "rss", "BAL FOLK", source_format="rss", description_text="bien plus long",
              themes=["musique"], accessibility=["pi"], status="cancelled",
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
