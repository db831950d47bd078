"""Run a service as its own process: settings from the environment, logs, clean stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable

from shared.errors import ConfigError
from shared.logging import setup_logging
from shared.settings import Setting, Settings, load


def main(name: str, table: Iterable[Setting], run: Callable[[Settings], Awaitable[None]]) -> None:
    """Entry point of ``python -m services.<name>``: SIGTERM and Ctrl-C stop it cleanly."""
    try:
        settings = load(table, os.environ)
    except ConfigError as exc:
        print(f"maillage {name}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    setup_logging(name, settings.log_format, settings.log_level)
    serve(name, settings, run)


def serve(name: str, settings: Settings, run: Callable[[Settings], Awaitable[None]]) -> None:
    """Run ``run(settings)`` on a new event loop until SIGTERM or Ctrl-C (a clean stop)."""

    async def runner() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
        with contextlib.suppress(asyncio.CancelledError):
            await run(settings)

    try:
        asyncio.run(runner())
    except ConfigError as exc:
        print(f"maillage {name}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
