"""One writer at a time on an Elasticsearch store: a lease document taken by compare-and-set.

The lease is one document of the store's meta index. Every change of it is an index request
conditional on the ``_seq_no`` and ``_primary_term`` read before (``if_seq_no`` /
``if_primary_term``; ``op_type=create`` when it does not exist yet), so of two processes
that read the same state only one can change it: the other gets a 409 and reads again.

* :meth:`Lease.hold` takes the lease (waiting while another writer holds it, at most
  ``wait_s``, then :class:`LeaseBusy`), renews it every ``renew_s`` while held, and gives
  it back (``owner: null``) at the end.
* A holder that died is recognised without comparing clocks between machines: a waiting
  process takes the lease over once it has seen the document's ``_seq_no`` unchanged for
  ``ttl_s`` of its own monotonic clock (a live holder renews every ``renew_s``).
* :meth:`Lease.check`, called before every write, raises :class:`LeaseLost` when the
  renewal failed (another process took the lease over) or is older than ``ttl_s - renew_s``:
  the writer stops before writing anything more.

The guarantee holds as long as a holder is not paused for longer than ``ttl_s -
renew_s`` between a check and the end of the write it guards (a garbage-collection pause,
a frozen VM): the lease is the same compromise as any lease without fencing tokens, and the
store's journal (see :mod:`shared.store.elastic`) makes what such a writer left repairable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from elasticsearch import (
    ApiError,
    AsyncElasticsearch,
    ConflictError,
    NotFoundError,
    TransportError,
)

from shared.errors import TransientError

TTL_S = 60.0
RENEW_S = 10.0
WAIT_S = 20.0
POLL_S = 0.1


class LeaseBusy(TransientError):
    """Another writer held the lease for longer than we could wait: retry the batch later."""


class LeaseLost(TransientError):
    """The lease was taken over while we held it: stop writing, the batch is retried."""


class Lease:
    """The writer lease ``name`` in the index (alias) ``index`` (see the module doc)."""

    def __init__(self, es: AsyncElasticsearch, index: str, name: str = "writer", *,
                 ttl_s: float = TTL_S, renew_s: float = RENEW_S, wait_s: float = WAIT_S,
                 poll_s: float = POLL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.es = es
        self.index = index
        self.name = name
        self.ttl_s = ttl_s
        self.renew_s = renew_s
        self.wait_s = wait_s
        self.poll_s = poll_s
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._seq: tuple[int, int] | None = None  # (seq_no, primary_term) of our last write
        self._renewed = float("-inf")
        self._lost = False

    @property
    def held(self) -> bool:
        return self._seq is not None and not self._lost

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Take the lease for the body of the ``async with``, renewing it meanwhile."""
        await self.acquire()
        renewer = asyncio.create_task(self._renew_loop())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self.release()

    async def acquire(self) -> None:
        deadline = self.clock() + self.wait_s
        seen: tuple[int, int] | None = None
        seen_at = self.clock()
        while True:
            current = await self._read()
            if current is None:
                if await self._write(None):
                    return
            else:
                source, seq = current
                if seq != seen:
                    seen, seen_at = seq, self.clock()
                stale = self.clock() - seen_at >= self.ttl_s
                if (source.get("owner") is None or stale) and await self._write(seq):
                    return
            if self.clock() >= deadline:
                holder = current[0].get("owner") if current else None
                raise LeaseBusy(f"the writer lease {self.name!r} is held by {holder}")
            await asyncio.sleep(self.poll_s * (0.5 + random.random()))

    async def check(self) -> None:
        """Before a write: :class:`LeaseLost` unless the lease is ours and fresh."""
        if self._seq is None or self._lost:
            raise LeaseLost(f"the writer lease {self.name!r} is not held")
        if self.clock() - self._renewed >= self.renew_s:
            await self.renew()
        if self.clock() - self._renewed >= self.ttl_s - self.renew_s:
            raise LeaseLost(f"the writer lease {self.name!r} could not be renewed in time")

    async def renew(self) -> None:
        if self._seq is None or self._lost:
            raise LeaseLost(f"the writer lease {self.name!r} is not held")
        if not await self._write(self._seq):
            self._lost = True
            raise LeaseLost(f"the writer lease {self.name!r} was taken over")

    async def release(self) -> None:
        """Give the lease back (a conflict means it was taken over already)."""
        seq, self._seq = self._seq, None
        self._lost = False
        if seq is None:
            return
        # best effort: a conflict means it was taken over already; a failed request leaves
        # it to expire (the others take it over after ``ttl_s``)
        with contextlib.suppress(ApiError, TransportError):
            await self.es.index(index=self.index, id=self.name, require_alias=True,
                                if_seq_no=seq[0], if_primary_term=seq[1],
                                document={"owner": None, "at": _now()})

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.renew_s / 2)
            try:
                await self.renew()
            except LeaseLost:
                return
            except Exception:  # a failed request: check() stops the writer if it lasts
                continue

    async def _read(self) -> tuple[dict[str, Any], tuple[int, int]] | None:
        try:
            doc = await self.es.get(index=self.index, id=self.name)
        except NotFoundError:
            return None
        return doc["_source"], (doc["_seq_no"], doc["_primary_term"])

    async def _write(self, expected: tuple[int, int] | None) -> bool:
        """Write ourselves as owner if the document is still ``expected`` (absent: None)."""
        condition: dict[str, Any] = (
            {"op_type": "create"} if expected is None
            else {"if_seq_no": expected[0], "if_primary_term": expected[1]})
        try:
            resp = await self.es.index(index=self.index, id=self.name, require_alias=True,
                                       document={"owner": self.owner, "at": _now()},
                                       **condition)
        except ConflictError:
            return False
        self._seq = (resp["_seq_no"], resp["_primary_term"])
        self._renewed = self.clock()
        self._lost = False
        return True


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
