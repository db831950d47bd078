"""Decoding and enrichment in worker processes, while the indexer's process writes.

Enrichment is pure Python and the indexer's own process spends the rest of its time writing
the store: on two cores, a worker process that decodes and enriches the next batch while the
current one is written nearly halves the time per event. Each worker loads the reference data
once (``MAILLAGE_REFERENCE_DIR``) and keeps its own enrichment memo.

The workers give events the themes of their associations as the indexer's process does: with
an :class:`~services.indexer.associations.AssociationContext` (kept current by the indexer),
the pool writes the records the context holds to a file of its own each time the context is
loaded again (:attr:`~services.indexer.associations.AssociationContext.version`), and each
batch says which file and version it was prepared for: a worker that has not loaded that
version yet builds its own context from the file first.

A worker answers, for each raw message, ``("ok", EventMessage)`` (enriched),
``("poison", reason)`` (undecodable: dead-lettered at once) or ``("failed", repr)`` (a bug
on that message: retried, then dead-lettered), the same outcomes as preparing it in the
indexer's process (:meth:`services.indexer.projector.Projector.prepare_batch`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.indexer.enrich import Enricher
from shared.errors import InvalidMessage
from shared.model import Event, EventMessage

if TYPE_CHECKING:
    from services.indexer.associations import AssociationContext

log = logging.getLogger(__name__)

Outcome = tuple[str, Any]
#: (file, version) of the association context a batch is prepared with
Shared = tuple[str, int]

_enricher: list[Enricher] = []  # the worker's enricher, made by _start
_context_version: list[int] = []  # the version of the association context it loaded


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


def _use_context(shared: Shared) -> None:
    """Load the association context of ``shared`` unless this worker has that version."""
    from services.indexer.associations import AssociationContext

    path, version = shared
    if _context_version == [version]:
        return
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    _enricher[0].associations = AssociationContext(**records).annotate
    _context_version[:] = [version]


def prepare_raw(raws: list[bytes], shared: Shared | None = None) -> list[Outcome]:
    """Decode and enrich ``raws`` (in a worker), with the association context of ``shared``."""
    from services.indexer.consumer import decode

    if shared is not None:
        _use_context(shared)
    enricher = _enricher[0]
    out: list[Outcome] = []
    upserts: list[tuple[int, EventMessage]] = []  # (place in out, decoded message)
    for raw in raws:
        try:
            msg = decode(raw)
            if msg.event is not None:
                upserts.append((len(out), msg))
            out.append(("ok", msg))
        except InvalidMessage as exc:
            out.append(("poison", exc.message))
        except Exception as exc:  # a bug on one message: the indexer retries it
            out.append(("failed", repr(exc)))
    try:  # the batch at once (a third cheaper); one by one when that fails
        enriched: list[Event] | None = enricher.enrich_many([m.event for _, m in upserts
                                                             if m.event is not None])
    except Exception:
        enriched = None
    for n, (i, msg) in enumerate(upserts):
        try:
            assert msg.event is not None
            event = enriched[n] if enriched is not None else enricher.enrich(msg.event)
            out[i] = ("ok", EventMessage.upsert(event, msg.version))
        except Exception as exc:  # a bug on one message: the indexer retries it
            out[i] = ("failed", repr(exc))
    return out


class EnrichPool:
    """``workers`` processes (started by a fork server: no state of the event loop or of
    the NATS connection is copied) that prepare batches of raw messages."""

    def __init__(self, workers: int, reference_dir: str, timezone: str,
                 associations: AssociationContext | None = None) -> None:
        self.workers = workers
        self.reference_dir = reference_dir
        self.timezone = timezone
        self.associations = associations
        self._shared: Shared | None = None
        self._files = tempfile.mkdtemp(prefix="maillage-enrich-")
        self._executor = self._start()

    async def shared(self) -> Shared | None:
        """The file of the association context's current version, written when it moved
        (the previous file stays for a batch still reading it; older ones go)."""
        context = self.associations
        if context is None:
            return None
        if self._shared is None or self._shared[1] != context.version:
            version = context.version
            path = Path(self._files) / f"associations-{version}.json"
            keep = {path.name, Path(self._shared[0]).name if self._shared else ""}
            await asyncio.to_thread(_write_json, path, context.snapshot(), keep)
            self._shared = (str(path), version)
        return self._shared

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start, initargs=(self.reference_dir, self.timezone, os.getpid()))

    async def prepare(self, raws: list[bytes]) -> list[Outcome]:
        """One outcome per raw message, in order; the batch is shared between the workers."""
        loop = asyncio.get_running_loop()
        shared = await self.shared()
        size = -(-len(raws) // self.workers) or 1
        parts = [raws[i:i + size] for i in range(0, len(raws), size)]
        done = await asyncio.gather(*(loop.run_in_executor(self._executor, prepare_raw, part,
                                                           shared)
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
        shutil.rmtree(self._files, ignore_errors=True)


def _write_json(path: Path, data: Any, keep: set[str]) -> None:
    """Write ``data`` to ``path`` whole (a worker never reads half a file); remove the other
    files of its directory but those named in ``keep``."""
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)
    for old in path.parent.glob("associations-*.json"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
