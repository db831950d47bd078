"""Several query-service processes on one port (``MAILLAGE_QUERY_WORKERS``).

With one worker (the default) ``python -m services.query`` is the service itself. With N > 1
it is a small master that serves nothing: it opens the store and, for SQLite, builds the
in-memory search index (:mod:`shared.store.sqlite_bitmaps`) once, then **forks** N workers.
Each worker is a full service (its own event loop, store connection, caches and rate limits)
that binds the port with SO_REUSEPORT, so that the kernel spreads the connections among them.
Forked after the build, the workers share the master's memory copy-on-write: the imported
code and the index (most of a worker's memory) exist once, and each worker only copies the
pages it changes (following the indexer's writes, its caches, its requests' temporaries).
``gc.freeze()`` keeps the garbage collector from writing into the shared objects. With
Elasticsearch there is no such index: the workers open their own store after the fork.

Before forking a replacement, the master brings its index up to date (it follows the change
log as a worker does), so that a new worker starts from the current generation.

The master restarts a worker that exits (after a pause that grows when it keeps exiting),
forwards SIGTERM and SIGINT to the workers and waits for them (killing those still there
after :data:`STOP_SECONDS`), then exits 0. Workers are SIGTERMed by Linux when the master
dies, even by kill -9 (PDEATHSIG). Each worker tells the master through a pipe once its port
is bound; when a worker exits before that :data:`MAX_START_FAILURES` times in a row (the
port is taken by another program...), the master stops the others and exits 1 instead of
restarting it forever; the worker's own error is in the log just above. A store that cannot
be opened stops the master at once, with the store's error.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from services.query.settings import SETTINGS
from shared.errors import ConfigError
from shared.logging import setup_logging
from shared.memory import fix_mmap_threshold, freeze_heap, process_memory_kb
from shared.process import die_with_parent
from shared.service import main as service_main
from shared.service import serve
from shared.settings import Settings, load

log = logging.getLogger(__name__)

#: Exits before listening, in a row, after which the master gives up.
MAX_START_FAILURES = 5
#: Pause before the first restart; it doubles with each restart within a minute, up to the max.
RESTART_PAUSE = 0.5
MAX_RESTART_PAUSE = 10.0
#: Seconds the workers get to stop after SIGTERM/SIGINT before they are killed.
STOP_SECONDS = 10.0
#: Seconds between two looks at the workers.
POLL_SECONDS = 0.2
#: Seconds between two reads of the workers' own memory (MAILLAGE_QUERY_WORKER_MAX_MB).
MEMORY_CHECK_SECONDS = 10.0
#: Least seconds between two replacements of a worker for memory: a bound set below what a
#: worker needs under load must not turn into a fork every check.
REPLACE_INTERVAL = 60.0


def worker_count(settings: Settings) -> int:
    """``MAILLAGE_QUERY_WORKERS``, 0 meaning one per CPU."""
    count: int = settings.query_workers or os.cpu_count() or 1
    return count


@dataclass
class Worker:
    index: int
    pid: int | None = None
    #: Read end of the pipe the worker writes to once it listens (None once read).
    ready_fd: int | None = None
    listening: bool = False
    #: When to start it again, once it has exited.
    restart_at: float = 0.0
    #: Exits before listening, in a row.
    failures: int = 0
    #: Times of its restarts within the last minute (for the pause).
    restarts: list[float] = field(default_factory=list)
    #: While a replacement starts (too much memory of its own): the pid it replaces.
    replacing: int | None = None
    #: When its last replacement for memory started.
    replaced_at: float = -math.inf

    def check_listening(self) -> bool:
        """Whether the worker has said it listens (its pipe has a byte, not just an end)."""
        if self.ready_fd is not None:
            try:
                said = os.read(self.ready_fd, 1)
            except BlockingIOError:  # nothing yet, and the worker still runs
                return False
            os.close(self.ready_fd)
            self.ready_fd, self.listening = None, bool(said)
        return self.listening

    def poll(self) -> int | None:
        """The worker's exit code once it has exited (then :attr:`pid` is None), else None."""
        if self.pid is None:
            return None
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # already reaped
            pid, status = self.pid, 0
        if pid == 0:
            return None
        self.pid = None
        return os.waitstatus_to_exitcode(status)


class Master:
    """Opens the store, forks ``count`` workers, keeps them running, stops them on
    SIGTERM/SIGINT."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.url = f"http://{settings.http_host}:{settings.http_port}"
        self.workers = [Worker(i) for i in range(count)]
        self.stop_signal: int | None = None
        self.wake = threading.Event()
        self.store: Any = None
        self.max_private_kb = settings.query_worker_max_mb * 1024
        self.next_memory_check = time.monotonic() + MEMORY_CHECK_SECONDS
        #: Replaced workers told to stop: pid -> when to kill it if still there.
        self.retiring: dict[int, float] = {}

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signal = signum
        self.wake.set()

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (exit code 0) or until a worker cannot start (1)."""
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        log.info("starting query workers", extra={"url": self.url, "workers": len(self.workers)})
        try:
            self.open_store()
            for worker in self.workers:
                if self.stop_signal is None:
                    self.start(worker)
            return self.watch()
        finally:
            self.stop()

    def open_store(self) -> None:
        """The store the workers inherit: for SQLite, opened here (its index is built by the
        first :meth:`refresh_store`, before the first fork)."""
        from services.query.service import READER_CACHE_MB
        from shared.store.factory import open_store
        from shared.store.sqlite import SqliteStore

        if self.settings.store != "sqlite":
            return
        store = open_store(self.settings, cache_mb=READER_CACHE_MB)
        assert isinstance(store, SqliteStore)
        self.store = store

    def refresh_store(self) -> None:
        """Bring the index to the store's generation, and leave nothing that must not cross
        a fork (the connection) nor be copied by it (garbage)."""
        if self.store is None:
            return
        started = time.monotonic()
        try:
            self.store.warm_sync()
        finally:
            self.store.close_sync()
        freeze_heap()  # the collector no longer visits (writes to) what the workers share
        log.debug("query index ready to fork",
                  extra={"seconds": round(time.monotonic() - started, 3)})

    def start(self, worker: Worker) -> None:
        self.refresh_store()
        read, write = os.pipe()
        try:
            pid = os.fork()
        except BaseException:
            os.close(read)
            os.close(write)
            raise
        if pid == 0:  # pragma: no cover - the child, measured by the integration tests
            os.close(read)
            self.run_worker(write)
        os.close(write)
        os.set_blocking(read, False)
        worker.pid, worker.ready_fd, worker.listening = pid, read, False

    def run_worker(self, ready_fd: int) -> None:  # pragma: no cover - runs in the child
        """The forked worker: serve until stopped, then exit (never return to the master)."""
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            master = os.getppid()
            die_with_parent()
            if os.getppid() != master:  # the master died before PDEATHSIG was set
                os._exit(1)
            for other in self.workers:  # the other workers' pipes are the master's
                if other.ready_fd is not None:
                    os.close(other.ready_fd)
            from services.query.service import run

            if self.store is not None:  # built synchronously by the master; not any more
                self.store.background_rebuilds(True)

            def listening() -> None:
                os.write(ready_fd, b".")
                os.close(ready_fd)

            async def run_worker(settings: Settings) -> None:
                await run(settings, reuse_port=True, listening=listening, store=self.store)

            serve("query", self.settings, run_worker)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def watch(self) -> int:
        while self.stop_signal is None:
            self.reap_retiring()
            if self.max_private_kb and time.monotonic() >= self.next_memory_check:
                self.next_memory_check = time.monotonic() + MEMORY_CHECK_SECONDS
                self.replace_big_workers()
            for worker in self.workers:
                if self.stop_signal is not None:
                    break
                now = time.monotonic()
                if worker.pid is None:
                    if now >= worker.restart_at:
                        self.start(worker)
                    continue
                if worker.check_listening() and worker.replacing is not None:
                    self.retire(worker.replacing)  # its replacement listens: stop it
                    worker.replacing = None
                pid = worker.pid
                code = worker.poll()
                if code is None:
                    continue
                if worker.replacing is not None:  # the replacement failed: keep the old one
                    log.warning("query worker replacement exited before listening",
                                extra={"worker": worker.index, "pid": pid,
                                       "error": f"exit code {code}"})
                    worker.pid, worker.replacing, worker.listening = worker.replacing, None, True
                    if worker.ready_fd is not None:
                        os.close(worker.ready_fd)
                        worker.ready_fd = None
                    continue
                worker.failures = 0 if worker.check_listening() else worker.failures + 1
                if worker.failures >= MAX_START_FAILURES:
                    log.error(
                        "query worker cannot start, giving up (its error is above; "
                        "is the port already taken?)",
                        extra={"url": self.url, "worker": worker.index, "pid": pid,
                               "error": f"exit code {code} before listening, "
                               f"{worker.failures} times in a row"},
                    )
                    return 1
                worker.restarts = [t for t in worker.restarts if now - t < 60] + [now]
                pause = min(RESTART_PAUSE * 2 ** (len(worker.restarts) - 1), MAX_RESTART_PAUSE)
                worker.restart_at = now + pause
                log.warning("query worker exited, restarting it",
                            extra={"worker": worker.index, "pid": pid, "error": f"exit code {code}",
                                   "pause": pause})
            self.wake.wait(POLL_SECONDS)
        return 0

    def replace_big_workers(self) -> None:
        """Start a replacement for each listening worker that owns more memory than
        ``MAILLAGE_QUERY_WORKER_MAX_MB``: forked from the master's index (brought up to date
        first), it shares it again; the old worker is stopped once the new one listens."""
        now = time.monotonic()
        for worker in self.workers:
            if (worker.pid is None or worker.replacing is not None or not worker.listening
                    or now - worker.replaced_at < REPLACE_INTERVAL):
                continue
            private = private_kb(worker.pid)
            if private is None or private <= self.max_private_kb:
                continue
            log.info("query worker owns too much memory, replacing it",
                     extra={"worker": worker.index, "pid": worker.pid,
                            "private_mb": round(private / 1024),
                            "max_mb": self.max_private_kb // 1024})
            old = worker.pid
            self.start(worker)
            worker.replacing, worker.replaced_at = old, now

    def retire(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.retiring[pid] = time.monotonic() + STOP_SECONDS

    def reap_retiring(self, wait: bool = False) -> None:
        """Collect the replaced workers that stopped; kill those past their time."""
        for pid, deadline in list(self.retiring.items()):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                del self.retiring[pid]
            elif wait or time.monotonic() > deadline:
                log.warning("replaced query worker did not stop in time, killing it",
                            extra={"pid": pid})
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
                del self.retiring[pid]

    def stop(self) -> None:
        """Forward the stop signal (SIGTERM when giving up) and wait; kill the stragglers."""
        sig = self.stop_signal if self.stop_signal is not None else signal.SIGTERM
        for worker in self.workers:  # a replacement still starting: the old one stops too
            if worker.replacing is not None:
                self.retire(worker.replacing)
                worker.replacing = None
        running = [w for w in self.workers if w.pid is not None]
        for worker in running:
            try:
                os.kill(worker.pid, sig)  # type: ignore[arg-type]
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_SECONDS
        while any(w.pid is not None for w in running) and time.monotonic() < deadline:
            for worker in running:
                worker.poll()
            time.sleep(0.05)
        for worker in running:
            if worker.pid is not None:
                log.warning("query worker did not stop in time, killing it",
                            extra={"pid": worker.pid})
                os.kill(worker.pid, signal.SIGKILL)
                os.waitpid(worker.pid, 0)
                worker.pid = None
        while self.retiring and time.monotonic() < deadline:
            self.reap_retiring()
            time.sleep(0.05)
        self.reap_retiring(wait=True)
        for worker in self.workers:
            worker.check_listening()  # closes the pipes
        log.info("query workers stopped", extra={"url": self.url})


def private_kb(pid: int) -> int | None:
    """Memory of ``pid`` not shared with another process (kB), None if it is gone."""
    try:
        memory = process_memory_kb(pid)
    except OSError:
        return None
    return memory["Private_Clean"] + memory["Private_Dirty"]


def main() -> None:
    """Entry point of ``python -m services.query``."""
    fix_mmap_threshold()  # searches' temporary arrays go back to the system when freed
    try:
        settings = load(SETTINGS, os.environ)
    except ConfigError:
        settings = None  # service_main reports it, as with one worker
    if settings is None or worker_count(settings) == 1:
        from services.query.service import run

        service_main("query", SETTINGS, run)
        return
    setup_logging("query", settings.log_format, settings.log_level)
    try:
        code = Master(settings, worker_count(settings)).run()
    except ConfigError as exc:
        print(f"maillage query: {exc}", file=sys.stderr)
        code = 2
    raise SystemExit(code)
