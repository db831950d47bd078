"""Calls for projects ("appels à projets"): the model shared by ingest, indexer and query.

A :class:`Call` is one call for projects published by a funder (the city, the metropole, a
foundation), either pushed by a publisher to the ingest service or harvested from a feed.

Identity
    ``Call.id`` is derived from the publisher and the publisher's own id (:func:`call_id`),
    so the same call pushed twice, or pushed then updated, keeps one id.

Status
    Never stored: derived from the dates by :func:`call_status` (``upcoming`` before
    ``opens``, ``open`` until ``deadline``, ``closed`` after).

Versions and messages
    A :class:`CallMessage` (upsert or retract) travels on the CALLS stream, subject
    ``maillage.calls.<publisher>``. Its ``version`` grows with time (microseconds at
    ingest); the store keeps the highest version per call, so a late message never
    overwrites a newer one and a retraction leaves a tombstone.

Cleaning
    As for events (:mod:`shared.clean`): links (``application_url``, attachments, the
    contact's site) are kept only when http(s) (an attachment without one is dropped), and
    texts lose the characters XML 1.0 forbids, whether the call was pushed or harvested.

Serialization
    ``to_dict()`` gives JSON types (datetimes in ISO 8601 with their offset);
    ``from_dict(to_dict(x)) == x``; unknown keys are ignored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from shared.clean import clean_fields
from shared.model import DEFAULT_TZ, PARIS, _digest

CALL_SCHEMA_VERSION = 1
CALLS_SUBJECT = "maillage.calls"


class CallStatus(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class CallKind(StrEnum):
    UPSERT = "upsert"
    RETRACT = "retract"
    HIDE_INTEREST = "hide_interest"


#: Eligible audiences of a call: code -> French label, in display order.
CALL_AUDIENCES = MappingProxyType(
    {
        "associations": "Associations",
        "collectifs": "Collectifs d'habitants",
        "habitants": "Habitants",
        "structures-ess": "Structures de l'économie sociale et solidaire",
        "etablissements": "Établissements (écoles, centres sociaux…)",
        "artistes": "Artistes et compagnies",
        "jeunes": "Jeunes",
    }
)

#: Perimeter kinds: code -> French label.
PERIMETERS = MappingProxyType(
    {
        "quartier": "Un quartier de Rennes",
        "rennes": "Ville de Rennes",
        "rennes-metropole": "Rennes Métropole",
    }
)


def call_id(publisher: str, publisher_id: str) -> str:
    """Stable id of a call: the same publisher and id always give the same id."""
    return "cp_" + _digest(publisher, publisher_id)


def _dt_out(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt_in(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=PARIS)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True, slots=True)
class Amount:
    """What the call gives: a range in euros, a rate of the budget, and/or a free text."""

    min: float | None = None
    max: float | None = None
    rate: float | None = None  # percent of the project's budget
    currency: str = "EUR"
    text: str | None = None

    def __post_init__(self) -> None:
        clean_fields(self, texts=("text",))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Amount:
        return cls(**_known(cls, data))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A document of a call; ``url`` is ``""`` when it was not an http(s) URL (the call then
    drops the attachment)."""

    title: str
    url: str

    def __post_init__(self) -> None:
        clean_fields(self, texts=("title",), urls=("url",))
        if self.url is None:
            object.__setattr__(self, "url", "")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(**_known(cls, data))


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        clean_fields(self, texts=("name", "email", "phone"), urls=("url",))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Contact:
        return cls(**_known(cls, data))


@dataclass(frozen=True, slots=True)
class Call:
    """A call for projects. ``description`` is untrusted until the indexer sanitizes it."""

    id: str
    publisher: str
    publisher_id: str
    title: str
    funder: str
    deadline: datetime
    description: str = ""
    description_text: str = ""
    themes: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    perimeter: str = "rennes"
    quartier: str | None = None
    amount: Amount | None = None
    opens: datetime | None = None
    application_url: str | None = None
    attachments: tuple[Attachment, ...] = ()
    contact: Contact | None = None
    joint_welcome: bool = False
    timezone: str = DEFAULT_TZ
    updated: datetime | None = None
    origin: str = "push"  # push or harvest
    extra: dict[str, Any] = field(default_factory=dict)
    schema: int = CALL_SCHEMA_VERSION

    def __post_init__(self) -> None:
        clean_fields(self, texts=("title", "funder", "description", "description_text",
                                  "perimeter", "quartier"),
                     lists=("themes", "audiences"), urls=("application_url",))
        if any(not a.url for a in self.attachments):
            object.__setattr__(self, "attachments", tuple(a for a in self.attachments if a.url))

    @classmethod
    def create(cls, *, publisher: str, publisher_id: str, **kw: Any) -> Call:
        return cls(id=call_id(publisher, publisher_id), publisher=publisher,
                   publisher_id=publisher_id, **kw)

    def with_(self, **changes: Any) -> Call:
        return replace(self, **changes)

    def status(self, now: datetime) -> CallStatus:
        return call_status(self.opens, self.deadline, now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "id": self.id,
            "publisher": self.publisher,
            "publisher_id": self.publisher_id,
            "title": self.title,
            "funder": self.funder,
            "deadline": _dt_out(self.deadline),
            "description": self.description,
            "description_text": self.description_text,
            "themes": list(self.themes),
            "audiences": list(self.audiences),
            "perimeter": self.perimeter,
            "quartier": self.quartier,
            "amount": self.amount.to_dict() if self.amount else None,
            "opens": _dt_out(self.opens),
            "application_url": self.application_url,
            "attachments": [a.to_dict() for a in self.attachments],
            "contact": self.contact.to_dict() if self.contact else None,
            "joint_welcome": self.joint_welcome,
            "timezone": self.timezone,
            "updated": _dt_out(self.updated),
            "origin": self.origin,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Call:
        deadline = _dt_in(data["deadline"])
        assert deadline is not None
        amount, contact = data.get("amount"), data.get("contact")
        return cls(
            id=data["id"],
            publisher=data["publisher"],
            publisher_id=data["publisher_id"],
            title=data["title"],
            funder=data["funder"],
            deadline=deadline,
            description=data.get("description") or "",
            description_text=data.get("description_text") or "",
            themes=tuple(data.get("themes") or ()),
            audiences=tuple(data.get("audiences") or ()),
            perimeter=data.get("perimeter") or "rennes",
            quartier=data.get("quartier"),
            amount=Amount.from_dict(amount) if amount else None,
            opens=_dt_in(data.get("opens")),
            application_url=data.get("application_url"),
            attachments=tuple(Attachment.from_dict(a) for a in data.get("attachments") or ()),
            contact=Contact.from_dict(contact) if contact else None,
            joint_welcome=bool(data.get("joint_welcome", False)),
            timezone=data.get("timezone") or DEFAULT_TZ,
            updated=_dt_in(data.get("updated")),
            origin=data.get("origin") or "push",
            extra=dict(data.get("extra") or {}),
            schema=int(data.get("schema", CALL_SCHEMA_VERSION)),
        )

    def content_hash(self) -> str:
        raw = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return _digest(raw, size=32)


def call_status(opens: datetime | None, deadline: datetime, now: datetime) -> CallStatus:
    """``upcoming`` before ``opens``, ``open`` until ``deadline`` (excluded), then ``closed``."""
    if now >= deadline:
        return CallStatus.CLOSED
    if opens is not None and now < opens:
        return CallStatus.UPCOMING
    return CallStatus.OPEN


@dataclass(frozen=True, slots=True)
class CallMessage:
    """What travels on the CALLS stream.

    ``upsert`` carries a call; ``retract`` withdraws one; ``hide_interest`` is a publisher
    hiding an interest declaration (``interest_id``) on one of its calls.
    """

    kind: str
    call_id: str
    publisher: str
    version: int
    call: Call | None = None
    reason: str | None = None
    interest_id: str | None = None
    schema: int = CALL_SCHEMA_VERSION

    @classmethod
    def upsert(cls, call: Call, version: int) -> CallMessage:
        return cls(CallKind.UPSERT, call.id, call.publisher, version, call)

    @classmethod
    def retract(cls, cid: str, publisher: str, version: int, reason: str) -> CallMessage:
        return cls(CallKind.RETRACT, cid, publisher, version, None, reason)

    @property
    def msg_id(self) -> str:
        return f"{self.call_id}.{self.kind}.{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "kind": str(self.kind),
            "call_id": self.call_id,
            "publisher": self.publisher,
            "version": self.version,
            "call": self.call.to_dict() if self.call else None,
            "reason": self.reason,
            "interest_id": self.interest_id,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallMessage:
        kind = data["kind"]
        if kind not in tuple(CallKind):
            raise ValueError(f"unknown message kind {kind!r}")
        raw = data.get("call")
        call = Call.from_dict(raw) if raw else None
        if kind == CallKind.UPSERT and call is None:
            raise ValueError("upsert message without a call")
        if call is not None and call.id != data["call_id"]:
            raise ValueError("call id does not match the message")
        return cls(
            kind=kind,
            call_id=data["call_id"],
            publisher=data["publisher"],
            version=int(data["version"]),
            call=call,
            reason=data.get("reason"),
            interest_id=data.get("interest_id"),
            schema=int(data.get("schema", CALL_SCHEMA_VERSION)),
        )

    @classmethod
    def from_json(cls, raw: bytes) -> CallMessage:
        return cls.from_dict(json.loads(raw))


def calls_subject(publisher: str) -> str:
    from shared.bus import subject_token

    return f"{CALLS_SUBJECT}.{subject_token(publisher)}"
