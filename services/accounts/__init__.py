"""Accounts: people, passwordless sign-in by e-mailed link, sessions, roles, the outbox.

``setup(app, bus=..., connect=...)`` mounts the pages (:mod:`services.accounts.pages`) on the
site application, the session middleware (:mod:`services.accounts.web`) and the connection to
the store of record: ``bus`` when the caller has one (tests), else, with ``connect``, a
connection made in the background from the settings (the site serves searches meanwhile;
pages that need it answer 503 until it is there). Other domains (associations) reach the
stores through ``app[SITE]`` and register their hooks there before the app starts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import nats.errors
from aiohttp import web

from services.accounts.mail import MailQueue, Outbox, mailer_from
from services.accounts.pages import add_routes
from services.accounts.storage import Stores
from services.accounts.web import SESSION, SITE, Site, session_middleware
from services.query.context import SETTINGS
from services.query.web.respond import JINJA
from shared.bus import Bus

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC = HERE / "static"
ASSETS = "/assets/comptes"
CONNECT_RETRY = 2.0

__all__ = ["SITE", "Site", "add_templates", "setup"]


def add_templates(app: web.Application, directory: Path) -> None:
    """Let the site's Jinja environment find a domain's templates (``<domain>/x.html``)."""
    env = app[JINJA]
    loaders = [env.loader] if env.loader is not None else []
    env.loader = jinja2.ChoiceLoader([*loaders, jinja2.FileSystemLoader(directory)])


def setup(app: web.Application, *, bus: Bus | None = None, connect: bool = False) -> Site:
    settings = app[SETTINGS]
    mailer = mailer_from(settings)
    state = Site(settings, MailQueue(mailer), mailer if isinstance(mailer, Outbox) else None)
    app[SITE] = state
    add_templates(app, HERE / "templates")
    version = hashlib.blake2b((STATIC / "comptes.css").read_bytes(), digest_size=5).hexdigest()
    app[JINJA].globals["accounts_css"] = f"{ASSETS}/comptes.css?v={version}"
    app[JINJA].globals["session_key"] = SESSION  # base.html: "Se connecter" or "Mon compte"
    app.middlewares.append(session_middleware)
    add_routes(app)
    app.router.add_static(ASSETS, STATIC)

    async def run(app: web.Application) -> AsyncIterator[None]:
        async with state.mail.running():
            task = None
            if bus is not None:
                await _ready(state, bus)
            elif connect:
                task = asyncio.create_task(_connect(state))
            yield
            if task is not None:
                task.cancel()
                await asyncio.wait({task}, timeout=5)
                if state.stores is not None:
                    await state.stores.bus.close()

    app.cleanup_ctx.append(run)
    return state


#: Attempts of a start-up hook that the store of record did not answer (NATS restarting).
HOOK_ATTEMPTS = 4
#: Seconds between two attempts.
HOOK_RETRY_S = 2.0


async def _ready(state: Site, bus: Bus) -> None:
    stores = await Stores.open(bus, state.hooks)
    for hook in state.on_ready:
        name = getattr(hook, "__name__", "")
        for attempt in range(1, HOOK_ATTEMPTS + 1):
            try:
                await hook(stores)
                break
            except (nats.errors.Error, TimeoutError, ConnectionError) as exc:
                # NATS restarting (the supervisor heals it): the hooks (demo data) are
                # idempotent, so try again; one line each, not a traceback
                level = logging.WARNING if attempt < HOOK_ATTEMPTS else logging.ERROR
                log.log(level, "start-up hook: the store of record did not answer",
                        extra={"hook": name, "attempt": attempt, "error": repr(exc)})
                if attempt < HOOK_ATTEMPTS:
                    await asyncio.sleep(HOOK_RETRY_S)
            except Exception:  # a failed hook (demo data) must not keep accounts down
                log.exception("start-up hook failed", extra={"hook": name})
                break
    state.stores = stores


async def _reachable(servers: str) -> bool:
    """Whether one of the NATS servers accepts a TCP connection (a quiet probe: the client's
    own retries would log a line four times a second while NATS is down)."""
    for url in servers.split(","):
        parts = urlsplit(url.strip() if "://" in url else f"nats://{url.strip()}")
        try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
            async with asyncio.timeout(2):
                _, writer = await asyncio.open_connection(parts.hostname or "127.0.0.1",
                                                          parts.port or 4222)
        except (OSError, TimeoutError):
            continue
        writer.close()
        return True
    return False


async def _connect(state: Site) -> None:
    """Connect to NATS (retrying), declare the streams, then serve accounts."""
    warned = False
    while True:
        if not await _reachable(state.settings.nats_url):
            if not warned:
                log.warning("store of record unreachable at %s; accounts answer 503 until "
                            "it is (retrying every %.0f s)", state.settings.nats_url,
                            CONNECT_RETRY)
                warned = True
            await asyncio.sleep(CONNECT_RETRY)
            continue
        try:
            async with asyncio.timeout(10):
                bus = await Bus.from_settings(state.settings, name="site")
        except Exception as exc:  # noqa: BLE001 - any failure: try again
            log.warning("store of record: %s; retrying", exc or type(exc).__name__)
            await asyncio.sleep(CONNECT_RETRY)
            continue
        try:
            await bus.ensure()
            await _ready(state, bus)
        except Exception as exc:  # noqa: BLE001 - e.g. a JetStream timeout while the server restarts
            log.warning("store of record not ready: %s; retrying", exc or type(exc).__name__)
            await bus.close()
            await asyncio.sleep(CONNECT_RETRY)
            continue
        log.info("accounts connected to the store of record")
        return
