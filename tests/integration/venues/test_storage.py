"""Venues, slots and bookings in the store of record (a real nats-server): publishing slots,
requests, decisions, and the invariant that two accepted bookings of one venue never
overlap, even with several replicas (separate connections) accepting at once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from services.accounts.storage import Stores
from services.venues.model import ACCEPTED, BOOKED, DECLINED, FREE, Booking, Slot, Venue
from services.venues.storage import Taken, Venues
from services.venues.validate import occurrence, slot_form
from shared.bus import Bus
from shared.errors import InvalidInput
from shared.natsserver import NatsServer
from shared.records import Conflict

pytestmark = pytest.mark.integration

SOON = date.today() + timedelta(days=10)


async def make_venue(venues: Venues, **extra: object) -> Venue:
    values = {"name": "Salle de la Cité", "street": "10 rue Saint-Louis",
              "postcode": "35000", "city": "Rennes", "capacity": 80, **extra}
    return await venues.create(values, owner="velo-solidaire",
                               owner_name="Roazhon Vélo Solidaire", actor="p_owner")


async def test_a_request_accepted_books_the_slot_and_a_second_is_refused(bus: Bus) -> None:
    venues = Venues(await Stores.open(bus))
    venue = await make_venue(venues)
    assert venue.id == "salle-de-la-cite"
    again = await make_venue(venues)
    assert again.id == "salle-de-la-cite-2"  # a namesake gets the next id
    from datetime import time
    (slot,) = await venues.publish(venue, [occurrence(SOON, time(18), time(22))],
                                   actor="p_owner")
    first = await venues.request(venue, slot.id, requester="p_a", association="a",
                                 association_name="A", purpose="Assemblée", people=30)
    second = await venues.request(venue, slot.id, requester="p_b", association="b",
                                  association_name="B", purpose="Répétition", people=10)
    accepted = await venues.decide(venue.id, first.id, True, actor="p_owner")
    assert accepted.state == ACCEPTED and accepted.decided_by == "p_owner"
    booked = await venues.slot(venue.id, slot.id)
    assert booked is not None and booked.state == BOOKED and booked.booking == first.id
    with pytest.raises(Taken):
        await venues.decide(venue.id, second.id, True, actor="p_owner")
    declined = await venues.decide(venue.id, second.id, False, actor="p_owner")
    assert declined.state == DECLINED
    assert await venues.free_slots(venue.id) == []
    with pytest.raises(Taken):  # no new request on a booked slot
        await venues.request(venue, slot.id, requester="p_c", association="c",
                             association_name="C", purpose="x", people=1)
    # accepting again (as after a crash half-way) changes nothing and is not a clash
    assert (await venues.decide(venue.id, first.id, True, actor="p_owner")).state == ACCEPTED
    # the requester cancels: the slot is free again
    await venues.cancel(venue.id, first.id, actor="p_a")
    freed = await venues.slot(venue.id, slot.id)
    assert freed is not None and freed.state == FREE
    assert (await venues.accepted_on(venue.id, slot.day)).booked == ()


async def test_the_owners_association_cannot_book_and_capacity_is_checked(bus: Bus) -> None:
    venues = Venues(await Stores.open(bus))
    venue = await make_venue(venues)
    from datetime import time
    (slot,) = await venues.publish(venue, [occurrence(SOON, time(9), time(12))],
                                   actor="p_owner")
    with pytest.raises(InvalidInput) as own:
        await venues.request(venue, slot.id, requester="p_o", association="velo-solidaire",
                             association_name="V", purpose="x", people=3)
    assert "association" in own.value.errors
    with pytest.raises(InvalidInput) as big:
        await venues.request(venue, slot.id, requester="p_b", association="b",
                             association_name="B", purpose="x", people=81)
    assert "people" in big.value.errors


async def test_a_weekly_series_publishes_one_slot_a_week(bus: Bus) -> None:
    venues = Venues(await Stores.open(bus))
    venue = await make_venue(venues)
    until = SOON + timedelta(days=28)
    occurrences = slot_form({"date": SOON.isoformat(), "start": "18:00", "end": "22:00",
                             "until": until.isoformat()})
    made = await venues.publish(venue, occurrences, actor="p_owner")
    assert len(made) == 5 and len({s.series for s in made}) == 1
    assert [s.day for s in made] == [(SOON + timedelta(days=7 * i)).isoformat()
                                     for i in range(5)]
    await venues.withdraw(venue.id, made[0].id, actor="p_owner")
    renamed = await venues.edit(venue.id, {"name": "Salle Cité"}, actor="p_owner")
    assert renamed.name == "Salle Cité" and renamed.capacity == 80
    assert [s.venue_name for s in await venues.free_slots(venue.id)] == ["Salle Cité"] * 4


async def test_overlapping_acceptances_on_several_replicas_keep_one(
        nats_server: NatsServer, bus: Bus) -> None:
    """Eight slots of one venue that all overlap (each holds 19:45–19:50), one request on
    each, accepted all at once by four replicas: exactly one is accepted, the others
    refused as taken, and the day holds one booking."""
    from datetime import time
    venues = Venues(await Stores.open(bus))
    venue = await make_venue(venues)
    spans = [(time(18), time(22)), (time(19), time(23)), (time(19, 30), time(20)),
             (time(17), time(20)), (time(19, 45), time(0)), (time(18), time(19, 50)),
             (time(19, 40), time(21)), (time(17), time(23))]
    slots = await venues.publish(venue, [occurrence(SOON, a, b) for a, b in spans],
                                 actor="p_owner")
    requests = [await venues.request(venue, s.id, requester=f"p_{i}", association=f"a{i}",
                                     association_name=f"A{i}", purpose="x", people=5)
                for i, s in enumerate(slots)]
    replicas = [await Bus.connect(nats_server.url, name=f"replica-{i}") for i in range(4)]
    try:
        stores = [Venues(await Stores.open(r)) for r in replicas]
        outcomes = await asyncio.gather(*(
            stores[i % 4].decide(venue.id, r.id, True, actor="p_owner")
            for i, r in enumerate(requests)), return_exceptions=True)
    finally:
        for r in replicas:
            await r.close()
    accepted = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(accepted) == 1, outcomes
    assert all(isinstance(o, Taken) for o in refused), refused
    day = await venues.accepted_on(venue.id, slots[0].day)
    assert [b["booking"] for b in day.booked] == [accepted[0].id]


async def test_bookings_that_do_not_overlap_are_all_accepted_at_once(
        nats_server: NatsServer, bus: Bus) -> None:
    """Back-to-back slots (10–12, 12–14, 14–16, 16–18) accepted at once on two replicas:
    all four, since ending at 12:00 and starting at 12:00 do not overlap."""
    from datetime import time
    venues = Venues(await Stores.open(bus))
    venue = await make_venue(venues)
    slots = await venues.publish(
        venue, [occurrence(SOON, time(h), time(h + 2)) for h in (10, 12, 14, 16)],
        actor="p_owner")
    requests = [await venues.request(venue, s.id, requester=f"p_{i}", association=f"a{i}",
                                     association_name="A", purpose="x", people=5)
                for i, s in enumerate(slots)]
    replicas = [await Bus.connect(nats_server.url, name=f"replica-{i}") for i in range(2)]
    try:
        stores = [Venues(await Stores.open(r)) for r in replicas]
        done = await asyncio.gather(*(stores[i % 2].decide(venue.id, r.id, True,
                                                           actor="p_owner")
                                      for i, r in enumerate(requests)))
    finally:
        for r in replicas:
            await r.close()
    assert all(b.state == ACCEPTED for b in done)
    assert len((await venues.accepted_on(venue.id, slots[0].day)).booked) == 4


async def test_a_persons_requests_are_exported_and_erased_with_their_account(
        bus: Bus) -> None:
    from datetime import time

    from services.accounts.storage import Hooks
    from services.venues.storage import erase_bookings, export_bookings

    stores = await Stores.open(bus, Hooks([erase_bookings], [export_bookings]))
    venues = Venues(stores)
    venue = await make_venue(venues)
    slots = await venues.publish(venue, [occurrence(SOON, time(9), time(10)),
                                         occurrence(SOON, time(10), time(11))], actor="p_owner")
    person = await stores.people.find_or_create("lea@exemple.fr")
    mine = await venues.request(venue, slots[0].id, requester=person.id, association="a",
                                association_name="A", purpose="Atelier", people=4)
    other = await venues.request(venue, slots[1].id, requester="p_other", association="b",
                                 association_name="B", purpose="Réunion", people=4)
    await venues.decide(venue.id, mine.id, True, actor="p_owner")
    exported = await stores.people.export(person.id)
    assert [b["id"] for b in exported["venue_bookings"]] == [mine.id]
    assert exported["venue_bookings"][0]["purpose"] == "Atelier"
    await stores.people.erase(person.id)
    assert await venues.bookings_of(person.id) == []
    assert await stores.records.history(venues.booking_subject(venue.id, mine.id)) == []
    assert await venues.booking(venue.id, other.id) is not None  # others' requests stay
    # the slot stays booked: the day names the booking, never the person
    day = await venues.accepted_on(venue.id, slots[0].day)
    assert [b["booking"] for b in day.booked] == [mine.id] and person.id not in str(day)


async def one_request(bus: Bus) -> tuple[Venues, Venue, Slot, Booking]:
    """A venue, one free slot on it and one pending request for that slot."""
    from datetime import time
    venues = Venues(await Stores.open(bus))
    venue = await make_venue(venues)
    (slot,) = await venues.publish(venue, [occurrence(SOON, time(9), time(12))],
                                   actor="p_owner")
    asked = await venues.request(venue, slot.id, requester="p_a", association="a",
                                 association_name="A", purpose="x", people=3)
    return venues, venue, slot, asked

async def test_withdrawing_a_slot_declines_its_pending_requests_with_the_reason(
        bus: Bus) -> None:
    """The owner took the slot back after someone asked for it: the request is declined
    with the reason (not left pending), and can no longer be accepted (that would turn a
    withdrawn slot into a booked one, outside what the venue offers)."""
    from datetime import time

    from services.venues.model import WITHDRAWN
    from services.venues.storage import SLOT_WITHDRAWN
    venues, venue, slot, asked = await one_request(bus)
    (other,) = await venues.publish(venue, [occurrence(SOON, time(14), time(16))],
                                    actor="p_owner")
    elsewhere = await venues.request(venue, other.id, requester="p_b", association="b",
                                     association_name="B", purpose="y", people=3)
    second = await venues.request(venue, slot.id, requester="p_c", association="c",
                                  association_name="C", purpose="z", people=3)
    withdrawn, declined = await venues.withdraw(venue.id, slot.id, actor="p_owner")
    assert withdrawn.state == WITHDRAWN
    assert sorted(b.id for b in declined) == sorted([asked.id, second.id])
    for booking in declined:
        assert booking.state == DECLINED and booking.note == SLOT_WITHDRAWN
        assert booking.decided_by == "p_owner"
        assert (await venues.booking(venue.id, booking.id)).state == DECLINED
    assert (await venues.booking(venue.id, elsewhere.id)).state == "pending"  # another slot
    with pytest.raises(Conflict):  # decided already
        await venues.decide(venue.id, asked.id, True, actor="p_owner")
    kept = await venues.slot(venue.id, slot.id)
    assert kept is not None and kept.state == WITHDRAWN
    assert (await venues.accepted_on(venue.id, slot.day)).booked == ()
    # withdrawing again (a crash half-way, a second replica) declines nothing twice
    assert (await venues.withdraw(venue.id, slot.id, actor="p_owner"))[1] == []


async def test_two_replicas_withdrawing_at_once_decline_each_request_once(
        nats_server: NatsServer, bus: Bus) -> None:
    """Both replicas withdraw the slot; each request is declined by exactly one of them
    (the one whose write found it pending), so that its requester is told once."""
    venues, venue, slot, asked = await one_request(bus)
    others = [await venues.request(venue, slot.id, requester=f"p_{i}", association=f"a{i}",
                                   association_name="A", purpose="x", people=2)
              for i in range(4)]
    replicas = [await Bus.connect(nats_server.url, name=f"replica-{i}") for i in range(2)]
    try:
        stores = [Venues(await Stores.open(r)) for r in replicas]
        done = await asyncio.gather(*(s.withdraw(venue.id, slot.id, actor="p_owner")
                                      for s in stores))
    finally:
        for r in replicas:
            await r.close()
    declined = [b.id for _, ended in done for b in ended]
    assert sorted(declined) == sorted([asked.id, *(b.id for b in others)])
    assert all(b.state == DECLINED for b in await venues.bookings(venue.id))


async def test_a_request_whose_slot_is_over_cannot_be_accepted(bus: Bus) -> None:
    from datetime import datetime, time

    from services.venues.model import TZ
    from services.venues.storage import Gone
    venues, venue, slot, asked = await one_request(bus)
    past = datetime.now(TZ).date() - timedelta(days=2)
    starts, ends = occurrence(past, time(9), time(12))  # the request waited until it passed
    await venues.records.write(venues.slot_subject(venue.id, slot.id),
                               lambda r: {**r, "starts": starts, "ends": ends}, actor="test")
    with pytest.raises(Gone):
        await venues.decide(venue.id, asked.id, True, actor="p_owner")


async def test_cancelling_a_booking_of_a_deleted_venue_frees_no_slot(bus: Bus) -> None:
    """The venue was deleted with a past accepted booking (kept, for the audit); the
    requester then cancels it: the slot must not come back free on the board."""
    from services.venues.model import WITHDRAWN
    venues, venue, slot, asked = await one_request(bus)
    await venues.decide(venue.id, asked.id, True, actor="p_owner")
    await move_to_the_past(venues, asked)
    await venues.remove(venue.id, actor="p_owner")
    assert (await venues.booking(venue.id, asked.id)).state == ACCEPTED  # the past stays
    await venues.cancel(venue.id, asked.id, actor="p_a")
    gone = await venues.slot(venue.id, slot.id)
    assert gone is not None and gone.state == WITHDRAWN
    assert await venues.free_slots(venue.id) == []


async def move_to_the_past(venues: Venues, booking: Booking) -> None:
    """The booking (and its slot) as if its day had passed."""
    from datetime import datetime, time

    from services.venues.model import TZ
    past = datetime.now(TZ).date() - timedelta(days=3)
    starts, ends = occurrence(past, time(9), time(12))
    for subject in (venues.booking_subject(booking.venue, booking.id),
                    venues.slot_subject(booking.venue, booking.slot)):
        await venues.records.write(subject, lambda r: {**r, "starts": starts, "ends": ends},
                                   actor="test")


async def test_removing_a_venue_ends_its_future_bookings_and_keeps_the_past(
        bus: Bus) -> None:
    """Accepted bookings of slots to come are cancelled (their slots withdrawn, their days
    released), pending requests declined, both with the reason; a past booking stays."""
    from datetime import time

    from services.venues.model import CANCELLED, WITHDRAWN
    from services.venues.storage import VENUE_REMOVED, ending
    venues, venue, slot, accepted = await one_request(bus)
    later = await venues.publish(venue, [occurrence(SOON, time(h), time(h + 1))
                                         for h in (14, 16, 18)], actor="p_owner")
    past, pending = [await venues.request(venue, s.id, requester=f"p_{i}", association="b",
                                          association_name="B", purpose="y", people=2)
                     for i, s in enumerate(later[:2])]
    await venues.decide(venue.id, accepted.id, True, actor="p_owner")
    await venues.decide(venue.id, past.id, True, actor="p_owner")
    await move_to_the_past(venues, past)
    assert ending(await venues.bookings(venue.id)) == (1, 1)
    gone, ended = await venues.remove(venue.id, actor="p_owner")
    assert gone and await venues.get(venue.id) is None
    assert {b.id: b.state for b in ended} == {accepted.id: CANCELLED, pending.id: DECLINED}
    assert all(b.note == VENUE_REMOVED for b in ended)
    assert (await venues.booking(venue.id, past.id)).state == ACCEPTED
    held = (await venues.accepted_on(venue.id, slot.day)).booked  # released: only the one
    assert [b["booking"] for b in held] == [past.id]  # moved to the past by hand is left
    assert {s.state for s in await venues.slots(venue.id) if s.id != later[0].id} == {
        WITHDRAWN}
    assert await venues.free_slots(venue.id) == []


async def test_two_replicas_removing_a_venue_at_once_end_each_booking_once(
        nats_server: NatsServer, bus: Bus) -> None:
    from datetime import time
    venues, venue, slot, accepted = await one_request(bus)
    await venues.decide(venue.id, accepted.id, True, actor="p_owner")
    more = await venues.publish(venue, [occurrence(SOON, time(14), time(15))],
                                actor="p_owner")
    asked = [await venues.request(venue, more[0].id, requester=f"p_{i}", association="b",
                                  association_name="B", purpose="y", people=2)
             for i in range(3)]
    replicas = [await Bus.connect(nats_server.url, name=f"replica-{i}") for i in range(2)]
    try:
        stores = [Venues(await Stores.open(r)) for r in replicas]
        done = await asyncio.gather(*(s.remove(venue.id, actor="p_owner") for s in stores))
    finally:
        for r in replicas:
            await r.close()
    ended = [b.id for _, bookings in done for b in bookings]
    assert sorted(ended) == sorted([accepted.id, *(b.id for b in asked)])


async def test_a_request_written_while_its_slot_is_withdrawn_is_not_left_pending(
        nats_server: NatsServer, bus: Bus) -> None:
    """The owner withdraws the slot (on another replica) between the request's check that
    it is free and the request's write: the withdrawal read the requests before this one
    existed, so the request must decline itself rather than stay pending for ever."""
    from datetime import time

    from services.venues.storage import SLOT_WITHDRAWN, Gone

    replica = await Bus.connect(nats_server.url, name="owner-replica")
    owner_side = Venues(await Stores.open(replica))

    class WithdrawnMeanwhile(Venues):
        async def slot(self, vid: str, sid: str) -> Slot | None:
            found = await super().slot(vid, sid)
            if found is not None and found.free:
                _, declined = await owner_side.withdraw(vid, sid, actor="p_owner")
                assert declined == []  # the request is not written yet
            return found

    try:
        venues = WithdrawnMeanwhile(await Stores.open(bus))
        venue = await make_venue(venues)
        (slot,) = await venues.publish(venue, [occurrence(SOON, time(9), time(12))],
                                       actor="p_owner")
        with pytest.raises(Gone):
            await venues.request(venue, slot.id, requester="p_a", association="a",
                                 association_name="A", purpose="x", people=3)
    finally:
        await replica.close()
    (left,) = await Venues(await Stores.open(bus)).bookings(venue.id)
    assert left.state == DECLINED and left.note == SLOT_WITHDRAWN
