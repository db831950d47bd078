"""The monitor's HTTP application: harvester health for operators, behind basic authentication.

Routes (all but ``/healthz`` and ``/metrics`` need the operator's credentials, else 401):

    GET  /                           dashboard: every source, sortable and filterable by state
    GET  /source/{id}                one source: reasons, recent harvests, skipped items
    POST /source/{id}/harvest        "harvest now" (form button; same-origin only)
    GET  /v1/sources, /v1/sources/{id}   the same as JSON
    POST /v1/sources/{id}/harvest    "harvest now" for scripts
    GET  /v1/alerts, /alerts.rss     current alerts as JSON and RSS
    GET  /metrics                    Prometheus metrics (no credentials: scraped by Prometheus)
    GET  /healthz                    liveness
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from services.monitor.alerts import AlertPolicy
from services.monitor.backlog import BusHealth
from services.monitor.metrics import monitor_registry
from services.monitor.tracker import Tracker
from services.query.errors import ApiError, error_middleware
from shared.metrics import setup_metrics
from shared.ratelimit import RateLimiter

Enqueue = Callable[[str], Awaitable[bool]]


@dataclass
class Monitor:
    """What the handlers need; built by the service, or by tests with fakes."""

    tracker: Tracker
    bus: BusHealth
    alert_policy: AlertPolicy
    enqueue: Enqueue | None = None  # queue a harvest of a source now; None: not available


MONITOR = web.AppKey("monitor", Monitor)
CREDENTIALS = web.AppKey("credentials", tuple)
FAILURES = web.AppKey("failed_sign_ins", RateLimiter)
REGISTRY_KEY = web.AppKey("monitor_registry", CollectorRegistry)

OPEN_PATHS = frozenset({"/healthz", "/metrics"})
# Wrong credentials a client may send: 10 at once, then one every 6 s (10 a minute). A
# client past it is refused with 429 before its credentials are read, right or wrong, so
# the answer tells a guesser nothing.
FAILURE_RATE, FAILURE_BURST = 1 / 6, 10
CHALLENGE = {"WWW-Authenticate": 'Basic realm="maillage-monitor", charset="UTF-8"'}


def check_auth(request: web.Request) -> None:
    failures = request.app[FAILURES]
    client = request.remote or ""
    wait = failures.wait(client)
    if wait > 0:
        retry = failures.retry_after(wait)
        raise ApiError(429, "too many wrong credentials: wait before trying again",
                       details={"retry_after": int(retry)}, headers={"Retry-After": retry})
    try:
        _check_credentials(request)
    except ApiError as exc:
        if exc.status == 401 and "Authorization" in request.headers:
            failures.take(client)
        raise


def _check_credentials(request: web.Request) -> None:
    user, password = request.app[CREDENTIALS]
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        raise ApiError(401, "authentication required", headers=CHALLENGE)
    try:
        given_user, _, given_password = base64.b64decode(header[6:], validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "malformed credentials", headers=CHALLENGE) from None
    ok_user = hmac.compare_digest(given_user.encode(), user.encode())
    ok_password = hmac.compare_digest(given_password.encode(), password.encode())
    if not (ok_user and ok_password and password):
        raise ApiError(401, "wrong credentials", headers=CHALLENGE)


def check_same_origin(request: web.Request) -> None:
    """Refuse a state-changing request sent by another site (the browser keeps basic auth).

    A browser names the requesting site in ``Sec-Fetch-Site`` (recent ones) and ``Origin``;
    ``Origin: null`` is what a sandboxed frame or a page opened from a ``data:`` URL sends,
    so it is refused too (a same-origin form always names this origin). Scripts send
    neither header.
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise ApiError(403, "cross-site request refused")
    origin = request.headers.get("Origin")
    if origin and (origin == "null" or urlsplit(origin).netloc != request.host):
        raise ApiError(403, "cross-site request refused")


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path not in OPEN_PATHS:
        check_auth(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            check_same_origin(request)
    response = await handler(request)
    if request.path not in OPEN_PATHS:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'",
    )
    return response


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(REGISTRY) + generate_latest(request.app[REGISTRY_KEY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(monitor: Monitor, user: str, password: str) -> web.Application:
    from services.monitor import views

    app = web.Application(middlewares=[security_headers, error_middleware, auth_middleware])
    setup_metrics(app, "monitor", handler=metrics)
    app[MONITOR] = monitor
    app[CREDENTIALS] = (user, password)
    app[FAILURES] = RateLimiter(FAILURE_RATE, FAILURE_BURST)
    app[REGISTRY_KEY] = monitor_registry(monitor.tracker, monitor.bus)
    app.router.add_get("/healthz", health)
    views.add_routes(app)
    return app
