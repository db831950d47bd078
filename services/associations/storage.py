"""Associations and memberships in the store of record (through :class:`Stores`).

Every write names its actor (a person id, ``cli`` or ``demo``): the record's history is its
audit trail. Unique values are claimed (``claims``): an RNA number (``rna``) and each
organizer name (``organizer``) belong to one association; a claim is taken before the
record is written and released when the write fails or the value goes away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from services.accounts.model import Person
from services.accounts.storage import Stores
from services.associations.model import (
    ACTIVE,
    ADMIN,
    ADMINS,
    ASSOCIATION,
    EDITOR,
    MEMBER_ROLES,
    MEMBERSHIP,
    PENDING,
    SELF,
    Association,
    Membership,
)
from services.associations.provenance import mark_edited
from services.associations.validate import joins_at_once, slug
from shared.errors import InvalidInput
from shared.records import Conflict, Entry, NotFound, now_iso

CLAIMED = (("rna", "rna"), ("organizer", "organizers"))
#: Path segments of the pages under /associations/ that an id must not take.
RESERVED_IDS = frozenset({"nouvelle", "rejoindre"})


def claimed_values(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The unique values of an association record, as (claim kind, value)."""
    out = []
    for kind, key in CLAIMED:
        raw = record.get(key)
        out += [(kind, v) for v in ([raw] if isinstance(raw, str) else raw or []) if v]
    return out


class Associations:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.records = stores.records
        self.claims = stores.claims

    def subject(self, aid: str) -> str:
        return self.records.subject(ASSOCIATION, aid)

    def member_subject(self, aid: str, pid: str) -> str:
        return self.records.subject(MEMBERSHIP, aid, pid)

    # -- associations ---------------------------------------------------------------------------

    async def get(self, aid: str) -> Association | None:
        entry = await self.records.get(self.subject(aid))
        return Association.from_record(entry.record) if entry is not None else None

    async def all(self) -> list[Association]:
        """Every association (a small set: the directory, next, reads the projection)."""
        entries = await self.records.latest(self.records.subject(ASSOCIATION) + ".*")
        found = [Association.from_record(e.record) for e in entries]
        return sorted(found, key=lambda a: a.name.casefold())

    async def by_organizer(self, name: str) -> str | None:
        return await self.claims.owner("organizer", name)

    async def _claim(self, aid: str, values: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Claim each unique value for ``aid``; on a taken one, give back what was claimed
        and refuse with the field at fault."""
        taken: list[tuple[str, str]] = []
        for kind, value in values:
            if not await self.claims.take(kind, value, aid):
                await self._release(aid, taken)
                if kind == "rna":
                    raise InvalidInput({"rna": "Ce numéro RNA est déjà celui d’une autre "
                                               "association."})
                raise InvalidInput({"organizers": f"« {value} » est déjà le nom "
                                                  "d’organisateur d’une autre association."})
            taken.append((kind, value))
        return taken

    async def _release(self, aid: str, claimed: list[tuple[str, str]]) -> None:
        for kind, value in claimed:
            await self.claims.release(kind, value, aid)

    async def create(self, values: dict[str, Any], *, actor: str, state: str = ACTIVE,
                     founder: Person | None = None, aid: str | None = None,
                     source: str = SELF) -> Association:
        """A new association with a stable id made from its name (``-2``, ``-3``... when
        taken), or exactly ``aid`` (:class:`Conflict` when taken); ``founder`` becomes its
        first admin. The fields given are marked as written by ``source`` (``self`` or
        ``operator``)."""
        if aid is not None:
            candidate = aid
        else:
            base = slug(values["name"])
            if base in RESERVED_IDS:
                base += "-asso"
            for n in range(1, 50):
                candidate = base if n == 1 else f"{base}-{n}"
                if await self.records.last(self.subject(candidate)) is None:
                    break
            else:
                raise Conflict(f"no free id for {base!r}")
        known = {k: v for k, v in values.items() if k in Association.__slots__}
        record = {**known, "id": candidate, "state": state, "created": now_iso(),
                  "requested_by": founder.id if founder and state == PENDING else ""}
        association = Association.from_record(
            mark_edited(record, {k for k, v in known.items() if v}, source))
        subject = self.subject(candidate)
        claimed = await self._claim(candidate, claimed_values(association.to_record()))
        try:
            await self.records.create(subject, association.to_record(), actor=actor,
                                      reason="created" if state == ACTIVE
                                      else "creation requested")
        except Conflict:
            # another request created this id just now: the claims it holds are its own
            winner = await self.records.get(subject)
            keep = claimed_values(winner.record) if winner is not None else []
            await self._release(candidate, [c for c in claimed if c not in keep])
            raise
        except BaseException:
            await self._release(candidate, claimed)
            raise
        if founder is not None:
            await self.records.create(
                self.member_subject(candidate, founder.id),
                Membership(candidate, founder.id, ADMIN, ACTIVE, "founder", now_iso(),
                           actor).to_record(), actor=actor, reason="founder")
            await self._admins(candidate, founder.id, add=True, actor=actor)
        return association

    async def edit(self, aid: str, values: dict[str, Any], *, actor: str,
                   base: int | None = None, source: str = SELF) -> Association:
        """Change fields of the association (claims follow the unique values).

        ``base`` is the sequence of the state the person's form showed: only the fields they
        changed from it are written, so that two people editing different fields at once both
        keep their change; a field someone else changed meanwhile is a :class:`Conflict`.
        The changed fields are marked as written by ``source`` (``self`` or ``operator``), so
        that no import overwrites them."""
        current = await self.get(aid)
        if current is None:
            raise NotFound(f"no association {aid}")
        shown = current.to_record()
        if base is not None:
            past = await self.records.at(self.subject(aid), base)
            if past is None:
                raise Conflict(f"{aid}: no state {base}")
            shown = past.record
        changed = {k: v for k, v in values.items() if shown.get(k) != v}

        def apply(record: dict[str, Any]) -> dict[str, Any]:
            clashes = [k for k in changed if record.get(k) != shown.get(k)
                       and record.get(k) != changed[k]]
            if clashes:
                raise Conflict(f"changed by someone else meanwhile: {', '.join(clashes)}")
            return mark_edited({**record, **changed}, set(changed), source)

        before = claimed_values(current.to_record())
        claimed = await self._claim(aid, [v for v in claimed_values(changed)
                                          if v not in before])
        try:
            entry = await self.records.update(self.subject(aid), apply, actor=actor,
                                              reason="edited")
        except BaseException:
            await self._release(aid, claimed)
            raise
        new = entry.record
        latest = await self.get(aid)  # another edit may have come in between the two reads
        after = claimed_values(latest.to_record() if latest else new)
        await self._release(aid, [v for v in before if v not in after])
        return Association.from_record(new)

    async def decide(self, aid: str, approve: bool, *, actor: str) -> Association | None:
        """An operator approves or refuses a requested association."""
        current = await self.get(aid)
        if current is None or current.state != PENDING:
            raise NotFound(f"no pending association {aid}")
        if approve:
            entry = await self.records.update(self.subject(aid),
                                              lambda r: {**r, "state": ACTIVE},
                                              actor=actor, reason="approved")
            return Association.from_record(entry.record)
        await self.records.delete(self.subject(aid), actor=actor, reason="refused")
        await self._release(aid, claimed_values(current.to_record()))
        for member in await self.members(aid):
            await self.records.delete(self.member_subject(aid, member.person), actor=actor,
                                      reason="association refused")
        return None

    async def history(self, aid: str) -> list[Entry]:
        """The audit trail: the association's record and its memberships, oldest first."""
        own, members = await asyncio.gather(
            self.records.history(self.subject(aid)),
            self._member_history(aid))
        return sorted(own + members, key=lambda e: e.seq)

    async def _member_history(self, aid: str) -> list[Entry]:
        return [e async for e in self.records.scan(self.records.subject(MEMBERSHIP, aid) + ".*")]

    # -- memberships ----------------------------------------------------------------------------

    async def members(self, aid: str) -> list[Membership]:
        entries = await self.records.latest(self.records.subject(MEMBERSHIP, aid) + ".*")
        return [Membership.from_record(e.record) for e in entries]

    async def membership(self, aid: str, pid: str) -> Membership | None:
        entry = await self.records.get(self.member_subject(aid, pid))
        return Membership.from_record(entry.record) if entry is not None else None

    async def memberships_of(self, pid: str) -> list[Membership]:
        entries = await self.records.latest(f"{self.records.prefix}.{MEMBERSHIP}.*.{pid}")
        return [Membership.from_record(e.record) for e in entries]

    async def join(self, association: Association, person: Person) -> Membership:
        """Ask to join: granted at once (editor) with an address at the association's own
        domain, else pending until an admin of the association or an operator decides."""
        at_once = joins_at_once(person.email, association.website)
        wanted = Membership(association.id, person.id, EDITOR, ACTIVE if at_once else PENDING,
                            "domain" if at_once else "", now_iso(), "")

        def ask(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is not None:  # already a member, or already asked: keep it
                if at_once and current.get("state") == PENDING:
                    return {**current, "state": ACTIVE, "how": "domain"}
                return current
            return wanted.to_record()

        entry = await self.records.write(self.member_subject(association.id, person.id), ask,
                                         actor=person.id, reason="join request")
        assert entry is not None
        return Membership.from_record(entry.record)

    async def decide_member(self, aid: str, pid: str, action: str, *, actor: str,
                            role: str = EDITOR) -> Membership | None:
        """``approve`` (with ``role``), ``refuse`` or ``remove`` a membership, or change its
        ``role``. The last admin of an association can be neither removed nor demoted, even
        by two admins demoting each other at once (see :meth:`_admins`)."""
        subject = self.member_subject(aid, pid)
        if role not in MEMBER_ROLES:
            raise InvalidInput({"role": "Rôle inconnu."})
        if action not in ("approve", "role", "refuse", "remove"):
            raise InvalidInput({"action": "Action inconnue."})
        if action in ("refuse", "remove"):
            dropped = await self._admins(aid, pid, add=False, actor=actor)
            try:
                if not await self.records.delete(subject, actor=actor, reason=action):
                    raise NotFound(f"no membership {aid}/{pid}")
            except BaseException:
                if dropped:
                    await self._admins(aid, pid, add=True, actor=actor)
                raise
            return None

        def change(current: dict[str, Any]) -> dict[str, Any]:
            if action == "approve":
                if current.get("state") != PENDING:
                    raise Conflict("this request was decided already")
                return {**current, "state": ACTIVE, "role": role, "how": "approved",
                        "decided_by": actor}
            if current.get("state") != ACTIVE:
                raise Conflict("not an active member")
            return {**current, "role": role}

        return await self._write_member(aid, pid, change, role, actor=actor, reason=action)

    async def _write_member(self, aid: str, pid: str,
                            change: Callable[[dict[str, Any]], dict[str, Any]], role: str, *,
                            actor: str, reason: str) -> Membership:
        """Write a membership whose role becomes ``role``, keeping the admins in step: an
        admin is listed before being demoted is refused (last one) and after being made."""
        dropped = role != ADMIN and await self._admins(aid, pid, add=False, actor=actor)
        try:
            entry = await self.records.update(self.member_subject(aid, pid), change,
                                              actor=actor, reason=reason)
        except BaseException:
            if dropped:
                await self._admins(aid, pid, add=True, actor=actor)
            raise
        membership = Membership.from_record(entry.record)
        if membership.admin:
            await self._admins(aid, pid, add=True, actor=actor)
        return membership

    def admins_subject(self, aid: str) -> str:
        return self.records.subject(ADMINS, aid)

    async def _admins(self, aid: str, pid: str, *, add: bool, actor: str,
                      force: bool = False) -> bool:
        """Add ``pid`` to, or take it from, the association's list of admins
        (``maillage.rec.admins.<id>``), the one record every change of an admin goes through:
        its write carries the expected last sequence, so of two admins demoting each other at
        once the second sees the first's change and is refused as the last one. Taking the
        last admin raises :class:`InvalidInput` (unless ``force``: an erased account).
        Returns whether the list changed. Made from the memberships the first time."""
        seed = sorted(m.person for m in await self.members(aid) if m.admin)
        changed = False

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            nonlocal changed
            admins = list(current["admins"]) if current is not None else seed
            new = sorted(set(admins) | {pid}) if add else [a for a in admins if a != pid]
            if not add and admins and not new and not force:
                raise InvalidInput({"person": "C’est la dernière personne qui administre "
                                              "l’association : nommez d’abord quelqu’un "
                                              "d’autre."})
            changed = new != admins
            return {"association": aid, "admins": new}

        await self.records.write(self.admins_subject(aid), change, actor=actor,
                                 reason="admin added" if add else "admin removed")
        return changed

    async def add_member(self, aid: str, pid: str, role: str, *, actor: str) -> Membership:
        """An operator makes a person a member at once."""
        member = Membership(aid, pid, role, ACTIVE, "operator", now_iso(), actor)
        if await self.membership(aid, pid) is None:
            await self.records.write(self.member_subject(aid, pid),
                                     lambda current: current or member.to_record(),
                                     actor=actor, reason="added by an operator")
        return await self._write_member(
            aid, pid, lambda current: {**current, "state": ACTIVE, "role": role}, role,
            actor=actor, reason="added by an operator")


async def erase_memberships(stores: Stores, pid: str) -> None:
    """Erasure hook: the person's memberships go, history included (an erased last admin
    leaves the association without one: operators then name another)."""
    associations = Associations(stores)
    for membership in await associations.memberships_of(pid):
        if membership.admin:
            await associations._admins(membership.association, pid, add=False, actor=pid,
                                       force=True)
    await stores.records.purge(f"{stores.records.prefix}.{MEMBERSHIP}.*.{pid}")


async def export_memberships(stores: Stores, pid: str) -> dict[str, Any]:
    memberships = await Associations(stores).memberships_of(pid)
    return {"memberships": [m.to_record() for m in memberships]}
