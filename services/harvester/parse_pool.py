"""Parsing of fetched documents in processes bounded in CPU time and memory.

A document comes from outside, and its parse can be slow (a recurrence rule dateutil walks
for minutes inside one call), big (a 10 MB calendar) or a bomb. It never runs on the
harvester's event loop, where it would stall every other source of the replica:

* a small pool of parser processes (children of a forkserver that preloads the parsers, so a
  new one starts in milliseconds) takes one document at a time, through a pipe;
* each child caps its address space (``RLIMIT_AS``) once, and before each document moves its
  CPU-time limit (``RLIMIT_CPU``) to what it has used plus the timeout: past it, the kernel
  ends the child;
* the parent waits at most the wall-clock timeout, then kills the child; a child that died or
  was killed is replaced by a new one on the next document.

Such a document fails with a :class:`~shared.errors.ParseError` of kind ``parse_timeout`` or
``parse_memory``: the harvest is marked failed with that reason, the source's previous events
are kept, and the other sources of the replica go on meanwhile.

One harvest may parse many documents (the pages of a paged API, the event pages a feed links
to): they go through one :class:`ParseBudget`, so that a source parses one document at a time
(it never holds more than one parser process: another source always finds one free) and all
its documents together within ``MAILLAGE_SOURCE_PARSE_BUDGET`` seconds of parsing (time spent
waiting for a free process is not counted). :func:`run_job` is the parse
itself (the same code in a child and in the tests), including the cap of occurrences every
format's result must respect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import pickle
import resource
import signal
from dataclasses import dataclass
from typing import Any

from services.harvester.formats import FORMATS, parse_document
from services.harvester.formats.base import ParseContext, ParseResult
from services.harvester.formats.calls import CallsResult, parse_calls_document
from shared import errors
from shared.errors import MaillageError, ParseError
from shared.settings import Settings

log = logging.getLogger(__name__)

Parsed = ParseResult | CallsResult

#: Documents one child parses before it is replaced (what a long life leaks, it gives back).
JOBS_PER_CHILD = 200
#: Imported once by the forkserver, so that a child starts with every parser loaded.
_PRELOAD = ["services.harvester.parse_pool", *FORMATS.values()]


@dataclass(frozen=True, slots=True)
class ParseJob:
    body: bytes
    ctx: ParseContext
    fmt: str | None = None
    content_type: str | None = None
    kind: str = "events"  # or "calls"


@dataclass(frozen=True, slots=True)
class ParseLimits:
    timeout_s: float = 20.0  # wall clock, enforced by the parent
    memory_mb: int = 512  # address space of a child; 0: no limit
    workers: int = 2
    cpu_s: float | None = None  # CPU time per document, enforced by the kernel; None: timeout_s


class ParseBudget:
    """The parses of one harvest: one document at a time, ``seconds`` of parsing for all."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.left = seconds
        self.turn = asyncio.Lock()

    def spent(self) -> ParseError:
        return ParseError(
            f"the source's documents took more than {self.seconds:g} s to parse together "
            "(MAILLAGE_SOURCE_PARSE_BUDGET): the parse was stopped",
            kind="parse_timeout",
        )


def parse_limits(settings: Settings) -> ParseLimits:
    """The limits of a harvester's parse pool, from its settings."""
    return ParseLimits(
        timeout_s=settings.parse_timeout,
        memory_mb=settings.parse_memory_mb,
        workers=settings.parse_workers,
    )


def run_job(job: ParseJob) -> Parsed:
    """Parse one document (in a child process, or inline in tests)."""
    if job.kind == "calls":
        return parse_calls_document(job.body, job.ctx)
    result = parse_document(job.body, job.ctx, job.fmt, job.content_type)
    total = sum(len(event.occurrences) for event in result.events)
    if total > job.ctx.max_document_occurrences:
        raise ParseError(
            f"{total:,} occurrences in the document, more than the "
            f"{job.ctx.max_document_occurrences:,} it may give (MAILLAGE_MAX_SOURCE_OCCURRENCES)",
            kind="too_many_occurrences",
        )
    return result


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(conn: multiprocessing.connection.Connection, memory_mb: int, cpu_s: float) -> None:
    """A parser process: one job in, one reply out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            job = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        soft = int(_cpu_used() + cpu_s) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        fatal = False
        try:
            reply: tuple[Any, ...] = ("ok", run_job(job))
        except MaillageError as exc:
            reply = ("error", type(exc).__name__, exc.kind, exc.message)
        except MemoryError:
            reply = ("error", "ParseError", "parse_memory",
                     f"the document needs more than {memory_mb} MB to parse")
            fatal = True
        except RecursionError:
            reply = ("error", "ParseError", "parse", "the document is nested too deeply")
        except Exception as exc:  # noqa: BLE001 - a parser bug fails the document, not the child
            text = " ".join(str(exc).split())[:200]
            reply = ("error", "ParseError", "parse", f"parser error {type(exc).__name__}: {text}")
        try:
            conn.send_bytes(pickle.dumps(reply, pickle.HIGHEST_PROTOCOL))
        except MemoryError:
            conn.send_bytes(pickle.dumps(("error", "ParseError", "parse_memory",
                                          f"the result needs more than {memory_mb} MB")))
            fatal = True
        if fatal:
            return  # a process that ran out of memory is not trusted with another document


class _Child:
    """One parser process and the parent's end of its pipe."""

    def __init__(self, context: Any, limits: ParseLimits) -> None:
        ours, theirs = context.Pipe()
        cpu_s = limits.cpu_s if limits.cpu_s is not None else limits.timeout_s
        self.process = context.Process(
            target=_child, args=(theirs, limits.memory_mb, cpu_s), daemon=True,
            name="maillage-parser",
        )
        self.process.start()
        theirs.close()
        self.conn: multiprocessing.connection.Connection = ours
        self.jobs = 0

    def roundtrip(self, data: bytes) -> bytes:
        """Send a job and wait for its reply (blocking: run in a thread)."""
        self.conn.send_bytes(data)
        return self.conn.recv_bytes()

    def stop(self, kill: bool) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if kill and self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


class ParsePool:
    """Parses documents in bounded child processes (see the module docstring)."""

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._idle: list[_Child] = []
        self._busy: set[_Child] = set()
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    @property
    def busy(self) -> int:
        """Parser processes at work on a document now."""
        return len(self._busy)

    async def parse(self, job: ParseJob, budget: ParseBudget | None = None) -> Parsed:
        """The parsed document; raises what the parser raised, or ParseError
        ``parse_timeout`` / ``parse_memory`` when the document went past the limits
        (``budget``: those of the harvest it belongs to, see :class:`ParseBudget`)."""
        if budget is None:
            return await self._parse(job, None)
        async with budget.turn:
            return await self._parse(job, budget)

    async def _parse(self, job: ParseJob, budget: ParseBudget | None) -> Parsed:
        if self._closed:
            raise RuntimeError("the parse pool is closed")
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(1, self.limits.workers))
        data = pickle.dumps(job, pickle.HIGHEST_PROTOCOL)
        async with self._slots:
            timeout = self.limits.timeout_s
            if budget is not None:
                if budget.left <= 0:
                    raise budget.spent()
                timeout = min(timeout, budget.left)
            child = self._idle.pop() if self._idle else await asyncio.to_thread(
                _Child, self._context, self.limits)
            self._busy.add(child)
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                reply = await self._call(child, data, timeout)
            except ParseError as exc:
                self._busy.discard(child)
                if budget is not None and exc.kind == "parse_timeout" and (
                        timeout < self.limits.timeout_s):
                    raise budget.spent() from None
                raise
            except BaseException:
                self._busy.discard(child)
                await asyncio.to_thread(child.stop, True)
                raise
            finally:
                if budget is not None:
                    budget.left -= loop.time() - started
            self._busy.discard(child)
            child.jobs += 1
            if reply[0] == "error" and reply[2] == "parse_memory" or (
                    child.jobs >= JOBS_PER_CHILD):
                await asyncio.to_thread(child.stop, False)
            else:
                self._idle.append(child)
        if reply[0] == "ok":
            parsed: Parsed = reply[1]
            return parsed
        _, name, kind, message = reply
        cls = getattr(errors, name, ParseError)
        if not (isinstance(cls, type) and issubclass(cls, MaillageError)):
            cls = ParseError
        raise cls(message, kind=kind)

    async def _call(self, child: _Child, data: bytes, seconds: float) -> tuple[Any, ...]:
        timeout = seconds
        try:
            raw = await asyncio.wait_for(asyncio.to_thread(child.roundtrip, data), timeout)
        except TimeoutError:
            await asyncio.to_thread(child.stop, True)
            log.warning("parser stopped", extra={"timeout_s": timeout, "pid": child.process.pid})
            raise ParseError(
                f"the document took more than {timeout:g} s to parse: its parser was stopped",
                kind="parse_timeout",
            ) from None
        except (EOFError, OSError):
            await asyncio.to_thread(child.stop, False)
            code = child.process.exitcode
            if code == -signal.SIGXCPU:
                raise ParseError(
                    f"the document used more than {timeout:g} s of CPU to parse: its parser "
                    "was stopped",
                    kind="parse_timeout",
                ) from None
            raise ParseError(
                f"the parser process ended (exit code {code}) on this document: "
                f"more than {self.limits.memory_mb} MB of memory?",
                kind="parse_memory",
            ) from None
        reply: tuple[Any, ...] = pickle.loads(raw)
        return reply

    async def close(self) -> None:
        """Stop every child (idle ones end on the closed pipe; busy ones are killed)."""
        self._closed = True
        idle, self._idle = self._idle, []
        busy, self._busy = list(self._busy), set()
        for child in idle:
            await asyncio.to_thread(child.stop, False)
        for child in busy:
            await asyncio.to_thread(child.stop, True)

    def pids(self) -> list[int]:
        """Process ids of the live children (for tests and metrics)."""
        return [c.process.pid for c in [*self._idle, *self._busy]
                if c.process.pid is not None and c.process.is_alive()]

