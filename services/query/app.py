"""The query service: ``create_app(settings, store)`` builds the aiohttp application.

Routes (:mod:`services.query.routes`): the JSON API under ``/v1`` (search, one event,
vocabularies, suggestions), exports of any search (``/v1/events.{ics,rss,jsonld,csv}``),
``/healthz``, ``/openapi.json`` and the French web page (:mod:`services.query.web`); the
domains people write to are mounted with their ``setup(app)``: :mod:`services.accounts`
(sign-in, sessions), :mod:`services.associations` (associations, membership, interests)
and :mod:`services.sources_self` (the sources associations add themselves).
HTTP behaviour (CORS, ETag/304, caching, gzip, rate limit, the one error shape) is in
:mod:`services.query.http`. The store is passed in, so tests give it a real SQLite file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from aiohttp import web

from services import (
    accounts,
    applications,
    associations,
    city_calls,
    network,
    skills,
    sources_self,
    venues,
)
from services.query.calls_routes import setup_calls
from services.query.context import (
    CLOCK,
    SETTINGS,
    STORE,
    TZ,
    Clock,
    base_url,
    json_response,
    public_item,
    run_search,
    search_query,
    utc_now,
)
from services.query.http import middlewares, setup_http
from services.query.routes import events, exports, meta, terms
from services.query.web.calls import setup_calls_web
from shared.bus import Bus
from shared.memory import freeze_heap
from shared.metrics import setup_metrics
from shared.settings import Settings
from shared.store.base import SearchStore
from shared.store.board_base import BOARD, BoardStore
from shared.store.factory import open_board_store

log = logging.getLogger(__name__)
#: Seconds between two background refreshes of the store's read structures.
WARM_INTERVAL = 1.0

__all__ = [
    "SETTINGS", "STORE", "TZ", "base_url", "create_app", "json_response", "public_item",
    "run_search", "search_query",
]


def create_app(settings: Settings, store: SearchStore, *, bus: Bus | None = None,
               connect: bool = False, clock: Clock | None = None,
               board: BoardStore | None = None) -> web.Application:
    """The site. What people write (accounts, associations) lives in NATS: ``bus`` is a
    connection the caller made (tests), ``connect`` makes one from the settings in the
    background (the service process); with neither, those pages answer 503. ``clock``
    (default: the system's) is the searches' and pages' ``now``. ``board`` (default: the
    configured one, :func:`~shared.store.factory.open_board_store`) is the domains' search
    store, ``app[BOARD]``."""
    app = web.Application(middlewares=middlewares(settings))
    setup_metrics(app, "query")
    app[STORE] = store
    app[SETTINGS] = settings
    app[TZ] = ZoneInfo(settings.timezone)
    app[CLOCK] = clock or utc_now
    app[BOARD] = board if board is not None else open_board_store(settings)
    setup_http(app, settings)
    for routes in (events, exports, terms, meta):
        routes.setup(app)
    from services.query.web import setup_web

    setup_web(app)
    setup_calls(app)
    city_calls.setup(app)  # before the call pages: /appels/publier is not a call's id
    setup_calls_web(app)
    # the domains people write to, each mounted with its setup(app)
    accounts.setup(app, bus=bus, connect=connect)
    associations.setup(app)
    sources_self.setup(app)
    network.setup(app)
    applications.setup(app)
    skills.setup(app)
    venues.setup(app)

    async def close_store(app: web.Application) -> None:
        await app[STORE].close()
        await app[BOARD].close()

    app.cleanup_ctx.append(keep_store_warm)
    app.on_cleanup.append(close_store)
    return app


async def keep_store_warm(app: web.Application) -> AsyncIterator[None]:
    """Prepare the store's read structures before the first request, then follow the
    indexer's writes every :data:`WARM_INTERVAL` seconds in the background. Structures
    built anew are frozen out of the garbage collector (:func:`shared.memory.freeze_heap`)."""
    store = app[STORE]
    if await store.warm():
        freeze_heap()

    async def loop() -> None:
        while True:
            await asyncio.sleep(WARM_INTERVAL)
            try:
                if await store.warm():  # a rebuilt index: out of the collector's way too
                    freeze_heap()
            except Exception:  # the next search reports it; keep following
                log.exception("store warm-up failed")

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
