"""The seeded site of tests/e2e/site.py with the store of record: its own nats-server, demo
mode on (demo associations, the outbox page), links in mails pointing at the site."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from services.query.app import create_app
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from shared.settings import Settings


def accounts_site(base: Any) -> Any:
    """A subclass of ``site.Site`` (the module loaded by the e2e conftest)."""

    class AccountsSite(base.Site):  # type: ignore[misc,name-defined]
        def __init__(self, data_dir: Path, **kw: Any) -> None:
            super().__init__(data_dir, hostile=False, **kw)
            self.data_dir = data_dir
            self.nats = NatsServer(data_dir / "nats", free_port())
            self.settings = Settings({**self.settings.as_dict(), "demo": True,
                                      "public_url": self.url,
                                      "nats_url": self.nats.url})
            self.bus: Bus | None = None

        async def _start(self) -> None:
            self.bus = await Bus.connect(self.nats.url, name="e2e")
            await self.bus.ensure()
            original = base.create_app

            def with_bus(settings: Settings, store: Any) -> Any:
                return create_app(settings, store, bus=self.bus)

            base.create_app = with_bus
            try:
                await super()._start()
            finally:
                base.create_app = original

        def start(self) -> Any:
            self.nats.start()
            return super().start()

        def run(self, coro: Any) -> Any:
            """Run ``coro`` on the site's loop (to grant roles, read records)."""
            return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

        def stop(self) -> None:
            try:
                if self.bus is not None:
                    self.run(self.bus.close())
                super().stop()
            finally:
                self.nats.stop()

        def last_link(self) -> str:
            files = sorted((self.data_dir / "outbox").glob("*.eml"))
            text = files[-1].read_text()
            start = text.index(self.url + "/connexion/lien?jeton=")
            return text[start:].split()[0]

    return AccountsSite
