"""Joint applications and their partners in the store of record (through
:class:`services.accounts.storage.Stores`).

Every write names its actor (a person id, or ``demo``): each record's history is its audit
trail. A partner's decision is written on its own record first (with the expected
sequence: of two people deciding one request at once, the second is refused as already
decided), then on the application's list of partners, through a change function that
:meth:`shared.records.Records.write` applies again when another write came in between, so
that two partners accepted at once are both kept.
"""

from __future__ import annotations

import secrets
from typing import Any

from services.accounts.storage import Stores, WrittenBy
from services.applications.model import (
    APPLICATION,
    DECLINED,
    INVITED,
    NEXT_STATES,
    OPEN,
    PARTNER,
    PARTNER_ACCEPTED,
    REQUESTED,
    SEEKING,
    WITHDRAWN,
    Application,
    Partner,
)
from services.associations.validate import slug
from shared.errors import InvalidInput
from shared.records import Conflict, now_iso

#: Who may decide a pending partner: the lead decides a request, the invited one its
#: invitation.
DECIDES = {REQUESTED: "lead", INVITED: "partner"}


class Applications:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.records = stores.records

    def subject(self, app_id: str) -> str:
        return self.records.subject(APPLICATION, app_id)

    def partner_subject(self, app_id: str, aid: str) -> str:
        return self.records.subject(PARTNER, app_id, aid)

    # -- reads ------------------------------------------------------------------------------

    async def get(self, app_id: str) -> Application | None:
        entry = await self.records.get(self.subject(app_id))
        return Application.from_record(entry.record) if entry is not None else None

    async def partners(self, app_id: str) -> list[Partner]:
        entries = await self.records.latest(self.records.subject(PARTNER, app_id) + ".*")
        return sorted((Partner.from_record(e.record) for e in entries),
                      key=lambda p: (p.created, p.association))

    async def with_partners(self, application: Application
                            ) -> tuple[Application, list[Partner]]:
        """The application and its partners, its public list of partners repaired when it
        disagrees with their records (a process that stopped between a decision's two
        writes left an accepted partner off the list, or a partner who left on it). The
        application is read first: a partner it lists was accepted before the partners are
        read, so only a decision in flight (which writes the same) can disagree on a
        sound list."""
        app_id = application.id
        partners = await self.partners(app_id)
        accepted = {p.association: p.name for p in partners if p.accepted}
        if set(accepted) == set(application.partner_ids()):
            return application, partners

        def change(record: dict[str, Any]) -> dict[str, Any]:
            listed = [p for p in record.get("partners") or [] if p.get("id") in accepted]
            there = {p.get("id") for p in listed}
            listed += [{"id": aid, "name": name} for aid, name in accepted.items()
                       if aid not in there]
            if listed == (record.get("partners") or []):
                return record
            return {**record, "partners": listed, "updated": now_iso()}

        entry = await self.records.update(self.subject(app_id), change, actor="maillage",
                                          reason="partners repaired")
        return Application.from_record(entry.record), partners

    async def partner(self, app_id: str, aid: str) -> Partner | None:
        entry = await self.records.get(self.partner_subject(app_id, aid))
        return Partner.from_record(entry.record) if entry is not None else None

    # -- the application --------------------------------------------------------------------

    async def open(self, values: dict[str, Any], *, lead: str, lead_name: str,
                   call: dict[str, Any] | None, actor: str) -> Application:
        """A new application of ``lead`` for ``call`` (a call document of the calls' store),
        or for the funder, deadline and link of ``values``."""
        now = now_iso()
        known = {k: v for k, v in values.items() if k in Application.__slots__}
        if call is not None:
            known.update(call=str(call["id"]), call_title=str(call.get("title") or ""),
                         funder=str(call.get("funder") or ""),
                         deadline=str(call.get("deadline") or ""),
                         opens=str(call.get("opens") or ""),
                         link=str(call.get("application_url") or ""))
        for _ in range(5):
            app_id = f"{slug(values['title'])[:32].strip('-')}-{secrets.token_hex(3)}"
            application = Application.from_record({
                **known, "id": app_id, "lead": lead, "lead_name": lead_name,
                "state": SEEKING, "partners": [], "created": now, "updated": now,
                "opened_by": actor, "opens": known.get("opens") or now})
            try:
                await self.records.create(self.subject(app_id), application.to_record(),
                                          actor=actor, reason="opened")
            except Conflict:
                continue
            return application
        raise Conflict("no free application id")

    async def edit(self, app_id: str, values: dict[str, Any], *, actor: str) -> Application:
        allowed = {k: v for k, v in values.items() if k in Application.__slots__
                   and k not in ("id", "lead", "partners", "state", "opened_by", "call")}
        entry = await self.records.update(
            self.subject(app_id), lambda r: {**r, **allowed, "updated": now_iso()},
            actor=actor, reason="edited")
        return Application.from_record(entry.record)

    async def set_state(self, app_id: str, state: str, *, actor: str) -> Application:
        def change(record: dict[str, Any]) -> dict[str, Any]:
            current = str(record.get("state"))
            if state == current:
                return record
            if state not in NEXT_STATES.get(current, ()):
                raise InvalidInput({"state": "Cette candidature ne peut pas passer à cet "
                                             "état maintenant."})
            return {**record, "state": state, "updated": now_iso()}

        entry = await self.records.update(self.subject(app_id), change, actor=actor,
                                          reason=f"state {state}")
        return Application.from_record(entry.record)

    async def _listed(self, app_id: str, aid: str, name: str, *, add: bool,
                      actor: str) -> Application:
        """Add ``aid`` to (or take it from) the application's public list of partners."""
        def change(record: dict[str, Any]) -> dict[str, Any]:
            others = [p for p in record.get("partners") or [] if p.get("id") != aid]
            partners = [*others, {"id": aid, "name": name}] if add else others
            if partners == (record.get("partners") or []):
                return record
            return {**record, "partners": partners, "updated": now_iso()}

        entry = await self.records.update(self.subject(app_id), change, actor=actor,
                                          reason="partner added" if add else "partner removed")
        return Application.from_record(entry.record)

    # -- partners ---------------------------------------------------------------------------

    async def _pending(self, application: Application, aid: str, name: str, state: str,
                       message: str, *, actor: str) -> Partner:
        """``aid`` asks to join (``requested``) or is invited (``invited``). Asking after an
        invitation (or inviting after a request) is agreeing: it becomes a partner."""
        if aid == application.lead:
            raise InvalidInput({"association": "C’est l’association qui porte la "
                                               "candidature."})
        if application.state not in OPEN:
            raise InvalidInput({"association": "Cette candidature n’accueille plus de "
                                               "partenaires."})
        now = now_iso()
        other = INVITED if state == REQUESTED else REQUESTED

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is not None and current.get("state") == other:
                return {**current, "state": PARTNER_ACCEPTED, "decided": now}
            if current is not None and current.get("state") in (state, PARTNER_ACCEPTED):
                return current
            base = Partner(application.id, aid, name, state, message,
                           actor if state == REQUESTED else "", now).to_record()
            return base

        entry = await self.records.write(self.partner_subject(application.id, aid), change,
                                         actor=actor, reason=state)
        assert entry is not None
        partner = Partner.from_record(entry.record)
        if partner.accepted:
            await self._listed(application.id, aid, name, add=True, actor=actor)
        return partner

    async def ask(self, application: Application, aid: str, name: str, message: str, *,
                  actor: str) -> Partner:
        return await self._pending(application, aid, name, REQUESTED, message, actor=actor)

    async def invite(self, application: Application, aid: str, name: str, *,
                     actor: str) -> Partner:
        return await self._pending(application, aid, name, INVITED, "", actor=actor)

    async def decide(self, app_id: str, aid: str, accept: bool, *, side: str,
                     actor: str) -> Partner:
        """The lead (``side="lead"``) decides a request, the invited association
        (``side="partner"``) its invitation. :class:`Conflict` when it was decided already
        (by someone else, just now), :class:`NotFound` when there is nothing to decide,
        :class:`InvalidInput` when accepting into an application no longer open to partners
        (formed teams only change before it is submitted; declining is always possible)."""
        if accept:
            application = await self.get(app_id)
            if application is not None and not application.open:
                raise InvalidInput({"partners": "Cette candidature n’accueille plus de "
                                                "partenaires."})

        def change(current: dict[str, Any]) -> dict[str, Any]:
            if DECIDES.get(str(current.get("state"))) != side:
                raise Conflict("decided already")
            return {**current, "state": PARTNER_ACCEPTED if accept else DECLINED,
                    "decided": now_iso()}

        entry = await self.records.update(self.partner_subject(app_id, aid), change,
                                          actor=actor, reason="accepted" if accept
                                          else "declined")
        partner = Partner.from_record(entry.record)
        if accept:
            await self._listed(app_id, aid, partner.name, add=True, actor=actor)
        return partner

    async def withdraw(self, app_id: str, aid: str, *, actor: str) -> Partner:
        """A partner leaves (or is removed by the lead), a request or invitation is
        withdrawn."""
        def change(current: dict[str, Any]) -> dict[str, Any]:
            if current.get("state") in (DECLINED, WITHDRAWN):
                raise Conflict("not a partner")
            return {**current, "state": WITHDRAWN, "decided": now_iso()}

        entry = await self.records.update(self.partner_subject(app_id, aid), change,
                                          actor=actor, reason="withdrawn")
        await self._listed(app_id, aid, "", add=False, actor=actor)
        return Partner.from_record(entry.record)


async def _written(stores: Stores, pid: str) -> list[str]:
    """The subjects of applications and partners ``pid`` wrote (through their pointers)."""
    prefixes = tuple(f"{stores.records.prefix}.{kind}." for kind in (APPLICATION, PARTNER))
    return list(dict.fromkeys(e.subject for e in await WrittenBy(stores.records).entries(pid)
                              if e.subject.startswith(prefixes)))


async def export_applications(stores: Stores, pid: str) -> dict[str, Any]:
    """Export hook: the applications the person opened and the requests they sent."""
    opened, requests = [], []
    for subject in await _written(stores, pid):
        entry = await stores.records.get(subject)
        if entry is None:
            continue
        if entry.record.get("opened_by") == pid:
            opened.append(Application.from_record(entry.record).public())
        elif entry.record.get("requested_by") == pid:
            requests.append(entry.record)
    return {"applications_opened": opened, "application_requests": requests}


async def erase_applications(stores: Stores, pid: str) -> None:
    """Erasure hook: the messages of the requests the person sent go, with the earlier
    states that held them (:meth:`Records.forget`). Applications and partners stay (they
    are their associations'); the person's opaque id stays their author, as on an
    association's audit trail."""
    for subject in await _written(stores, pid):
        entry = await stores.records.get(subject)
        if entry is not None and entry.record.get("requested_by") == pid and (
                entry.record.get("message")):
            await stores.records.forget(subject, lambda r: {**r, "message": ""},
                                        frozenset({"message"}), actor=pid, reason="erased")
