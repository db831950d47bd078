"""Associations: the association record, membership, its audit trail, team-up declarations,
the imports of the official registers (:mod:`.registers`, :mod:`.importer`, command
``maillage associations``) and the directory (:mod:`.project`, the searchable form the
indexer writes; :mod:`.directory_api`, its JSON API).

``setup(app)`` (after :func:`services.accounts.setup`) mounts the pages
(:mod:`services.associations.pages`), the JSON API (:mod:`services.associations.routes`),
the operators' review queue of links and the loop that links organizers to associations
(:mod:`services.associations.links_pages`), the directory and the inventory of tools
(:mod:`services.associations.directory_pages`), and registers with accounts: the memberships
part of the account page, what erasure removes and what an export gathers, and, in demo
mode, the demo associations created at start.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.accounts import SITE, add_templates
from services.associations import demo, directory_pages, links_pages, pages, routes
from services.associations.storage import erase_memberships, export_memberships

HERE = Path(__file__).parent


def setup(app: web.Application) -> None:
    state = app[SITE]
    add_templates(app, HERE / "templates")
    pages.add_routes(app)
    routes.add_routes(app)
    links_pages.setup(app)
    directory_pages.setup(app)
    state.account_sections.append(pages.account_section)
    state.hooks.erasers.append(erase_memberships)
    state.hooks.exporters.append(export_memberships)
    if state.settings.demo:
        state.on_ready.append(demo.seed)
