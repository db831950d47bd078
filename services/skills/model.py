"""Pooled skills and students looking for projects, as kept in the store of record.

``maillage.rec.skill.<owner>.<id>``   one post (:class:`Post`): under its owner, so that an
                                      association's posts (or a person's profile) are one
                                      wildcard
``maillage.rec.skillmsg.<sender>.<id>`` a message sent to a post's author through the site
                                      (:class:`Message`), under its sender, so that their
                                      export and erasure are one wildcard

Four types of post:

``offre``            an association lends a skill (owner: the association)
``besoin``           an association needs one (owner: the association)
``projet_etudiant``  an association offers a project to students (owner: the association)
``etudiant``         a student's profile: what they study and look for (owner: the person;
                     one per person: its id is always :data:`PROFILE_ID`, so that a second
                     creation is a conflict on the subject itself)

A post's public id is ``<owner>.<id>``. ``author`` (the person who wrote it) is private:
the site mails them when someone answers, it never shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SKILL = "skill"
MESSAGE = "skillmsg"

OFFER = "offre"
NEED = "besoin"
STUDENT = "etudiant"
PROJECT = "projet_etudiant"
TYPES = (OFFER, NEED, STUDENT, PROJECT)
#: Types an association posts (the others: a person's own profile).
ASSOCIATION_TYPES = (OFFER, NEED, PROJECT)
TYPE_LABELS = {OFFER: "Offre de compétences", NEED: "Besoin de compétences",
               STUDENT: "Étudiant·e cherchant un projet", PROJECT: "Projet pour étudiant·es"}
TYPE_SHORT = {OFFER: "Offres", NEED: "Besoins", STUDENT: "Étudiant·es",
              PROJECT: "Projets pour étudiant·es"}
#: Which types answer which: a need meets offers, a student meets projects.
MATCHES = {NEED: (OFFER,), OFFER: (NEED,), STUDENT: (PROJECT,), PROJECT: (STUDENT,)}

#: The controlled vocabulary of skills (code → French label).
SKILLS = {
    "comptabilite": "Comptabilité et gestion",
    "communication": "Communication",
    "graphisme": "Graphisme",
    "juridique": "Juridique",
    "numerique": "Numérique et site web",
    "animation": "Animation",
    "bricolage": "Bricolage et travaux",
    "traduction": "Traduction",
    "photo_video": "Photo et vidéo",
    "financements": "Recherche de financements",
    "benevolat": "Gestion des bénévoles",
    "evenementiel": "Organisation d’événements",
    "redaction": "Rédaction",
}

REMOTE = "distance"
ON_SITE = "sur_place"
MODES = {REMOTE: "À distance", ON_SITE: "Sur place"}

OPEN = "ouvert"
IN_PROGRESS = "en_cours"
CLOSED = "clos"
STATES = {OPEN: "Ouvert", IN_PROGRESS: "En cours", CLOSED: "Clos"}

#: What a student looks for, or an association offers students (service civique: no).
PROJECT_KINDS = {"stage": "Stage", "projet_tutore": "Projet tutoré",
                 "benevolat_competences": "Bénévolat de compétences"}

PROFILE_ID = "profil"
#: Fields that never leave the store of record.
PRIVATE_FIELDS = frozenset({"author"})


def _strs(raw: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in raw or () if v)


@dataclass(frozen=True, slots=True)
class Post:
    owner: str
    id: str
    type: str
    title: str
    description: str = ""
    skills: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    project_kinds: tuple[str, ...] = ()
    #: what the student studies (profile) or the level wanted (project)
    studies: str = ""
    quartier: str = ""
    commune: str = ""
    starts: str = ""   # ISO date (YYYY-MM-DD)
    ends: str = ""
    effort: str = ""   # "2 h par mois"
    state: str = OPEN
    #: the association's name and themes, copied when written (its public form)
    owner_name: str = ""
    themes: tuple[str, ...] = ()
    author: str = ""
    created: str = ""
    updated: str = ""

    @property
    def key(self) -> str:
        """The public id: ``<owner>.<id>``."""
        return f"{self.owner}.{self.id}"

    @property
    def by_association(self) -> bool:
        return self.type in ASSOCIATION_TYPES

    @property
    def open(self) -> bool:
        return self.state != CLOSED

    def to_record(self) -> dict[str, Any]:
        return {"owner": self.owner, "id": self.id, "type": self.type, "title": self.title,
                "description": self.description, "skills": list(self.skills),
                "keywords": list(self.keywords), "modes": list(self.modes),
                "project_kinds": list(self.project_kinds), "studies": self.studies,
                "quartier": self.quartier, "commune": self.commune, "starts": self.starts,
                "ends": self.ends, "effort": self.effort, "state": self.state,
                "owner_name": self.owner_name, "themes": list(self.themes),
                "author": self.author, "created": self.created, "updated": self.updated}

    def public(self) -> dict[str, Any]:
        """What anyone may see (the API, the pages, the board): never its author."""
        data = {k: v for k, v in self.to_record().items() if k not in PRIVATE_FIELDS}
        return {**data, "id": self.key, "association": self.owner if self.by_association
                else None, "owner": self.owner if self.by_association else None}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Post:
        return cls(owner=str(r["owner"]), id=str(r["id"]), type=str(r["type"]),
                   title=str(r.get("title") or ""),
                   description=str(r.get("description") or ""),
                   skills=_strs(r.get("skills")), keywords=_strs(r.get("keywords")),
                   modes=_strs(r.get("modes")), project_kinds=_strs(r.get("project_kinds")),
                   studies=str(r.get("studies") or ""), quartier=str(r.get("quartier") or ""),
                   commune=str(r.get("commune") or ""), starts=str(r.get("starts") or ""),
                   ends=str(r.get("ends") or ""), effort=str(r.get("effort") or ""),
                   state=str(r.get("state") or OPEN),
                   owner_name=str(r.get("owner_name") or ""), themes=_strs(r.get("themes")),
                   author=str(r.get("author") or ""), created=str(r.get("created") or ""),
                   updated=str(r.get("updated") or ""))


@dataclass(frozen=True, slots=True)
class Message:
    """A message a signed-in person sent to a post's author through the site."""

    sender: str
    id: str
    post: str          # the post's public id
    text: str
    #: the sender agreed that their address be given to the author, to answer
    share_address: bool = False
    sent: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"sender": self.sender, "id": self.id, "post": self.post, "text": self.text,
                "share_address": self.share_address, "sent": self.sent}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Message:
        return cls(sender=str(r["sender"]), id=str(r["id"]), post=str(r["post"]),
                   text=str(r.get("text") or ""), share_address=bool(r.get("share_address")),
                   sent=str(r.get("sent") or ""))
