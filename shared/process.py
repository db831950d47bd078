"""Stopping a child process: SIGTERM, a bounded wait, then SIGKILL."""

from __future__ import annotations

import subprocess


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
