"""Backends and event factories for the store contract suite.

``BACKENDS`` always holds ``sqlite`` and ``elasticsearch-standin``: the Elasticsearch store
talking to the stand-in node of the unit tests (``tests/unit/store/fake_elastic.py``, an
aiohttp server answering the REST API as Elasticsearch documents it), which runs the
Elasticsearch store's own logic through the whole contract but is no Elasticsearch.
``elasticsearch`` is added only when ``ELASTICSEARCH_URL`` is set. When it is not set, that
parameter is simply not generated (rather than reported as a skip that would look like
coverage): run the suite with ``ELASTICSEARCH_URL`` pointing at a disposable cluster
(Elasticsearch 9.5, see docs/scaling.md) to check that backend. Every test gets its own index.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.model import PARIS, Event, EventMessage, Location, Occurrence, ThemeTag
from shared.store.base import SearchStore

ES_URL = os.environ.get("ELASTICSEARCH_URL")
BACKENDS = ["sqlite", "elasticsearch-standin", *(["elasticsearch"] if ES_URL else [])]

BASE_DAY = date.today() + timedelta(days=10)


def at(day: int = 0, hour: int = 18, minute: int = 0) -> datetime:
    """A Paris time ``day`` days after BASE_DAY."""
    d = BASE_DAY + timedelta(days=day)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=PARIS)


def place(name: str = "Salle de la Cité", lat: float = 48.1115, lon: float = -1.6795,
          quartier: str | None = "Centre", commune: str | None = "Rennes",
          address: str | None = "10 rue Saint-Louis", precision: str | None = "venue") -> Location:
    return Location(name=name, address=address, city="Rennes", lat=lat, lon=lon,
                    quartier=quartier, commune=commune, precision=precision)


@asynccontextmanager
async def open_backend(name: str, tmp: Path) -> AsyncIterator[SearchStore]:
    store: Any
    async with contextlib.AsyncExitStack() as stack:
        if name == "sqlite":
            from shared.store.sqlite import SqliteStore

            store = SqliteStore(tmp / f"{uuid.uuid4().hex}.sqlite")
        else:
            from shared.store.elastic import ElasticStore
            from tests.unit.store.fake_elastic import running

            url = ES_URL if name == "elasticsearch" else (
                await stack.enter_async_context(running())).url
            assert url
            store = ElasticStore(url, f"maillage-contract-{uuid.uuid4().hex[:12]}",
                                 refresh=True)
            await store.reset()
        try:
            yield store
        finally:
            if name != "sqlite":
                await store.drop()
            await store.close()


@asynccontextmanager
async def elastic_backend(backend: str, make: Callable[[str], Any]) -> AsyncIterator[Any]:
    """A store of a records' projection, ``make(url)``, on the stand-in node, or on
    ``ELASTICSEARCH_URL`` (``backend == "elasticsearch"``: emptied first, dropped after)."""
    from tests.unit.store.fake_elastic import running

    if backend == "elasticsearch":
        assert ES_URL
        store = make(ES_URL)
        await store.reset()
        try:
            yield store
        finally:
            await store.drop()
            await store.close()
        return
    async with running() as fake:
        store = make(fake.url)
        try:
            yield store
        finally:
            await store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(backend: str, tmp_path: Path) -> AsyncIterator[SearchStore]:
    async with open_backend(backend, tmp_path) as opened:
        yield opened


class Factory:
    """Builds events and messages with growing versions."""

    at = staticmethod(at)
    place = staticmethod(place)

    def __init__(self) -> None:
        self.version = 1_000

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def event(self, uid: str, title: str = "Atelier", *, source: str = "s1", day: int = 0,
              hour: int = 18, minute: int = 0, hours: float = 2, starts: list[datetime] | None
              = None, themes: tuple[str, ...] = (), **kw: Any) -> Event:
        first = at(day, hour, minute)
        occ = [Occurrence(start=s, end=s + timedelta(hours=hours)) for s in (starts or [first])]
        kw.setdefault("location", place())
        kw.setdefault("source_format", "ics")
        return Event.create(
            source_id=source, source_uid=uid, title=title, occurrences=tuple(occ),
            themes=tuple(ThemeTag(t, "test") for t in themes), **kw,
        )

    def upsert(self, event: Event, version: int | None = None) -> EventMessage:
        return EventMessage.upsert(event, version or self.next_version())

    def retract(self, event: Event, version: int | None = None) -> EventMessage:
        return EventMessage.retract(event.id, event.source_id, version or self.next_version(),
                                    "gone")


@pytest.fixture
def make() -> Factory:
    return Factory()


@pytest.fixture
def backend_factory(tmp_path: Path) -> Callable[[str], Any]:
    return lambda name: open_backend(name, tmp_path)
