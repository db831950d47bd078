"""Joint applications to calls for projects: several associations answering one call
together, and finding the partners they lack (docs/decisions/0001-store-of-record.md,
"The split").

``setup(app)`` (after :func:`services.associations.setup`) mounts the pages
(:mod:`.pages`), the JSON API and the list (:mod:`.routes`, read from the board, whose
documents :mod:`.project` makes), and registers with accounts what erasure removes and what
an export gathers, the reminders a week before each deadline (:mod:`.reminders`),
and, in demo mode, the demo applications created at start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.accounts import SITE, add_templates
from services.applications import demo, pages, reminders, routes
from services.applications.storage import erase_applications, export_applications
from shared.store.board_base import BOARD

HERE = Path(__file__).parent


def setup(app: web.Application) -> None:
    state = app[SITE]
    add_templates(app, HERE / "templates")
    routes.add_routes(app)
    pages.add_routes(app)
    state.account_sections.append(pages.account_section)
    state.hooks.erasers.append(erase_applications)
    state.hooks.exporters.append(export_applications)
    if state.settings.demo:
        state.on_ready.append(demo.seed)
    app.cleanup_ctx.append(remind)


async def remind(app: web.Application) -> AsyncIterator[None]:
    """The reminders a week before the deadlines, while the site runs (read from the
    board)."""
    task = asyncio.create_task(reminders.run(app[SITE], app[BOARD]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
