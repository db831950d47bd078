"""The bus: NATS JetStream behind a small interface.

Streams (declared idempotently by :meth:`Bus.ensure`, at every service start-up)

=========  ========================  ===========================================================
stream     subjects                  what
=========  ========================  ===========================================================
EVENTS     ``maillage.events.<src>``  event upserts and retractions (:class:`EventMessage`)
STATUS     ``maillage.status.<src>``  one record per harvest (:class:`HarvestStatus`)
JOBS       ``maillage.jobs.<src>``    due harvests, a work queue shared by harvester replicas
DLQ        ``maillage.dlq.<stream>``  poison messages with the reason they were refused
CALLS      ``maillage.calls.<pub>``   pushed calls for projects (:mod:`shared.calls`)
RECORDS    ``maillage.rec.<kind>...`` what people write, one subject per record, kept forever
                                      (:mod:`shared.records`, docs/decisions/0001)
LIMIT_*    ``maillage.limit.<name>.`` rate limits shared by replicas: one message per hit,
                                      refused past the limit (:class:`shared.records.RateLimit`)
=========  ========================  ===========================================================

Every publish carries a deterministic ``Nats-Msg-Id`` so a re-publish inside the stream's
duplicate window is dropped by the server. Consumers are durable pull consumers with explicit
acks; the consumer acks a message only once its effect is durable.

Key-value buckets hold small shared state: ``harvest_state`` (per-source validators, content
hash and the ids it published last time) lives here so harvester replicas share it;
``sources`` is the registry of sources (:mod:`services.harvester.registry`); ``claims`` holds
the unique values of records (an e-mail address, an RNA number), ``sessions`` and ``signin``
the sessions and single-use sign-in links, each key with its own time to live.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    KeyValueConfig,
    RetentionPolicy,
    StatusCode,
    StorageType,
    StreamConfig,
)
from nats.js.errors import APIError, BucketNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from shared.settings import Settings

log = logging.getLogger(__name__)

EVENTS_SUBJECT = "maillage.events"
STATUS_SUBJECT = "maillage.status"
JOBS_SUBJECT = "maillage.jobs"
DLQ_SUBJECT = "maillage.dlq"

DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    retention: RetentionPolicy = RetentionPolicy.LIMITS
    max_age_s: float = 0
    duplicate_window_s: float = 120
    max_msgs_per_subject: int = -1
    discard_new_per_subject: bool = False

    def config(self, replicas: int) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=self.retention,
            storage=StorageType.FILE,
            discard=DiscardPolicy.NEW if self.discard_new_per_subject else DiscardPolicy.OLD,
            discard_new_per_subject=self.discard_new_per_subject,
            max_age=self.max_age_s,
            duplicate_window=self.duplicate_window_s,
            max_msgs_per_subject=self.max_msgs_per_subject,
            num_replicas=replicas,
        )


STREAMS: tuple[StreamSpec, ...] = (
    # The events stream is the source of truth the index is projected from: kept until a
    # source's event is superseded (per-subject history is unbounded; compaction by age).
    StreamSpec("EVENTS", (f"{EVENTS_SUBJECT}.>",), max_age_s=400 * DAY, duplicate_window_s=3600),
    StreamSpec("STATUS", (f"{STATUS_SUBJECT}.>",), max_age_s=30 * DAY),
    # At most one pending job per source: a job for a source that is queued or being
    # harvested is refused by the server, so no source is harvested twice at once.
    StreamSpec(
        "JOBS",
        (f"{JOBS_SUBJECT}.>",),
        retention=RetentionPolicy.WORK_QUEUE,
        duplicate_window_s=60,
        max_msgs_per_subject=1,
        discard_new_per_subject=True,
    ),
    StreamSpec("DLQ", (f"{DLQ_SUBJECT}.>",), max_age_s=90 * DAY),
    # Calls for projects (shared/calls.py), subject maillage.calls.<publisher>. The duplicate
    # window covers the push timestamp tolerance (±5 min): a replayed webhook-id is dropped.
    StreamSpec("CALLS", ("maillage.calls.>",), max_age_s=400 * DAY, duplicate_window_s=900),
    # The store of record (shared/records.py): every revision of every record, kept forever;
    # erasure purges a person's subjects.
    StreamSpec("RECORDS", ("maillage.rec.>",)),
)

#: Rate limits shared by replicas (shared/records.py, RateLimit): one message per hit, kept
#: for the window (max_age); past max_msgs_per_subject hits the server refuses the next.
#: Window of the per-address sign-in limit; a sign-in link lives at least as long.
SIGNIN_WINDOW_S = 15 * 60
LIMITS: dict[str, StreamSpec] = {
    spec.name: spec for spec in (
        # sign-in links asked for one address: 5 in 15 minutes. The window is no longer
        # than a link lives (MAILLAGE_SIGNIN_MINUTES, at least 15): whenever this limit
        # refuses an address, a link sent to it less than 15 minutes ago still works, so
        # whoever asks in someone else's name cannot lock them out
        StreamSpec("LIMIT_SIGNIN_ADDRESS", ("maillage.limit.signin-address.>",),
                   max_age_s=SIGNIN_WINDOW_S, max_msgs_per_subject=5,
                   discard_new_per_subject=True),
        # account forms posted by one client (IP): 30 in 10 minutes
        StreamSpec("LIMIT_ACCOUNT_CLIENT", ("maillage.limit.account-client.>",),
                   max_age_s=600, max_msgs_per_subject=30, discard_new_per_subject=True),
        # error reports on events sent by one client (IP): 5 an hour
        StreamSpec("LIMIT_REPORT_CLIENT", ("maillage.limit.report-client.>",),
                   max_age_s=3600, max_msgs_per_subject=5, discard_new_per_subject=True),
        # messages a person sends to the authors of skills posts: 10 a day
        StreamSpec("LIMIT_SKILL_CONTACT", ("maillage.limit.skill-contact.>",),
                   max_age_s=86400, max_msgs_per_subject=10, discard_new_per_subject=True),
        # questions a person sends to those who manage venues (each mailed to all of an
        # association's members): 10 a day, as messages about skills posts
        StreamSpec("LIMIT_VENUE_CONTACT", ("maillage.limit.venue-contact.>",),
                   max_age_s=86400, max_msgs_per_subject=10, discard_new_per_subject=True),
    )
}
STREAMS += tuple(LIMITS.values())

KV_BUCKETS: tuple[str, ...] = ("harvest_state", "claims", "sessions", "signin")


def end_if_cancelled() -> None:
    """Raise :class:`asyncio.CancelledError` when the current task was asked to stop.

    A loop around nats-py's ``fetch`` calls it each turn: on Python 3.11, ``asyncio.wait_for``
    inside ``fetch`` returns (or times out) when a cancellation lands as the fetch completes,
    so no ``CancelledError`` reaches the loop, but the request stays counted on the task
    (``Task.cancelling()``); without this check the loop would fetch forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def fetch_batch(sub: JetStreamContext.PullSubscription, batch: int,
                      wait_s: float) -> list[Msg]:
    """``sub.fetch(batch, timeout=wait_s)``: the same pull requests and the same outcomes (the
    messages, or ``nats.errors.TimeoutError`` when none came), reading the messages that
    arrived together at once.

    nats-py's ``fetch`` awaits each message of a batch with its own ``asyncio.wait_for``
    (two tasks and five turns of the event loop per message: 50 µs a message, a sixth of the
    indexer's process at 3,000 events/s, docs/scaling.md). Here the subscription's queue is
    emptied without waiting while it holds messages, and awaited only when it is empty.
    When nothing is available at once, the lingering request that waits for new messages is
    nats-py's own (``fetch`` with the time left)."""
    if batch < 1 or wait_s <= 0:
        raise ValueError("batch and timeout must be positive")
    inner = sub._sub
    queue: asyncio.Queue[Msg] = inner._pending_queue
    start = time.monotonic()
    msgs: list[Msg] = []

    def take() -> Msg:
        msg = queue.get_nowait()
        inner._pending_size -= len(msg.data)
        queue.task_done()
        return msg

    # what an earlier request left (its status messages are stale: dropped), as nats-py does
    while len(msgs) < batch and not queue.empty():
        msg = take()
        if not JetStreamContext.is_status_msg(msg):
            msgs.append(msg)
    if len(msgs) >= batch:
        return msgs
    request: dict[str, Any] = {"batch": batch - len(msgs), "no_wait": True}
    if not msgs:  # as nats-py: with expires the server waits for messages until then
        request["expires"] = int(wait_s * 1_000_000_000) - 100_000
    await sub._nc.publish(sub._nms, json.dumps(request).encode(), sub._deliver)
    while len(msgs) < batch:
        if queue.empty():
            left = wait_s - (time.monotonic() - start)
            if left <= 0:
                break
            try:
                msg = await inner.next_msg(timeout=left)
            except nats.errors.TimeoutError:
                break
        else:
            msg = take()
        status = JetStreamContext.is_status_msg(msg)
        if not status:
            msgs.append(msg)
        elif status in (StatusCode.NO_MESSAGES, StatusCode.REQUEST_TIMEOUT):
            break  # the request is over
        elif status != StatusCode.CONTROL_MESSAGE and status != StatusCode.CONFLICT:
            raise APIError.from_msg(msg)
    if msgs:
        return msgs
    left = wait_s - (time.monotonic() - start)
    if left <= 0:
        raise nats.errors.TimeoutError
    return await sub.fetch(batch, timeout=left)


def subject_token(value: str) -> str:
    """Make ``value`` safe as one subject token (no dots, spaces or wildcards)."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value) or "_"


class ConnectionLog:
    """What a client says about its connection, without flooding the log while the server is
    away: the first error, then one line per ``every_s`` counting the attempts in between,
    and one line when the connection is back."""

    def __init__(self, every_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.every_s = every_s
        self.clock = clock
        self.last_said: float | None = None
        self.quiet = 0  # errors not logged since the last line
        self.down_since: float | None = None
        self.closing = False

    async def error(self, exc: Exception) -> None:
        now = self.clock()
        if self.last_said is not None and now - self.last_said < self.every_s:
            self.quiet += 1
            return
        more = f" ({self.quiet} more like it in {self.every_s:.0f} s)" if self.quiet else ""
        text = (str(exc) or type(exc).__name__).removeprefix("nats: ")  # nats-py's own prefix
        log.warning("nats: %s%s", text, more)
        self.last_said, self.quiet = now, 0

    async def disconnected(self) -> None:
        if self.down_since is None and not self.closing:
            self.down_since = self.clock()
            log.warning("nats: disconnected; reconnecting")

    async def reconnected(self) -> None:
        down = self.clock() - self.down_since if self.down_since is not None else 0.0
        log.warning("nats: reconnected after %.1f s", down)
        self.down_since, self.last_said, self.quiet = None, None, 0


class Bus:
    """A connection to NATS with JetStream, and the operations Maillage needs."""

    def __init__(self, nc: Client, js: JetStreamContext, replicas: int = 1) -> None:
        self.nc = nc
        self.js = js
        self.replicas = replicas
        self.connection_log: ConnectionLog | None = None
        self.pulls: list[JetStreamContext.PullSubscription] = []

    @classmethod
    async def connect(cls, servers: str | Sequence[str], name: str, replicas: int = 1) -> Bus:
        """Connect, and reconnect for ever: when the server goes away (a restart, ``kill -9``
        under ``maillage run``), the client retries every half second and resumes its
        subscriptions and pull consumers; what it says about it is rate-limited
        (:class:`ConnectionLog`)."""
        urls = [s.strip() for s in servers.split(",")] if isinstance(servers, str) else servers
        said = ConnectionLog()
        nc = await nats.connect(
            servers=list(urls),
            name=name,
            error_cb=said.error,
            disconnected_cb=said.disconnected,
            reconnected_cb=said.reconnected,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=5,
            drain_timeout=3,
        )
        bus = cls(nc, nc.jetstream(timeout=10), replicas)
        bus.connection_log = said
        return bus

    @classmethod
    async def from_settings(cls, settings: Settings, name: str) -> Bus:
        """Connect with the service's settings (URLs and stream replicas)."""
        return await cls.connect(settings.nats_url, name=name, replicas=settings.nats_replicas)

    async def close(self) -> None:
        """Drain (finish what is in flight) and close; while the server is away there is
        nothing to drain: just close, without an error."""
        if self.nc.is_closed:
            return
        if self.connection_log is not None:
            self.connection_log.closing = True
        # A pull subscription is read only by fetch: what is left in it when the service stops
        # (the server's end-of-request status of a cancelled fetch) would hold the drain until
        # its timeout. Its unacked messages, if any, are redelivered after the ack wait.
        for sub in self.pulls:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        if self.nc.is_connected:
            try:
                await self.nc.drain()
                return
            except Exception as exc:  # the server went away meanwhile
                log.debug("nats: drain failed: %s", exc)
        await self.nc.close()

    async def ensure(self) -> None:
        """Declare every stream and bucket; safe to call at each start-up."""
        for spec in STREAMS:
            config = spec.config(self.replicas)
            try:
                await self.js.stream_info(spec.name)
            except NotFoundError:
                await self.js.add_stream(config)
                log.info("stream created", extra={"stream": spec.name})
            else:
                await self.js.update_stream(config)
        for bucket in KV_BUCKETS:
            await self.kv(bucket)

    async def kv(self, bucket: str, *, history: int = 1, ttl_s: float = 0) -> KeyValue:
        """The bucket, created on first use with ``history`` revisions per key and, when
        ``ttl_s`` > 0, keys that expire ``ttl_s`` seconds after their last write."""
        try:
            return await self.js.key_value(bucket)
        except BucketNotFoundError:
            return await self.js.create_key_value(KeyValueConfig(
                bucket=bucket, history=history, ttl=ttl_s or None, replicas=self.replicas))

    async def publish(
        self, subject: str, payload: bytes, msg_id: str, headers: dict[str, str] | None = None
    ) -> bool:
        """Publish and wait for the PubAck; returns False when the server saw a duplicate."""
        all_headers = {"Nats-Msg-Id": msg_id, **(headers or {})}
        ack = await self.js.publish(subject, payload, headers=all_headers)
        return not ack.duplicate

    async def publish_json(self, subject: str, data: Any, msg_id: str) -> bool:
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return await self.publish(subject, raw, msg_id)

    async def pull(
        self,
        stream: str,
        durable: str,
        filter_subject: str | Sequence[str],
        *,
        ack_wait_s: float = 60,
        max_ack_pending: int = 2048,
        replay_on_new_filter: bool = False,
    ) -> JetStreamContext.PullSubscription:
        """Bind to (creating if needed) a durable pull consumer with explicit acks. A consumer
        that exists with another ack wait or limit of pending acks (a setting changed since
        it was created) is updated first: the client alone would bind it as it is.

        ``filter_subject`` may be several subjects (the server's ``filter_subjects``,
        nats-server 2.10 and later). With ``replay_on_new_filter``, a consumer that exists
        with other subjects (a kind added since) is created again, delivering the stream from
        its start: what was written on the new subjects before is not skipped (for
        projections idempotent by sequence, where a replay changes nothing else)."""
        subjects = [filter_subject] if isinstance(filter_subject, str) else list(filter_subject)
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait_s,
            max_ack_pending=max_ack_pending,
            **({"filter_subject": subjects[0]} if len(subjects) == 1
               else {"filter_subjects": subjects}),
        )
        try:
            current = (await self.js.consumer_info(stream, durable)).config
        except NotFoundError:
            current = None
        if current is not None and replay_on_new_filter and set(
                current.filter_subjects or [current.filter_subject]) != set(subjects):
            await self.js.delete_consumer(stream, durable)
            log.info("consumer created again for new subjects",
                     extra={"consumer": durable, "subjects": subjects})
            current = None
        if current is not None and (current.ack_wait != ack_wait_s
                                    or current.max_ack_pending != max_ack_pending):
            await self.js.add_consumer(stream, config)  # the server updates it in place
            log.info("consumer updated", extra={"consumer": durable, "ack_wait": ack_wait_s,
                                                "max_ack_pending": max_ack_pending})
        sub = await self.js.pull_subscribe(
            subjects[0], durable=durable, stream=stream, config=config
        )
        self.pulls.append(sub)
        return sub

    async def dead_letter(
        self, stream: str, msg_subject: str, data: bytes, reason: str, seq: int
    ) -> None:
        """Record a refused message in the DLQ stream with the reason."""
        record = {
            "stream": stream,
            "subject": msg_subject,
            "seq": seq,
            "reason": reason,
            "data": data.decode("utf-8", errors="replace"),
        }
        await self.publish_json(
            f"{DLQ_SUBJECT}.{subject_token(stream)}", record, msg_id=f"dlq.{stream}.{seq}"
        )
