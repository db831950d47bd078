"""Associations keep their own tools: the sources an association adds itself.

A signed-in member gives the address of the association's calendar, feed, OpenAgenda
agenda, Mobilizon group or web page; the site previews what a harvest would find
(:mod:`.preview`, through the SSRF-guarded fetcher and the parser processes), then, once
confirmed (and approved by an operator when ``MAILLAGE_SOURCES_APPROVAL`` asks for it),
writes it to the registry of sources, which every harvester picks up at its next tick
(:mod:`.storage`). The association sees each source's state as the monitor says it, pauses
or removes it (:mod:`.pages`); French guides say where each common tool gives its address.

``setup(app)`` (after :func:`services.associations.setup`) mounts the pages and the
previewer, whose fetcher and parser processes start at the first preview and stop with the
site. Tests set ``app[PREVIEWER].resolver`` (a fake resolver) before the first preview.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.accounts import SITE, add_templates
from services.sources_self import pages
from services.sources_self.pages import PREVIEWER
from services.sources_self.preview import Previewer

HERE = Path(__file__).parent

__all__ = ["PREVIEWER", "setup"]


def setup(app: web.Application) -> None:
    add_templates(app, HERE / "templates")
    app[PREVIEWER] = Previewer(app[SITE].settings)
    pages.add_routes(app)

    async def close(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[PREVIEWER].close()

    app.cleanup_ctx.append(close)
