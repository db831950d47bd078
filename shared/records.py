"""The store of record of what people write (docs/decisions/0001-store-of-record.md).

One JetStream stream, ``RECORDS``, one subject per record: ``maillage.rec.<kind>.<id>``, or
``maillage.rec.<kind>.<parent>.<id>`` for a record that belongs to another (a membership under
its association), so that a parent's children are one wildcard. Every message is the
record's whole new state and its change::

    {"op": "create|update|delete", "record": {...}, "changes": [{"field", "before", "after"}],
     "actor": "p_...", "at": "2026-12-02T10:00:00+00:00", "reason": "..."}

The current state is the subject's last message; the subject's history is the audit trail.

:class:`Records`
    ``get`` (a non-direct read, served by the stream leader, so a caller sees its own
    writes), ``create``, ``update``, ``upsert``, ``delete``: each write carries
    ``Nats-Expected-Last-Subject-Sequence`` (0 to create); when another writer came in
    between (JetStream error 10071) the record is read again and the change function
    applied again, at most :data:`WRITE_ATTEMPTS` times (after a random pause that doubles
    each time, so that contending writers spread out), then :class:`Conflict`.
    ``write_many`` stores many prepared entries with many publications in flight (bulk
    imports), with the same expected-sequence check.
    ``history`` (the audit trail), ``latest`` (the last state of every subject under a
    wildcard, for small sets), ``scan`` (every message under a wildcard) and ``purge``
    (erasure by subject).
:class:`Claims`
    Uniqueness across records: a key of the KV bucket ``claims`` taken with ``create``, so
    that of two claimants one wins.
:class:`Expiring`
    Short-lived state in a KV bucket with a time to live per key (sessions, sign-in links);
    ``take`` reads and removes a key in one step that only one caller can win.
:class:`RateLimit`
    A sliding-window limit shared by every replica: each hit is one message of the
    limit's stream, whose ``max_msgs_per_subject`` and ``max_age`` are the limit and the
    window; the server refuses the hit past the limit (discard new per subject), so
    concurrent hits need no compare-and-set loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from nats.js.errors import APIError, KeyNotFoundError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from shared.bus import StreamSpec
from shared.errors import PermanentError

RECORDS_STREAM = "RECORDS"
RECORDS_SUBJECT = "maillage.rec"
#: Writes tried before a concurrent writer wins for good (the caller answers 409).
WRITE_ATTEMPTS = 8
#: Seconds of the first pause before writing again (doubling, with jitter).
BACKOFF = 0.002
#: JetStream's "wrong last sequence" (another write came first).
WRONG_LAST_SEQUENCE = 10071
#: JetStream's "maximum messages per subject exceeded" (a rate limit is reached).
SUBJECT_FULL = 10077
EXPECTED_LAST = "Nats-Expected-Last-Subject-Sequence"
#: Seconds a removal marker of an expiring key is kept (then nothing of the key is left).
MARKER_TTL = 60
#: Seconds a read of a wildcard may go without a message while some are pending.
READ_STALL = 10.0
#: Messages a read buffers before the server waits (flow control).
READ_BUFFER = 65_536

Record = dict[str, Any]
ChangeFn = Callable[[Record | None], Record | None]


class Conflict(PermanentError):
    """The record changed in a way the write cannot follow (exists already, or a concurrent
    writer kept winning). HTTP 409."""

    kind = "conflict"


class NotFound(PermanentError):
    """No such record (never written, deleted or purged)."""

    kind = "not_found"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def token(value: str) -> str:
    """``value`` as one safe subject token (ASCII letters, digits, ``-`` and ``_``)."""
    return _UNSAFE.sub("_", value) or "_"


def digest(value: str) -> str:
    """SHA-256 of ``value`` in hex: how secrets and private keys are stored."""
    return hashlib.sha256(value.encode()).hexdigest()


class Change(NamedTuple):
    """One field's change (a named tuple: a bulk import builds hundreds of thousands)."""

    field: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class Entry:
    """One message of a record's subject: its state after the change, and the change."""

    subject: str
    seq: int
    op: str
    record: Record
    changes: tuple[Change, ...] = ()
    actor: str = ""
    at: str = ""
    reason: str = ""

    @property
    def deleted(self) -> bool:
        return self.op == "delete"

    def to_json(self) -> bytes:
        return orjson.dumps({
            "op": self.op, "record": self.record,
            "changes": [c.as_dict() for c in self.changes],
            "actor": self.actor, "at": self.at, "reason": self.reason,
        })

    @classmethod
    def from_json(cls, subject: str, seq: int, raw: bytes, *,
                  changes: bool = True) -> Entry:
        """The entry of a message; without its ``changes`` when not needed (a bulk read of
        current states: building them was most of the time of reading 20,000 records)."""
        data = orjson.loads(raw)
        return cls(
            subject=subject, seq=seq, op=str(data["op"]), record=dict(data["record"]),
            changes=tuple(Change(str(c["field"]), c.get("before"), c.get("after"))
                          for c in data.get("changes", ())) if changes else (),
            actor=str(data.get("actor", "")), at=str(data.get("at", "")),
            reason=str(data.get("reason", "")),
        )


#: What an entry's change says of an erased field's former value (:meth:`Records.forget`).
ERASED = "(erased)"


def diff(before: Record | None, after: Record | None) -> tuple[Change, ...]:
    """The fields that differ between two states, in a stable order."""
    old, new = before or {}, after or {}
    names = list(old) + [k for k in new if k not in old]
    return tuple(Change(k, old.get(k), new.get(k)) for k in names if old.get(k) != new.get(k))


class Records:
    """Records in the ``RECORDS`` stream (see the module's documentation)."""

    def __init__(self, js: JetStreamContext, *, stream: str = RECORDS_STREAM,
                 prefix: str = RECORDS_SUBJECT, attempts: int = WRITE_ATTEMPTS,
                 on_write: Callable[[Entry], Awaitable[None]] | None = None) -> None:
        self.js = js
        self.stream = stream
        self.prefix = prefix
        self.attempts = attempts
        #: called after each stored write (accounts index what a person wrote, for exports)
        self.on_write = on_write

    def subject(self, kind: str, *ids: str) -> str:
        return ".".join((self.prefix, kind, *(token(i) for i in ids)))

    # -- reads -------------------------------------------------------------------------------

    async def last(self, subject: str) -> Entry | None:
        """The subject's last message, a deletion included; ``None`` if it has none."""
        try:
            msg = await self.js.get_last_msg(self.stream, subject, direct=False)
        except NotFoundError:
            return None
        if msg.data is None or msg.seq is None:
            return None
        return Entry.from_json(subject, msg.seq, msg.data)

    async def at(self, subject: str, seq: int) -> Entry | None:
        """The message ``seq`` of ``subject`` (a past state), ``None`` if it is not there."""
        try:
            msg = await self.js.get_msg(self.stream, seq=seq)
        except NotFoundError:
            return None
        if msg.subject != subject or msg.data is None:
            return None
        return Entry.from_json(subject, seq, msg.data)

    async def get(self, subject: str) -> Entry | None:
        """The record's current state; ``None`` if it does not exist (or was deleted)."""
        entry = await self.last(subject)
        return None if entry is None or entry.deleted else entry

    async def history(self, subject: str) -> list[Entry]:
        """Every message of the subject, oldest first: the record's audit trail."""
        return [entry async for entry in self.scan(subject)]

    async def latest(self, wildcard: str, *, deleted: bool = False,
                     changes: bool = True) -> list[Entry]:
        """The current state of each record under ``wildcard`` (deleted ones left out unless
        ``deleted``; their last changes left out unless ``changes``), in the order of their
        last writes. Reads every subject: for small sets and bulk imports."""
        return [e async for e in self._read(wildcard, DeliverPolicy.LAST_PER_SUBJECT,
                                            changes=changes)
                if deleted or not e.deleted]

    async def scan(self, wildcard: str) -> AsyncIterator[Entry]:
        """Every message under ``wildcard``, oldest first."""
        async for entry in self._read(wildcard, DeliverPolicy.ALL):
            yield entry

    async def _read(self, wildcard: str, policy: DeliverPolicy, *,
                    changes: bool = True) -> AsyncIterator[Entry]:
        """The messages under ``wildcard`` through an ordered push consumer (the server
        streams them with flow control: two to three times the pace of pull batches for
        20,000 records), until the last one pending; no message for :data:`READ_STALL`
        seconds while some are pending is a :class:`TimeoutError`."""
        entries: list[Entry] = []
        caught_up = asyncio.Event()

        async def received(msg: Msg) -> None:
            meta = msg.metadata
            entries.append(Entry.from_json(msg.subject, meta.sequence.stream, msg.data,
                                           changes=changes))
            if meta.num_pending == 0:
                caught_up.set()

        sub = await self.js.subscribe(wildcard, stream=self.stream, cb=received,
                                      ordered_consumer=True, deliver_policy=policy,
                                      pending_msgs_limit=READ_BUFFER)
        try:
            info = await sub.consumer_info()
            delivered = info.delivered.consumer_seq if info.delivered else 0
            if info.num_pending or entries or delivered:
                seen = -1
                while not caught_up.is_set():
                    if len(entries) == seen:
                        raise TimeoutError(f"reading {wildcard}: stalled")
                    seen = len(entries)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(caught_up.wait(), READ_STALL)
        finally:
            await sub.unsubscribe()
        for entry in entries:
            yield entry

    # -- writes ------------------------------------------------------------------------------

    async def write(self, subject: str, change: ChangeFn, *, actor: str,
                    reason: str = "", redact: frozenset[str] = frozenset()) -> Entry | None:
        """Apply ``change`` to the current state (``None`` when there is none) and store its
        result (``None``: delete). Another writer in between: read again, apply again. A
        change that changes nothing writes nothing and returns the current entry.
        ``change`` may raise to refuse (the error reaches the caller). The entry's changes
        say that the fields of ``redact`` changed without saying what they were."""
        for attempt in range(self.attempts):
            if attempt:  # others are writing this record: let them finish, not all at once
                await asyncio.sleep(random.uniform(0, BACKOFF * 2 ** attempt))
            current = await self.last(subject)
            live = None if current is None or current.deleted else current.record
            new = change(dict(live) if live is not None else None)
            if new is None and live is None:
                return None
            if live is not None and new is not None and new == live:
                return current
            op = "create" if live is None else "delete" if new is None else "update"
            changes = tuple(c._replace(before=ERASED) if c.field in redact and c.before else c
                            for c in diff(live, new))
            entry = Entry(subject, 0, op, new if new is not None else live or {},
                          changes, actor, now_iso(), reason)
            expected = str(current.seq if current is not None else 0)
            try:
                ack = await self.js.publish(subject, entry.to_json(),
                                            headers={EXPECTED_LAST: expected})
            except APIError as exc:
                if exc.err_code == WRONG_LAST_SEQUENCE:
                    continue
                raise
            stored = Entry(subject, ack.seq, entry.op, entry.record, entry.changes, actor,
                           entry.at, reason)
            if self.on_write is not None:
                await self.on_write(stored)
            return stored
        raise Conflict(f"{subject}: changed by others {self.attempts} times in a row")

    async def write_many(self, writes: Sequence[tuple[Entry, int]], *, window: int = 256,
                         ack_wait_s: float = 10.0) -> list[int | None]:
        """Store many prepared entries at once, each with the sequence of the state it was
        computed from (0 to create): up to ``window`` publications in flight, each awaiting
        its acknowledgement at most ``ack_wait_s`` seconds. Returns, in order, each entry's new
        sequence, or ``None`` where another writer came in between (the caller reads that
        record again, :meth:`write`).

        (Not nats-py's ``publish_async``: an error reply, such as a wrong last sequence,
        never resolves its future in nats-py 2.16, so a refused write would hang.)"""
        results: list[int | None] = [None] * len(writes)
        gate = asyncio.Semaphore(window)

        async def one(i: int, entry: Entry, expected: int) -> None:
            async with gate:
                try:
                    ack = await self.js.publish(entry.subject, entry.to_json(),
                                                timeout=ack_wait_s,
                                                headers={EXPECTED_LAST: str(expected)})
                except APIError as exc:
                    if exc.err_code == WRONG_LAST_SEQUENCE:
                        return
                    raise
                results[i] = ack.seq
                if self.on_write is not None:
                    await self.on_write(Entry(entry.subject, ack.seq, entry.op, entry.record,
                                              entry.changes, entry.actor, entry.at,
                                              entry.reason))

        for start in range(0, len(writes), window * 8):  # bounded number of tasks alive
            await asyncio.gather(*(one(i, entry, expected) for i, (entry, expected)
                                   in enumerate(writes[start:start + window * 8], start)))
        return results

    async def create(self, subject: str, record: Record, *, actor: str,
                     reason: str = "") -> Entry:
        def fresh(current: Record | None) -> Record:
            if current is not None:
                raise Conflict(f"{subject} exists already")
            return record

        entry = await self.write(subject, fresh, actor=actor, reason=reason)
        assert entry is not None
        return entry

    async def update(self, subject: str, change: Callable[[Record], Record], *, actor: str,
                     reason: str = "") -> Entry:
        def existing(current: Record | None) -> Record:
            if current is None:
                raise NotFound(f"no record {subject}")
            return change(current)

        entry = await self.write(subject, existing, actor=actor, reason=reason)
        assert entry is not None
        return entry

    async def delete(self, subject: str, *, actor: str, reason: str = "") -> bool:
        """Mark the record deleted (its history stays); False if there was none."""
        existed = False

        def gone(current: Record | None) -> None:
            nonlocal existed
            existed = current is not None
            return None

        await self.write(subject, gone, actor=actor, reason=reason)
        return existed

    async def purge(self, subject: str) -> None:
        """Erase every message of ``subject`` (wildcards allowed): history included."""
        await self.js.purge_stream(self.stream, subject=subject)

    async def forget(self, subject: str, change: Callable[[Record], Record],
                     fields: frozenset[str], *, actor: str, reason: str = "") -> Entry:
        """Update the record with ``change``, which drops ``fields`` (personal data kept no
        longer than needed), then erase its earlier history, which still holds them: the
        record keeps one entry, saying who changed it, when and why, and that those fields
        were erased (:data:`ERASED`), not what they held."""

        def dropped(current: Record) -> Record:
            new = change(current)
            if fields & {k for k, v in new.items() if v}:
                raise ValueError(f"{subject}: the change keeps {sorted(fields)}")
            return new

        def existing(current: Record | None) -> Record:
            if current is None:
                raise NotFound(f"no record {subject}")
            return dropped(current)

        entry = await self.write(subject, existing, actor=actor, reason=reason, redact=fields)
        assert entry is not None
        await self.js.purge_stream(self.stream, subject=subject, keep=1)
        return entry


def claim_key(kind: str, value: str) -> str:
    """The claim of ``value`` (an address, a number, a name) as a KV key; the value itself is
    not kept, only its digest, after case folding and trimming."""
    return f"{token(kind)}.{digest(value.strip().casefold())}"


class Claims:
    """Unique values: ``take`` is atomic (KV ``create``), so of two claimants one wins."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    async def owner(self, kind: str, value: str) -> str | None:
        try:
            entry = await self.kv.get(claim_key(kind, value))
        except KeyNotFoundError:
            return None
        return entry.value.decode() if entry.value else None

    async def take(self, kind: str, value: str, owner: str) -> bool:
        """Claim ``value`` for ``owner``; True if it is now (or was already) theirs."""
        try:
            await self.kv.create(claim_key(kind, value), owner.encode())
            return True
        except KeyWrongLastSequenceError:
            return await self.owner(kind, value) == owner

    async def release(self, kind: str, value: str, owner: str) -> None:
        """Give the claim up, if ``owner`` holds it."""
        key = claim_key(kind, value)
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return
        if entry.value and entry.value.decode() == owner:
            await self.kv.purge(key)


@dataclass(frozen=True, slots=True)
class Held:
    value: dict[str, Any]
    revision: int


class Expiring:
    """A KV bucket whose keys live ``ttl`` seconds each (server-side per-message TTL)."""

    def __init__(self, js: JetStreamContext, kv: KeyValue, bucket: str) -> None:
        self.js = js
        self.kv = kv
        self.bucket = bucket

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        raw = json.dumps(value, separators=(",", ":")).encode()
        await self.kv.create(key, raw, msg_ttl=max(1, int(ttl)))

    async def get(self, key: str) -> Held | None:
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:
            return None
        if not entry.value or entry.revision is None:
            return None
        value: dict[str, Any] = json.loads(entry.value)
        expires = value.get("expires")
        if isinstance(expires, int | float) and expires <= time.time():
            return None  # the server removes it within a second; do not wait for it
        return Held(value, entry.revision)

    async def remove(self, key: str, revision: int | None = None) -> bool:
        """Remove the key (only if still at ``revision`` when given); True if removed here.
        The removal marker itself expires after :data:`MARKER_TTL` seconds."""
        headers = {"KV-Operation": "PURGE", "Nats-Rollup": "sub"}
        if revision is not None:
            headers[EXPECTED_LAST] = str(revision)
        try:
            await self.js.publish(f"$KV.{self.bucket}.{key}", b"", headers=headers,
                                  msg_ttl=MARKER_TTL)
        except APIError as exc:
            if exc.err_code == WRONG_LAST_SEQUENCE:
                return False
            raise
        return True

    async def take(self, key: str) -> dict[str, Any] | None:
        """Read and remove the key in one step: of two callers, only one gets the value."""
        held = await self.get(key)
        if held is None or not await self.remove(key, held.revision):
            return None
        return held.value

    async def remove_all(self, prefix: str) -> None:
        """Remove every key under ``prefix.`` at once."""
        await self.js.purge_stream(f"KV_{self.bucket}", subject=f"$KV.{self.bucket}.{prefix}.>")


@dataclass(slots=True)
class RateLimit:
    """At most ``spec.max_msgs_per_subject`` hits per key in any ``spec.max_age_s`` seconds,
    shared by every process: the limit's stream (:data:`shared.bus.LIMITS`) refuses a hit
    past the limit by itself (discard new per subject)."""

    js: JetStreamContext
    spec: StreamSpec
    clock: Callable[[], float] = field(default=time.time)

    async def hit(self, key: str) -> float:
        """Count one hit of ``key``: 0 if allowed, else the seconds until one will be."""
        subject = f"{self.spec.subjects[0].removesuffix('.>')}.{digest(key)[:40]}"
        try:
            await self.js.publish(subject, b"")
            return 0.0
        except APIError as exc:
            if exc.err_code != SUBJECT_FULL:
                raise
        try:
            oldest = await self.js.get_msg(self.spec.name, seq=0, subject=subject, next=True)
        except NotFoundError:  # it just expired: the next hit will pass
            return 1.0
        window = self.spec.max_age_s
        if oldest.time is None:
            return window
        return max(1.0, window - (self.clock() - oldest.time.timestamp()))


async def follow(nc: Any, subjects: Sequence[str], reload: Callable[[], Awaitable[None]], *,
                 settle_s: float = 5.0, every_s: float | None = None,
                 on_error: Callable[[BaseException], None] | None = None) -> None:
    """Keep a process's view of some records current (runs until cancelled): ``reload()``
    once, then again after each write under ``subjects`` (a core subscription: JetStream
    publishes reach it too), waiting ``settle_s`` first so that a burst of writes (an
    import) costs one reload, and every ``every_s`` seconds anyway when given. A failed
    reload keeps the previous view (``on_error`` is told) and is tried again."""
    changed = asyncio.Event()

    async def mark(_msg: Any) -> None:
        changed.set()

    subs = [await nc.subscribe(subject, cb=mark) for subject in subjects]
    try:
        first = True
        while True:
            if not first:
                try:
                    await asyncio.wait_for(changed.wait(), every_s)
                except TimeoutError:
                    pass
                else:
                    await asyncio.sleep(settle_s)
            first = False
            changed.clear()
            try:
                await reload()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep the last view, try again
                if on_error is not None:
                    on_error(exc)
                changed.set()
                await asyncio.sleep(settle_s)
    finally:
        for sub in subs:
            await sub.unsubscribe()
