"""The JSON API of associations: ``GET /v1/associations/{id}``, the public fields only
(contact details when the association made them public)."""

from __future__ import annotations

from aiohttp import web

from services.accounts.web import Unavailable, site
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
    if found is None or not found.active:
        raise ApiError(404, "no such association", code="association_not_found",
                       details={"id": aid})
    response = web.json_response({"item": found.public()})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/associations/{id}", get_association)
