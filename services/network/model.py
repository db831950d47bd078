"""A link two associations declared between them: ``maillage.rec.network.<a>.<b>.<kind>``.

The subject is made from the pair and the kind (:func:`link_id`), so the same link cannot be
declared twice: of two declarations at once, the store of record's expected sequence lets
one through and the other sees it (:mod:`services.network.storage`). For a kind that goes
both ways (a partnership) the pair is sorted; for one that goes one way (``member``: *a* is
a member of the federation *b*), it keeps its order.

States: ``proposed`` (declared by ``source``, waiting for a member of ``target``),
``confirmed`` (public: on the board, the map and both associations' pages), ``declined``
(by ``target``) and ``ended`` (by either side). A declined or ended link can be declared
again (the same subject, a new proposal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NETWORK = "network"

PROPOSED = "proposed"
CONFIRMED = "confirmed"
DECLINED = "declined"
ENDED = "ended"
STATES = (PROPOSED, CONFIRMED, DECLINED, ENDED)
#: States in which the link holds its subject (declaring it again is refused).
LIVE = (PROPOSED, CONFIRMED)
STATE_LABELS = {PROPOSED: "proposé, en attente de confirmation", CONFIRMED: "confirmé",
                DECLINED: "refusé", ENDED: "terminé"}

#: The controlled list of kinds (code: French label), in the order forms show them.
KINDS = {
    "partnership": "partenariat",
    "member": "membre de (fédération, réseau, union)",
    "premises": "locaux partagés",
    "events": "co-organisation d’événements",
    "equipment": "prêt de matériel",
    "employment": "mutualisation d’emploi",
    "volunteers": "échange de bénévoles",
    "training": "formation ou accompagnement",
}
#: Kinds that go one way: ``a`` → ``b`` (the member, then what it is a member of).
DIRECTED = frozenset({"member"})

MAX_NOTE = 280


def link_ends(source: str, target: str, kind: str) -> tuple[str, str]:
    """The pair as the subject holds it: sorted, unless the kind goes one way."""
    if kind in DIRECTED:
        return source, target
    first, second = sorted((source, target))
    return first, second


def link_id(source: str, target: str, kind: str) -> str:
    """``<a>.<b>.<kind>``: the record's id, its subject's last three tokens."""
    a, b = link_ends(source, target, kind)
    return f"{a}.{b}.{kind}"


def parse_id(lid: str) -> tuple[str, str, str] | None:
    """``(a, b, kind)`` of a link id; ``None`` when it cannot be one."""
    parts = lid.split(".")
    if len(parts) != 3 or not all(parts) or parts[2] not in KINDS or parts[0] == parts[1]:
        return None
    return parts[0], parts[1], parts[2]


@dataclass(frozen=True, slots=True)
class End:
    """What the link keeps of one association, copied from the directory when it is
    declared and confirmed (so that its searchable form needs no other read)."""

    id: str
    name: str
    quartier: str = ""
    commune: str = ""
    themes: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    #: the head office's public address (the directory's): placed by the projection's
    #: geocoder when the directory had no point for it yet
    address: dict[str, str] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "quartier": self.quartier,
                               "commune": self.commune, "themes": list(self.themes)}
        if self.lat is not None and self.lon is not None:
            out["lat"], out["lon"] = self.lat, self.lon
        if self.address:
            out["address"] = dict(self.address)
        return out

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> End:
        if not isinstance(r, dict):  # a malformed record: the board consumer dead-letters it
            raise TypeError(f"an end of a link must be an object, not {type(r).__name__}")
        lat, lon = r.get("lat"), r.get("lon")
        return cls(id=str(r["id"]), name=str(r.get("name") or r["id"]),
                   quartier=str(r.get("quartier") or ""), commune=str(r.get("commune") or ""),
                   themes=tuple(str(t) for t in r.get("themes") or ()),
                   lat=float(lat) if isinstance(lat, int | float) else None,
                   lon=float(lon) if isinstance(lon, int | float) else None,
                   address={str(k): str(v) for k, v in (r.get("address") or {}).items()})


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    kind: str
    #: the two ends in the subject's order
    a: End
    b: End
    #: who declared it (an association id: one of the ends), and who must confirm it
    source: str
    target: str
    state: str = PROPOSED
    note: str = ""
    #: since when (``YYYY`` or ``YYYY-MM``), optional
    since: str = ""
    created: str = ""
    updated: str = ""
    #: the association that ended or declined it
    closed_by: str = ""
    history: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def public(self) -> bool:
        return self.state == CONFIRMED

    @property
    def directed(self) -> bool:
        return self.kind in DIRECTED

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def end(self, aid: str) -> End:
        return self.a if aid == self.a.id else self.b

    def other(self, aid: str) -> End:
        return self.b if aid == self.a.id else self.a

    def involves(self, aid: str) -> bool:
        return aid in (self.a.id, self.b.id)

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "a": self.a.to_record(),
                "b": self.b.to_record(), "source": self.source, "target": self.target,
                "state": self.state, "note": self.note, "since": self.since,
                "created": self.created, "updated": self.updated,
                "closed_by": self.closed_by}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Link:
        return cls(id=str(r["id"]), kind=str(r["kind"]), a=End.from_record(r["a"]),
                   b=End.from_record(r["b"]), source=str(r["source"]),
                   target=str(r["target"]), state=str(r.get("state") or PROPOSED),
                   note=str(r.get("note") or ""), since=str(r.get("since") or ""),
                   created=str(r.get("created") or ""), updated=str(r.get("updated") or ""),
                   closed_by=str(r.get("closed_by") or ""))

    def public_form(self) -> dict[str, Any]:
        """What the API and the board show of a confirmed link (no person, no contact)."""
        return {"id": self.id, "kind": self.kind, "kind_label": self.kind_label,
                "directed": self.directed, "source": self.a.id, "target": self.b.id,
                "note": self.note or None, "since": self.since or None,
                "confirmed": self.updated or None,
                "associations": [self.a.to_record(), self.b.to_record()]}
