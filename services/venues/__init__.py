"""Venues: the rooms, premises and equipment associations (and the city) let, their rental
rates, their free slots and the bookings of those slots (decision 0001, "The split").

``setup(app)`` (after :func:`services.accounts.setup`) mounts the pages
(:mod:`services.venues.pages`, :mod:`services.venues.list_pages`) and the JSON API
(:mod:`services.venues.routes`; lists read the site's board, ``app[BOARD]``), and registers with
accounts: the bookings part of the account page, what erasure removes and what an export
gathers, and, in demo mode, the demo venues created at start (:mod:`services.venues.demo`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aiohttp import web

from services.accounts import SITE, add_templates
from services.query.web.respond import JINJA
from services.venues import demo, pages, routes
from services.venues.storage import erase_bookings, export_bookings

HERE = Path(__file__).parent
STATIC = HERE / "static"
ASSETS = "/assets/salles"


def setup(app: web.Application) -> None:
    state = app[SITE]
    add_templates(app, HERE / "templates")
    version = hashlib.blake2b((STATIC / "salles.css").read_bytes(), digest_size=5).hexdigest()
    app[JINJA].globals["venues_css"] = f"{ASSETS}/salles.css?v={version}"
    app.router.add_static(ASSETS, STATIC)
    pages.add_routes(app)
    routes.add_routes(app)
    state.account_sections.append(pages.account_section)
    state.hooks.erasers.append(erase_bookings)
    state.hooks.exporters.append(export_bookings)
    if state.settings.demo:
        state.on_ready.append(demo.seed)
