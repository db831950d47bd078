"""Venues, their free slots and the bookings of those slots, as kept in the store of record.

``maillage.rec.venue.<venue>``               the venue (:class:`Venue`): a room, premises or
                                             equipment an association (``owner``, its id) or
                                             the city (``owner`` :data:`CITY`) lets
``maillage.rec.venueslot.<venue>.<slot>``    one free slot (:class:`Slot`), under its venue so
                                             that a venue's slots are one wildcard
``maillage.rec.booking.<venue>.<booking>``   a booking request on a slot (:class:`Booking`)
``maillage.rec.venueday.<venue>.<date>``     the bookings accepted on that venue and local
                                             day (:class:`Day`): the one record every
                                             acceptance goes through, so that two accepted
                                             bookings of one venue never overlap (its write
                                             carries the expected last sequence: of two
                                             replicas accepting overlapping bookings at once,
                                             the second re-reads the day, sees the first and
                                             is refused)

A slot lies within one local day (Europe/Paris; it may end at midnight): its day is the
date of its start. Prices are kept in cents (integers), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

VENUE = "venue"
SLOT = "venueslot"
BOOKING = "booking"
DAY = "venueday"
#: The owner of the venues operators create for the city.
CITY = "ville"
CITY_NAME = "Ville de Rennes"
TZ = ZoneInfo("Europe/Paris")

#: Equipment a venue may list: code -> French label, in display order.
EQUIPMENT = MappingProxyType({
    "cuisine": "Cuisine",
    "videoprojecteur": "Vidéoprojecteur",
    "ecran": "Écran",
    "sono": "Sonorisation",
    "micro": "Micros",
    "wifi": "Wifi",
    "scene": "Scène",
    "eclairage": "Éclairage de scène",
    "tables": "Tables et chaises",
    "vestiaire": "Vestiaire",
    "sanitaires": "Sanitaires",
    "parking-velo": "Parking vélo",
    "parking": "Parking voitures",
    "exterieur": "Espace extérieur",
    "piano": "Piano",
})

#: What a rate is for: code -> French label.
RATE_UNITS = MappingProxyType({
    "heure": "l’heure",
    "demi-journee": "la demi-journée",
    "journee": "la journée",
    "soiree": "la soirée",
    "week-end": "le week-end",
})
#: Whom a rate is for: code -> French label.
RATE_AUDIENCES = MappingProxyType({
    "associations": "associations",
    "particuliers": "particuliers",
    "reduit": "tarif réduit",
})

#: Bounds (in euros) of the price bands a list filters on ("at most N €").
PRICE_BANDS = (0, 20, 50, 100, 200, 500)
#: Bounds (people) of the capacity bands a list filters on ("at least N people").
CAPACITY_BANDS = (10, 20, 50, 100, 200, 500)

FREE = "free"
BOOKED = "booked"
WITHDRAWN = "withdrawn"
PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"
CANCELLED = "cancelled"
BOOKING_LABELS = MappingProxyType({PENDING: "en attente", ACCEPTED: "acceptée",
                                   DECLINED: "refusée", CANCELLED: "annulée"})


def _strs(raw: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in raw or () if v)


def _int(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def euros(cents: int) -> str:
    """``1250`` → ``12,50 €`` (French: decimal comma, a narrow no-break space before €)."""
    if cents == 0:
        return "gratuit"
    whole, rest = divmod(cents, 100)
    text = f"{whole:,}".replace(",", "\u202f")
    return f"{text},{rest:02d}\u00a0€" if rest else f"{text}\u00a0€"


@dataclass(frozen=True, slots=True)
class Rate:
    unit: str
    audience: str
    cents: int

    def to_record(self) -> dict[str, Any]:
        return {"unit": self.unit, "audience": self.audience, "cents": self.cents}

    def public(self) -> dict[str, Any]:
        return {"unit": self.unit, "audience": self.audience, "cents": self.cents,
                "euros": f"{self.cents // 100}.{self.cents % 100:02d}"}

    @property
    def label(self) -> str:
        return (f"{euros(self.cents)} {RATE_UNITS.get(self.unit, self.unit)}, "
                f"{RATE_AUDIENCES.get(self.audience, self.audience)}")

    @classmethod
    def from_record(cls, r: Any) -> Rate:
        return cls(str(r.get("unit") or ""), str(r.get("audience") or ""),
                   _int(r.get("cents")) or 0)


@dataclass(frozen=True, slots=True)
class Venue:
    id: str
    owner: str
    name: str
    owner_name: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    description: str = ""
    capacity: int | None = None
    surface: int | None = None
    equipment: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    rates: tuple[Rate, ...] = ()
    conditions: str = ""
    created: str = ""
    #: the person who created it (private: never projected nor shown)
    created_by: str = ""

    @property
    def address(self) -> str:
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (self.street, town) if p)

    @property
    def cheapest(self) -> int | None:
        return min((r.cents for r in self.rates), default=None)

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "owner": self.owner, "owner_name": self.owner_name,
                "name": self.name, "street": self.street, "postcode": self.postcode,
                "city": self.city, "description": self.description,
                "capacity": self.capacity, "surface": self.surface,
                "equipment": list(self.equipment), "accessibility": list(self.accessibility),
                "rates": [r.to_record() for r in self.rates], "conditions": self.conditions,
                "created": self.created, "created_by": self.created_by}

    def public(self) -> dict[str, Any]:
        """What anyone may see (API, pages, the board): never who created it."""
        return {"id": self.id, "owner": self.owner, "owner_name": self.owner_name,
                "name": self.name, "address": {"street": self.street or None,
                                               "postcode": self.postcode or None,
                                               "city": self.city or None},
                "description": self.description or None, "capacity": self.capacity,
                "surface": self.surface, "equipment": list(self.equipment),
                "accessibility": list(self.accessibility),
                "rates": [r.public() for r in self.rates],
                "conditions": self.conditions or None}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Venue:
        return cls(id=str(r["id"]), owner=str(r.get("owner") or ""), name=str(r["name"]),
                   owner_name=str(r.get("owner_name") or ""),
                   street=str(r.get("street") or ""), postcode=str(r.get("postcode") or ""),
                   city=str(r.get("city") or ""), description=str(r.get("description") or ""),
                   capacity=_int(r.get("capacity")), surface=_int(r.get("surface")),
                   equipment=_strs(r.get("equipment")),
                   accessibility=_strs(r.get("accessibility")),
                   rates=tuple(Rate.from_record(x) for x in r.get("rates") or ()
                               if isinstance(x, dict)),
                   conditions=str(r.get("conditions") or ""),
                   created=str(r.get("created") or ""),
                   created_by=str(r.get("created_by") or ""))


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def local_day(value: str) -> str:
    """The local (Europe/Paris) date of an ISO date-time: the day a slot belongs to."""
    return moment(value).astimezone(TZ).date().isoformat()


@dataclass(frozen=True, slots=True)
class Slot:
    id: str
    venue: str
    starts: str
    ends: str
    state: str = FREE
    booking: str = ""
    #: the weekly series it was made from ("" for a one-off slot)
    series: str = ""
    venue_name: str = ""
    owner: str = ""

    @property
    def day(self) -> str:
        return local_day(self.starts)

    @property
    def free(self) -> bool:
        return self.state == FREE

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "venue": self.venue, "starts": self.starts, "ends": self.ends,
                "state": self.state, "booking": self.booking, "series": self.series,
                "venue_name": self.venue_name, "owner": self.owner}

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "venue": self.venue, "starts": self.starts, "ends": self.ends,
                "state": self.state}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Slot:
        return cls(id=str(r["id"]), venue=str(r["venue"]), starts=str(r["starts"]),
                   ends=str(r["ends"]), state=str(r.get("state") or FREE),
                   booking=str(r.get("booking") or ""), series=str(r.get("series") or ""),
                   venue_name=str(r.get("venue_name") or ""), owner=str(r.get("owner") or ""))


@dataclass(frozen=True, slots=True)
class Booking:
    id: str
    venue: str
    slot: str
    starts: str
    ends: str
    #: the person who asked (private) and the association they ask for
    requester: str
    association: str
    association_name: str = ""
    purpose: str = ""
    people: int = 1
    state: str = PENDING
    created: str = ""
    decided_by: str = ""
    decided: str = ""
    note: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "venue": self.venue, "slot": self.slot, "starts": self.starts,
                "ends": self.ends, "requester": self.requester,
                "association": self.association, "association_name": self.association_name,
                "purpose": self.purpose, "people": self.people, "state": self.state,
                "created": self.created, "decided_by": self.decided_by,
                "decided": self.decided, "note": self.note}

    @property
    def state_label(self) -> str:
        return BOOKING_LABELS.get(self.state, self.state)

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Booking:
        return cls(id=str(r["id"]), venue=str(r["venue"]), slot=str(r["slot"]),
                   starts=str(r["starts"]), ends=str(r["ends"]),
                   requester=str(r.get("requester") or ""),
                   association=str(r.get("association") or ""),
                   association_name=str(r.get("association_name") or ""),
                   purpose=str(r.get("purpose") or ""), people=_int(r.get("people")) or 1,
                   state=str(r.get("state") or PENDING), created=str(r.get("created") or ""),
                   decided_by=str(r.get("decided_by") or ""),
                   decided=str(r.get("decided") or ""), note=str(r.get("note") or ""))


@dataclass(frozen=True, slots=True)
class Day:
    """The accepted bookings of one venue on one local day: ``[(booking, starts, ends)]``."""

    venue: str
    date: str
    booked: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def clash(self, starts: str, ends: str, booking: str) -> dict[str, str] | None:
        """The accepted booking ``[starts, ends)`` would overlap, if any (not itself)."""
        a, b = moment(starts), moment(ends)
        for held in self.booked:
            if held["booking"] != booking and moment(held["starts"]) < b and (
                    a < moment(held["ends"])):
                return held
        return None

    def to_record(self) -> dict[str, Any]:
        return {"venue": self.venue, "date": self.date, "booked": [dict(b) for b in self.booked]}

    @classmethod
    def from_record(cls, r: dict[str, Any] | None, venue: str, date: str) -> Day:
        if r is None:
            return cls(venue, date)
        return cls(venue, date, tuple(dict(b) for b in r.get("booked") or ()))
