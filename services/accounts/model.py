"""People and their roles, as kept in the store of record.

A person is the record ``maillage.rec.person.<id>``: an opaque id (``p_`` + 16 hex digits,
the only thing audit entries keep of them), their e-mail address (private: never shown to
others, never projected), a display name and site-wide roles. Roles in an association
(admin, editor) are memberships, kept by :mod:`services.associations`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

OPERATOR = "operator"
CITY_AGENT = "city_agent"
#: Site-wide roles, granted by an operator with ``maillage accounts grant``.
ROLES = (OPERATOR, CITY_AGENT)
ROLE_LABELS = {OPERATOR: "opératrice ou opérateur", CITY_AGENT: "agent de la Ville"}
PERSON = "person"


def new_person_id() -> str:
    return "p_" + secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    email: str
    name: str = ""
    roles: tuple[str, ...] = ()
    created: str = ""

    @property
    def operator(self) -> bool:
        return OPERATOR in self.roles

    @property
    def city_agent(self) -> bool:
        return CITY_AGENT in self.roles

    @property
    def display(self) -> str:
        """What others see: the name, else the part of the address before the @."""
        return self.name or self.email.split("@", 1)[0]

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name,
                "roles": list(self.roles), "created": self.created}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Person:
        return cls(id=str(record["id"]), email=str(record["email"]),
                   name=str(record.get("name") or ""),
                   roles=tuple(str(r) for r in record.get("roles") or ()),
                   created=str(record.get("created") or ""))


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: the person, and the secret its cookie carries."""

    person: Person
    key: str
    secret: str = field(repr=False)
