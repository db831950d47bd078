"""Child processes: tied to their parent's life, and stopped with SIGTERM, a bounded wait,
then SIGKILL."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Detach from the terminal's Ctrl-C (the parent stops its children itself, in order)
    and ask Linux to SIGTERM this child when its parent dies (no orphan after kill -9).

    Meant as ``preexec_fn`` of :class:`subprocess.Popen`."""
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Ask ``process`` to stop (SIGTERM); kill it if it is still there after ``timeout``
    seconds. Returns once it has exited (nothing to do if it already had)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
