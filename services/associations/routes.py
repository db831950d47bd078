"""The JSON API of associations: ``GET /v1/associations/{id}``, the public fields only
(contact details when the association made them public), read from the store of record, with
where its head office is (commune, quartier, point) from the directory's projection (the
projection alone while the store of record cannot be reached; 503 for an association
it does not hold then); a dissolved association is
shown, marked so (``state``). The search and the exports are
:mod:`services.associations.directory_api`."""

from __future__ import annotations

from aiohttp import web

from services.accounts.web import Unavailable, site
from services.associations.directory_api import DIRECTORY, setup_directory
from services.associations.storage import Associations
from services.query.errors import ApiError


async def get_association(request: web.Request) -> web.Response:
    aid = request.match_info["id"]
    projected = await request.app[DIRECTORY].get(aid)
    try:
        stores = site(request).ready()
    except Unavailable:  # the store of record is out of reach: its projection, if any
        stores = None
    if stores is None and projected is None:  # it may exist: say so, do not deny it
        raise ApiError(503, "associations are unavailable for now",
                       headers={"Retry-After": "30"})
    item = projected
    if stores is not None:
        found = await Associations(stores).get(aid)
        item = None
        if found is not None and found.listed:
            place = {k: v for k, v in (projected or {}).items() if k in PLACE}
            item = {**found.public(), **place}
    if item is None:
        raise ApiError(404, "no such association", code="association_not_found",
                       details={"id": aid})
    response = web.json_response({"item": item})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


#: What the projection adds to the record: where the head office is.
PLACE = ("commune", "insee", "quartier", "lat", "lon")


def add_routes(app: web.Application) -> None:
    setup_directory(app)
    app.router.add_get("/v1/associations/{id}", get_association)
