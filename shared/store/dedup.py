"""Cross-source deduplication: which occurrence documents are the same real-world event.

Shared by every store backend; pure functions over search documents (see
:func:`shared.store.base.occurrence_doc`). A *member* is one source's occurrence document; a
*cluster* is a set of members that describe the same event, and the store serves one
*canonical* document per cluster (:mod:`shared.store.dedup_merge`).

Matching (:func:`match`), for two members of *different* sources:

* time: starts within :data:`START_TOLERANCE_S` (30 min), or the same local day when either is
  an all-day occurrence;
* place: ``same`` when the venue names are alike (token Jaccard ≥ 0.6), the normalized
  addresses are equal, or both have precise coordinates (not a commune centre) within
  :data:`NEAR_M` (300 m; :data:`SAME_POINT_M`, 50 m, when both venues are named and the names
  share no word); ``far`` when both have precise coordinates more than :data:`FAR_M` apart, or
  more than :data:`NEAR_M` apart with two named venues whose names are not alike, or one is
  online and the other is not; ``unknown`` otherwise;
* title: accent-folded, stop-word-free, stemmed token sets, similarity
  ``max(jaccard, 0.85 * containment)`` (containment counts only when both titles have at least
  two tokens);
* the pair is an edge when the source URLs are equal, or title similarity reaches
  :data:`TITLE_SAME_PLACE` (place ``same``) or :data:`TITLE_UNKNOWN_PLACE` (place
  ``unknown``); a ``far`` place is never an edge.

Clustering (:func:`clusters`): edges sorted by score (best first, ties by ids) are merged
greedily, refusing any merge that would put two members of the same source in one cluster
(a source does not list one event twice, and this stops chains A1–B–A2) or two members that
:func:`conflict` (different times, places known to be apart, or an organiser's own source and
a member naming another organiser, see :func:`own_organiser`): a vague copy (no venue) cannot
glue together two events held at distant places, and an organiser's event is never merged
with one that names another organiser (whose source would then speak for it,
:mod:`shared.store.dedup_merge`). The result depends only
on the set of members, never on the order they arrived in: this is what makes the index
independent of message order. Edges exist only between members whose starts are close, so a
change can only affect the connected component around it; stores recompute just that.

The cluster id is the smallest member id, so it is deterministic too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from shared.model import PARIS
from shared.text import stem_line, tokens

START_TOLERANCE_S = 30 * 60
NEAR_M = 300.0
SAME_POINT_M = 50.0
FAR_M = 1500.0
TITLE_SAME_PLACE = 0.5
TITLE_UNKNOWN_PLACE = 0.75
VENUE_SAME = 0.6
PRECISE = frozenset({"source", "venue", "street", None})

#: How far (seconds) around a member's start another member can be and still match it: a
#: store fetches candidates from ``[start - WINDOW_S, start + WINDOW_S]`` plus same-day
#: all-day members.
WINDOW_S = START_TOLERANCE_S


@dataclass(frozen=True, slots=True)
class Features:
    """What matching needs from a member document (cheap to store as JSON)."""

    id: str
    source_id: str
    start_ts: int
    day: int
    all_day: bool
    title: frozenset[str]
    venue: frozenset[str]
    address: str
    lat: float | None
    lon: float | None
    precise: bool
    online: bool
    url: str
    organiser: str = ""  # the organiser it names (:func:`organiser_key`)
    own: bool = False  # from that organiser's own source (:func:`own_organiser`)

    def to_json(self) -> list[Any]:
        return [self.id, self.source_id, self.start_ts, self.day, self.all_day,
                sorted(self.title), sorted(self.venue), self.address, self.lat, self.lon,
                self.precise, self.online, self.url, self.organiser, self.own]

    @classmethod
    def from_json(cls, v: list[Any]) -> Features:
        return cls(v[0], v[1], v[2], v[3], v[4], frozenset(v[5]), frozenset(v[6]), v[7], v[8],
                   v[9], v[10], v[11], v[12], *(v[13:15] if len(v) > 13 else ("", False)))


def local_day(ts: int) -> int:
    """The local (Europe/Paris) date of a timestamp, as an ordinal."""
    return datetime.fromtimestamp(ts, PARIS).date().toordinal()


def _norm_url(url: str | None) -> str:
    if not url:
        return ""
    u = url.strip().lower().split("#")[0].rstrip("/")
    for prefix in ("https://", "http://"):
        if u.startswith(prefix):
            u = u[len(prefix):]
    return u.removeprefix("www.")


def organiser_key(name: Any) -> str:
    """An organiser's name as sorted folded words (``La Chorale du Thabor``: ``chorale
    thabor``); ``""`` when unknown."""
    return _organiser_key(name) if isinstance(name, str) else ""


# The features of the members of a batch repeat their venues, addresses and organisers (and
# a series its title): the words are read once per string.
@lru_cache(maxsize=4096)
def _organiser_key(name: str) -> str:
    return " ".join(sorted(set(tokens(name))))


@lru_cache(maxsize=4096)
def _stem_set(text: str) -> frozenset[str]:
    return frozenset(stem_line(text).split())  # the same stems the store indexes


@lru_cache(maxsize=4096)
def _address_key(text: str) -> str:
    return " ".join(tokens(text))


def own_organiser(doc: dict[str, Any]) -> str:
    """The organiser (:func:`organiser_key`) when the member comes from that organiser's own
    source: the source declares an organiser (``organizer`` in the sources file, carried as
    ``extra["source_organizer"]``) and the event names the same one; else ``""``."""
    declared = organiser_key((doc.get("extra") or {}).get("source_organizer"))
    return declared if declared and declared == organiser_key(doc.get("organizer")) else ""


def features(doc: dict[str, Any]) -> Features:
    loc = doc.get("location") or {}
    lat, lon = loc.get("lat"), loc.get("lon")
    has_coords = lat is not None and lon is not None
    return Features(
        id=doc["id"],
        source_id=doc["source_id"],
        start_ts=int(doc["start_ts"]),
        day=local_day(int(doc["start_ts"])),
        all_day=bool(doc.get("all_day")),
        title=_stem_set(doc.get("title") or ""),
        venue=_stem_set(loc.get("name") or ""),
        address=_address_key(loc.get("address") or ""),
        lat=lat if has_coords else None,
        lon=lon if has_coords else None,
        precise=has_coords and loc.get("precision") in PRECISE,
        online=bool(loc.get("online")),
        url=_norm_url(doc.get("url")),
        organiser=organiser_key(doc.get("organizer")),
        own=bool(own_organiser(doc)),
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def title_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    jac = _jaccard(a, b)
    if min(len(a), len(b)) >= 2:
        jac = max(jac, 0.85 * len(a & b) / min(len(a), len(b)))
    return jac


def _distance_m(a: Features, b: Features) -> float:
    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dl = math.radians(b.lon - a.lon)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


def place_relation(a: Features, b: Features) -> str:
    """``same``, ``far`` or ``unknown``."""
    if a.online != b.online:
        return "far"
    if a.online and b.online:
        return "same"
    named = bool(a.venue and b.venue)
    if named and _jaccard(a.venue, b.venue) >= VENUE_SAME:
        return "same"
    if a.address and a.address == b.address:
        return "same"
    if a.precise and b.precise:
        dist = _distance_m(a, b)
        disjoint = named and not a.venue & b.venue
        if dist <= (SAME_POINT_M if disjoint else NEAR_M):
            return "same"
        if dist > FAR_M or (named and dist > NEAR_M):
            return "far"
    return "unknown"


def times_match(a: Features, b: Features) -> bool:
    if a.all_day or b.all_day:
        return a.day == b.day
    return abs(a.start_ts - b.start_ts) <= START_TOLERANCE_S


def other_organiser(a: Features, b: Features) -> bool:
    """One is an organiser's own source and the other names another organiser."""
    return (a.own or b.own) and bool(a.organiser and b.organiser) and a.organiser != b.organiser


def conflict(a: Features, b: Features) -> bool:
    """Members that cannot be in one cluster, even through others: not at the same time, at
    places known to be apart, or an organiser's own source and a member naming another."""
    return not times_match(a, b) or other_organiser(a, b) or place_relation(a, b) == "far"


def match(a: Features, b: Features) -> float | None:
    """The score of the pair when it is the same event, else ``None``."""
    if a.source_id == b.source_id or not times_match(a, b):
        return None
    if other_organiser(a, b):
        return None
    sim = title_similarity(a.title, b.title)
    same_url = bool(a.url) and a.url == b.url
    if not same_url and sim < min(TITLE_SAME_PLACE, TITLE_UNKNOWN_PLACE):
        return None  # no place makes it a match: skip the place test (the costly part)
    place = place_relation(a, b)
    if place == "far":
        return None
    if same_url:
        return 1.0 + sim
    need = TITLE_SAME_PLACE if place == "same" else TITLE_UNKNOWN_PLACE
    if sim < need:
        return None
    return sim + (0.1 if place == "same" else 0.0)


def edges(members: Iterable[Features]) -> list[tuple[float, str, str]]:
    """Every matching pair among ``members`` as ``(score, id_a, id_b)`` with ``id_a < id_b``."""
    items = sorted(members, key=lambda f: f.start_ts)
    out: list[tuple[float, str, str]] = []
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            if b.start_ts - a.start_ts > 86400 + START_TOLERANCE_S:
                break
            score = match(a, b)
            if score is not None:
                out.append((score, *sorted((a.id, b.id))))  # type: ignore[arg-type]
    return out


def clusters(
    members: Iterable[Features], pairs: Iterable[tuple[float, str, str]] | None = None
) -> list[list[str]]:
    """Partition ``members`` into clusters (each sorted; clusters sorted by their first id)."""
    feats = {f.id: f for f in members}
    if pairs is None:
        pairs = edges(feats.values())
    parent = {i: i for i in feats}
    sources = {i: {f.source_id} for i, f in feats.items()}
    held: dict[str, list[Features]] = {i: [f] for i, f in feats.items()}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _score, a, b in sorted(pairs, key=lambda e: (-e[0], e[1], e[2])):
        if a not in feats or b not in feats:
            continue
        ra, rb = find(a), find(b)
        if ra == rb or sources[ra] & sources[rb]:
            continue
        if any(conflict(x, y) for x in held[ra] for y in held[rb]):
            continue
        keep, drop = min(ra, rb), max(ra, rb)
        parent[drop] = keep
        sources[keep] |= sources.pop(drop)
        held[keep] += held.pop(drop)
    groups: dict[str, list[str]] = {}
    for i in feats:
        groups.setdefault(find(i), []).append(i)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def cluster_changes(
    groups: list[list[str]], old_of: Mapping[str, str | None], changed: set[str]
) -> tuple[set[str], list[list[str]]]:
    """What to rewrite after reclustering: ``(canonical ids to delete, groups to write)``.

    ``old_of`` gives, for every reached member and every member removed by the batch, the id
    of its cluster before the batch (``None`` for a new member); ``changed`` holds the members
    written by the batch. A group is left alone when it is exactly an old cluster and none of
    its members changed.
    """
    old: dict[str, set[str]] = {}
    for mid, cid in old_of.items():
        if cid is not None:
            old.setdefault(cid, set()).add(mid)
    dirty = [g for g in groups if old.get(g[0]) != set(g) or changed.intersection(g)]
    clean = {g[0] for g in groups} - {g[0] for g in dirty}
    return {cid for cid in old if cid not in clean}, dirty
