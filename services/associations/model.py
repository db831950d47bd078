"""Associations and memberships, as kept in the store of record.

``maillage.rec.association.<id>``           the association (:class:`Association`)
``maillage.rec.membership.<id>.<person>``   a person's membership of it (:class:`Membership`),
                                            under its association so that its members are
                                            one wildcard

The id is stable (a slug of the first name, never changed after); sources an association
adds (next) carry it as their ``owner``. Contact details are private unless
``contact_public``. ``organizers`` are the names under which its events are published
(the ``organizer`` of harvested events), each claimed by one association.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ASSOCIATION = "association"
MEMBERSHIP = "membership"

ACTIVE = "active"
PENDING = "pending"
ADMIN = "admin"
EDITOR = "editor"
MEMBER_ROLES = (ADMIN, EDITOR)
ROLE_LABELS = {ADMIN: "administratrice ou administrateur", EDITOR: "rédactrice ou rédacteur"}
STATE_LABELS = {ACTIVE: "membre", PENDING: "demande en attente"}
#: How a membership was granted.
HOW_LABELS = {"domain": "adresse du domaine du site de l’association",
              "approved": "acceptée par un administrateur", "operator": "ajout par un opérateur",
              "founder": "à la création de l’association"}

FIELD_LABELS = {
    "name": "Nom", "acronym": "Sigle", "rna": "Numéro RNA", "website": "Site web",
    "contact": "Coordonnées", "contact_public": "Coordonnées publiques",
    "organizers": "Noms d’organisateur", "state": "État", "requested_by": "Demandée par",
    "created": "Créée le", "id": "Identifiant", "role": "Rôle", "person": "Personne",
    "association": "Association", "how": "Accès", "decided_by": "Décidé par",
    "requested": "Demandé le",
}


@dataclass(frozen=True, slots=True)
class Association:
    id: str
    name: str
    acronym: str = ""
    rna: str = ""
    website: str = ""
    contact: dict[str, str] = field(default_factory=dict)
    contact_public: bool = False
    organizers: tuple[str, ...] = ()
    state: str = ACTIVE
    requested_by: str = ""
    created: str = ""

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "acronym": self.acronym, "rna": self.rna,
                "website": self.website, "contact": dict(self.contact),
                "contact_public": self.contact_public, "organizers": list(self.organizers),
                "state": self.state, "requested_by": self.requested_by, "created": self.created}

    def public(self) -> dict[str, Any]:
        """What anyone may see (the JSON API, the public page)."""
        data: dict[str, Any] = {"id": self.id, "name": self.name, "acronym": self.acronym or None,
                "rna": self.rna or None, "website": self.website or None,
                "organizers": list(self.organizers)}
        if self.contact_public and self.contact:
            data["contact"] = dict(self.contact)
        return data

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Association:
        return cls(id=str(r["id"]), name=str(r["name"]), acronym=str(r.get("acronym") or ""),
                   rna=str(r.get("rna") or ""), website=str(r.get("website") or ""),
                   contact={str(k): str(v) for k, v in (r.get("contact") or {}).items() if v},
                   contact_public=bool(r.get("contact_public")),
                   organizers=tuple(str(o) for o in r.get("organizers") or ()),
                   state=str(r.get("state") or ACTIVE),
                   requested_by=str(r.get("requested_by") or ""),
                   created=str(r.get("created") or ""))


@dataclass(frozen=True, slots=True)
class Membership:
    association: str
    person: str
    role: str = EDITOR
    state: str = PENDING
    how: str = ""
    requested: str = ""
    decided_by: str = ""

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    @property
    def admin(self) -> bool:
        return self.active and self.role == ADMIN

    def to_record(self) -> dict[str, Any]:
        return {"association": self.association, "person": self.person, "role": self.role,
                "state": self.state, "how": self.how, "requested": self.requested,
                "decided_by": self.decided_by}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Membership:
        return cls(association=str(r["association"]), person=str(r["person"]),
                   role=str(r.get("role") or EDITOR), state=str(r.get("state") or PENDING),
                   how=str(r.get("how") or ""), requested=str(r.get("requested") or ""),
                   decided_by=str(r.get("decided_by") or ""))
