"""End to end: a real nats-server, the real site and the indexer's real board consumer (its
own SQLite connection to the site's board file, as the indexer process has). Written
through the site's forms, an application is found by the list API, the list page and its
call's page; a partner accepted shows on its card."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from services.accounts.web import SITE
from services.indexer.board_consumer import BoardIndexer
from services.query.context import SETTINGS
from shared.store.board_sqlite import SqliteBoard
from shared.store.factory import board_sqlite_path
from tests.integration.accounts.conftest import Site
from tests.integration.accounts.test_interests import a_call

from .test_pages import member_of

pytestmark = pytest.mark.integration
APP_URL = re.compile(r"/candidatures/([a-z0-9-]+)\?fait=ouverte")


@pytest.fixture
async def indexer(site: Site) -> AsyncIterator[BoardIndexer]:
    board = SqliteBoard(board_sqlite_path(site.app[SETTINGS]))
    consumer = BoardIndexer(site.app[SITE].ready().bus, board, None, batch_size=16)
    task = asyncio.create_task(consumer.run(idle_timeout=0.2))
    try:
        yield consumer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await board.close()


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(30):
        while not await check():  # noqa: ASYNC110 - polling the site
            await asyncio.sleep(0.1)


async def test_written_through_the_form_found_on_the_list_and_the_call(
        site: Site, browser: Any, indexer: BoardIndexer) -> None:
    cid = await a_call(site)
    lead = await member_of(site, browser, "camille@velo-solidaire.test", "velo-solidaire")
    form = f"/candidatures/nouvelle?appel={cid}"
    resp = await lead.post(form, {
        "association": "velo-solidaire", "title": "Jardins à vélo",
        "summary": "Relier les jardins partagés par des balades.", "quartiers": "Le Blosne",
        "themes": "environnement"}, token_from=form)
    match = APP_URL.search(str(resp.url))
    assert resp.status == 200 and match, await resp.text()
    app_id = match.group(1)
    visitor = await browser()

    async def api(query: str) -> dict[str, Any]:
        async with visitor.session.get(f"{site.url}/v1/applications?{query}",
                                       headers={"Accept": "application/json"}) as r:
            assert r.status == 200, await r.text()
            body: dict[str, Any] = await r.json()
            return body

    async def listed() -> bool:
        return [i["id"] for i in (await api(f"call={cid}&seeking=yes"))["items"]] == [app_id]

    await until(listed)
    status, html = await lead.get("/compte")  # the account page lists its association's
    assert status == 200 and f'href="/candidatures/{app_id}"' in html
    item = (await api("q=balades"))["items"][0]
    assert item["lead_name"] == "Roazhon Vélo Solidaire" and item["call_title"]
    status, html = await visitor.get("/candidatures?quartier=Le+Blosne&ouvertes=oui")
    assert status == 200 and "Jardins à vélo" in html
    status, html = await visitor.get(f"/appels/{cid}")
    assert "Jardins à vélo" in html and "Monter une candidature commune" in html

    other = await member_of(site, browser, "lou@jardins-blosne.test", "jardins-blosne")
    page = f"/candidatures/{app_id}"
    await other.post(f"{page}/rejoindre", {"association": "jardins-blosne",
                                           "message": "Avec plaisir."}, token_from=page)
    await lead.post(f"{page}/partenaires", {"association": "jardins-blosne",
                                            "action": "accept"}, token_from=page)

    async def partnered() -> bool:
        items = (await api("q=balades"))["items"]
        return bool(items) and [p["id"] for p in items[0]["partners"]] == ["jardins-blosne"]

    await until(partnered)
