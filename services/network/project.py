"""The searchable form of a declared link: what the indexer's board consumer writes to the
board (:mod:`shared.store.board_base`, kind ``network``).

Only confirmed links are public: a proposed, declined or ended link leaves the board
(``doc`` ``None``). The document holds the link's public form (:meth:`Link.public_form`:
the kind, the note, since when, and of each end its id, name, quartier, commune, themes and
head office's point, as the directory showed them when the link was declared and
confirmed), and the facets the network's pages filter on: ``kind``, ``association`` (both
ends: one association and its neighbours), ``quartier`` and ``theme`` (of either end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from services.associations.model import Association
from services.associations.project import Geocode, place
from services.network.model import NETWORK, End, Link
from shared.records import Entry
from shared.store.board_base import BoardMessage

#: The board's kind of a link (also its record kind).
KIND = NETWORK


def searchable(link: Link) -> dict[str, Any] | None:
    """The board document of a link, or ``None`` when it must not be public."""
    if not link.public:
        return None
    ends = (link.a, link.b)
    doc: dict[str, Any] = {
        **link.public_form(),
        "title": f"{link.a.name} — {link.b.name}",
        "text": " ".join(p for p in (link.kind_label, link.note) if p),
        "facets": {
            "kind": [link.kind],
            "association": [link.a.id, link.b.id],
            "quartier": sorted({e.quartier for e in ends if e.quartier}),
            "theme": sorted({t for e in ends for t in e.themes}),
        },
        "updated": link.updated or link.created,
    }
    placed = [e for e in ends if e.lat is not None and e.lon is not None]
    if placed:  # for "near": the middle of the line (one end when only one is placed)
        doc["lat"] = round(sum(e.lat for e in placed if e.lat is not None) / len(placed), 6)
        doc["lon"] = round(sum(e.lon for e in placed if e.lon is not None) / len(placed), 6)
    return doc


def placed(end: End, geocode: Geocode | None) -> End:
    """``end`` with a point, quartier and commune from the geocoder when the directory gave
    none when the link was written (its address, as the directory itself places it)."""
    if geocode is None or end.lat is not None or not end.address:
        return end
    where = place(Association.from_record({"id": end.id, "name": end.name,
                                           "address": end.address}), geocode)
    return replace(end, lat=where.get("lat"), lon=where.get("lon"),
                   quartier=end.quartier or str(where.get("quartier") or ""),
                   commune=end.commune or str(where.get("commune") or ""))


def project(entry: Entry, geocode: Geocode | None = None) -> BoardMessage:
    """The board message of one ``RECORDS`` message of a link."""
    rid = entry.subject.split(".", 3)[3]
    doc = None
    if not entry.deleted:
        link = Link.from_record(entry.record)
        if link.public:
            link = replace(link, a=placed(link.a, geocode), b=placed(link.b, geocode))
        doc = searchable(link)
    return BoardMessage(KIND, rid, entry.seq, doc)


PROJECTIONS: dict[str, Callable[[Entry, Geocode | None], BoardMessage]] = {NETWORK: project}
