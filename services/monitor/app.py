"""The monitor: harvester health for operators, behind HTTP basic authentication."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

from services.monitor.tracker import Tracker
from services.query.errors import ApiError, error_middleware

TRACKER = web.AppKey("tracker", Tracker)
CREDENTIALS = web.AppKey("credentials", tuple)

STATE_FR = {"ok": "en forme", "degraded": "dégradée", "failing": "en échec",
            "disabled": "désactivée", "unknown": "inconnue"}


def check_auth(request: web.Request) -> None:
    user, password = request.app[CREDENTIALS]
    header = request.headers.get("Authorization", "")
    challenge = {"WWW-Authenticate": 'Basic realm="maillage-monitor", charset="UTF-8"'}
    if not header.startswith("Basic "):
        raise ApiError(401, "authentication required", headers=challenge)
    try:
        given_user, _, given_password = base64.b64decode(header[6:], validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(401, "malformed credentials", headers=challenge) from None
    ok_user = hmac.compare_digest(given_user.encode(), user.encode())
    ok_password = hmac.compare_digest(given_password.encode(), password.encode())
    if not (ok_user and ok_password and password):
        raise ApiError(401, "wrong credentials", headers=challenge)


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path != "/healthz":
        check_auth(request)
    return await handler(request)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def sources_json(request: web.Request) -> web.Response:
    return web.json_response({"sources": request.app[TRACKER].summary()})


async def dashboard(request: web.Request) -> web.Response:
    rows = []
    for src in request.app[TRACKER].summary():
        last = src["last_harvest"] or {}
        error = last.get("error_message") or ""
        rows.append(
            f"<tr><td>{escape(src['source_id'])}</td>"
            f"<td class='{src['state']}'>{STATE_FR[src['state']]}</td>"
            f"<td>{src['events']}</td><td>{escape(src['last_success'] or '—')}</td>"
            f"<td>{escape(error)}</td></tr>"
        )
    html = (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
        "<title>Maillage — état des sources</title></head><body>"
        "<h1>État des sources moissonnées</h1><table><caption>Sources</caption>"
        "<thead><tr><th scope='col'>Source</th><th scope='col'>État</th>"
        "<th scope='col'>Événements</th><th scope='col'>Dernier succès</th>"
        "<th scope='col'>Dernière erreur</th></tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></body></html>"
    )
    return web.Response(text=html, content_type="text/html")


def create_app(tracker: Tracker, user: str, password: str) -> web.Application:
    app = web.Application(middlewares=[error_middleware, auth_middleware])
    app[TRACKER] = tracker
    app[CREDENTIALS] = (user, password)
    app.router.add_get("/healthz", health)
    app.router.add_get("/v1/sources", sources_json)
    app.router.add_get("/", dashboard)
    return app
