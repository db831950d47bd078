"""Authenticated writes around calls: interest declarations and saved-search alerts.

Every write needs ``Authorization: Bearer mlg_<id>_<secret>``, a token an operator issued to an
association (``maillage token issue``); there are no anonymous writes. Interest declarations
by token are deprecated (answers carry a ``Deprecation`` header): members of an association
declare on the call's page, signed in; both are records of
:mod:`services.associations.interests`. The association's
name comes from its token, never from the body, so nobody can speak for another association.

Alerts: ``POST /v1/alerts {"url": "https://...", "query": {"theme": "culture", ...}}`` answers
the alert's ``id`` and its ``secret`` (``whsec_...``, shown once). The ingest service's sender
then POSTs each new matching call to ``url``, signed with Standard Webhooks using that secret.
The URL must pass the SSRF guard (public http/https address) now and at each delivery.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDict

from services.associations import interests
from services.harvester.safety import check_url
from services.query.calls_params import parse_call_query
from services.query.errors import ApiError
from shared.errors import FetchRefused
from shared.records import Records
from shared.store.calls_members import TokenInfo

MAX_BODY = 16 * 1024
#: The bearer path of interest declarations is kept for existing integrations only: members
#: of an association declare on the call's page, signed in (RFC 9745: deprecated since
#: 2026-12-02).
DEPRECATED = {"Deprecation": "@1796169600"}
MAX_ALERTS_PER_TOKEN = 50


def _store(request: web.Request) -> Any:
    from services.query.calls_routes import CALL_STORE

    return request.app[CALL_STORE]


def _records(request: web.Request) -> Records:
    """The store of record, where interests are kept (503 while it cannot be reached)."""
    from services.accounts.web import SITE

    stores = request.app[SITE].stores
    if stores is None:
        raise ApiError(503, "interest declarations are unavailable for now",
                       headers={"Retry-After": "30"})
    return stores.records


def authenticate(request: web.Request) -> TokenInfo:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "an association token is required (Authorization: Bearer ...)",
                       headers={"WWW-Authenticate": 'Bearer realm="maillage"'})
    who: TokenInfo | None = _store(request).check_token(token.strip())
    if who is None:
        raise ApiError(401, "invalid or revoked token", code="invalid_token",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return who


async def json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise ApiError(415, "content type must be application/json")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"body larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "body is not valid JSON", code="invalid_json",
                       details={"reason": str(exc)}) from None
    if not isinstance(data, dict):
        raise _invalid([{"path": "$", "reason": "must be an object"}])
    return data


def _invalid(errors: list[dict[str, str]]) -> ApiError:
    return ApiError(422, f"{len(errors)} invalid field(s)", code="invalid_body",
                    details={"errors": errors})


def _text(data: dict[str, Any], key: str, limit: int, errors: list[dict[str, str]]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        errors.append({"path": key, "reason": "is required (a non-empty string)"})
        return ""
    if len(value) > limit:
        errors.append({"path": key, "reason": f"must be at most {limit} characters"})
    return value.strip()


async def declare_interest(request: web.Request) -> web.Response:
    who = authenticate(request)
    store = _store(request)
    cid = request.match_info["id"]
    call = await store.get(cid)
    if call is None:
        raise ApiError(404, "no such call", details={"id": cid})
    data = await json_body(request)
    errors: list[dict[str, str]] = []
    contact = _text(data, "contact", 300, errors)
    brings = _text(data, "brings", 2000, errors)
    if errors:
        raise _invalid(errors)
    if call["status"] == "closed":
        raise ApiError(409, "this call is closed", code="call_closed")
    if not call.get("joint_welcome"):
        raise ApiError(409, "this call does not welcome joint applications",
                       code="joint_not_welcome")
    interest = await interests.declare(_records(request), cid, f"tok-{who.token_id}",
                                       who.association, contact, brings,
                                       actor=f"token:{who.token_id}")
    return web.json_response({"item": interest}, status=201, headers=DEPRECATED)


async def withdraw_interest(request: web.Request) -> web.Response:
    who = authenticate(request)
    if not await interests.withdraw(_records(request), request.match_info["id"],
                                    f"tok-{who.token_id}", actor=f"token:{who.token_id}"):
        raise ApiError(404, "no interest of yours on this call")
    return web.json_response({"withdrawn": True})


def _query_pairs(raw: Any) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise _invalid([{"path": "query", "reason": "must be an object of search parameters"}])
    pairs: list[tuple[str, str]] = []
    for key, value in raw.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise _invalid([{"path": f"query.{key}", "reason": "must be text"}])
            pairs.append((str(key), str(item)))
    return [(k, v) for k, v in pairs if k not in ("cursor", "limit", "sort", "facets")]


async def create_alert(request: web.Request) -> web.Response:
    from services.query.calls_routes import ALLOW_PRIVATE
    from services.query.context import TZ

    who = authenticate(request)
    store = _store(request)
    data = await json_body(request)
    errors: list[dict[str, str]] = []
    url = _text(data, "url", 2000, errors)
    if errors:
        raise _invalid(errors)
    try:
        check_url(url, request.app[ALLOW_PRIVATE])
    except FetchRefused as exc:
        raise _invalid([{"path": "url", "reason": exc.message}]) from None
    pairs = _query_pairs(data.get("query"))
    try:  # the saved search must be valid now, not fail at every delivery
        parse_call_query(MultiDict(pairs), tz=request.app[TZ], now=datetime.now(UTC))
    except ApiError as exc:
        details = exc.body_data["error"]["details"]
        raise _invalid([{"path": f"query.{details.get('parameter')}",
                         "reason": details.get("reason", "invalid")}]) from None
    if len(store.alerts(who.token_id)) >= MAX_ALERTS_PER_TOKEN:
        raise ApiError(409, f"at most {MAX_ALERTS_PER_TOKEN} alerts per token",
                       code="too_many_alerts")
    alert = store.add_alert(who, url, pairs, await store.max_seq())
    return web.json_response(
        {"id": alert["id"], "url": url, "query": dict_of(pairs), "secret": alert["secret"]},
        status=201)


def dict_of(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


async def list_alerts(request: web.Request) -> web.Response:
    who = authenticate(request)
    items = [
        {"id": a["id"], "url": a["url"], "query": dict_of(a["query"]), "created": a["created"],
         "failures": a["failures"], "disabled": a["disabled"], "last_error": a["last_error"]}
        for a in _store(request).alerts(who.token_id)
    ]
    return web.json_response({"items": items})


async def delete_alert(request: web.Request) -> web.Response:
    who = authenticate(request)
    if not _store(request).delete_alert(request.match_info["id"], who.token_id):
        raise ApiError(404, "no such alert")
    return web.json_response({"deleted": True})


def setup_social(app: web.Application) -> None:
    app.router.add_post("/v1/calls/{id}/interests", declare_interest)
    app.router.add_delete("/v1/calls/{id}/interests", withdraw_interest)
    app.router.add_post("/v1/alerts", create_alert)
    app.router.add_get("/v1/alerts", list_alerts)
    app.router.add_delete("/v1/alerts/{id}", delete_alert)
