"""City agents publish calls for projects through a form on the site.

``GET/POST /appels/publier``: a signed-in person with the ``city_agent`` role fills in a
call; it is checked by the push API's own validation (:func:`services.ingest.validate.
parse_calls`) and published as the same :class:`~shared.calls.CallMessage` on the same
``CALLS`` subject as a pushed call of the publisher ``MAILLAGE_CITY_PUBLISHER``, so the
indexer, the call pages, feeds and alerts treat both alike.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.accounts import add_templates
from services.city_calls import pages

HERE = Path(__file__).parent

__all__ = ["setup"]


def setup(app: web.Application) -> None:
    add_templates(app, HERE / "templates")
    pages.add_routes(app)
