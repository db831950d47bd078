"""The saved-search alert sender: new matching calls, POSTed to subscribers, signed.

Every ``MAILLAGE_ALERT_INTERVAL`` seconds, for each active alert, the calls first seen after
the alert's ``last_seq`` that match its saved search are sent in one POST::

    {"type": "calls.new", "alert_id": "al_...", "items": [<call>, ...]}

signed with Standard Webhooks (the alert's own ``whsec_`` secret; ``webhook-id`` is
``<alert id>.<newest seq>``, so a retry of the same delivery carries the same id). Delivery
goes through the harvester's SSRF guard: the URL is checked, every address the host resolves
to must be public (unless ``MAILLAGE_ALLOW_PRIVATE``), redirects are not followed. A 2xx moves
``last_seq`` forward; anything else is retried next round, and an alert failing
``MAX_ALERT_FAILURES`` times in a row is disabled.

A failure is recorded for ``GET /v1/alerts`` as its kind only (:func:`error_kind`:
``refused_address``, ``dns``, ``timeout``, ``http_500``...), never as the error's text: that
text names what the resolver answered ("db.internal resolves to 10.0.3.7"), which would
let anyone with a token map the internal network. The full error goes to the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from multidict import MultiDict

from services.harvester.fetch_errors import map_client_error
from services.harvester.fetcher import GuardedResolver
from services.harvester.safety import Resolver, SystemResolver, check_url
from services.ingest.signatures import sign
from shared.errors import MaillageError
from shared.settings import Settings
from shared.store.calls_base import CallSort, CallsStore

log = logging.getLogger(__name__)

MAX_ITEMS = 50
#: Tokens whose alerts are delivered at the same time (each token's own alerts go in turn).
TOKENS_AT_ONCE = 16
USER_AGENT = "Maillage-alerts/0.1"


class SubscriberRefused(MaillageError):
    """The subscriber answered, but not with a 2xx."""


def error_kind(exc: BaseException) -> str:
    """What went wrong, as a short code that reveals nothing of the network."""
    if isinstance(exc, MaillageError):
        return exc.kind
    return map_client_error(exc, "").kind


class AlertSender:
    def __init__(self, store: CallsStore, *, allow_private: bool = False,
                 resolver: Resolver | None = None, timezone: str = "Europe/Paris",
                 timeout: float = 10.0) -> None:
        self.store = store
        self.allow_private = allow_private
        self.tz = ZoneInfo(timezone)
        self._resolver = resolver or SystemResolver()
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self._resolver, self.allow_private),
                use_dns_cache=False, force_close=True,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=self._timeout),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def run_once(self) -> int:
        """One round over every active alert; returns the number of deliveries made.

        Each token's alerts are delivered in turn and the tokens side by side (at most
        :data:`TOKENS_AT_ONCE`), so a subscriber that answers slowly delays only the alerts
        of the token that saved it, never the others'."""
        by_token: dict[str, list[dict[str, Any]]] = {}
        for alert in self.store.alerts():
            by_token.setdefault(str(alert.get("token_id")), []).append(alert)
        slots = asyncio.Semaphore(TOKENS_AT_ONCE)

        async def in_turn(alerts: list[dict[str, Any]]) -> int:
            async with slots:
                return sum([await self.run_alert(alert) for alert in alerts])

        return sum(await asyncio.gather(*(in_turn(a) for a in by_token.values())))

    async def run_alert(self, alert: dict[str, Any]) -> bool:
        """Deliver what is new for one alert; True when a delivery was made."""
        from services.query.calls_params import parse_call_query

        try:
            query = parse_call_query(
                MultiDict(alert["query"]), tz=self.tz, now=datetime.now(UTC),
                after_seq=alert["last_seq"], sort=CallSort.NEW, limit=MAX_ITEMS, strict=False,
            )
        except Exception:  # a saved search no longer valid
            self.store.alert_failed(alert["id"], "invalid_search")
            return False
        page = await self.store.search(query)
        if not page.items:
            return False
        newest = max(item["seq"] for item in page.items)
        try:
            await self.deliver(alert, page.items, newest)
        except Exception as exc:
            kind = error_kind(exc)
            log.warning("alert delivery failed", extra={
                "alert_id": alert["id"], "url": alert["url"], "kind": kind,
                "error": repr(exc)})
            self.store.alert_failed(alert["id"], kind)
            return False
        self.store.alert_delivered(alert["id"], newest)
        return True

    async def deliver(self, alert: dict[str, Any], items: list[dict[str, Any]],
                      newest: int) -> None:
        target = check_url(alert["url"], self.allow_private)
        body = json.dumps(
            {"type": "calls.new", "alert_id": alert["id"], "items": items},
            ensure_ascii=False, separators=(",", ":"),
        ).encode()
        headers = sign(alert["secret"], f"{alert['id']}.{newest}", int(time.time()), body)
        headers["Content-Type"] = "application/json"
        async with self.session().post(target.url, data=body, headers=headers,
                                       allow_redirects=False) as resp:
            if not 200 <= resp.status < 300:
                raise SubscriberRefused(f"subscriber answered HTTP {resp.status}",
                                        kind=f"http_{resp.status}")


async def run_alerts(settings: Settings, store: CallsStore) -> None:
    """Run the sender every MAILLAGE_ALERT_INTERVAL seconds until cancelled (0: never)."""
    if settings.alert_interval <= 0:
        return
    sender = AlertSender(store, allow_private=settings.allow_private,
                         timezone=settings.timezone)
    try:
        while True:
            try:
                await sender.run_once()
            except Exception:
                log.exception("alert round failed")
            await asyncio.sleep(settings.alert_interval)
    finally:
        await sender.close()
