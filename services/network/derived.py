"""Links derived from the agenda, shown marked as such and never stored as declarations: two
associations co-organise when one organizer field of the events names both (the organizer
linking of :mod:`services.associations.links` split it into parts, each linked to an
association). Read for one association at a time: its organizer names (the directory's
projection lists them), each one's link record (one read by key), the other associations
it names for good (:func:`~services.associations.links.effective`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.accounts.web import SITE
from services.associations import links
from services.associations.directory_api import DIRECTORY

#: Organizer names of one association read at most.
MAX_NAMES = 50


async def co_organisers(app: web.Application, aid: str) -> list[dict[str, Any]]:
    """``[{"id", "name", "url", "organizer"}]``: the associations named together with
    ``aid`` in one organizer field of the agenda, by name; none while the store of record
    or the directory cannot be read."""
    directory, stores = app.get(DIRECTORY), app[SITE].stores
    if directory is None or stores is None:
        return []
    doc = await directory.get(aid)
    if doc is None:
        return []
    records = stores.records
    found: dict[str, str] = {}
    for name in list(dict.fromkeys(doc.get("organizers") or ()))[:MAX_NAMES]:
        entry = await records.get(links.subject(records, links.link_id(links.ORGANIZER, name)))
        if entry is None:
            continue
        for named in links.effective(entry.record):
            if named["association"] != aid:
                found.setdefault(str(named["association"]), name)
    out = []
    for other, organizer in found.items():
        other_doc = await directory.get(other)
        if other_doc is not None:
            out.append({"id": other, "name": other_doc.get("name") or other,
                        "url": f"/associations/{other}", "organizer": organizer})
    return sorted(out, key=lambda x: str(x["name"]).casefold())
