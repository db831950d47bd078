"""Several query-service processes on one port (``MAILLAGE_QUERY_WORKERS``).

With one worker (the default) ``python -m services.query`` is the service itself, as before.
With N > 1 it is a small master that binds nothing and serves nothing: it starts N copies of
``python -m services.query``, each a full, independent service (its own store connection,
in-memory index, caches and rate limits) that binds the port with SO_REUSEPORT, so that the
kernel spreads the connections among them.

The master restarts a worker that exits (after a pause that grows when it keeps exiting),
forwards SIGTERM and SIGINT to the workers and waits for them (killing those still there
after :data:`STOP_SECONDS`), then exits 0. Workers are SIGTERMed by Linux when the master
dies, even by kill -9 (PDEATHSIG). Each worker tells the master through a pipe once its port
is bound; when a worker exits before that :data:`MAX_START_FAILURES` times in a row (the
port is taken by another program, the store cannot be opened...), the master stops the
others and exits 1 instead of restarting it forever; the worker's own error is in the log
just above.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from types import FrameType

from services.query.settings import SETTINGS
from shared.errors import ConfigError
from shared.logging import setup_logging
from shared.service import main as service_main
from shared.settings import Settings, load
from shared.supervisor import _die_with_parent

log = logging.getLogger(__name__)

WORKERS_ENV = "MAILLAGE_QUERY_WORKERS"
#: Set by the master in each worker's environment (0, 1, ...): the worker binds with
#: SO_REUSEPORT. Not a setting: users never set it.
WORKER_INDEX_ENV = "MAILLAGE_QUERY_WORKER_INDEX"
#: The pipe (file descriptor) on which a worker tells the master that it listens.
READY_FD_ENV = "MAILLAGE_QUERY_WORKER_READY_FD"
#: Exits before listening, in a row, after which the master gives up.
MAX_START_FAILURES = 5
#: Pause before the first restart; it doubles with each restart within a minute, up to the max.
RESTART_PAUSE = 0.5
MAX_RESTART_PAUSE = 10.0
#: Seconds the workers get to stop after SIGTERM/SIGINT before they are killed.
STOP_SECONDS = 10.0
#: Seconds between two looks at the workers.
POLL_SECONDS = 0.2


def worker_count(settings: Settings) -> int:
    """``MAILLAGE_QUERY_WORKERS``, 0 meaning one per CPU."""
    count: int = settings.query_workers or os.cpu_count() or 1
    return count


def _worker_preexec(master: int) -> None:  # pragma: no cover - runs in the child
    """New session and PDEATHSIG (the supervisor's helper); a worker forked just as the
    master died would miss the signal, so it checks that its parent is still the master."""
    _die_with_parent()
    if os.getppid() != master:
        os._exit(1)


@dataclass
class Worker:
    index: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    #: Read end of the pipe the worker writes to once it listens (None once read).
    ready_fd: int | None = None
    listening: bool = False
    #: When to start it again, once it has exited.
    restart_at: float = 0.0
    #: Exits before listening, in a row.
    failures: int = 0
    #: Times of its restarts within the last minute (for the pause).
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        master = os.getpid()
        read, write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.query"],
                env={**self.env, READY_FD_ENV: str(write)}, pass_fds=(write,),
                preexec_fn=lambda: _worker_preexec(master),
            )
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        os.set_blocking(read, False)
        self.ready_fd, self.listening = read, False

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

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Master:
    """Starts ``count`` workers, keeps them running, stops them on SIGTERM/SIGINT."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.url = f"http://{settings.http_host}:{settings.http_port}"
        env = {**os.environ, WORKERS_ENV: "1"}
        self.workers = [Worker(i, {**env, WORKER_INDEX_ENV: str(i)}) for i in range(count)]
        self.stop_signal: int | None = None
        self.wake = threading.Event()

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signal = signum
        self.wake.set()

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (exit code 0) or until a worker cannot start (1)."""
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        log.info("starting query workers", extra={"url": self.url, "workers": len(self.workers)})
        try:
            for worker in self.workers:
                worker.start()
            return self.watch()
        finally:
            self.stop()

    def watch(self) -> int:
        while self.stop_signal is None:
            for worker in self.workers:
                if self.stop_signal is not None:
                    break
                now = time.monotonic()
                if worker.process is None:
                    if now >= worker.restart_at:
                        worker.start()
                    continue
                worker.check_listening()
                code = worker.process.poll()
                if code is None:
                    continue
                pid = worker.process.pid
                worker.process = None
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

    def stop(self) -> None:
        """Forward the stop signal (SIGTERM when giving up) and wait; kill the stragglers."""
        sig = self.stop_signal if self.stop_signal is not None else signal.SIGTERM
        running = [w.process for w in self.workers if w.process is not None and w.alive()]
        for process in running:
            process.send_signal(sig)
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning("query worker did not stop in time, killing it",
                            extra={"pid": process.pid})
                process.kill()
                process.wait()
        for worker in self.workers:
            worker.check_listening()  # closes the pipes
        log.info("query workers stopped", extra={"url": self.url})


def tell_master() -> None:
    """In a worker: write to the master's pipe that the port is bound."""
    fd = os.environ.get(READY_FD_ENV)
    if fd:
        try:
            os.write(int(fd), b".")
            os.close(int(fd))
        except (OSError, ValueError):  # not started by a master after all
            pass


def main() -> None:
    """Entry point of ``python -m services.query``."""
    # The service's modules are imported only where they run, not in the master.
    if WORKER_INDEX_ENV in os.environ:  # started by the master: share the port
        from services.query.service import run

        async def run_worker(settings: Settings) -> None:
            await run(settings, reuse_port=True, listening=tell_master)

        service_main("query", SETTINGS, run_worker)
        return
    try:
        settings = load(SETTINGS, os.environ)
    except ConfigError:
        settings = None  # service_main reports it, as with one worker
    if settings is None or worker_count(settings) == 1:
        from services.query.service import run

        service_main("query", SETTINGS, run)
        return
    setup_logging("query", settings.log_format, settings.log_level)
    raise SystemExit(Master(settings, worker_count(settings)).run())
