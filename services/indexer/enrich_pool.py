"""Decoding and enrichment in worker processes, while the indexer's process writes.

Enrichment is pure Python and the indexer's own process spends the rest of its time writing
the store: on two cores, a worker process that decodes and enriches the next batch while the
current one is written nearly halves the time per event. Each worker loads the reference data
once (``MAILLAGE_REFERENCE_DIR``) and keeps its own enrichment memo.

A worker answers, for each raw message, ``("ok", EventMessage)`` (enriched),
``("poison", reason)`` (undecodable: dead-lettered at once) or ``("failed", repr)`` (a bug
on that message: retried, then dead-lettered), the same outcomes as preparing it in the
indexer's process (:meth:`services.indexer.projector.Projector.prepare_batch`).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from services.indexer.enrich import Enricher
from shared.errors import InvalidMessage
from shared.model import EventMessage

log = logging.getLogger(__name__)

Outcome = tuple[str, Any]

_enricher: list[Enricher] = []  # the worker's enricher, made by _start


def _start(reference_dir: str, timezone: str, indexer_pid: int) -> None:
    from services.indexer.service import enricher_for

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the indexer, which stops us
    threading.Thread(target=_exit_with, args=(indexer_pid,), daemon=True).start()
    _enricher[:] = [enricher_for(reference_dir, timezone)]


def _exit_with(pid: int, every_s: float = 1.0) -> None:
    """End this worker once the indexer is gone (``kill -9``: no shutdown reaches the
    worker, which would wait for work forever)."""
    while True:
        time.sleep(every_s)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # a process of another user took the number: ours is gone
            os._exit(0)


def prepare_raw(raws: list[bytes]) -> list[Outcome]:
    """Decode and enrich ``raws`` (in a worker)."""
    from services.indexer.consumer import decode

    enricher = _enricher[0]
    out: list[Outcome] = []
    for raw in raws:
        try:
            msg = decode(raw)
            if msg.event is not None:
                msg = EventMessage.upsert(enricher.enrich(msg.event), msg.version)
            out.append(("ok", msg))
        except InvalidMessage as exc:
            out.append(("poison", exc.message))
        except Exception as exc:  # a bug on one message: the indexer retries it
            out.append(("failed", repr(exc)))
    return out


class EnrichPool:
    """``workers`` processes (started by a fork server: no state of the event loop or of
    the NATS connection is copied) that prepare batches of raw messages."""

    def __init__(self, workers: int, reference_dir: str, timezone: str) -> None:
        self.workers = workers
        self.reference_dir = reference_dir
        self.timezone = timezone
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start, initargs=(self.reference_dir, self.timezone, os.getpid()))

    async def prepare(self, raws: list[bytes]) -> list[Outcome]:
        """One outcome per raw message, in order; the batch is shared between the workers."""
        loop = asyncio.get_running_loop()
        size = -(-len(raws) // self.workers) or 1
        parts = [raws[i:i + size] for i in range(0, len(raws), size)]
        done = await asyncio.gather(*(loop.run_in_executor(self._executor, prepare_raw, part)
                                      for part in parts))
        return [outcome for part in done for outcome in part]

    def pids(self) -> list[int]:
        """The workers' process ids (those started so far)."""
        return [p.pid for p in (self._executor._processes or {}).values() if p.pid]

    async def warm(self) -> None:
        """Start the workers now (they load the reference data) rather than at the first
        batch."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._executor, prepare_raw, [])
                               for _ in range(self.workers)))

    def restart(self) -> None:
        """New workers (they read the reference data again); the old ones finish their work."""
        old, self._executor = self._executor, self._start()
        old.shutdown(wait=False)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
