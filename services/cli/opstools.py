"""Helpers of the operator commands: a progress bar, a NATS connection with one clear error,
plain-text tables, and the files by which a command finds the stack that runs."""

from __future__ import annotations

import asyncio
import json
import os
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
#: Beside it, the settings that say where that stack keeps its state (:data:`STACK_SETTINGS`).
STACK_FILE = "stack.json"
#: What a command must share with the running stack to act on it rather than on ``./var``:
#: its data directory, reference data, search store and timezone. ``maillage run`` writes the
#: values its services run with (paths made absolute); ``maillage reindex`` then rebuilds the
#: stack's own store with the stack's reference data, from whatever directory it is run.
STACK_SETTINGS = ("MAILLAGE_DATA_DIR", "MAILLAGE_REFERENCE_DIR", "MAILLAGE_STORE",
                  "MAILLAGE_SQLITE_PATH", "MAILLAGE_CALLS_SQLITE_PATH", "ELASTICSEARCH_URL",
                  "MAILLAGE_ES_INDEX", "MAILLAGE_ES_CALLS_INDEX", "MAILLAGE_TIMEZONE")
REPO_ROOT = Path(__file__).resolve().parents[2]


def write_stack_files(data_dir: Path, nats_url: str, settings: Mapping[str, str]) -> None:
    """Record the running stack for the commands (only its owner can read the settings,
    which may hold the Elasticsearch URL's credentials)."""
    (data_dir / NATS_URL_FILE).write_text(nats_url + "\n", encoding="utf-8")
    known = {name: settings[name] for name in STACK_SETTINGS if settings.get(name)}
    fd = os.open(data_dir / STACK_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(known, fh, indent=2)


def remove_stack_files(data_dir: Path) -> None:
    for name in (NATS_URL_FILE, STACK_FILE):
        (data_dir / name).unlink(missing_ok=True)


def running_stack(environ: Mapping[str, str]) -> tuple[str, dict[str, str]] | None:
    """The NATS URL and the settings (:data:`STACK_SETTINGS`) of a running ``maillage run``:
    found under ``MAILLAGE_DATA_DIR`` (default ``var``), else under this checkout's ``var/``
    (a command run from another directory)."""
    data_dir = Path(environ.get("MAILLAGE_DATA_DIR") or "var")
    for directory in (data_dir, REPO_ROOT / "var"):
        try:
            url = (directory / NATS_URL_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if not url:
            continue
        try:
            recorded = json.loads((directory / STACK_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a stack started before the file existed
            recorded = {}
        settings = {"MAILLAGE_DATA_DIR": str(directory.resolve())}
        if isinstance(recorded, dict):
            settings.update({k: str(v) for k, v in recorded.items() if k in STACK_SETTINGS})
        return url, settings
    return None


def stack_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of an operator command: the running stack's NATS URL and settings
    (see :func:`running_stack`) where the environment does not set them. A
    ``MAILLAGE_NATS_URL`` naming another server keeps the environment as it is."""
    env = dict(environ)
    found = running_stack(env)
    if found is None:
        return env
    url, settings = found
    if env.get("MAILLAGE_NATS_URL") and env["MAILLAGE_NATS_URL"] != url:
        return env
    env["MAILLAGE_NATS_URL"] = url
    for name, value in settings.items():
        if not env.get(name):
            env[name] = value
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
            f"no running stack at {settings.nats_url} ({detail}): "
            "start it with 'make run' (or 'maillage run'), "
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
    if len(text) > 19 and text[4:5] == "-" and text[10:11] == "T":  # an ISO date-time
        text = text[:16].replace("T", " ")
    return text if len(text) <= 60 else text[:59] + "…"
