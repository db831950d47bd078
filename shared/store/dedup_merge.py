"""Build the canonical document of a cluster of member documents (see :mod:`.dedup`).

Who may speak for the event. Any source can publish a near-duplicate of another organiser's
event, so what changes the event's meaning (its status, its description, its link) comes
only from the *authorities* of the cluster (:func:`authorities`):

* an *own source*: a member whose source declares an organiser (``organizer`` in the
  sources file, carried as ``extra["source_organizer"]``) and whose event names that same
  organiser (:func:`shared.store.dedup.own_organiser`). When there are own sources, they
  are the authorities (clustering never puts an own source with a member naming another
  organiser);
* otherwise the primary member (rank order below) and the members naming the same organiser
  as it does (names compared as folded words: ``La Chorale du Thabor`` is ``chorale
  thabor``). An unknown organiser matches nobody.

The other members still add what cannot mislead (tags, a more precise place, a price, a
description when no authority has one) and are listed in ``sources`` with the status each
one announced (provenance: a cancellation seen elsewhere stays visible, it just does not
cancel the event).

Which source wins a field (``provenance[field]`` names it):

* members are ranked: most structured format first (:data:`FORMAT_RANK`: OpenAgenda, ICS,
  schema.org/HTML, ActivityPub, ... RSS last), then the most complete document (number of
  filled fields), then the smallest member id. The first authority is the *primary* member;
* ``title``, ``url``, ``event_id``, ``source_id`` come from the primary member (``url``: the
  first authority that has one, never another member); dates (``start``, ``end``,
  ``all_day``) too, except that a timed occurrence wins the dates over an all-day one (more
  precise), authorities first;
* ``organizer``, ``image``, ``price``, ``is_free``: the first member that has one,
  authorities first, then in rank order;
* ``description`` / ``description_text``: the longest plain text of an authority (the
  richer description); of any member when no authority has one;
* ``location``: the most precise geolocation (:data:`PRECISION_RANK`: given by the source,
  then venue, street, commune), ties by number of filled fields, then rank;
* ``status``: the most severe one among the authorities (a cancellation announced by the
  organiser wins);
* ``themes``, ``keywords``, ``categories``, ``accessibility``, ``audience``: the union, in
  rank order;
* ``sources`` lists every member (``source_id``, ``event_id``, ``url``, ``member_id``,
  ``status``), sorted; ``members`` lists the member ids; ``id`` is the smallest member id.

The result depends only on the set of members, never on their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.store.dedup import organiser_key, own_organiser

FORMAT_RANK = {
    "openagenda": 0, "ics": 1, "html": 2, "schemaorg": 2, "activitypub": 3, "wordpress": 3,
    "opendatasoft": 3, "ingest": 4, "rss": 6, "atom": 6,
}
PRECISION_RANK = {"source": 0, None: 1, "venue": 1, "street": 2, "commune": 3}
STATUS_RANK = {"cancelled": 0, "postponed": 1, "rescheduled": 2, "moved_online": 3,
               "full": 4, "tentative": 5, "scheduled": 6}
UNION_FIELDS = ("themes", "keywords", "categories", "accessibility", "audience")
FIRST_FILLED = ("organizer", "image", "price", "is_free")
PRIMARY_FIELDS = ("title", "url", "event_id", "source_id", "source_uid", "timezone",
                  "source_format", "updated", "extra")


def _filled(doc: dict[str, Any]) -> int:
    return sum(1 for v in doc.values() if v not in (None, "", [], {}))


def rank_key(doc: dict[str, Any]) -> tuple[int, int, str]:
    return (FORMAT_RANK.get(doc.get("source_format") or "", 5), -_filled(doc), doc["id"])


def _location_key(doc: dict[str, Any]) -> tuple[int, int]:
    loc = doc.get("location")
    if not loc:
        return (9, 0)
    has_coords = loc.get("lat") is not None and loc.get("lon") is not None
    precision = PRECISION_RANK.get(loc.get("precision"), 4) if has_coords else 5
    return (precision, -sum(1 for v in loc.values() if v not in (None, "", False)))


def _union(docs: Sequence[dict[str, Any]], name: str) -> list[Any]:
    out: dict[Any, None] = {}
    for doc in docs:
        for v in doc.get(name) or ():
            out.setdefault(v, None)
    return list(out)


def authorities(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The members (``docs`` in rank order) that may set status, description and link; the
    first is the primary member."""
    owners = [d for d in docs if own_organiser(d)]
    lead = owners[0] if owners else docs[0]
    name = organiser_key(lead.get("organizer"))
    if not name:
        return [lead]
    return [lead] + [d for d in (owners or docs)
                     if d is not lead and organiser_key(d.get("organizer")) == name]


def merge(members: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The canonical document of a cluster (``members`` in any order, at least one)."""
    if len(members) == 1:
        return _alone(members[0])
    docs = sorted(members, key=rank_key)
    trusted = authorities(docs)
    ids = {d["id"] for d in trusted}
    ordered = trusted + [d for d in docs if d["id"] not in ids]  # authorities first
    primary = trusted[0]
    prov: dict[str, str] = {}
    out: dict[str, Any] = dict(primary)
    for name in PRIMARY_FIELDS:
        prov[name] = primary["source_id"]
    linked = next((d for d in trusted if d.get("url")), primary)
    out["url"] = linked.get("url")
    prov["url"] = linked["source_id"]

    dated = min(docs, key=lambda d: (bool(d.get("all_day")), d["id"] not in ids, rank_key(d)))
    for name in ("start", "end", "start_ts", "end_ts", "all_day"):
        out[name] = dated.get(name)
    prov["start"] = prov["end"] = dated["source_id"]

    for name in FIRST_FILLED:
        found = next((d for d in ordered if d.get(name) not in (None, "")), primary)
        out[name] = found.get(name)
        prov[name] = found["source_id"]

    described = [d for d in trusted if d.get("description_text")] or docs
    richest = min(described, key=lambda d: (-len(d.get("description_text") or ""), rank_key(d)))
    out["description"] = richest.get("description", "")
    out["description_text"] = richest.get("description_text", "")
    prov["description"] = richest["source_id"]

    placed = min(docs, key=lambda d: (*_location_key(d), rank_key(d)))
    out["location"] = placed.get("location")
    prov["location"] = placed["source_id"]

    severe = min(trusted, key=lambda d: (STATUS_RANK.get(d.get("status") or "", 6),
                                         rank_key(d)))
    out["status"] = severe.get("status")
    prov["status"] = severe["source_id"]

    for name in UNION_FIELDS:
        out[name] = _union(docs, name)
    reasons: dict[str, str] = {}
    for doc in docs:
        for code, why in (doc.get("theme_reasons") or {}).items():
            reasons.setdefault(code, why)
    out["theme_reasons"] = reasons

    out["sources"] = sorted((_source(d) for d in docs),
                            key=lambda s: (s["source_id"], s["event_id"], s["member_id"]))
    out["members"] = sorted(d["id"] for d in docs)
    out["id"] = out["members"][0]
    out["provenance"] = dict(sorted(prov.items()))
    return out


_ALONE_DEFAULTS = (*((name, None) for name in ("start", "end", "start_ts", "end_ts", "all_day",
                                                 *FIRST_FILLED)),
                   ("description", ""), ("description_text", ""), ("location", None),
                   ("status", None))
_ALONE_PROVENANCE = tuple(sorted((*PRIMARY_FIELDS, "start", "end", *FIRST_FILLED,
                                  "description", "location", "status")))


def _alone(doc: dict[str, Any]) -> dict[str, Any]:
    """:func:`merge` of a single member (the common case), without the ranking."""
    out: dict[str, Any] = dict(doc)
    for name, default in _ALONE_DEFAULTS:  # what merge() sets, when the member lacks it
        if name not in out:
            out[name] = default
    for name in UNION_FIELDS:
        out[name] = list(dict.fromkeys(doc.get(name) or ()))
    out["theme_reasons"] = dict(doc.get("theme_reasons") or {})
    out["sources"] = [_source(doc)]
    out["members"] = [doc["id"]]
    out["id"] = doc["id"]
    out["provenance"] = dict.fromkeys(_ALONE_PROVENANCE, doc["source_id"])
    return out


def _source(doc: dict[str, Any]) -> dict[str, Any]:
    """One member as provenance: its source, event, link and the status it announced."""
    return {"source_id": doc["source_id"], "event_id": doc["event_id"], "url": doc.get("url"),
            "member_id": doc["id"], "status": doc.get("status")}
