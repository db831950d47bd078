"""Joint applications to calls for projects, as kept in the store of record.

``maillage.rec.application.<id>``                    the application (:class:`Application`),
                                                     opened by a member of its lead
                                                     association for one call (or for a call
                                                     Maillage does not know: a funder, a
                                                     deadline, a link)
``maillage.rec.application_partner.<id>.<assoc>``    an association's place in it
                                                     (:class:`Partner`): asked to join, was
                                                     invited, accepted, declined, withdrew;
                                                     under its application, so that its
                                                     partners are one wildcard

The application keeps the public list of its accepted partners (``partners``: id and name),
so that its searchable form (:mod:`services.applications.project`) is made from its record
alone. Who opened it (``opened_by``) and who asked to join (``requested_by``) are person ids,
never public; neither is a join request's ``message`` (only the lead reads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

APPLICATION = "application"
PARTNER = "application_partner"

SEEKING = "seeking"
FORMED = "formed"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
REJECTED = "rejected"
ABANDONED = "abandoned"
STATES = (SEEKING, FORMED, SUBMITTED, ACCEPTED, REJECTED, ABANDONED)
STATE_LABELS = {SEEKING: "recherche de partenaires", FORMED: "constituée",
                SUBMITTED: "déposée", ACCEPTED: "retenue", REJECTED: "non retenue",
                ABANDONED: "abandonnée"}
#: Where an application may go from each state (its lead decides).
NEXT_STATES = {SEEKING: (FORMED, ABANDONED), FORMED: (SEEKING, SUBMITTED, ABANDONED),
               SUBMITTED: (ACCEPTED, REJECTED), ACCEPTED: (), REJECTED: (), ABANDONED: ()}
#: States in which partners may still ask to join or be invited.
OPEN = (SEEKING, FORMED)

#: A partner's states: it asked (``requested``) or was invited (``invited``); then
#: ``accepted`` (a partner), ``declined`` (by the other side), ``withdrawn`` (by itself).
REQUESTED = "requested"
INVITED = "invited"
PARTNER_ACCEPTED = "accepted"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
PARTNER_LABELS = {REQUESTED: "demande en attente", INVITED: "invitation en attente",
                  PARTNER_ACCEPTED: "partenaire", DECLINED: "déclinée",
                  WITHDRAWN: "retirée"}


def _strs(raw: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in raw or () if v)


def _int(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    lead: str
    lead_name: str
    title: str
    summary: str
    deadline: str
    call: str = ""
    call_title: str = ""
    funder: str = ""
    link: str = ""
    opens: str = ""
    themes: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    quartiers: tuple[str, ...] = ()
    wanted: str = ""
    budget_min: int | None = None
    budget_max: int | None = None
    state: str = SEEKING
    partners: tuple[dict[str, str], ...] = ()
    created: str = ""
    updated: str = ""
    opened_by: str = ""

    @property
    def open(self) -> bool:
        return self.state in OPEN

    @property
    def seeking(self) -> bool:
        return self.state == SEEKING

    def partner_ids(self) -> tuple[str, ...]:
        return tuple(p["id"] for p in self.partners)

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "lead": self.lead, "lead_name": self.lead_name,
                "title": self.title, "summary": self.summary, "deadline": self.deadline,
                "call": self.call, "call_title": self.call_title, "funder": self.funder,
                "link": self.link, "opens": self.opens, "themes": list(self.themes),
                "skills": list(self.skills), "quartiers": list(self.quartiers),
                "wanted": self.wanted, "budget_min": self.budget_min,
                "budget_max": self.budget_max, "state": self.state,
                "partners": [dict(p) for p in self.partners], "created": self.created,
                "updated": self.updated, "opened_by": self.opened_by}

    def public(self) -> dict[str, Any]:
        """What anyone may see (the API, the pages, the board): not who opened it."""
        data = self.to_record()
        del data["opened_by"]
        return data

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Application:
        return cls(id=str(r["id"]), lead=str(r["lead"]), lead_name=str(r.get("lead_name") or ""),
                   title=str(r.get("title") or ""), summary=str(r.get("summary") or ""),
                   deadline=str(r.get("deadline") or ""), call=str(r.get("call") or ""),
                   call_title=str(r.get("call_title") or ""),
                   funder=str(r.get("funder") or ""), link=str(r.get("link") or ""),
                   opens=str(r.get("opens") or ""), themes=_strs(r.get("themes")),
                   skills=_strs(r.get("skills")), quartiers=_strs(r.get("quartiers")),
                   wanted=str(r.get("wanted") or ""), budget_min=_int(r.get("budget_min")),
                   budget_max=_int(r.get("budget_max")),
                   state=str(r.get("state") or SEEKING),
                   partners=tuple({"id": str(p["id"]), "name": str(p.get("name") or "")}
                                  for p in r.get("partners") or () if isinstance(p, dict)),
                   created=str(r.get("created") or ""), updated=str(r.get("updated") or ""),
                   opened_by=str(r.get("opened_by") or ""))


@dataclass(frozen=True, slots=True)
class Partner:
    application: str
    association: str
    name: str
    state: str
    #: the join request's message (to the lead only), or the invitation's
    message: str = ""
    requested_by: str = ""
    created: str = ""
    decided: str = ""

    @property
    def accepted(self) -> bool:
        return self.state == PARTNER_ACCEPTED

    @property
    def pending(self) -> bool:
        return self.state in (REQUESTED, INVITED)

    def to_record(self) -> dict[str, Any]:
        return {"application": self.application, "association": self.association,
                "name": self.name, "state": self.state, "message": self.message,
                "requested_by": self.requested_by, "created": self.created,
                "decided": self.decided}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Partner:
        return cls(application=str(r["application"]), association=str(r["association"]),
                   name=str(r.get("name") or ""), state=str(r.get("state") or REQUESTED),
                   message=str(r.get("message") or ""),
                   requested_by=str(r.get("requested_by") or ""),
                   created=str(r.get("created") or ""), decided=str(r.get("decided") or ""))
