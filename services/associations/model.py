"""Associations and memberships, as kept in the store of record.

``maillage.rec.association.<id>``           the association (:class:`Association`)
``maillage.rec.membership.<id>.<person>``   a person's membership of it (:class:`Membership`),
                                            under its association so that its members are
                                            one wildcard
``maillage.rec.admins.<id>``                who its admins are (the last one stays)

The id is stable (a slug of the first name, never changed after); sources an association
adds carry it as their ``owner``. Contact details are private unless ``contact_public``.
``organizers`` are the names under which its events are published (the ``organizer`` of
harvested events), each claimed by one association.

The full record (issue 20): identity (``name``, ``acronym``, ``aliases``, the RNA number
``rna`` — ``W`` and 9 digits — and the older numbering ``rna_old``, ``siren``/``siret``),
``purpose``, ``themes`` (the taxonomy's codes, :mod:`shared.taxonomy`) and ``rna_themes``
(the RNA ``objet_social`` codes), the head office ``address`` (geocoded into commune and
quartier by the projection, :mod:`services.associations.project`), the ``quartiers`` it is
active in, ``website`` and ``links`` (network → URL), the ``tools`` it uses, its ``state``
(``active``, ``dissolved``, or ``pending`` while a creation waits for an operator) and dates,
the city's organisation id ``city_id`` and category (``city_category``, its
nomenclature code), and ``provenance``: for each field, who wrote its
current value (``rna`` import, ``city`` open data, ``self``-declared, ``operator``). What the
association or an operator wrote is never overwritten by an import
(:mod:`services.associations.provenance`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ASSOCIATION = "association"
MEMBERSHIP = "membership"
#: ``maillage.rec.admins.<id>``: the list of an association's admins, kept in step with the
#: memberships so that "at least one admin" is checked and written in one record
ADMINS = "admins"

ACTIVE = "active"
PENDING = "pending"
DISSOLVED = "dissolved"
#: States of an association that the directory lists (a dissolved one is marked inactive).
LISTED = (ACTIVE, DISSOLVED)
ADMIN = "admin"
EDITOR = "editor"
MEMBER_ROLES = (ADMIN, EDITOR)
ROLE_LABELS = {ADMIN: "administratrice ou administrateur", EDITOR: "rédactrice ou rédacteur"}
STATE_LABELS = {ACTIVE: "membre", PENDING: "demande en attente"}
ASSOCIATION_STATE_LABELS = {ACTIVE: "active", DISSOLVED: "dissoute",
                            PENDING: "en attente de validation"}
#: How a membership was granted.
HOW_LABELS = {"domain": "adresse du domaine du site de l’association",
              "approved": "acceptée par un administrateur", "operator": "ajout par un opérateur",
              "founder": "à la création de l’association"}

#: Who wrote a field's value (``provenance``).
RNA_IMPORT = "rna"
CITY_IMPORT = "city"
SELF = "self"
OPERATOR = "operator"
PROVENANCES = (RNA_IMPORT, CITY_IMPORT, SELF, OPERATOR)
PROVENANCE_LABELS = {RNA_IMPORT: "Répertoire national des associations",
                     CITY_IMPORT: "données ouvertes de Rennes Métropole",
                     SELF: "déclaré par l’association", OPERATOR: "corrigé par un opérateur"}

#: The social networks a link may point to (``links`` keys), with their display names.
LINK_KINDS = {"mastodon": "Mastodon", "peertube": "PeerTube", "mobilizon": "Mobilizon",
              "facebook": "Facebook", "instagram": "Instagram", "linkedin": "LinkedIn",
              "youtube": "YouTube", "bluesky": "Bluesky", "helloasso": "HelloAsso",
              "other": "Autre lien"}

FIELD_LABELS = {
    "name": "Nom", "acronym": "Sigle", "aliases": "Autres noms", "rna": "Numéro RNA",
    "rna_old": "Ancien numéro", "siren": "SIREN", "siret": "SIRET", "purpose": "Objet",
    "themes": "Thèmes", "rna_themes": "Thèmes du RNA", "address": "Siège",
    "quartiers": "Quartiers d’activité", "website": "Site web", "links": "Liens",
    "tools": "Outils utilisés", "founded": "Créée le (déclaration)",
    "dissolved_on": "Dissoute le", "city_id": "Identifiant de la ville",
    "city_category": "Catégorie de la ville",
    "provenance": "Provenance",
    "contact": "Coordonnées", "contact_public": "Coordonnées publiques",
    "organizers": "Noms d’organisateur", "state": "État", "requested_by": "Demandée par",
    "created": "Créée le", "id": "Identifiant", "role": "Rôle", "person": "Personne",
    "association": "Association", "how": "Accès", "decided_by": "Décidé par",
    "requested": "Demandé le",
}

#: Fields that never leave the store of record unless the association opted in
#: (``contact``), or at all (``requested_by``: a person id).
PRIVATE_FIELDS = frozenset({"contact", "contact_public", "requested_by"})


@dataclass(frozen=True, slots=True)
class Address:
    """The head office as declared (the RNA's ``adrs_*`` columns, or a form)."""

    street: str = ""       # number and street: "12 rue de la Paix"
    complement: str = ""   # "Maison des associations", "bâtiment B"
    postcode: str = ""
    city: str = ""
    insee: str = ""        # the commune's INSEE code when known

    def __bool__(self) -> bool:
        return any((self.street, self.complement, self.postcode, self.city, self.insee))

    def to_record(self) -> dict[str, str]:
        return {k: v for k, v in (("street", self.street), ("complement", self.complement),
                                  ("postcode", self.postcode), ("city", self.city),
                                  ("insee", self.insee)) if v}

    def label(self) -> str:
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (self.complement, self.street, town) if p)

    @classmethod
    def from_record(cls, r: Any) -> Address:
        if not isinstance(r, dict):
            return cls()
        return cls(**{k: str(r.get(k) or "") for k in
                      ("street", "complement", "postcode", "city", "insee")})


def _strs(raw: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in raw or () if v)


def _str_map(raw: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw or {}).items() if v}


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
    aliases: tuple[str, ...] = ()
    rna_old: str = ""
    siren: str = ""
    siret: str = ""
    purpose: str = ""
    themes: tuple[str, ...] = ()
    rna_themes: tuple[str, ...] = ()
    address: Address = field(default_factory=Address)
    quartiers: tuple[str, ...] = ()
    links: dict[str, str] = field(default_factory=dict)
    tools: tuple[str, ...] = ()
    founded: str = ""
    dissolved_on: str = ""
    city_id: str = ""
    city_category: str = ""
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    @property
    def listed(self) -> bool:
        """Shown in the directory (active, or dissolved and marked so)."""
        return self.state in LISTED

    def names(self) -> tuple[str, ...]:
        """Every name it goes by: name, acronym, aliases (for search and linking)."""
        return tuple(dict.fromkeys(n for n in (self.name, self.acronym, *self.aliases) if n))

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "acronym": self.acronym,
                "aliases": list(self.aliases), "rna": self.rna, "rna_old": self.rna_old,
                "siren": self.siren, "siret": self.siret, "purpose": self.purpose,
                "themes": list(self.themes), "rna_themes": list(self.rna_themes),
                "address": self.address.to_record(), "quartiers": list(self.quartiers),
                "website": self.website, "links": dict(self.links), "tools": list(self.tools),
                "contact": dict(self.contact), "contact_public": self.contact_public,
                "organizers": list(self.organizers), "state": self.state,
                "founded": self.founded, "dissolved_on": self.dissolved_on,
                "city_id": self.city_id, "city_category": self.city_category,
                "provenance": dict(self.provenance), "requested_by": self.requested_by,
                "created": self.created}

    def public(self) -> dict[str, Any]:
        """What anyone may see (the JSON API, the public page, the search projection): never
        the contact details unless the association made them public."""
        data: dict[str, Any] = {
            "id": self.id, "name": self.name, "acronym": self.acronym or None,
            "aliases": list(self.aliases), "rna": self.rna or None,
            "rna_old": self.rna_old or None, "siren": self.siren or None,
            "siret": self.siret or None, "purpose": self.purpose or None,
            "themes": list(self.themes), "rna_themes": list(self.rna_themes),
            "address": self.address.to_record() or None, "quartiers": list(self.quartiers),
            "website": self.website or None, "links": dict(self.links),
            "tools": list(self.tools), "organizers": list(self.organizers),
            "state": self.state, "founded": self.founded or None,
            "dissolved_on": self.dissolved_on or None, "city_id": self.city_id or None,
            "city_category": self.city_category or None, "provenance": dict(self.provenance)}
        if self.contact_public and self.contact:
            data["contact"] = dict(self.contact)
        return data

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Association:
        return cls(id=str(r["id"]), name=str(r["name"]), acronym=str(r.get("acronym") or ""),
                   rna=str(r.get("rna") or ""), website=str(r.get("website") or ""),
                   contact=_str_map(r.get("contact")),
                   contact_public=bool(r.get("contact_public")),
                   organizers=_strs(r.get("organizers")),
                   state=str(r.get("state") or ACTIVE),
                   requested_by=str(r.get("requested_by") or ""),
                   created=str(r.get("created") or ""),
                   aliases=_strs(r.get("aliases")), rna_old=str(r.get("rna_old") or ""),
                   siren=str(r.get("siren") or ""), siret=str(r.get("siret") or ""),
                   purpose=str(r.get("purpose") or ""), themes=_strs(r.get("themes")),
                   rna_themes=_strs(r.get("rna_themes")),
                   address=Address.from_record(r.get("address")),
                   quartiers=_strs(r.get("quartiers")), links=_str_map(r.get("links")),
                   tools=_strs(r.get("tools")), founded=str(r.get("founded") or ""),
                   dissolved_on=str(r.get("dissolved_on") or ""),
                   city_id=str(r.get("city_id") or ""),
                   city_category=str(r.get("city_category") or ""),
                   provenance=_str_map(r.get("provenance")))


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
