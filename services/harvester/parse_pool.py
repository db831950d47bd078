"""Parsing of fetched documents in processes bounded in CPU time and memory.

A document comes from outside, and its parse can be slow (a recurrence rule dateutil walks
for minutes inside one call), big (a 10 MB calendar) or a bomb. It never runs on the
harvester's event loop, where it would stall every other source of the replica:

* a small pool of parser processes takes one document at a time, through a socket pair. Each is
  a new interpreter (``python -I``) started with a minimal environment (:func:`child_environment`:
  none of the harvester's settings or secrets), that imports every parser, says it is ready,
  then parses documents;
* each child caps its address space (``RLIMIT_AS``) once, and before each document moves its
  CPU-time limit (``RLIMIT_CPU``) to what it has used plus the timeout: past it, the kernel
  ends the child;
* the parent waits at most the wall-clock timeout, then kills the child; a child that died or
  was killed is replaced by a new one on the next document.

Such a document fails with a :class:`~shared.errors.ParseError` of kind ``parse_timeout`` or
``parse_memory``: the harvest is marked failed with that reason, the source's previous events
are kept, and the other sources of the replica go on meanwhile.

A parser process reads documents from outside with third-party parsers, so the harvester
does not trust what it sends back: the job goes to it pickled (from the harvester: trusted),
but the reply is data only, JSON read with a strict schema (:mod:`msgspec`: every field of
every event of its type; events of the job's source only; at most the document's share of
occurrences) and at most ``MAILLAGE_PARSE_REPLY_BYTES`` long. Any other reply (a pickle, a
reply too large or not of the schema) fails the document with a
:class:`~shared.errors.ParseError` of kind ``parse_reply``, and the process is replaced:
a code-execution bug in a parser stays in its process, without the harvester's secrets.

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
import importlib
import json
import logging
import multiprocessing.connection
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

import msgspec

from services.harvester.formats import FORMATS, parse_document
from services.harvester.formats.base import ParseContext, ParseResult
from services.harvester.formats.calls import CallsResult, parse_calls_document
from shared import errors
from shared.calls import call_id
from shared.errors import MaillageError, ParseError
from shared.model import event_id
from shared.settings import Settings

log = logging.getLogger(__name__)

Parsed = ParseResult | CallsResult

#: Documents one child parses before it is replaced (what a long life leaks, it gives back).
JOBS_PER_CHILD = 200
#: Seconds a new parser process may take to import the parsers and say it is ready.
START_TIMEOUT_S = 60.0
#: What a new parser process sends once it is ready for documents.
READY = b"ready"
#: The variables of the harvester's environment a parser process keeps: what parsing needs
#: (locale, time zone), nothing else (no MAILLAGE_* setting or secret, no credentials).
CHILD_ENV = ("PATH", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")
#: The parser process's program: the harvester's import path, then the entry point named.
_BOOT = ("import importlib, json, sys; sys.path[:] = json.loads(sys.argv[1]); "
         "module, _, name = sys.argv[2].partition(':'); "
         "getattr(importlib.import_module(module), name)(*sys.argv[3:])")
#: The parser processes' entry point (tests may name a stand-in).
CHILD_ENTRY = "services.harvester.parse_pool:child_main"


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
    reply_bytes: int = 64 * 1024 * 1024  # longest reply a parser process may send back


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
        reply_bytes=settings.parse_reply_bytes,
    )


class EventsReply(msgspec.Struct, tag="events"):
    result: ParseResult


class CallsReply(msgspec.Struct, tag="calls"):
    result: CallsResult


MESSAGE_CHARS = 2000  # longest error message a parser process may send back


class ErrorReply(msgspec.Struct, tag="error"):
    error: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{1,40}$")]  # a MaillageError class
    kind: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,40}$")]  # e.g. parse_timeout
    message: Annotated[str, msgspec.Meta(max_length=MESSAGE_CHARS)]


Reply = EventsReply | CallsReply | ErrorReply

_ENCODER = msgspec.json.Encoder()
_DECODERS: dict[str, msgspec.json.Decoder[Reply]] = {
    "events": msgspec.json.Decoder(EventsReply | ErrorReply),
    "calls": msgspec.json.Decoder(CallsReply | ErrorReply),
}


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a parser process: only the :data:`CHILD_ENV` variables of
    ``environ`` (the harvester's), so that a parser never holds a secret."""
    source = os.environ if environ is None else environ
    return {name: source[name] for name in CHILD_ENV if name in source}


def refused_reply(reason: str) -> ParseError:
    return ParseError(f"the parser process sent back a reply that is not valid data ({reason}): "
                      "it was refused and the process replaced", kind="parse_reply")


def decode_reply(raw: bytes, job: ParseJob) -> Reply:
    """The reply of a parser process to ``job``, read as data with a strict schema; raises
    ParseError ``parse_reply`` for anything else (never unpickled, never executed)."""
    try:
        reply: Reply = _DECODERS[job.kind].decode(raw)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:  # ValidationError included
        raise refused_reply(" ".join(str(exc).split())[:200]) from None
    if isinstance(reply, EventsReply):
        total = 0
        for event in reply.result.events:
            if (event.source_id != job.ctx.source_id
                    or event.id != event_id(event.source_id, event.source_uid)):
                raise refused_reply(f"an event of another source: {event.id[:40]!r}")
            total += len(event.occurrences)
        if total > job.ctx.max_document_occurrences:
            raise refused_reply(f"{total:,} occurrences, more than the document may give")
    elif isinstance(reply, CallsReply):
        for call in reply.result.calls:
            if call.id != call_id(call.publisher, call.publisher_id):
                raise refused_reply(f"a call whose id is not its own: {call.id[:40]!r}")
    return reply


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


def child_main(fd: str, memory_mb: str, cpu_s: str) -> None:
    """A parser process (see :data:`_BOOT`): import every parser, say it is ready on the
    socket ``fd``, then parse the documents it receives."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    for module in FORMATS.values():
        importlib.import_module(module)
    conn = multiprocessing.connection.Connection(int(fd))
    conn.send_bytes(READY)
    _child(conn, int(memory_mb), float(cpu_s))


def _child(conn: multiprocessing.connection.Connection, memory_mb: int, cpu_s: float) -> None:
    """One job in, one reply out (JSON, see :func:`decode_reply`), until the socket closes."""
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
            result = run_job(job)
            reply: Reply = (CallsReply(result) if isinstance(result, CallsResult)
                            else EventsReply(result))
        except MaillageError as exc:
            reply = ErrorReply(type(exc).__name__, exc.kind, exc.message[:MESSAGE_CHARS])
        except MemoryError:
            reply = ErrorReply("ParseError", "parse_memory",
                               f"the document needs more than {memory_mb} MB to parse")
            fatal = True
        except RecursionError:
            reply = ErrorReply("ParseError", "parse", "the document is nested too deeply")
        except Exception as exc:  # noqa: BLE001 - a parser bug fails the document, not the child
            text = " ".join(str(exc).split())[:200]
            reply = ErrorReply("ParseError", "parse", f"parser error {type(exc).__name__}: {text}")
        try:
            conn.send_bytes(_ENCODER.encode(reply))
        except MemoryError:
            conn.send_bytes(_ENCODER.encode(ErrorReply(
                "ParseError", "parse_memory", f"the result needs more than {memory_mb} MB")))
            fatal = True
        if fatal:
            return  # a process that ran out of memory is not trusted with another document


class _ReplyTooLarge(Exception):
    pass


class _Child:
    """One parser process and the parent's end of its socket."""

    def __init__(self, limits: ParseLimits, entry: str = CHILD_ENTRY) -> None:
        """Start the process and wait until it is ready (blocking: run in a thread)."""
        ours, theirs = socket.socketpair()
        cpu_s = limits.cpu_s if limits.cpu_s is not None else limits.timeout_s
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", _BOOT, json.dumps(sys.path), entry,
                 str(theirs.fileno()), str(limits.memory_mb), repr(cpu_s)],
                env=child_environment(), pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.conn = multiprocessing.connection.Connection(ours.detach())
        self.jobs = 0
        try:
            ready = self.conn.poll(START_TIMEOUT_S) and self.conn.recv_bytes(64) == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.stop(True)
            raise ParseError(f"the parser process did not start (exit code "
                             f"{self.process.returncode})", kind="parse")

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def roundtrip(self, data: bytes, max_reply: int) -> bytes:
        """Send a job and wait for its reply (blocking: run in a thread)."""
        self.conn.send_bytes(data)
        try:
            return self.conn.recv_bytes(max_reply)
        except OSError as exc:
            if exc.args == ("bad message length",):  # longer than max_reply: left unread
                raise _ReplyTooLarge from None
            raise

    def stop(self, kill: bool) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if kill and self.alive():
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)


class ParsePool:
    """Parses documents in bounded child processes (see the module docstring)."""

    def __init__(self, limits: ParseLimits | None = None, *, entry: str = CHILD_ENTRY) -> None:
        """``entry``: the parser processes' entry point, ``module:function`` (tests)."""
        self.limits = limits or ParseLimits()
        self._entry = entry
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
                _Child, self.limits, self._entry)
            self._busy.add(child)
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                reply = await self._call(child, data, timeout, job)
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
            if isinstance(reply, ErrorReply) and reply.kind == "parse_memory" or (
                    child.jobs >= JOBS_PER_CHILD):
                await asyncio.to_thread(child.stop, False)
            else:
                self._idle.append(child)
        if not isinstance(reply, ErrorReply):
            return reply.result
        cls = getattr(errors, reply.error, ParseError)
        if not (isinstance(cls, type) and issubclass(cls, MaillageError)):
            cls = ParseError
        raise cls(reply.message, kind=reply.kind)

    async def _call(self, child: _Child, data: bytes, seconds: float, job: ParseJob) -> Reply:
        """The child's reply to ``job``; raises ParseError when the child was stopped, died
        or sent back anything but a valid reply (the child is then stopped)."""
        timeout = seconds
        try:
            raw = await asyncio.wait_for(
                asyncio.to_thread(child.roundtrip, data, self.limits.reply_bytes), timeout)
        except _ReplyTooLarge:
            await asyncio.to_thread(child.stop, True)
            log.warning("parser reply refused", extra={"pid": child.pid, "reason": "too large"})
            raise refused_reply(f"longer than {self.limits.reply_bytes:,} bytes, "
                                "MAILLAGE_PARSE_REPLY_BYTES") from None
        except TimeoutError:
            await asyncio.to_thread(child.stop, True)
            log.warning("parser stopped", extra={"timeout_s": timeout, "pid": child.pid})
            raise ParseError(
                f"the document took more than {timeout:g} s to parse: its parser was stopped",
                kind="parse_timeout",
            ) from None
        except (EOFError, OSError):
            await asyncio.to_thread(child.stop, False)
            code = child.process.returncode
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
        try:
            return decode_reply(raw, job)
        except ParseError as exc:
            await asyncio.to_thread(child.stop, True)
            log.warning("parser reply refused", extra={"pid": child.pid, "reason": exc.message})
            raise

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
        return [c.pid for c in [*self._idle, *self._busy] if c.alive()]

