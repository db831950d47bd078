"""Venues, slots and bookings in the store of record (through :class:`Stores`).

Every write names its actor (a person id, ``cli`` or ``demo``): a record's history is its
audit trail. The invariant "two accepted bookings of one venue never overlap" is kept in
one record per venue and local day (``maillage.rec.venueday.<venue>.<date>``, see
:mod:`services.venues.model`): accepting a booking first adds it to that day's record, whose
write is refused by JetStream when another replica wrote the day in between; the change is
then applied again to the new state, which now holds the other booking, and refused if they
overlap. Only then are the slot (booked) and the booking (accepted) written: a crash in
between leaves the day holding the booking, and accepting it again completes the rest
(the day already holds it: no clash with itself).
"""

from __future__ import annotations

import secrets
from typing import Any

from services.accounts.storage import Stores
from services.associations.validate import slug
from services.venues.model import (
    ACCEPTED,
    BOOKED,
    BOOKING,
    CANCELLED,
    DAY,
    DECLINED,
    FREE,
    PENDING,
    SLOT,
    VENUE,
    WITHDRAWN,
    Booking,
    Day,
    Slot,
    Venue,
    local_day,
    moment,
)
from shared.errors import InvalidInput
from shared.records import Conflict, NotFound, now_iso

#: Path segments under /salles that a venue id must not take.
RESERVED_IDS = frozenset({"nouvelle", "mes-salles"})
#: The reasons the requester reads when the owner's side ends their request.
SLOT_WITHDRAWN = "Créneau retiré par le gestionnaire de la salle"
VENUE_REMOVED = "Salle retirée par son gestionnaire"


class Taken(Conflict):
    """The slot is booked (or overlaps an accepted booking) already."""

    kind = "slot_taken"


class Gone(Taken):
    """The slot of a request was withdrawn by the owner (or is over): it cannot be booked."""

    kind = "slot_gone"


class Venues:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.records = stores.records

    def subject(self, vid: str) -> str:
        return self.records.subject(VENUE, vid)

    def slot_subject(self, vid: str, sid: str) -> str:
        return self.records.subject(SLOT, vid, sid)

    def booking_subject(self, vid: str, bid: str) -> str:
        return self.records.subject(BOOKING, vid, bid)

    def day_subject(self, vid: str, day: str) -> str:
        return self.records.subject(DAY, vid, day)

    # -- venues ---------------------------------------------------------------------------------

    async def get(self, vid: str) -> Venue | None:
        entry = await self.records.get(self.subject(vid))
        return Venue.from_record(entry.record) if entry is not None else None

    async def of_owner(self, owner: str) -> list[Venue]:
        """An owner's venues (a small set, read from the records: the manager's page)."""
        entries = await self.records.latest(self.records.subject(VENUE) + ".*")
        found = [Venue.from_record(e.record) for e in entries]
        return sorted((v for v in found if v.owner == owner), key=lambda v: v.name.casefold())

    async def create(self, values: dict[str, Any], *, owner: str, owner_name: str,
                     actor: str, vid: str | None = None) -> Venue:
        """A new venue with a stable id made from its name (``-2``, ``-3``... when taken),
        or exactly ``vid`` (:class:`Conflict` when taken)."""
        base = slug(values["name"])
        if base in RESERVED_IDS:
            base += "-salle"
        record = {**{k: v for k, v in values.items() if k in Venue.__slots__},
                  "owner": owner, "owner_name": owner_name, "created": now_iso(),
                  "created_by": actor}
        candidates = [vid] if vid is not None else [
            base if n == 1 else f"{base}-{n}" for n in range(1, 50)]
        for candidate in candidates:
            venue = Venue.from_record({**record, "id": candidate})
            try:
                await self.records.create(self.subject(candidate), venue.to_record(),
                                          actor=actor, reason="created")
            except Conflict:
                if vid is not None:
                    raise
                continue
            return venue
        raise Conflict(f"no free id for {base!r}")

    async def edit(self, vid: str, values: dict[str, Any], *, actor: str) -> Venue:
        known = {k: v for k, v in values.items() if k in Venue.__slots__
                 and k not in ("id", "owner", "created", "created_by")}
        entry = await self.records.update(self.subject(vid), lambda r: {**r, **known},
                                          actor=actor, reason="edited")
        venue = Venue.from_record(entry.record)
        for slot in await self.free_slots(vid):  # their board documents show its name
            if slot.venue_name != venue.name:
                await self.records.write(
                    self.slot_subject(vid, slot.id),
                    lambda r: {**r, "venue_name": venue.name} if r is not None else None,
                    actor=actor, reason="venue renamed")
        return venue

    async def remove(self, vid: str, *, actor: str) -> tuple[bool, list[Booking]]:
        """Delete the venue: its free slots are withdrawn (their pending requests declined),
        the pending requests of its other slots declined, its accepted bookings of slots
        not over yet cancelled (:data:`VENUE_REMOVED`); past bookings stay as they are, for
        the audit. Returns whether the venue was there and the bookings *this call* ended
        (each one once, whichever replica removes at the same time: the caller tells
        their requesters)."""
        ended = []
        for slot in await self.slots(vid):
            if slot.free:
                ended += (await self.withdraw(vid, slot.id, actor=actor,
                                              reason=VENUE_REMOVED))[1]
        now = moment(now_iso())
        for booking in await self.bookings(vid):
            if booking.state == PENDING:
                done = await self._end(booking, DECLINED, actor=actor, note=VENUE_REMOVED)
            elif booking.state == ACCEPTED and moment(booking.ends) > now:
                done = await self._end(booking, CANCELLED, actor=actor, note=VENUE_REMOVED)
                if done is not None:
                    await self._release(booking, actor=actor)
                    await self._set_slot(vid, booking.slot, WITHDRAWN, "", actor=actor)
            else:
                continue
            if done is not None:
                ended.append(done)
        gone = await self.records.delete(self.subject(vid), actor=actor, reason="removed")
        return gone, ended

    async def _end(self, booking: Booking, state: str, *, actor: str,
                   note: str) -> Booking | None:
        """The booking declined or cancelled by the owner's side with ``note``; ``None``
        when another writer (a second replica doing the same) ended or changed it first."""
        expect = (PENDING,) if state == DECLINED else (ACCEPTED,)
        try:
            return await self._set_booking(booking.venue, booking.id, state, actor=actor,
                                           expect=expect, note=note)
        except (Conflict, NotFound):
            return None

    # -- slots ----------------------------------------------------------------------------------

    async def slots(self, vid: str) -> list[Slot]:
        """Every slot of the venue, booked and withdrawn ones included, soonest first."""
        entries = await self.records.latest(self.records.subject(SLOT, vid) + ".*")
        return sorted((Slot.from_record(e.record) for e in entries), key=lambda s: s.starts)

    async def free_slots(self, vid: str, *, after: str | None = None) -> list[Slot]:
        now = moment(after or now_iso())
        return [s for s in await self.slots(vid) if s.free and moment(s.ends) > now]

    async def slot(self, vid: str, sid: str) -> Slot | None:
        entry = await self.records.get(self.slot_subject(vid, sid))
        return Slot.from_record(entry.record) if entry is not None else None

    async def publish(self, venue: Venue, occurrences: list[tuple[str, str]], *,
                      actor: str) -> list[Slot]:
        """Publish free slots (a weekly series shares one ``series`` id)."""
        series = secrets.token_hex(4) if len(occurrences) > 1 else ""
        made = []
        for starts, ends in occurrences:
            slot = Slot(id="c" + secrets.token_hex(5), venue=venue.id, starts=starts,
                        ends=ends, series=series, venue_name=venue.name, owner=venue.owner)
            await self.records.create(self.slot_subject(venue.id, slot.id), slot.to_record(),
                                      actor=actor, reason="published")
            made.append(slot)
        return made

    async def withdraw(self, vid: str, sid: str, *, actor: str,
                       reason: str = SLOT_WITHDRAWN) -> tuple[Slot, list[Booking]]:
        """The owner takes a free slot back (a booked one stays: decline its booking); its
        pending requests are declined with ``reason``. Withdrawing a withdrawn slot again
        only finishes that (as after a crash half-way, or when two replicas withdraw it at
        once). Returns the slot and the requests *this call* declined: each request is
        declined by one call only (its write expects it pending), whose caller tells the
        requester."""

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is None:
                raise NotFound(f"no slot {vid}/{sid}")
            if current.get("state") not in (FREE, WITHDRAWN):
                raise Conflict("only a free slot can be withdrawn")
            return {**current, "state": WITHDRAWN}

        entry = await self.records.write(self.slot_subject(vid, sid), change, actor=actor,
                                         reason="withdrawn")
        assert entry is not None
        declined = []
        for booking in await self.bookings(vid):
            if booking.slot == sid and booking.state == PENDING:
                done = await self._end(booking, DECLINED, actor=actor, note=reason)
                if done is not None:
                    declined.append(done)
        return Slot.from_record(entry.record), declined

    # -- bookings -------------------------------------------------------------------------------

    async def booking(self, vid: str, bid: str) -> Booking | None:
        entry = await self.records.get(self.booking_subject(vid, bid))
        return Booking.from_record(entry.record) if entry is not None else None

    async def bookings(self, vid: str) -> list[Booking]:
        entries = await self.records.latest(self.records.subject(BOOKING, vid) + ".*")
        return sorted((Booking.from_record(e.record) for e in entries),
                      key=lambda b: (b.state != PENDING, b.starts))

    async def bookings_of(self, pid: str) -> list[Booking]:
        """The bookings a person asked for (every venue's bookings read: a small set)."""
        entries = await self.records.latest(self.records.subject(BOOKING) + ".>")
        mine = [Booking.from_record(e.record) for e in entries
                if e.record.get("requester") == pid]
        return sorted(mine, key=lambda b: b.starts, reverse=True)

    async def request(self, venue: Venue, sid: str, *, requester: str, association: str,
                      association_name: str, purpose: str, people: int) -> Booking:
        """A member of another association asks for a free slot."""
        if association == venue.owner:
            raise InvalidInput({"association": "Cette salle est déjà celle de votre "
                                               "association : pas besoin de la demander."})
        slot = await self.slot(venue.id, sid)
        if slot is None or not slot.free or moment(slot.ends) <= moment(now_iso()):
            raise Taken("this slot is no longer free")
        if venue.capacity is not None and people > venue.capacity:
            raise InvalidInput({"people": f"La salle accueille au plus {venue.capacity} "
                                          "personnes."})
        booking = Booking(id="r" + secrets.token_hex(6), venue=venue.id, slot=sid,
                          starts=slot.starts, ends=slot.ends, requester=requester,
                          association=association, association_name=association_name,
                          purpose=purpose, people=people, created=now_iso())
        await self.records.create(self.booking_subject(venue.id, booking.id),
                                  booking.to_record(), actor=requester, reason="requested")
        # withdrawn in between: the withdrawal read the requests before this one was
        # written, or sees it and declines it too (one of the two wins, :meth:`_end`)
        again = await self.slot(venue.id, sid)
        if again is None or again.state == WITHDRAWN:
            await self._end(booking, DECLINED, actor=requester, note=SLOT_WITHDRAWN)
            raise Gone("the slot was withdrawn meanwhile")
        return booking

    async def decide(self, vid: str, bid: str, accept: bool, *, actor: str,
                     note: str = "") -> Booking:
        """The owner accepts (the slot is no longer free) or declines a request. Accepting
        is refused (:class:`Taken`) when the slot overlaps a booking accepted already."""
        booking = await self.booking(vid, bid)
        if booking is None:
            raise NotFound(f"no booking {vid}/{bid}")
        if booking.state not in (PENDING, ACCEPTED) or (booking.state == ACCEPTED
                                                        and not accept):
            raise Conflict("this request was decided already")
        if accept:
            await self._still_offered(booking)
            await self._hold(booking, actor=actor)
            try:
                await self._book_slot(booking, actor=actor)
            except Taken:  # withdrawn meanwhile: the day must not keep the booking
                await self._release(booking, actor=actor)
                raise
        return await self._set_booking(vid, bid, ACCEPTED if accept else DECLINED,
                                       actor=actor, note=note,
                                       expect=(PENDING, ACCEPTED) if accept else (PENDING,))

    async def cancel(self, vid: str, bid: str, *, actor: str) -> Booking:
        """The requester cancels; an accepted booking frees its slot again."""
        booking = await self.booking(vid, bid)
        if booking is None:
            raise NotFound(f"no booking {vid}/{bid}")
        if booking.state not in (PENDING, ACCEPTED):
            raise Conflict("this request is over already")
        done = await self._set_booking(vid, bid, CANCELLED, actor=actor,
                                       expect=(PENDING, ACCEPTED))
        if booking.state == ACCEPTED:
            await self._release(booking, actor=actor)
            offered = await self.get(vid) is not None  # a deleted venue offers nothing
            await self._set_slot(vid, booking.slot, FREE if offered else WITHDRAWN, "",
                                 actor=actor)
        return done

    async def _still_offered(self, booking: Booking) -> None:
        slot = await self.slot(booking.venue, booking.slot)
        if slot is None or slot.state not in (FREE, BOOKED):
            raise Gone("the slot was withdrawn")  # booked by another: the day refuses it
        if booking.state == PENDING and moment(slot.ends) <= moment(now_iso()):
            raise Gone("the slot is over")

    async def _book_slot(self, booking: Booking, *, actor: str) -> None:
        """The slot booked by ``booking``, unless the owner withdrew it in between."""

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is None or current.get("state") not in (FREE, BOOKED):
                raise Gone("the slot was withdrawn")
            if current.get("state") == BOOKED and current.get("booking") != booking.id:
                raise Taken("the slot is booked by another request")
            return {**current, "state": BOOKED, "booking": booking.id}

        await self.records.write(self.slot_subject(booking.venue, booking.slot), change,
                                 actor=actor, reason="booked")

    async def _hold(self, booking: Booking, *, actor: str) -> None:
        date = local_day(booking.starts)

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            held = Day.from_record(current, booking.venue, date)
            clash = held.clash(booking.starts, booking.ends, booking.id)
            if clash is not None:
                raise Taken(f"overlaps booking {clash['booking']}")
            if any(b["booking"] == booking.id for b in held.booked):
                return held.to_record()  # accepted before a crash: finish the rest
            return Day(booking.venue, date, (*held.booked, {
                "booking": booking.id, "slot": booking.slot, "starts": booking.starts,
                "ends": booking.ends})).to_record()

        await self.records.write(self.day_subject(booking.venue, date), change, actor=actor,
                                 reason="booking accepted")

    async def _release(self, booking: Booking, *, actor: str) -> None:
        date = local_day(booking.starts)

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            held = Day.from_record(current, booking.venue, date)
            return Day(booking.venue, date, tuple(
                b for b in held.booked if b["booking"] != booking.id)).to_record()

        await self.records.write(self.day_subject(booking.venue, date), change, actor=actor,
                                 reason="booking cancelled")

    async def _set_slot(self, vid: str, sid: str, state: str, bid: str, *,
                        actor: str) -> None:
        await self.records.write(
            self.slot_subject(vid, sid),
            lambda r: {**r, "state": state, "booking": bid} if r is not None else None,
            actor=actor, reason={BOOKED: "booked", FREE: "freed"}.get(state, state))

    async def _set_booking(self, vid: str, bid: str, state: str, *, actor: str,
                           expect: tuple[str, ...], note: str = "") -> Booking:
        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is None:
                raise NotFound(f"no booking {vid}/{bid}")
            if current.get("state") not in expect:
                raise Conflict("this request was decided already")
            out = {**current, "state": state}
            if actor != current.get("requester") or note:  # not a plain cancellation
                out |= {"decided_by": actor, "decided": now_iso(), "note": note}
            return out

        entry = await self.records.write(self.booking_subject(vid, bid), change, actor=actor,
                                         reason=state)
        assert entry is not None
        return Booking.from_record(entry.record)

    async def accepted_on(self, vid: str, date: str) -> Day:
        entry = await self.records.get(self.day_subject(vid, date))
        return Day.from_record(entry.record if entry else None, vid, date)


def ending(bookings: list[Booking]) -> tuple[int, int]:
    """What removing their venue would end: (pending requests, accepted bookings of slots
    not over yet)."""
    now = moment(now_iso())
    return (sum(b.state == PENDING for b in bookings),
            sum(b.state == ACCEPTED and moment(b.ends) > now for b in bookings))


async def erase_bookings(stores: Stores, pid: str) -> None:
    """Erasure hook: the person's booking requests go, history included; an accepted one
    keeps its slot booked (the day record names the booking, never the person)."""
    venues = Venues(stores)
    for booking in await venues.bookings_of(pid):
        await stores.records.purge(venues.booking_subject(booking.venue, booking.id))


async def export_bookings(stores: Stores, pid: str) -> dict[str, Any]:
    return {"venue_bookings": [b.to_record() for b in await Venues(stores).bookings_of(pid)]}
