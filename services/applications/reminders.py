"""The reminder a week before an application's deadline: the lead's admins, the person who
opened it (while a member of the lead) and the admins of each partner get one mail (the
outbox), once, however many replicas of the site run this loop: each reminder is a claim in
KV (``claims``, ``application-reminder`` of the application and its deadline) that only one
replica wins.

The loop (:func:`run`) reads the applications closing within the coming days from the board
(a period query) every :data:`EVERY_S` seconds; :func:`due` picks those whose deadline is
within :data:`BEFORE` from now, :func:`remind` sends.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from services.accounts.mail import Letter
from services.accounts.web import Site
from services.applications.model import APPLICATION, OPEN
from services.associations.storage import Associations
from shared.store.board_base import MAX_LIMIT, BoardQuery, BoardSort, BoardStore

log = logging.getLogger(__name__)
CLAIM = "application-reminder"
BEFORE = timedelta(days=7)
EVERY_S = 3600.0


def due(docs: Iterable[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The open applications whose deadline is within :data:`BEFORE` and not past."""
    out = []
    for doc in docs:
        try:
            deadline = datetime.fromisoformat(str(doc.get("deadline")))
        except ValueError:
            continue
        if doc.get("state") in OPEN and now < deadline <= now + BEFORE:
            out.append(doc)
    return out


async def remind(state: Site, docs: Iterable[dict[str, Any]], *, replica: str,
                 url: str) -> int:
    """Mail the people of each application once (the claim decides); returns how many
    applications this replica reminded."""
    stores = state.ready()
    associations = Associations(stores)
    sent = 0
    for doc in docs:
        if not await stores.claims.take(CLAIM, f"{doc['id']}@{doc['deadline']}", replica):
            continue
        pids: set[str] = set()
        lead_members: set[str] = set()
        for aid in [doc["lead"], *(p["id"] for p in doc.get("partners") or [])]:
            members = await associations.members(aid)
            pids |= {m.person for m in members if m.admin}
            if aid == doc["lead"]:
                lead_members = {m.person for m in members if m.active}
        record = await stores.records.get(stores.records.subject(APPLICATION, doc["id"]))
        opener = str(record.record.get("opened_by") or "") if record is not None else ""
        if opener in lead_members:  # who opened it, while still a member of the lead
            pids.add(opener)
        for pid in sorted(pids):
            person = await stores.people.get(pid)
            if person is not None:
                state.mail.put(Letter(
                    state.settings.mail_from, person.email,
                    "Date limite dans une semaine\u00a0: " + str(doc["title"]),
                    f"La candidature commune « {doc['title']} » doit être déposée avant le "
                    f"{str(doc['deadline'])[:10]}.\n\n{url}/candidatures/{doc['id']}\n"))
        sent += 1
    return sent


async def closing(board: BoardStore, now: datetime) -> list[dict[str, Any]]:
    """The applications of the board whose period meets the coming :data:`BEFORE`."""
    docs: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await board.search(BoardQuery(
            kind=APPLICATION, facets={"state": OPEN}, start=now.isoformat(),
            end=(now + BEFORE).isoformat(), sort=BoardSort.SOONEST, limit=MAX_LIMIT,
            cursor=cursor))
        docs += page.items
        if not page.next:
            return docs
        cursor = page.next


async def run(state: Site, board: BoardStore, *, every_s: float = EVERY_S) -> None:
    """Remind, then again every ``every_s`` seconds (until cancelled)."""
    replica = secrets.token_hex(8)
    url = str(state.settings.public_url or "").rstrip("/")
    while True:
        if state.stores is not None:
            try:
                now = datetime.now().astimezone()
                await remind(state, due(await closing(board, now), now), replica=replica,
                             url=url)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next round tries again
                log.exception("application reminders failed")
        await asyncio.sleep(every_s)
