"""Applications and partners in the store of record (a real nats-server): concurrent
decisions, the lead's own association, export and erasure."""

from __future__ import annotations

import asyncio

import pytest

from services.accounts.storage import Stores
from services.applications.model import PARTNER_ACCEPTED
from services.applications.storage import (
    Applications,
    erase_applications,
    export_applications,
)
from shared.bus import Bus
from shared.errors import InvalidInput
from shared.records import Conflict

pytestmark = pytest.mark.integration
VALUES = {"title": "Vélo-école", "summary": "Des ateliers.", "funder": "Fondation",
          "deadline": "2099-01-15T23:59:00+01:00", "themes": [], "quartiers": [],
          "skills": [], "wanted": ""}


async def opened(bus: Bus) -> tuple[Stores, Applications, object]:
    await bus.ensure()
    stores = await Stores.open(bus)
    applications = Applications(stores)
    application = await applications.open(VALUES, lead="lead", lead_name="La tête",
                                          call=None, actor="p_lead")
    return stores, applications, application


async def test_two_partners_accepted_at_once_are_both_kept(bus: Bus) -> None:
    _, applications, application = await opened(bus)
    names = [f"asso-{i}" for i in range(6)]
    for aid in names:
        await applications.ask(application, aid, aid.upper(), "Bonjour", actor=f"p_{aid[-1]}")
    await asyncio.gather(*(applications.decide(application.id, aid, True, side="lead",
                                               actor="p_lead") for aid in names))
    stored = await applications.get(application.id)
    assert stored is not None and sorted(stored.partner_ids()) == names
    assert all(p.state == PARTNER_ACCEPTED for p in await applications.partners(application.id))


async def test_a_request_is_decided_once(bus: Bus) -> None:
    _, applications, application = await opened(bus)
    await applications.ask(application, "a", "A", "Bonjour", actor="p_a")
    await applications.decide(application.id, "a", False, side="lead", actor="p_lead")
    with pytest.raises(Conflict):
        await applications.decide(application.id, "a", True, side="lead", actor="p_lead")
    stored = await applications.get(application.id)
    assert stored is not None and stored.partners == ()


async def test_an_invited_association_decides_its_invitation_not_the_lead(bus: Bus) -> None:
    _, applications, application = await opened(bus)
    await applications.invite(application, "b", "B", actor="p_lead")
    with pytest.raises(Conflict):
        await applications.decide(application.id, "b", True, side="lead", actor="p_lead")
    partner = await applications.decide(application.id, "b", True, side="partner",
                                        actor="p_b")
    assert partner.accepted


async def test_asking_after_an_invitation_is_agreeing(bus: Bus) -> None:
    _, applications, application = await opened(bus)
    await applications.invite(application, "b", "B", actor="p_lead")
    partner = await applications.ask(application, "b", "B", "Volontiers", actor="p_b")
    stored = await applications.get(application.id)
    assert partner.accepted and stored is not None and stored.partner_ids() == ("b",)


async def test_the_lead_cannot_be_its_own_partner_nor_a_closed_one_joined(bus: Bus) -> None:
    _, applications, application = await opened(bus)
    with pytest.raises(InvalidInput):
        await applications.ask(application, "lead", "La tête", "Moi", actor="p_lead")
    await applications.set_state(application.id, "formed", actor="p_lead")
    submitted = await applications.set_state(application.id, "submitted", actor="p_lead")
    with pytest.raises(InvalidInput):
        await applications.ask(submitted, "c", "C", "Trop tard", actor="p_c")
    with pytest.raises(InvalidInput):  # no way back from a submitted application
        await applications.set_state(application.id, "seeking", actor="p_lead")


async def test_export_and_erasure_of_a_person_who_asked(bus: Bus) -> None:
    stores, applications, application = await opened(bus)
    await applications.ask(application, "a", "A", "Appelez le 0612345678", actor="p_asker")
    exported = await export_applications(stores, "p_asker")
    assert [r["message"] for r in exported["application_requests"]] == [
        "Appelez le 0612345678"]
    assert [a["id"] for a in (await export_applications(stores, "p_lead"))[
        "applications_opened"]] == [application.id]
    await erase_applications(stores, "p_asker")
    subject = applications.partner_subject(application.id, "a")
    history = await stores.records.history(subject)
    assert "0612345678" not in repr([e.record for e in history])
    assert history[-1].record["state"] == "requested"  # the request itself stays


async def test_two_items_ticked_at_once_are_both_ticked(bus: Bus) -> None:
    from services.applications import checklist

    stores, _, application = await opened(bus)
    records = stores.records
    for text in ("Budget", "Statuts", "Devis"):
        await checklist.change(records, application.id, "add", actor="p_lead", text=text)
    ids = [i["id"] for i in await checklist.items(records, application.id)]
    await asyncio.gather(*(checklist.change(records, application.id, "done", actor="p_x",
                                            item=i) for i in ids))
    assert [i["done"] for i in await checklist.items(records, application.id)] == [True] * 3


async def test_a_stop_between_a_decision_s_two_writes_is_repaired_on_read(bus: Bus) -> None:
    stores, applications, application = await opened(bus)
    for aid in ("a", "b"):
        await applications.ask(application, aid, aid.upper(), "Bonjour", actor=f"p_{aid}")
    await applications.decide(application.id, "b", True, side="lead", actor="p_lead")
    # the first write of accepting "a", then a stop before the application's list; and
    # "b" leaving, with a stop before it is taken off the list
    await stores.records.update(applications.partner_subject(application.id, "a"),
                                lambda r: {**r, "state": PARTNER_ACCEPTED}, actor="p_lead")
    await stores.records.update(applications.partner_subject(application.id, "b"),
                                lambda r: {**r, "state": "withdrawn"}, actor="p_b")
    before = await applications.get(application.id)
    assert before is not None and before.partner_ids() == ("b",)
    repaired, _ = await applications.with_partners(before)
    assert repaired.partner_ids() == ("a",)
    stored = await applications.get(application.id)
    assert stored is not None and stored.partners == ({"id": "a", "name": "A"},)


async def test_a_checklist_item_keeps_no_control_character(bus: Bus) -> None:
    from services.applications import checklist

    stores, _, application = await opened(bus)
    await checklist.change(stores.records, application.id, "add", actor="p_lead",
                           text="Budget\x00 prévisionnel\x1b[2J")
    items = await checklist.items(stores.records, application.id)
    assert [i["text"] for i in items] == ["Budget prévisionnel[2J"]
    with pytest.raises(InvalidInput):  # nothing left once the controls are dropped
        await checklist.change(stores.records, application.id, "add", actor="p_lead",
                               text="\x00\x01")


async def test_a_pending_partner_is_not_accepted_once_the_application_is_closed(
        bus: Bus) -> None:
    _, applications, application = await opened(bus)
    await applications.ask(application, "a", "A", "Bonjour", actor="p_a")
    await applications.invite(application, "b", "B", actor="p_lead")
    for state in ("formed", "submitted"):
        await applications.set_state(application.id, state, actor="p_lead")
    with pytest.raises(InvalidInput):
        await applications.decide(application.id, "a", True, side="lead", actor="p_lead")
    with pytest.raises(InvalidInput):
        await applications.decide(application.id, "b", True, side="partner", actor="p_b")
    declined = await applications.decide(application.id, "a", False, side="lead",
                                         actor="p_lead")
    stored = await applications.get(application.id)
    assert declined.state == "declined" and stored is not None and stored.partners == ()
