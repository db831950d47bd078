"""The network map fed by the associations: links they declare between them
(:mod:`.model`, :mod:`.validate`, :mod:`.storage`), confirmed by the other side, public once
confirmed (:mod:`.project`: the board's ``network`` documents).

``setup(app)`` (after :func:`services.associations.setup`) mounts the pages that write and
show one link (:mod:`.pages`), the map and its lists (:mod:`.map_pages`) and the JSON API
(:mod:`.routes`), and registers with accounts: the account page's part (links to confirm,
waiting, confirmed), the export of what a person did to links, and in demo mode a few
confirmed links between the demo associations.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aiohttp import web

from services.accounts import SITE, add_templates
from services.network import demo, map_pages, pages, routes
from services.network.storage import export_links
from services.query.web.respond import JINJA

HERE = Path(__file__).parent
STATIC = HERE / "static"
ASSETS = "/assets/reseau"


def _asset(name: str) -> str:
    version = hashlib.blake2b((STATIC / name).read_bytes(), digest_size=5).hexdigest()
    return f"{ASSETS}/{name}?v={version}"


def setup(app: web.Application) -> None:
    state = app[SITE]
    add_templates(app, HERE / "templates")
    app[JINJA].globals.update(network_css=_asset("reseau.css"), network_js=_asset("reseau.js"))
    app.router.add_static(ASSETS, STATIC)
    pages.add_routes(app)
    map_pages.add_routes(app)
    routes.add_routes(app)
    state.account_sections.append(pages.account_section)
    state.hooks.exporters.append(export_links)
    if state.settings.demo:
        state.on_ready.append(demo.seed)
