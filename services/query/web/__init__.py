"""The public French web page: server-rendered, works without JavaScript, enhanced with it.

Routes
    ``/``                  the agenda: search, filters with counts, list / month / week / map
    ``/evenement/{id}``    one occurrence, with JSON-LD, its sources and related events,
                           "add to my calendar", share, link-preview tags
    ``/evenement/{id}/agenda.ics``  that occurrence alone, for a calendar (:mod:`.event_actions`)
    ``/evenement/{id}/image``       the source's image, resized and cached here (:mod:`.images`)
    ``/widget``            the embeddable agenda (any site may frame it)
    ``/widget.js``         a script that inserts the widget's frame
    ``/integrer``          how to embed the agenda, with a snippet generator
    ``/api``               the open API and the feeds, in French (what, where, reuse)
    ``/evenement/{id}/signaler``    "Signaler une erreur", to the operators' queue
                           ``/operateurs/signalements`` (:mod:`.report`)
    ``/participer``, ``/contact``, ``/accessibilite``  information pages (:mod:`.info`)
    ``/static/...``        CSS, scripts, the vendored Leaflet
    ``/carte/limites.geojson``  the map's base layer: quartier and commune outlines

Settings read (with defaults when the service's table lacks them): ``MAILLAGE_TILE_URL``
(map tiles; empty: the map shows only the boundaries), ``MAILLAGE_TILE_ATTRIBUTION`` and
``MAILLAGE_REFERENCE_DIR`` (the boundaries, :mod:`.boundaries`).
"""

from __future__ import annotations

from aiohttp import web

from .around import setup_around
from .boundaries import setup_boundaries
from .embed import integrer, widget, widget_js
from .event import event_page
from .event_actions import setup_event_actions
from .images import setup_images
from .info import setup_info
from .pages import api_page, home
from .respond import STATIC, setup_templates

__all__ = ["setup_web"]


def setup_web(app: web.Application) -> None:
    setup_templates(app)
    app.router.add_get("/", home)
    app.router.add_get("/evenement/{id}", event_page)
    app.router.add_get("/widget", widget)
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/integrer", integrer)
    app.router.add_get("/api", api_page)
    app.router.add_static("/static", STATIC)
    setup_boundaries(app)
    setup_around(app)
    setup_event_actions(app)
    setup_images(app)
    setup_info(app)
    from .report import setup_report  # after this package: it uses the accounts' forms

    setup_report(app)
