"""Hand due sources out to harvester replicas through the JOBS work queue.

Every replica runs the same two loops:

* the **scheduler** looks at each source's shared state and, when it is due, publishes a job
  ``{"source_id", "slot"}`` on ``maillage.jobs.<source>``. The JOBS stream keeps at most one
  message per source and refuses a new one while one is pending, and the job's message id
  (source and slot) is the same on every replica, so N schedulers queue one job;
* the **workers** pull jobs from one durable consumer shared by all replicas: each job goes to
  one replica, which harvests, saves the state and only then acks. A replica killed mid-job
  never acks, so the job is redelivered to another after ``ack_wait``. A scheduler reads a
  source's state, then queues its job: another replica may harvest the source in between, save
  its state and ack, so the queue takes the second job as a new one. The worker that takes a
  job its scheduler queued therefore reads the state again and drops the job when the source
  is no longer due (a job an operator asked for is always harvested).

The slot (the time the job was due, in microseconds) is the version of everything the harvest
publishes, so a redelivered job re-publishes the same message ids. A source never harvested
yet is due at the time its record last changed, the same on every replica, so that two
replicas that see a new source queue the same job (the server drops the second as a duplicate).

The sources come from the registry (:mod:`services.harvester.registry`), re-read at each tick
when it changed; a worker reads the source's record again before harvesting it, so the job of
a source removed or disabled meanwhile is dropped, never harvested. (Tests may pass a fixed
list of sources instead.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from nats.aio.msg import Msg
from nats.js.errors import APIError

from services.harvester.registry import RegisteredSource, SourceCatalog, SourceRegistry
from services.harvester.sources import Source
from services.harvester.state import SourceState, StateStore
from services.harvester.worker import Harvester
from shared.bus import JOBS_SUBJECT, Bus, end_if_cancelled, subject_token
from shared.model import now_version

log = logging.getLogger(__name__)

JOBS_DURABLE = "harvesters"
ACK_WAIT_S = 60
SLOT_ROUNDING = timedelta(milliseconds=1)


async def enqueue(bus: Bus, source_id: str, slot: int, *, scheduled: bool = False) -> bool:
    """Queue a harvest of ``source_id``; False when one is already pending.

    ``scheduled``: queued because the source was due (by a scheduler), not asked for by an
    operator; the worker that takes it checks that the source is still due (see
    :meth:`Scheduler.run_job`)."""
    job: dict[str, object] = {"source_id": source_id, "slot": slot}
    if scheduled:
        job["scheduled"] = True
    payload = json.dumps(job).encode()
    try:
        return await bus.publish(
            f"{JOBS_SUBJECT}.{subject_token(source_id)}", payload, f"job.{source_id}.{slot}"
        )
    except APIError as exc:  # maximum messages per subject exceeded: one is pending
        log.debug("job not queued", extra={"source_id": source_id, "error": str(exc)})
        return False


class Scheduler:
    def __init__(
        self,
        bus: Bus,
        sources: Sequence[Source] | SourceRegistry,
        states: StateStore,
        harvester: Harvester,
        *,
        concurrency: int = 4,
        tick_s: float = 5.0,
        ack_wait_s: float = ACK_WAIT_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.bus = bus
        self.catalog: SourceCatalog | None = None
        self.sources: dict[str, Source] = {}
        if isinstance(sources, SourceRegistry):
            self.catalog = SourceCatalog(sources)
        else:
            self.sources = {s.id: s for s in sources}
        self.states = states
        self.harvester = harvester
        self.concurrency = concurrency
        self.tick_s = tick_s
        self.ack_wait_s = ack_wait_s
        self.clock = clock

    async def schedule_due(self) -> int:
        """Queue a job for every due source; returns how many were queued."""
        now = self.clock()
        if self.catalog is not None:
            await self.catalog.refresh()
            self.sources = {r.id: r.source for r in self.catalog.sources.values()}
        queued = 0
        for source in list(self.sources.values()):
            if not source.enabled:
                continue
            state = await self.states.get(source.id)
            record = self.catalog.sources.get(source.id) if self.catalog else None
            changed = _changed_since_harvest(record, state)
            if changed is not None:
                due = changed
            elif not state.due(now):
                continue
            elif state.next_check:
                due = datetime.fromisoformat(state.next_check)
            else:
                due = self._first_due(source.id) or now
            if await enqueue(self.bus, source.id, now_version(due), scheduled=True):
                queued += 1
        return queued

    def _first_due(self, source_id: str) -> datetime | None:
        record = self.catalog.sources.get(source_id) if self.catalog else None
        if record is None or not record.updated_at:
            return None
        return datetime.fromisoformat(record.updated_at)

    async def current(self, source_id: str) -> RegisteredSource | None:
        """The source as it is now (read from the registry), or None if removed."""
        if self.catalog is None:
            source = self.sources.get(source_id)
            return RegisteredSource(source) if source is not None else None
        record: RegisteredSource | None = await self.catalog.registry.get(source_id)
        return record

    async def run_scheduler(self) -> None:
        while True:
            try:
                await self.schedule_due()
            except Exception:  # keep scheduling whatever one tick met
                log.exception("scheduler tick failed")
            await asyncio.sleep(self.tick_s)

    async def run_workers(self) -> None:
        """Harvest jobs, ``concurrency`` at a time; a worker that is done takes the next job
        at once, never waiting for a slow harvest that was fetched with its own."""
        sub = await self.bus.pull(
            "JOBS", JOBS_DURABLE, f"{JOBS_SUBJECT}.>", ack_wait_s=self.ack_wait_s,
            max_ack_pending=1024,
        )
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                end_if_cancelled()  # a cancellation nats-py's fetch swallowed (Python 3.11)
                if len(running) >= self.concurrency:
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    msgs = await sub.fetch(self.concurrency - len(running), timeout=1)
                except TimeoutError:  # nothing to fetch (nats' TimeoutError subclasses it)
                    continue
                except Exception as exc:  # the server restarts: the client reconnects itself
                    log.warning("cannot fetch jobs now: %s", exc or type(exc).__name__)
                    await asyncio.sleep(1)
                    continue
                for msg in msgs:
                    job = asyncio.create_task(self.run_job(msg))
                    running.add(job)
                    job.add_done_callback(running.discard)
        finally:
            for job in running:
                job.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def run_job(self, msg: Msg) -> None:
        """Harvest the job's source, then ack. Nothing here stops the workers: a failed ack
        or nak (the server restarting) only means the job comes back after ``ack_wait``,
        and its harvest re-publishes the same message ids."""
        try:
            job = json.loads(msg.data)
            source_id, slot = str(job["source_id"]), int(job["slot"])
            scheduled = bool(job.get("scheduled", False))
            slot_time = datetime.fromtimestamp(slot / 1e6, UTC)
        except (ValueError, KeyError, TypeError, OverflowError, OSError):
            log.error("unreadable job dropped", extra={"subject": msg.subject})
            with contextlib.suppress(Exception):
                await msg.term()
            return
        try:
            record = await self.current(source_id)
        except Exception:  # the registry cannot be read now: try the job again later
            log.warning("source lookup failed", exc_info=True)
            with contextlib.suppress(Exception):
                await msg.nak(delay=5)
            return
        if record is None or not record.enabled:  # removed or disabled since it was queued
            log.info("job dropped: the source is %s", "removed" if record is None else
                     "disabled", extra={"source_id": source_id})
            with contextlib.suppress(Exception):
                await msg.term()
            return
        source = record.source
        keepalive = asyncio.create_task(_keep_alive(msg, self.ack_wait_s / 3))
        try:
            state = await self.states.get(source.id)
            # Due at its slot (the scheduler's reading, whatever this replica's clock says;
            # 1 ms for the rounding of the slot) or now: not harvested since it was queued.
            due = max(self.clock(), slot_time + SLOT_ROUNDING)
            if scheduled and not (state.due(due)
                                  or _changed_since_harvest(record, state) is not None):
                # Queued on a state read before another replica's harvest of the source
                # saved its own, then acked (the work queue took this job as a new one).
                log.info("job dropped: the source was harvested since it was queued",
                         extra={"source_id": source.id})
                with contextlib.suppress(Exception):
                    await msg.ack()
                return
            await self.harvester.harvest(source, state, version=slot)
            state.record_updated_at = record.updated_at or None
            await self.states.put(source.id, state)
        except Exception:
            log.exception("harvest job failed", extra={"source_id": source.id})
            with contextlib.suppress(Exception):
                await msg.nak(delay=30)
            return
        finally:
            keepalive.cancel()
        with contextlib.suppress(Exception):
            await msg.ack()

    async def run(self) -> None:
        await asyncio.gather(self.run_scheduler(), self.run_workers())


def _changed_since_harvest(
    record: RegisteredSource | None, state: SourceState
) -> datetime | None:
    """When the source's record changed, if it did after the harvest that made ``state``
    (an address fixed by an operator is fetched now, not at the next check). The time is
    the same on every replica, so they queue one job."""
    if (record is None or not record.updated_at or state.disabled
            or state.record_updated_at is None):  # None: harvested before this was kept
        return None
    changed = datetime.fromisoformat(record.updated_at)
    return changed if changed > datetime.fromisoformat(state.record_updated_at) else None


async def _keep_alive(msg: Msg, every_s: float) -> None:
    """Tell the server the job is still being worked on, so it is not redelivered."""
    while True:
        await asyncio.sleep(every_s)
        with contextlib.suppress(Exception):
            await msg.in_progress()
