"""The push routes: publishers send calls for projects, signed with Standard Webhooks.

    POST   /v1/push/{publisher}/calls                                one call or a batch
    DELETE /v1/push/{publisher}/calls/{id}                           withdraw a call
    POST   /v1/push/{publisher}/calls/{id}/interests/{iid}/hide      hide an interest entry

Signatures (:mod:`services.ingest.signatures`): a POST of calls signs its body (Standard
Webhooks as is); a withdrawal or a hide has no body (400 if it carries one) and signs its
method and path, ``DELETE /v1/push/ville/calls/2026-001``: a leaked signature of one cannot
withdraw or hide another record, even replayed before the first reached the replay cache.

Order of the checks, each refusing before any further work: content type (415), declared
and actual size (413), a body that does not arrive within ``MAILLAGE_PUSH_READ_TIMEOUT``
(408), a body where none belongs (400), signature and timestamp (401), the publisher's rate
(429 with Retry-After), a replayed webhook-id (409), JSON (400), validation (422, every
field path and reason). The answer is 202 only once every message has its PubAck
from JetStream.

Replays are refused across ingest replicas by two mechanisms: the NATS KV bucket
``push_seen`` remembers each accepted webhook-id (pushes, withdrawals and hides) for
``MAILLAGE_PUSH_REPLAY_TTL`` seconds, and
each message is published with ``Nats-Msg-Id = push.<publisher>.<webhook-id>.<n>`` so the
stream itself drops a duplicate that races past the KV check. A webhook-id is recorded only
after its PubAck, so a sender retrying after a 503 is not taken for a replay.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from services.associations import interests
from services.ingest.signatures import SignatureError, target_payload, verify
from services.ingest.validate import ValidationFailed, parse_calls
from services.query.errors import ApiError
from shared.bus import Bus
from shared.calls import CallMessage, call_id, calls_subject
from shared.model import now_version
from shared.ratelimit import RateLimiter
from shared.records import Records

log = logging.getLogger(__name__)

REPLAY_BUCKET = "push_seen"


class Versions:
    """Strictly growing versions within this process (clock microseconds)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last = max(self._last + 1, now_version())
        return self._last


@dataclass
class PushState:
    bus: Bus
    secrets: dict[str, tuple[bytes, ...]]
    max_bytes: int
    tolerance: float
    replay_ttl: float
    limiter: RateLimiter
    read_timeout: float = 30.0
    versions: Versions = field(default_factory=Versions)
    seen: KeyValue | None = None

    async def open(self) -> None:
        """Open the replay bucket, made on first use; one made by an earlier start with a
        shorter TTL is given this one (else ids would be forgotten while still valid)."""
        if self.seen is not None:
            return
        try:
            self.seen = await self.bus.js.key_value(REPLAY_BUCKET)
        except BucketNotFoundError:
            self.seen = await self.bus.js.create_key_value(
                KeyValueConfig(bucket=REPLAY_BUCKET, history=1, ttl=self.replay_ttl,
                               replicas=self.bus.replicas)
            )
            return
        info = await self.bus.js.stream_info(f"KV_{REPLAY_BUCKET}")
        if info.config.max_age is not None and 0 < info.config.max_age < self.replay_ttl:
            info.config.max_age = self.replay_ttl
            await self.bus.js.update_stream(info.config)
            log.info("replay bucket TTL raised", extra={"ttl_s": self.replay_ttl})


PUSH = web.AppKey("push", PushState)


def replay_key(publisher: str, msg_id: str) -> str:
    return hashlib.sha256(f"{publisher}\x1f{msg_id}".encode()).hexdigest()[:40]


async def read_body(request: web.Request, max_bytes: int, seconds: float) -> bytes:
    """The body, at most ``max_bytes``, arrived within ``seconds`` (it is read before the
    signature can be checked: a client dripping it must not hold the handler)."""
    too_large = ApiError(413, f"body larger than {max_bytes} bytes",
                         details={"max_bytes": max_bytes})
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    total = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.content.iter_any():
                total += len(chunk)
                if total > max_bytes:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(408, f"the body did not arrive within {seconds:g} s",
                       code="request_timeout", headers={"Connection": "close"}) from None
    return b"".join(chunks)


def require_json(request: web.Request) -> None:
    charset = (request.charset or "utf-8").lower()
    if request.content_type != "application/json" or charset not in ("utf-8", "utf8"):
        raise ApiError(415, "content type must be application/json (UTF-8)",
                       details={"content_type": request.headers.get("Content-Type", "")})


async def authenticate(request: web.Request, state: PushState, payload: bytes,
                       *, show_payload: bool = False) -> str:
    """Verify signature (over ``payload``), timestamp, rate and replay; returns the
    webhook-id. ``show_payload``: a refusal says what was expected to be signed."""
    publisher = request.match_info["publisher"]
    keys = state.secrets.get(publisher, ())
    try:
        signed = verify(request.headers, payload, keys, time.time(), state.tolerance)
    except SignatureError as exc:
        log.warning("push refused", extra={"publisher": publisher, "error": exc.code})
        details = {"signed_payload": payload.decode()} if show_payload else None
        raise ApiError(401, exc.message, code=exc.code, details=details) from None
    wait = state.limiter.take(publisher)
    if wait > 0:
        raise ApiError(429, "too many pushes; slow down", details={"retry_after": wait},
                       headers={"Retry-After": RateLimiter.retry_after(wait)})
    assert state.seen is not None
    try:
        entry = await state.seen.get(replay_key(publisher, signed.msg_id))
    except KeyNotFoundError:  # never seen, or expired
        entry = None
    except Exception:
        log.error("replay bucket unavailable", exc_info=True)
        raise ApiError(503, "the message bus is unavailable", headers={"Retry-After": "5"}
                       ) from None
    if entry is not None and entry.value:
        raise _replayed(signed.msg_id)
    return signed.msg_id


def _replayed(msg_id: str) -> ApiError:
    return ApiError(409, "this webhook-id was already received", code="replayed",
                    details={"webhook_id": msg_id})


async def publish_all(state: PushState, publisher: str, msg_id: str,
                      messages: list[CallMessage]) -> None:
    """Publish and await every PubAck, then remember the webhook-id; 503 if NATS fails."""
    subject = calls_subject(publisher)
    try:
        await asyncio.gather(*(
            state.bus.publish(subject, m.to_json(), msg_id=f"push.{publisher}.{msg_id}.{i}")
            for i, m in enumerate(messages)
        ))
    except Exception as exc:
        log.error("push not stored", extra={"publisher": publisher, "error": repr(exc)})
        raise ApiError(503, "the message bus did not confirm; retry with the same webhook-id",
                       headers={"Retry-After": "5"}) from None
    await remember(state, publisher, msg_id)


async def remember(state: PushState, publisher: str, msg_id: str) -> None:
    """Record an accepted webhook-id once what it asked for is durable (a replay: 409)."""
    assert state.seen is not None
    try:
        await state.seen.create(replay_key(publisher, msg_id), str(int(time.time())).encode())
    except KeyWrongLastSequenceError:
        raise _replayed(msg_id) from None  # a concurrent twin won; the stream kept one copy


async def push_calls(request: web.Request) -> web.Response:
    state = request.app[PUSH]
    publisher = request.match_info["publisher"]
    require_json(request)
    body = await read_body(request, state.max_bytes, state.read_timeout)
    msg_id = await authenticate(request, state, body)
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "body is not valid JSON", code="invalid_json",
                       details={"reason": str(exc)}) from None
    except RecursionError:  # arrays or objects nested thousands deep
        raise ApiError(400, "body is not valid JSON", code="invalid_json",
                       details={"reason": "nested too deeply"}) from None
    try:
        calls = parse_calls(data, publisher)
    except ValidationFailed as exc:
        raise ApiError(422, f"{len(exc.errors)} invalid field(s)", code="invalid_body",
                       details={"errors": exc.errors}) from None
    version = state.versions.next()
    messages = [CallMessage.upsert(c, version) for c in calls]
    await publish_all(state, publisher, msg_id, messages)
    log.info("calls pushed", extra={"publisher": publisher, "count": len(calls)})
    return web.json_response(
        {"accepted": len(calls),
         "items": [{"id": c.publisher_id, "call_id": c.id} for c in calls]},
        status=202,
    )


async def authenticate_bodiless(request: web.Request, state: PushState) -> str:
    """:func:`authenticate` for a request that acts on its path: no body, the method and
    the path signed."""
    if await read_body(request, state.max_bytes, state.read_timeout):
        raise ApiError(400, "this request takes no body: sign its method and path",
                       code="body_not_allowed")
    payload = target_payload(request.method, request.rel_url.raw_path)
    return await authenticate(request, state, payload, show_payload=True)


async def delete_call(request: web.Request) -> web.Response:
    state = request.app[PUSH]
    publisher, pid = request.match_info["publisher"], request.match_info["id"]
    msg_id = await authenticate_bodiless(request, state)
    cid = call_id(publisher, pid)
    message = CallMessage.retract(cid, publisher, state.versions.next(), "withdrawn by publisher")
    await publish_all(state, publisher, msg_id, [message])
    return web.json_response({"id": pid, "call_id": cid, "withdrawn": True}, status=202)


async def hide_interest(request: web.Request) -> web.Response:
    state = request.app[PUSH]
    publisher, pid = request.match_info["publisher"], request.match_info["id"]
    msg_id = await authenticate_bodiless(request, state)
    cid = call_id(publisher, pid)
    interest = request.match_info["interest"]
    # interests are records of the store of record (services.associations.interests)
    if not await interests.hide(Records(state.bus.js), cid, interest,
                                actor=f"publisher:{publisher}"):
        raise ApiError(404, "no such interest on this call",
                       details={"call_id": cid, "interest": interest})
    await remember(state, publisher, msg_id)  # its headers, if leaked, cannot hide it again
    return web.json_response({"call_id": cid, "interest": interest, "hidden": True})


def setup_push(app: web.Application, state: PushState) -> None:
    app[PUSH] = state

    async def open_state(app: web.Application) -> None:
        await app[PUSH].open()

    app.on_startup.append(open_state)
    app.router.add_post("/v1/push/{publisher}/calls", push_calls)
    app.router.add_delete("/v1/push/{publisher}/calls/{id}", delete_call)
    app.router.add_post("/v1/push/{publisher}/calls/{id}/interests/{interest}/hide",
                        hide_interest)
