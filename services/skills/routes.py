"""The JSON API of posts (``services/skills/search.py`` for the parameters):

    GET /v1/skills          the search (board kind ``skill``): items, total, next cursor,
                            facet counts with ``facets=true``
    GET /v1/skills/{id}     one post's public fields, from the store of record (a closed one
                            too, marked so); 404 for an unknown or deleted one

Writes go through the pages' forms (signed in, CSRF).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.accounts.web import Unavailable, site
from services.query.context import json_response
from services.query.errors import ApiError
from services.skills.search import parse_query, run
from services.skills.storage import Skills


def public_item(doc: dict[str, Any]) -> dict[str, Any]:
    """A board document as the API shows it (the board's own keys left out)."""
    return {k: v for k, v in doc.items() if k not in ("text", "facets", "kind")}


async def search_skills(request: web.Request) -> web.Response:
    query = parse_query(request.rel_url.query)
    page = await run(request.app, query)
    body: dict[str, Any] = {"total": page.total,
                            "items": [public_item(i) for i in page.items], "next": page.next}
    if query.with_facets:
        body["facets"] = page.facets
    response = json_response(body)
    response.headers["Cache-Control"] = "public, max-age=30"
    return response


async def get_skill(request: web.Request) -> web.Response:
    try:
        stores = site(request).ready()
    except Unavailable:
        raise ApiError(503, "posts are unavailable for now",
                       headers={"Retry-After": "30"}) from None
    post = await Skills(stores).get(request.match_info["id"])
    if post is None:
        raise ApiError(404, "no such post", code="skill_not_found",
                       details={"id": request.match_info["id"]})
    return json_response({"item": post.public()})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/skills", search_skills)
    app.router.add_get("/v1/skills/{id}", get_skill)
