"""Helpers of the operator commands: a progress bar, a NATS connection with one clear error,
plain-text tables."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from shared.errors import MaillageError, TransientError
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.bus import Bus


class Progress:
    """A progress bar on a terminal; a line every 10 % otherwise (logs, CI)."""

    def __init__(self, total: int, label: str, out: TextIO | None = None) -> None:
        self.total, self.label, self.done = max(total, 0), label, 0
        self.out = out or sys.stderr
        self.tty = self.out.isatty()
        self.started = time.monotonic()
        self._last_step = -1

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.show()

    def show(self) -> None:
        total = max(self.total, self.done, 1)
        ratio = self.done / total
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        if self.tty:
            bar = "#" * int(ratio * 30)
            self.out.write(f"\r{self.label} [{bar:<30}] {self.done}/{total} ({rate:.0f}/s)")
            self.out.flush()
        elif int(ratio * 10) != self._last_step:
            self._last_step = int(ratio * 10)
            self.out.write(f"{self.label}: {self.done}/{total} ({ratio:.0%})\n")

    def finish(self) -> None:
        if self.tty:
            self.show()
            self.out.write("\n")


#: Where ``maillage run`` writes the URL of its NATS server, under its data directory.
NATS_URL_FILE = "nats.url"
REPO_ROOT = Path(__file__).resolve().parents[2]


def running_stack_url(environ: Mapping[str, str]) -> str | None:
    """The NATS URL a running ``maillage run`` wrote: under ``MAILLAGE_DATA_DIR`` (default
    ``var``), else under this checkout's ``var/`` (a command run from another directory)."""
    data_dir = Path(environ.get("MAILLAGE_DATA_DIR") or "var")
    for candidate in (data_dir / NATS_URL_FILE, REPO_ROOT / "var" / NATS_URL_FILE):
        try:
            url = candidate.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if url:
            return url
    return None


def stack_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of an operator command: ``MAILLAGE_NATS_URL`` when set, else the URL
    of the stack that runs (see :func:`running_stack_url`)."""
    env = dict(environ)
    if not env.get("MAILLAGE_NATS_URL"):
        url = running_stack_url(env)
        if url:
            env["MAILLAGE_NATS_URL"] = url
    return env


async def _quiet(exc: Exception) -> None:
    """nats-py's default error callback prints tracebacks; the command reports once."""


async def connect(settings: Settings) -> Bus:
    """A bus for one command: fails fast, with one line, when NATS cannot be reached."""
    import nats

    from shared.bus import Bus

    servers = [s.strip() for s in settings.nats_url.split(",")]
    try:
        nc = await nats.connect(servers=servers, name="maillage-cli", connect_timeout=3,
                                max_reconnect_attempts=2, reconnect_time_wait=0.5,
                                error_cb=_quiet)
        bus = Bus(nc, nc.jetstream(timeout=10))
        await asyncio.wait_for(bus.ensure(), 15)
    except MaillageError:
        raise
    except Exception as exc:  # OSError, timeouts, NoServersError: one clear line
        detail = str(exc) or type(exc).__name__
        raise TransientError(
            f"aucune pile Maillage ne répond à {settings.nats_url} / no running stack at "
            f"{settings.nats_url} ({detail}): start it with 'make run' (or 'maillage run'), "
            "or set MAILLAGE_NATS_URL") from exc
    return bus


def table(rows: list[dict[str, Any]], columns: Iterable[str]) -> str:
    cols = list(columns)
    cells = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines) if rows else lines[0] + "\n(none)"


def cell(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    if len(text) > 19 and text[4:5] == "-" and "T" in text:  # an ISO date-time
        text = text[:16].replace("T", " ")
    return text if len(text) <= 60 else text[:59] + "…"
