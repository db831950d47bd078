"""The event model shared by every service (schema version 1).

A harvested calendar entry is an :class:`Event`: what the source said, normalized. An event
has one or more :class:`Occurrence` s (a recurring event is expanded by the harvester within a
bounded window), and the search index holds one document per occurrence, each carrying its
``event_id``.

Identity
    ``Event.id`` is derived from the source id and the source's own uid
    (:func:`event_id`), so the same entry harvested twice gets the same id, whatever its
    content. ``Occurrence.id`` is derived from the event id and the occurrence's
    recurrence key (its original start), so a moved occurrence keeps its id.

Versions
    Every message carries ``version``, an integer that grows with time (microseconds since the
    epoch at harvest). The index keeps the highest version it has seen for an event and ignores
    anything older, so late or replayed messages never overwrite newer data.

Serialization
    ``to_dict()`` gives plain JSON types (datetimes as ISO 8601 with their UTC offset) and
    ``from_dict()`` reads them back; ``from_dict(to_dict(x)) == x``. Unknown keys are ignored
    so that a newer producer does not break an older consumer.

Cleaning
    Creating an :class:`Event` or a :class:`Location` (by any path: ``create``, ``with_``,
    ``from_dict``) keeps only http(s) links in ``url`` and ``image`` and removes from every
    text the characters XML 1.0 forbids (:mod:`shared.clean`): whatever a source sent, no
    ``javascript:`` link and no character that breaks an RSS feed is stored or shown.

Times
    Every datetime is timezone-aware. Floating times are read in the source's timezone
    (Europe/Paris by default); all-day occurrences start at local midnight and set
    ``all_day``.
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from shared.clean import clean_fields

SCHEMA_VERSION = 1
DEFAULT_TZ = "Europe/Paris"
PARIS = ZoneInfo(DEFAULT_TZ)


class Status(StrEnum):
    """Event or occurrence status (schema.org ``eventStatus`` vocabulary, lower-cased)."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    RESCHEDULED = "rescheduled"
    MOVED_ONLINE = "moved_online"
    FULL = "full"
    TENTATIVE = "tentative"


class Kind(StrEnum):
    """What a bus message carries."""

    UPSERT = "upsert"
    RETRACT = "retract"


def _digest(*parts: str, size: int = 16) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:size]


def event_id(source_id: str, source_uid: str) -> str:
    """Stable id of an event: the same source and uid always give the same id."""
    return "ev_" + _digest(source_id, source_uid)


def occurrence_id(ev_id: str, recurrence_key: str) -> str:
    """Stable id of one occurrence of an event, keyed by its original start."""
    return "oc_" + _digest(ev_id, recurrence_key)


def now_version(now: datetime | None = None) -> int:
    """A version number that grows with time (microseconds since the epoch)."""
    moment = now or datetime.now(UTC)
    return int(moment.timestamp() * 1_000_000)


def _dt_out(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt_in(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PARIS)
    return parsed


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


_LOCATION_TEXTS = ("name", "address", "postcode", "city", "quartier", "commune", "insee",
                   "precision", "reason")
_EVENT_TEXTS = ("title", "description", "description_text", "organizer", "price")
_EVENT_LISTS = ("categories", "keywords", "accessibility", "audience")
_EVENT_URLS = ("url", "image")


@dataclass(frozen=True, slots=True)
class Location:
    """Where an event happens, as given by the source and completed by the geocoder.

    ``precision`` tells how the coordinates were obtained: ``source`` (given by the
    source), ``venue`` (a known venue matched by name), ``street`` (a street's
    representative point), ``commune`` (the commune's centroid: the event is somewhere in
    that commune, and the point is not its place, see :func:`exact_point`), or ``None``
    when unknown. ``reason`` is the geocoder's explanation, for operators.
    """

    name: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    quartier: str | None = None
    commune: str | None = None
    insee: str | None = None
    precision: str | None = None
    reason: str | None = None
    online: bool = False

    def __post_init__(self) -> None:
        clean_fields(self, texts=_LOCATION_TEXTS)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Location:
        return cls(**_known(cls, data))

    def label(self) -> str:
        """A one-line human label: name, then address and city when present."""
        parts = [p for p in (self.name, self.address, self.city) if p]
        return ", ".join(dict.fromkeys(parts))


#: Precisions whose coordinates stand for an area, not for the event's place.
AREA_PRECISIONS = frozenset({"commune"})


def exact_point(location: Location | Mapping[str, Any] | None) -> tuple[float, float] | None:
    """The event's place as a point, or ``None`` when it has none or only an area's centre.

    Maps mark this point and exports write it (ICS ``GEO``, schema.org ``geo``); a location
    placed at its commune's centroid (precision ``commune``) has coordinates, for the map's
    area and distance filters, but no exact point.
    """
    if location is None:
        return None
    loc = location.to_dict() if isinstance(location, Location) else location
    lat, lon = loc.get("lat"), loc.get("lon")
    if lat is None or lon is None or loc.get("precision") in AREA_PRECISIONS:
        return None
    return float(lat), float(lon)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated instance of an event."""

    start: datetime
    end: datetime | None = None
    all_day: bool = False
    status: str = Status.SCHEDULED
    recurrence_key: str | None = None

    def key(self) -> str:
        """The key that identifies this occurrence within its event."""
        return self.recurrence_key or self.start.astimezone(UTC).isoformat()

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": _dt_out(self.start),
            "end": _dt_out(self.end),
            "all_day": self.all_day,
            "status": str(self.status),
            "recurrence_key": self.recurrence_key,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Occurrence:
        start = _dt_in(data["start"])
        assert start is not None
        return cls(
            start=start,
            end=_dt_in(data.get("end")),
            all_day=bool(data.get("all_day", False)),
            status=data.get("status", Status.SCHEDULED),
            recurrence_key=data.get("recurrence_key"),
        )


@dataclass(frozen=True, slots=True)
class ThemeTag:
    """A theme assigned to an event, with why it was assigned."""

    code: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThemeTag:
        return cls(**_known(cls, data))


@dataclass(frozen=True, slots=True)
class Event:
    """A normalized event as harvested from one source.

    Fields filled by the harvester come from the source. The indexer's enrichment fills
    ``themes``, ``keywords``, ``description_text`` and completes ``location`` and
    ``accessibility``; it never invents dates.

    ``description`` is the source's text or HTML, untrusted until sanitized;
    ``description_text`` is the plain-text version used for search and feeds.
    ``accessibility`` holds codes from :mod:`shared.vocab` (``hi``, ``vi``, ``pi``, ``mi``,
    ``ii`` and finer ones such as ``lsf``). ``is_free`` is ``None`` when unknown.
    """

    id: str
    source_id: str
    source_uid: str
    title: str
    occurrences: tuple[Occurrence, ...]
    description: str = ""
    description_text: str = ""
    url: str | None = None
    location: Location | None = None
    organizer: str | None = None
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    themes: tuple[ThemeTag, ...] = ()
    accessibility: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    is_free: bool | None = None
    price: str | None = None
    image: str | None = None
    status: str = Status.SCHEDULED
    timezone: str = DEFAULT_TZ
    source_format: str | None = None
    updated: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        clean_fields(self, texts=_EVENT_TEXTS, lists=_EVENT_LISTS, urls=_EVENT_URLS)

    @classmethod
    def create(cls, *, source_id: str, source_uid: str, title: str, **kw: Any) -> Event:
        """Build an event whose id is derived from ``source_id`` and ``source_uid``."""
        occurrences = tuple(kw.pop("occurrences", ()))
        return cls(
            id=event_id(source_id, source_uid),
            source_id=source_id,
            source_uid=source_uid,
            title=title,
            occurrences=occurrences,
            **kw,
        )

    def with_(self, **changes: Any) -> Event:
        """A copy with some fields changed (what :func:`dataclasses.replace` gives, for a
        fraction of its time: only the changed fields are cleaned again, the others were
        when this event was made)."""
        if unknown := changes.keys() - _EVENT_FIELDS:
            raise TypeError(f"Event has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(type(self))
        for name in _EVENT_FIELD_ORDER:
            object.__setattr__(copy, name, changes[name] if name in changes else
                               getattr(self, name))
        clean_fields(copy, texts=[n for n in _EVENT_TEXTS if n in changes],
                     lists=[n for n in _EVENT_LISTS if n in changes],
                     urls=[n for n in _EVENT_URLS if n in changes])
        return copy

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "id": self.id,
            "source_id": self.source_id,
            "source_uid": self.source_uid,
            "title": self.title,
            "occurrences": [o.to_dict() for o in self.occurrences],
            "description": self.description,
            "description_text": self.description_text,
            "url": self.url,
            "location": self.location.to_dict() if self.location else None,
            "organizer": self.organizer,
            "categories": list(self.categories),
            "keywords": list(self.keywords),
            "themes": [t.to_dict() for t in self.themes],
            "accessibility": list(self.accessibility),
            "audience": list(self.audience),
            "is_free": self.is_free,
            "price": self.price,
            "image": self.image,
            "status": str(self.status),
            "timezone": self.timezone,
            "source_format": self.source_format,
            "updated": _dt_out(self.updated),
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        loc = data.get("location")
        return cls(
            id=data["id"],
            source_id=data["source_id"],
            source_uid=data["source_uid"],
            title=data["title"],
            occurrences=tuple(Occurrence.from_dict(o) for o in data.get("occurrences", ())),
            description=data.get("description") or "",
            description_text=data.get("description_text") or "",
            url=data.get("url"),
            location=Location.from_dict(loc) if loc else None,
            organizer=data.get("organizer"),
            categories=tuple(data.get("categories", ())),
            keywords=tuple(data.get("keywords", ())),
            themes=tuple(ThemeTag.from_dict(t) for t in data.get("themes", ())),
            accessibility=tuple(data.get("accessibility", ())),
            audience=tuple(data.get("audience", ())),
            is_free=data.get("is_free"),
            price=data.get("price"),
            image=data.get("image"),
            status=data.get("status", Status.SCHEDULED),
            timezone=data.get("timezone", DEFAULT_TZ),
            source_format=data.get("source_format"),
            updated=_dt_in(data.get("updated")),
            extra=dict(data.get("extra") or {}),
            schema=int(data.get("schema", SCHEMA_VERSION)),
        )

    def content_hash(self) -> str:
        """A hash of the content, used to publish nothing when an event did not change."""
        raw = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return _digest(raw, size=32)


_EVENT_FIELDS = frozenset(f.name for f in fields(Event))
# a tuple for with_'s loop, in the fields' order (a frozenset's order varies by process)
_EVENT_FIELD_ORDER = tuple(f.name for f in fields(Event))


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item of a source that was not imported, and why (shown to operators)."""

    reason: str
    uid: str | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Skipped:
        return cls(**_known(cls, data))


@dataclass(frozen=True, slots=True)
class EventMessage:
    """What travels on the events stream: an upsert of one event, or its retraction.

    ``msg_id`` is deterministic (event id, kind and version) and is sent as ``Nats-Msg-Id``:
    the version of a harvest comes from its job's scheduled slot, so a job retried after a
    crash re-publishes the same ids and the server drops them inside its duplicate window.
    """

    kind: str
    event_id: str
    source_id: str
    version: int
    event: Event | None = None
    reason: str | None = None
    schema: int = SCHEMA_VERSION

    @classmethod
    def upsert(cls, event: Event, version: int) -> EventMessage:
        return cls(Kind.UPSERT, event.id, event.source_id, version, event)

    @classmethod
    def retract(cls, ev_id: str, source_id: str, version: int, reason: str) -> EventMessage:
        return cls(Kind.RETRACT, ev_id, source_id, version, None, reason)

    @property
    def msg_id(self) -> str:
        return f"{self.event_id}.{self.kind}.{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "kind": str(self.kind),
            "event_id": self.event_id,
            "source_id": self.source_id,
            "version": self.version,
            "event": self.event.to_dict() if self.event else None,
            "reason": self.reason,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventMessage:
        kind = data["kind"]
        if kind not in (Kind.UPSERT, Kind.RETRACT):
            raise ValueError(f"unknown message kind {kind!r}")
        ev = data.get("event")
        event = Event.from_dict(ev) if ev else None
        if kind == Kind.UPSERT and event is None:
            raise ValueError("upsert message without an event")
        return cls(
            kind=kind,
            event_id=data["event_id"],
            source_id=data["source_id"],
            version=int(data["version"]),
            event=event,
            reason=data.get("reason"),
            schema=int(data.get("schema", SCHEMA_VERSION)),
        )

    @classmethod
    def from_json(cls, raw: bytes) -> EventMessage:
        try:  # orjson: a quarter of json's time; it refuses what json reads (NaN, huge ints)
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = json.loads(raw)
        return cls.from_dict(data)


@dataclass(frozen=True, slots=True)
class HarvestStatus:
    """The record each harvest of a source publishes for the monitor."""

    source_id: str
    url: str
    started: datetime
    duration_ms: int
    ok: bool
    http_status: int | None = None
    body_bytes: int = 0
    not_modified: bool = False
    found: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    skipped: tuple[Skipped, ...] = ()
    error_kind: str | None = None
    error_message: str | None = None
    schema: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = _dt_out(self.started)
        data["skipped"] = [s.to_dict() for s in self.skipped]
        return data

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False).encode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HarvestStatus:
        values = _known(cls, data)
        started = _dt_in(values["started"])
        assert started is not None
        values["started"] = started
        values["skipped"] = tuple(Skipped.from_dict(s) for s in values.get("skipped", ()))
        return cls(**values)


# Pickling of the frozen slotted dataclasses by a tuple of their fields in order: the
# ``__getstate__``/``__setstate__`` that ``dataclass(slots=True)`` gives call ``fields()``
# for every object, and batches of enriched events cross from the enrichment workers to
# the indexer by pickle (that was most of the cost of the crossing). Assigned after the
# classes are made: the decorator sets its own on the class.
def _pickling(cls: type) -> None:
    names = tuple(f.name for f in fields(cls))
    assert len(names) > 1  # attrgetter of one name gives the value, not a tuple
    values = operator.attrgetter(*names)  # a tuple, read in C

    def __getstate__(self: Any) -> tuple[Any, ...]:
        return values(self)

    setters = tuple(cls.__dict__[name].__set__ for name in names)  # the slots' descriptors

    def __setstate__(self: Any, state: tuple[Any, ...]) -> None:
        for set_, value in zip(setters, state, strict=True):
            set_(self, value)

    setattr(cls, "__getstate__", __getstate__)  # noqa: B010 (mypy: a method of object)
    setattr(cls, "__setstate__", __setstate__)  # noqa: B010


for _cls in (Location, Occurrence, ThemeTag, Event, EventMessage):
    _pickling(_cls)
