"""End to end: a post written through the site's form reaches the board through the
indexer's real board consumer (real nats-server, real SQLite board) and is found by the
search page and ``GET /v1/skills``; a need's page shows the offers that answer it; a closed
post leaves the search."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from services.indexer import board_domains
from services.indexer.board_consumer import BoardIndexer
from shared.bus import Bus
from shared.store.board_base import BOARD
from shared.store.board_sqlite import SqliteBoard
from shared.store.factory import board_sqlite_path

from .conftest import Browser, Site
from .test_skills_pages import create_need, member, send

pytestmark = pytest.mark.integration


@asynccontextmanager
async def indexing(site: Site, bus: Bus) -> AsyncIterator[None]:
    """The indexer's board consumer, writing the site's board file."""
    from services.accounts.web import SITE

    board = SqliteBoard(board_sqlite_path(site.app[SITE].settings))
    indexer = BoardIndexer(bus, board, None, by_kind=board_domains.projections())
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await board.close()


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(30):
        while not await check():  # noqa: ASYNC110 - polling the search
            await asyncio.sleep(0.1)


async def api(browser: Browser, path: str) -> tuple[int, Any]:
    async with browser.session.get(browser.base + path) as resp:
        return resp.status, await resp.json()


async def test_a_need_written_in_the_form_is_found_and_matched(site: Site, bus: Bus,
                                                               browser: Any) -> None:
    assert board_domains.DOMAINS.count("services.skills.project") == 1
    async with indexing(site, bus):
        camille = await member(site, browser)
        need = await create_need(site, camille)
        offer = [("type", "offre"), ("association", "velo-solidaire"),
                 ("title", "Notre graphiste prête main-forte"), ("skills", "graphisme"),
                 ("modes", "sur_place")]
        resp = await send(camille, "/competences/nouveau", offer,
                          token_from="/competences/nouveau")
        assert resp.status == 200
        offer_key = resp.url.path.rsplit("/", 1)[1]
        visitor = await browser()

        async def both_found() -> bool:
            await site.app[BOARD].settle()
            status, body = await api(visitor, "/v1/skills?skill=graphisme")
            return status == 200 and {need, offer_key} <= {i["id"] for i in body["items"]}

        await until(both_found)
        status, body = await api(visitor, "/v1/skills?type=besoin&q=affiche"
                                          "&association=velo-solidaire"
                                          "&from=2027-02-01&to=2027-02-28")
        assert status == 200 and [i["id"] for i in body["items"]] == [need]
        item = body["items"][0]
        assert "author" not in item and "p_" not in repr(item)
        status, body = await api(visitor, "/v1/skills?type=besoin&facets=true"
                                          "&association=velo-solidaire")
        counts = {f["value"]: f["count"] for f in body["facets"]["type"]}
        assert counts == {"besoin": 1, "offre": 2}  # the demo's offer and this one
        status, body = await api(visitor, "/v1/skills?type=besoin&from=2027-05-01")
        assert body["items"] == []  # the need ends on 31 March
        status, body = await api(visitor, "/v1/skills?type=stage")
        assert status == 400 and body["error"]["details"]["parameter"] == "type"

        status, html = await visitor.get("/competences?type=besoin&competence=graphisme")
        assert status == 200 and f'href="/competences/{need}"' in html
        assert f'href="/competences/{offer_key}"' not in html
        status, html = await visitor.get(f"/competences/{need}")
        assert "Des offres qui y répondent" in html
        assert f'href="/competences/{offer_key}"' in html
        status, html = await visitor.get("/competences?association=velo-solidaire")
        assert f'href="/competences/{need}"' in html
        status, html = await visitor.get("/competences?du=hier")
        assert status == 400 and "AAAA-MM-JJ" in html

        resp = await send(camille, f"/competences/{need}/etat", [("state", "clos")],
                          token_from=f"/competences/{need}")
        assert resp.status == 200

        async def gone() -> bool:
            await site.app[BOARD].settle()
            _, body = await api(visitor, "/v1/skills?type=besoin&skill=graphisme")
            return need not in {i["id"] for i in body["items"]}

        await until(gone)
        status, body = await api(visitor, f"/v1/skills/{need}")
        assert status == 200 and body["item"]["state"] == "clos"  # the record stays
