"""The JSON API of associations: ``GET /v1/associations/{id}``, the public fields only
(contact details when the association made them public), read from the store of record, with
where its head office is (commune, quartier, point) from the directory's projection; a
dissolved association is shown, marked so (``state``). The search and the exports are
:mod:`services.associations.directory_api`."""

from __future__ import annotations

from aiohttp import web

from services.accounts.web import Unavailable, site
from services.associations.directory_api import DIRECTORY, setup_directory
from services.associations.storage import Associations
from services.query.errors import ApiError


async def get_association(request: web.Request) -> web.Response:
    aid = request.match_info["id"]
    try:
        stores = site(request).ready()
    except Unavailable:
        raise ApiError(503, "associations are unavailable for now",
                       headers={"Retry-After": "30"}) from None
    found = await Associations(stores).get(aid)
    if found is None or not found.listed:
        raise ApiError(404, "no such association", code="association_not_found",
                       details={"id": aid})
    projected = await request.app[DIRECTORY].get(aid) or {}
    place = {k: projected[k] for k in PLACE if k in projected}
    response = web.json_response({"item": {**found.public(), **place}})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


#: What the projection adds to the record: where the head office is.
PLACE = ("commune", "insee", "quartier", "lat", "lon")


def add_routes(app: web.Application) -> None:
    setup_directory(app)
    app.router.add_get("/v1/associations/{id}", get_association)
