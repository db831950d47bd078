"""The reminder a week before a deadline: sent once however many replicas run it (a claim
in KV), only for open applications whose deadline is within the week."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.accounts.web import SITE
from services.applications.project import searchable
from services.applications.reminders import due, remind
from services.applications.storage import Applications
from services.associations.storage import Associations
from tests.integration.accounts.conftest import Site

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def doc(days: float, state: str = "seeking") -> dict[str, object]:
    return {"id": f"a{days}", "state": state,
            "deadline": (NOW + timedelta(days=days)).isoformat()}


def test_only_open_applications_closing_within_the_week_are_due() -> None:
    found = due([doc(3), doc(6.9), doc(8), doc(-1), doc(2, "submitted"), doc(1, "formed")],
                NOW)
    assert [d["id"] for d in found] == ["a3", "a6.9", "a1"]


async def test_two_replicas_send_one_reminder(site: Site) -> None:
    state = site.app[SITE]
    stores = state.ready()
    person = await stores.people.find_or_create("camille@velo-solidaire.test")
    directory = Associations(stores)
    lead = await directory.get("velo-solidaire")
    assert lead is not None
    assert (await directory.join(lead, person)).active  # the association's own domain
    gone = await stores.people.find_or_create("gone@velo-solidaire.test")  # left the lead
    application = await Applications(stores).open(
        {"title": "Vélo-école", "summary": "Des ateliers.", "funder": "Fondation",
         "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat()},
        lead="velo-solidaire", lead_name="Roazhon Vélo Solidaire", call=None,
        actor=person.id)
    other = await Applications(stores).open(
        {"title": "Atelier", "summary": "Des ateliers.", "funder": "Fondation",
         "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat()},
        lead="velo-solidaire", lead_name="Roazhon Vélo Solidaire", call=None,
        actor=gone.id)
    gone_doc = searchable(other.to_record())
    assert gone_doc is not None
    board_doc = searchable(application.to_record())
    assert board_doc is not None
    before = len(site.outbox_messages())
    # reminded (the claim is taken), but who opened it left the lead: not mailed
    assert await remind(state, [gone_doc], replica="replica-0", url=site.url) == 1
    counts = await asyncio.gather(*(remind(state, [board_doc], replica=r, url=site.url)
                                    for r in ("replica-1", "replica-2")))
    assert sorted(counts) == [0, 1]
    for _ in range(100):
        if len(site.outbox_messages()) > before:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    mails = site.outbox_messages()[before:]
    assert [str(m["To"]) for m in mails] == ["camille@velo-solidaire.test"]
    assert "Date limite dans une semaine" in str(mails[0]["Subject"])
    assert await remind(state, [board_doc], replica="replica-3", url=site.url) == 0
