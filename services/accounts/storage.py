"""People, sessions and sign-in links in the store of record (:mod:`shared.records`).

``Stores``        the handles on NATS every domain of the site uses (records, claims, the
                  ``sessions`` and ``signin`` buckets, the shared rate limits)
``People``        person records (``maillage.rec.person.<id>``); an address is claimed
                  (``claims``: ``email.<sha256>``) so that it belongs to one person
``Sessions``      ``sessions`` keys ``<person id>.<sha256 of the secret>`` with a time to live;
                  the cookie carries ``<person id>.<secret>``
``SignInLinks``   ``signin`` keys ``<sha256 of the token>``, single use, short-lived

Nothing secret is stored in the clear: only SHA-256 digests of session secrets and tokens.
Erasure and export call the hooks other domains register (:data:`Hooks`), so that this
module never reads another domain's records.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.accounts.model import PERSON, ROLES, Person, Session, new_person_id
from shared.bus import LIMITS, Bus
from shared.errors import InvalidInput
from shared.records import Claims, Entry, Expiring, RateLimit, Records, digest, now_iso

log = logging.getLogger(__name__)
EMAIL_CLAIM = "email"
DAY = 86400

Eraser = Callable[["Stores", str], Awaitable[None]]
Exporter = Callable[["Stores", str], Awaitable[dict[str, Any]]]


@dataclass
class Hooks:
    """What other domains do when a person is erased or exports their data."""

    erasers: list[Eraser] = field(default_factory=list)
    exporters: list[Exporter] = field(default_factory=list)


@dataclass
class Stores:
    bus: Bus
    records: Records
    claims: Claims
    sessions: Expiring
    signin: Expiring
    limits: dict[str, RateLimit]
    hooks: Hooks = field(default_factory=Hooks)

    @classmethod
    async def open(cls, bus: Bus, hooks: Hooks | None = None) -> Stores:
        js = bus.js
        records = Records(js)
        records.on_write = WrittenBy(records).note
        return cls(
            bus=bus, records=records, claims=Claims(await bus.kv("claims")),
            sessions=Expiring(js, await bus.kv("sessions"), "sessions"),
            signin=Expiring(js, await bus.kv("signin"), "signin"),
            limits={name: RateLimit(js, spec) for name, spec in LIMITS.items()},
            hooks=hooks or Hooks(),
        )

    @property
    def people(self) -> People:
        return People(self)


class WrittenBy:
    """What each person wrote, by subject: ``maillage.rec.by.<person>`` holds one pointer
    (record subject, stream sequence) per write a person made, so that their export reads
    their own subject instead of the whole stream. The pointed message stays the one truth
    (a pointer to a purged record leads nowhere and is skipped); erasure purges the pointers.
    A pointer is written after its record: a crash in between leaves that change out of the
    export, never a change the person did not make in it."""

    KIND = "by"

    def __init__(self, records: Records) -> None:
        self.records = records

    def subject(self, pid: str) -> str:
        return self.records.subject(self.KIND, pid)

    async def note(self, entry: Entry) -> None:
        if not entry.actor.startswith("p_") or entry.subject.startswith(
                f"{self.records.prefix}.{self.KIND}."):
            return
        pointer = Entry(self.subject(entry.actor), 0, "pointer",
                        {"subject": entry.subject, "seq": entry.seq}, (), entry.actor, entry.at)
        try:
            await self.records.js.publish(pointer.subject, pointer.to_json())
        except Exception:  # the write itself is stored: never fail it for its pointer
            log.exception("pointer to a person's write not stored",
                          extra={"subject": entry.subject})

    async def entries(self, pid: str) -> list[Entry]:
        """The writes of ``pid``, oldest first, read through their pointers."""
        found = []
        async for pointer in self.records.scan(self.subject(pid)):
            entry = await self.records.at(str(pointer.record["subject"]),
                                          int(pointer.record["seq"]))
            if entry is not None:
                found.append(entry)
        return found


class People:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.records = stores.records

    def subject(self, pid: str) -> str:
        return self.records.subject(PERSON, pid)

    async def get(self, pid: str) -> Person | None:
        entry = await self.records.get(self.subject(pid))
        return Person.from_record(entry.record) if entry is not None else None

    async def by_email(self, email: str) -> Person | None:
        owner = await self.stores.claims.owner(EMAIL_CLAIM, email)
        return await self.get(owner) if owner else None

    async def find_or_create(self, email: str, actor: str = "") -> Person:
        """The person of ``email``, created on first sign-in. Two concurrent first sign-ins
        with one address make one person: the address is claimed before the record is
        written, and the claim released if the write fails."""
        for _ in range(3):
            owner = await self.stores.claims.owner(EMAIL_CLAIM, email)
            if owner is not None:
                person = await self.get(owner)
                if person is not None:
                    return person
                # a claim without its person: a creation that died half-way; take it over
                await self.stores.claims.release(EMAIL_CLAIM, email, owner)
            pid = new_person_id()
            if not await self.stores.claims.take(EMAIL_CLAIM, email, pid):
                continue  # another request created this person just now
            person = Person(id=pid, email=email, created=now_iso())
            try:
                await self.records.create(self.subject(pid), person.to_record(),
                                          actor=actor or pid, reason="first sign-in")
            except BaseException:
                await self.stores.claims.release(EMAIL_CLAIM, email, pid)
                raise
            return person
        raise RuntimeError("could not create the person of an address after 3 tries")

    async def rename(self, pid: str, name: str) -> Person:
        entry = await self.records.update(self.subject(pid), lambda r: {**r, "name": name},
                                          actor=pid)
        return Person.from_record(entry.record)

    async def set_role(self, email: str, role: str, granted: bool, actor: str) -> Person:
        if role not in ROLES:
            raise InvalidInput({"role": f"unknown role {role!r}; one of {', '.join(ROLES)}"})
        person = await self.find_or_create(email, actor=actor)

        def change(record: dict[str, Any]) -> dict[str, Any]:
            roles = [r for r in record.get("roles", []) if r != role]
            return {**record, "roles": sorted(roles + [role]) if granted else roles}

        verb = "granted" if granted else "revoked"
        entry = await self.records.update(self.subject(person.id), change, actor=actor,
                                          reason=f"role {role} {verb}")
        return Person.from_record(entry.record)

    async def with_role(self, role: str) -> list[Person]:
        found = await self.records.latest(self.records.subject(PERSON) + ".*")
        people = [Person.from_record(e.record) for e in found]
        return [p for p in people if role in p.roles]

    async def export(self, pid: str) -> dict[str, Any]:
        """Everything kept about the person: their record, what other domains keep (their
        memberships...), their sessions, and every change they made to any record."""
        person = await self.records.get(self.subject(pid))
        data: dict[str, Any] = {"person": person.record if person else None}
        for exporter in self.stores.hooks.exporters:
            data.update(await exporter(self.stores, pid))
        data["changes_made"] = [
            {"record": e.subject.removeprefix(self.records.prefix + "."), "op": e.op,
             "at": e.at, "reason": e.reason, "changes": [c.as_dict() for c in e.changes]}
            for e in await WrittenBy(self.records).entries(pid) if e.actor == pid
        ]
        return data

    async def erase(self, pid: str) -> None:
        """Erase the person: other domains' data first (memberships...), then their record
        with its whole history, their address claim and every session. What they changed
        elsewhere keeps only their opaque id as the author."""
        person = await self.get(pid)
        for eraser in self.stores.hooks.erasers:
            await eraser(self.stores, pid)
        await self.records.purge(self.subject(pid))
        await self.records.purge(WrittenBy(self.records).subject(pid))
        if person is not None:
            await self.stores.claims.release(EMAIL_CLAIM, person.email, pid)
        await self.stores.sessions.remove_all(pid)


class Sessions:
    def __init__(self, stores: Stores, days: int) -> None:
        self.bucket = stores.sessions
        self.people = stores.people
        self.ttl = days * DAY

    async def open(self, person: Person) -> str:
        """A new session of ``person``; returns the cookie value (shown once)."""
        secret = secrets.token_urlsafe(32)
        now = time.time()
        await self.bucket.put(self._key(person.id, secret),
                              {"person": person.id, "created": now, "expires": now + self.ttl},
                              self.ttl)
        return f"{person.id}.{secret}"

    @staticmethod
    def _key(pid: str, secret: str) -> str:
        return f"{pid}.{digest(secret)}"

    @staticmethod
    def parse(cookie: str) -> tuple[str, str] | None:
        pid, _, secret = cookie.partition(".")
        if not pid.startswith("p_") or not pid[2:].isalnum() or len(secret) < 32:
            return None
        return pid, secret

    async def resolve(self, cookie: str) -> Session | None:
        parsed = self.parse(cookie)
        if parsed is None:
            return None
        pid, secret = parsed
        key = self._key(pid, secret)
        held = await self.bucket.get(key)
        if held is None or held.value.get("person") != pid:
            return None
        person = await self.people.get(pid)
        if person is None:  # erased meanwhile
            return None
        return Session(person, key, secret)

    async def close(self, session: Session) -> None:
        await self.bucket.remove(session.key)


class SignInLinks:
    def __init__(self, stores: Stores, minutes: int) -> None:
        self.bucket = stores.signin
        self.ttl = minutes * 60

    async def issue(self, email: str, next_path: str) -> str:
        token = secrets.token_urlsafe(32)
        await self.bucket.put(digest(token), {"email": email, "next": next_path,
                                              "expires": time.time() + self.ttl}, self.ttl)
        return token

    async def peek(self, token: str) -> dict[str, Any] | None:
        held = await self.bucket.get(digest(token)) if token else None
        return held.value if held is not None else None

    async def redeem(self, token: str) -> dict[str, Any] | None:
        """The link's content, once: a second use (or a concurrent one) gets ``None``."""
        return await self.bucket.take(digest(token)) if token else None
