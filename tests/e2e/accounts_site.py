"""The seeded site of tests/e2e/site.py with the store of record: its own nats-server, demo
mode on (demo associations, the outbox page), links in mails pointing at the site, and an
association's calendar served on loopback (``calendar_url``) for its own sources."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from services.query.app import create_app
from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from shared.settings import Settings


def calendar(first: date) -> str:
    """The association's own calendar: a workshop every week, in Europe/Paris."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//velo-solidaire//FR",
             "X-WR-TIMEZONE:Europe/Paris"]
    for n, title in enumerate(("Atelier d’autoréparation", "Balade à vélo au bord de la Vilaine",
                               "Atelier d’autoréparation", "Bourse aux vélos",
                               "Atelier d’autoréparation", "Vélo-école pour adultes")):
        day = first + timedelta(days=7 * n + 2)
        lines += ["BEGIN:VEVENT", f"UID:rvs-{n}@velo-solidaire.test", "DTSTAMP:20260101T000000Z",
                  f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T180000",
                  f"DTEND;TZID=Europe/Paris:{day:%Y%m%d}T200000", f"SUMMARY:{title}",
                  "LOCATION:Atelier du vélo\\, 12 rue de Paris\\, Rennes", "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


def accounts_site(base: Any) -> Any:
    """A subclass of ``site.Site`` (the module loaded by the e2e conftest)."""

    class AccountsSite(base.Site):  # type: ignore[misc,name-defined]
        def __init__(self, data_dir: Path, **kw: Any) -> None:
            super().__init__(data_dir, hostile=False, **kw)
            self.data_dir = data_dir
            self.nats = NatsServer(data_dir / "nats", free_port())
            self.settings = Settings({**self.settings.as_dict(), "demo": True,
                                      "public_url": self.url, "allow_private": True,
                                      "nats_url": self.nats.url})
            self.bus: Bus | None = None
            self.calendar_port = free_port()
            self.calendar_url = f"http://127.0.0.1:{self.calendar_port}/agenda.ics"

        async def _start(self) -> None:
            self.bus = await Bus.connect(self.nats.url, name="e2e")
            await self.bus.ensure()
            original = base.create_app

            def with_bus(settings: Settings, store: Any, **kw: Any) -> Any:
                return create_app(settings, store, bus=self.bus, **kw)

            base.create_app = with_bus
            try:
                await super()._start()
            finally:
                base.create_app = original
            body = calendar(date.today())

            async def agenda(request: web.Request) -> web.Response:
                return web.Response(text=body, content_type="text/calendar")

            app = web.Application()
            app.router.add_get("/agenda.ics", agenda)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.calendar_port).start()
            self._runners.append(runner)

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
