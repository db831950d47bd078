"""Real processes for the fault tests: start services, wait for conditions, clean up.

Every process a test starts goes through :class:`Processes`, whose fixture kills and reaps
them all at teardown, whatever happened; children also get SIGTERM if pytest itself dies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from shared.process import die_with_parent


@dataclass
class Processes:
    log_dir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, module: str, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "INFO", **env}
        proc = subprocess.Popen([sys.executable, "-m", module], env=full_env, stdout=log,
                                stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        log.close()
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def kill9(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.started:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


async def wait_until(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], within: float, what: str,
    every: float = 0.1,
) -> None:
    """Poll ``check`` (sync or async) until true; fail naming ``what`` after ``within`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(every)


def wait_until_sync(predicate: Callable[[], object], within: float, what: str,
                    every: float = 0.1) -> None:
    """Poll ``predicate`` (an OSError counts as false: a server not up yet) until true; fail
    naming ``what`` after ``within`` s. For tests that drive processes without a loop."""
    deadline = time.monotonic() + within
    while True:
        try:
            if predicate():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)
