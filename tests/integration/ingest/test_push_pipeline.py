"""A pushed call travels ingest -> NATS JetStream -> calls indexer -> SQLite -> query API.

Real nats-server (the ``bus`` fixture), real aiohttp servers on loopback, real SQLite.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from nats.js.api import KeyValueConfig

from services.indexer.calls_consumer import CallsIndexer
from services.ingest.alerts import AlertSender
from services.ingest.app import create_app as create_ingest
from services.ingest.app import push_state
from services.ingest.push import REPLAY_BUCKET
from services.ingest.settings import SETTINGS as INGEST_SETTINGS
from services.ingest.signatures import decode_secret, sign, verify
from services.query.app import create_app as create_query
from services.query.calls_routes import setup_calls
from services.query.settings import SETTINGS as QUERY_SETTINGS
from services.query.web.calls import setup_calls_web
from shared.bus import Bus
from shared.errors import ConfigError
from shared.settings import load
from shared.store.calls_sqlite import CallStore
from shared.store.sqlite import SqliteStore

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()


def a_call(pid: str = "c1", **changes: Any) -> dict[str, Any]:
    call = {
        "id": pid, "title": "Jardins partagés", "funder": "Ville de Rennes",
        "description": "<p>Des jardins <em>solidaires</em>.</p><script>alert(1)</script>",
        "themes": ["environnement"], "deadline": "2099-06-30T23:59:00+02:00",
        "perimeter": "rennes", "joint_applications": True,
    }
    call.update(changes)
    return call


@dataclass
class Stack:
    session: aiohttp.ClientSession
    ingest: str
    query: str
    store: CallStore
    bus: Bus
    n: int = 0

    async def push(self, data: Any, publisher: str = "ville") -> aiohttp.ClientResponse:
        self.n += 1
        body = json.dumps(data).encode()
        headers = sign(SECRET, f"msg_{self.n}", int(time.time()), body)
        headers["Content-Type"] = "application/json"
        return await self.session.post(f"{self.ingest}v1/push/{publisher}/calls", data=body,
                                       headers=headers)

    async def interests(self, cid: str) -> list[dict[str, Any]]:
        async with self.session.get(self.query + f"v1/calls/{cid}") as resp:
            interests: list[dict[str, Any]] = (await resp.json())["interests"]
            return interests

    def signed_target(self, method: str, path: str) -> dict[str, str]:
        """Headers of a body-less request: its method and path are what is signed."""
        self.n += 1
        return sign(SECRET, f"msg_{self.n}", int(time.time()), f"{method} {path}".encode())

    async def delete(self, pid: str) -> aiohttp.ClientResponse:
        path = f"/v1/push/ville/calls/{pid}"
        return await self.session.delete(self.ingest + path[1:],
                                         headers=self.signed_target("DELETE", path))

    async def calls(self, **params: str) -> dict[str, Any]:
        async with self.session.get(self.query + "v1/calls", params=params) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


@pytest.fixture
async def stack(bus: Bus, tmp_path: Path) -> AsyncIterator[Stack]:
    settings = load(INGEST_SETTINGS, {"MAILLAGE_PUSH_SECRETS": f"ville={SECRET}",
                                      "MAILLAGE_PUSH_RATE": "2", "MAILLAGE_PUSH_BURST": "10"})
    ingest = TestServer(create_ingest(bus, settings), host="127.0.0.1")
    store = CallStore(tmp_path / "calls.sqlite")
    indexer = CallsIndexer(bus, store, batch_size=64)
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    app = create_query(load(QUERY_SETTINGS, {"MAILLAGE_DATA_DIR": str(tmp_path)}),
                       SqliteStore(tmp_path / "index.sqlite"), bus=bus)
    setup_calls(app, CallStore(store.path), allow_private=True)
    setup_calls_web(app)
    query = TestServer(app, host="127.0.0.1")
    await ingest.start_server()
    await query.start_server()
    session = aiohttp.ClientSession()
    try:
        yield Stack(session, str(ingest.make_url("/")), str(query.make_url("/")), store, bus)
    finally:
        await session.close()
        await query.close()
        await ingest.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_pushed_call_is_durable_before_202_then_searchable(stack) -> None:
    resp = await stack.push(a_call())
    assert resp.status == 202, await resp.text()
    info = await stack.bus.js.stream_info("CALLS")
    assert info.state.messages == 1  # PubAck came before the answer

    async def found() -> bool:
        return (await stack.calls(q="jardin"))["total"] == 1

    await eventually(found)
    item = (await stack.calls(q="jardin"))["items"][0]
    assert item["status"] == "open" and "<script" not in item["description"]
    async with stack.session.get(stack.query + f"v1/calls/{item['id']}") as resp:
        assert (await resp.json())["item"]["title"] == "Jardins partagés"


async def test_same_call_pushed_twice_is_stored_once(stack) -> None:
    assert (await stack.push(a_call())).status == 202
    assert (await stack.push(a_call())).status == 202

    async def both_acked() -> bool:
        info = await stack.bus.js.consumer_info("CALLS", "calls-indexer")
        return info.ack_floor.stream_seq == 2

    await eventually(both_acked)
    assert (await stack.calls())["total"] == 1


async def test_update_replaces(stack) -> None:
    await stack.push(a_call(title="Jardins partagés"))
    await stack.push(a_call(title="Vergers partagés"))

    async def replaced() -> bool:
        items = (await stack.calls())["items"]
        return [i["title"] for i in items] == ["Vergers partagés"]

    await eventually(replaced)


async def test_delete_withdraws(stack) -> None:
    await stack.push(a_call())

    async def there() -> bool:
        return (await stack.calls())["total"] == 1

    await eventually(there)
    assert (await stack.delete("c1")).status == 202

    async def gone() -> bool:
        return (await stack.calls())["total"] == 0

    await eventually(gone)


async def test_flooding_publisher_gets_429(stack) -> None:
    statuses = [(await stack.push(a_call(f"f{n}"))).status for n in range(14)]
    assert statuses[0] == 202 and 429 in statuses


async def test_interest_and_exports_and_page(stack) -> None:
    await stack.push(a_call())

    async def there() -> bool:
        return (await stack.calls())["total"] == 1

    await eventually(there)
    cid = (await stack.calls())["items"][0]["id"]
    url = stack.query + f"v1/calls/{cid}/interests"
    body = {"contact": "contact@asso.example", "brings": "un terrain"}
    async with stack.session.post(url, json=body) as resp:
        assert resp.status == 401
    _, token = stack.store.issue_token("Les Jardiniers de Maurepas")
    auth = {"Authorization": f"Bearer {token}"}
    async with stack.session.post(url, json=body, headers=auth) as resp:
        assert resp.status == 201, await resp.text()
        assert resp.headers["Deprecation"].startswith("@")  # members use the call's page
        interest_id = (await resp.json())["item"]["id"]
    async with stack.session.get(stack.query + f"appels/{cid}") as resp:
        page = await resp.text()
    assert "Les Jardiniers de Maurepas" in page and "Date limite" in page
    hide = f"/v1/push/ville/calls/c1/interests/{interest_id}/hide"  # by the publisher
    async with stack.session.post(stack.ingest + hide[1:],
                                  headers=stack.signed_target("POST", hide)) as resp:
        assert resp.status == 200, await resp.text()
    async with stack.session.get(stack.query + f"v1/calls/{cid}") as resp:
        assert (await resp.json())["interests"] == []
    async with stack.session.get(stack.query + f"appels/{cid}") as resp:
        assert "Les Jardiniers de Maurepas" not in await resp.text()
    async with stack.session.get(stack.query + "appels?theme=environnement") as resp:
        listing = await resp.text()
    assert resp.status == 200 and "Jardins partagés" in listing and "calls.ics?theme=" in listing
    async with stack.session.get(stack.query + "v1/calls.ics?theme=environnement") as resp:
        assert "Date limite\u00a0: Jardins partagés" in await resp.text()
    async with stack.session.get(stack.query + "v1/calls.rss") as resp:
        assert "<title>Jardins partagés</title>" in await resp.text()
    async with stack.session.get(stack.query + "v1/search", params={"q": "jardin"}) as resp:
        found = await resp.json()
    assert {"value": "call", "count": 1} in found["facets"]["kind"]


async def test_alert_delivers_new_matching_call_signed(stack) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    subscriber = TestServer(app, host="127.0.0.1")
    await subscriber.start_server()
    _, token = stack.store.issue_token("Asso")
    async with stack.session.post(
        stack.query + "v1/alerts", headers={"Authorization": f"Bearer {token}"},
        json={"url": str(subscriber.make_url("/hook")), "query": {"theme": "environnement"}},
    ) as resp:
        assert resp.status == 201, await resp.text()
        secret = (await resp.json())["secret"]
    await stack.push(a_call("new1"))
    await stack.push(a_call("other", themes=["sport"], title="Tournoi"))

    async def indexed() -> bool:
        return (await stack.calls())["total"] == 2

    await eventually(indexed)
    sender = AlertSender(stack.store, allow_private=True)
    try:
        assert await sender.run_once() == 1
        assert await sender.run_once() == 0  # nothing new: nothing sent twice
    finally:
        await sender.close()
        await subscriber.close()
    headers, body = received[0]
    lower = {k.lower(): v for k, v in headers.items()}
    verify(lower, body, [decode_secret(secret)], time.time())
    assert [i["publisher_id"] for i in json.loads(body)["items"]] == ["new1"]


async def test_a_subscriber_that_answers_slowly_delays_only_its_own_alerts(stack) -> None:
    """Alerts were delivered one after the other, each allowed 10 s: a token holder with
    50 alerts to a server answering in 9.9 s held every other subscriber's alerts for eight
    minutes per round. Each token's alerts now go in turn, the tokens side by side."""
    release = asyncio.Event()
    received: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        if request.path == "/slow":
            await release.wait()
        received.append(request.path)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/{name}", hook)
    subscriber = TestServer(app, host="127.0.0.1")
    await subscriber.start_server()
    slow_token, good_token = (stack.store.issue_token(name)[1] for name in ("Lent", "Asso"))
    for token, path in ((slow_token, "/slow"), (slow_token, "/slow"), (good_token, "/good")):
        async with stack.session.post(
            stack.query + "v1/alerts", headers={"Authorization": f"Bearer {token}"},
            json={"url": str(subscriber.make_url(path)), "query": {"theme": "environnement"}},
        ) as resp:
            assert resp.status == 201, await resp.text()
    await stack.push(a_call("new1"))

    async def indexed() -> bool:
        return (await stack.calls())["total"] == 1

    await eventually(indexed)
    sender = AlertSender(stack.store, allow_private=True, timeout=600)
    round_ = asyncio.create_task(sender.run_once())
    try:
        async def good_received() -> bool:
            return "/good" in received

        await eventually(good_received)  # while the slow subscriber holds its deliveries
        assert "/slow" not in received
        release.set()
        assert await round_ == 3
    finally:
        release.set()
        await sender.close()
        await subscriber.close()


async def test_alert_to_a_private_address_is_refused_by_default(stack, tmp_path) -> None:
    app = create_query(load(QUERY_SETTINGS, {}), SqliteStore(tmp_path / "i2.sqlite"))
    setup_calls(app, CallStore(stack.store.path), allow_private=False)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    _, token = stack.store.issue_token("Asso")
    try:
        async with stack.session.post(
            str(server.make_url("/v1/alerts")), headers={"Authorization": f"Bearer {token}"},
            json={"url": "http://169.254.169.254/latest"},
        ) as resp:
            assert resp.status == 422
            assert (await resp.json())["error"]["details"]["errors"][0]["path"] == "url"
    finally:
        await server.close()


async def test_leaked_withdrawal_headers_cannot_withdraw_another_call(stack) -> None:
    """A publisher's signed DELETE of c1 leaks (a log, a proxy); replayed on c2's path
    before the genuine request arrives, it must not withdraw c2."""
    await stack.push(a_call("c1"))
    await stack.push(a_call("c2", title="Vergers partagés"))

    async def both() -> bool:
        return (await stack.calls())["total"] == 2

    await eventually(both)
    # signed over the empty body (what publishers sent before), headers fit any path
    old_style = sign(SECRET, "msg_old", int(time.time()), b"")
    async with stack.session.delete(stack.ingest + "v1/push/ville/calls/c2",
                                    headers=old_style) as resp:
        assert resp.status == 401
    leaked = stack.signed_target("DELETE", "/v1/push/ville/calls/c1")
    async with stack.session.delete(stack.ingest + "v1/push/ville/calls/c2",
                                    headers=leaked) as resp:
        assert resp.status == 401
        error = (await resp.json())["error"]
        assert error["details"]["signed_payload"] == "DELETE /v1/push/ville/calls/c2"
    async with stack.session.delete(stack.ingest + "v1/push/ville/calls/c1",
                                    headers=leaked) as resp:
        assert resp.status == 202  # the genuine request still goes through

    async def only_c2() -> bool:
        return [i["publisher_id"] for i in (await stack.calls())["items"]] == ["c2"]

    await eventually(only_c2)
    assert (await stack.bus.js.stream_info("CALLS")).state.messages == 3  # no stray retraction


async def test_leaked_hide_headers_cannot_hide_another_interest(stack) -> None:
    await stack.push(a_call("c1"))

    async def there() -> bool:
        return (await stack.calls())["total"] == 1

    await eventually(there)
    cid = (await stack.calls())["items"][0]["id"]
    for name in ("Les Jardiniers", "Les Composteurs"):
        _, token = stack.store.issue_token(name)
        async with stack.session.post(
                stack.query + f"v1/calls/{cid}/interests",
                headers={"Authorization": f"Bearer {token}"},
                json={"contact": "a@asso.example", "brings": "un terrain"}) as resp:
            assert resp.status == 201, await resp.text()
    first, second = (i["id"] for i in await stack.interests(cid))
    hide = "/v1/push/ville/calls/c1/interests/{}/hide"
    old_style = sign(SECRET, "msg_old", int(time.time()), b"")
    async with stack.session.post(stack.ingest + hide.format(second)[1:],
                                  headers=old_style) as resp:
        assert resp.status == 401
    leaked = stack.signed_target("POST", hide.format(first))
    for method, path in (("POST", hide.format(second)),  # another interest
                         ("DELETE", "/v1/push/ville/calls/c1")):  # another action
        async with stack.session.request(method, stack.ingest + path[1:],
                                         headers=leaked) as resp:
            assert resp.status == 401, (method, path)
    async with stack.session.post(stack.ingest + hide.format(first)[1:],
                                  headers=leaked) as resp:
        assert resp.status == 200, await resp.text()  # hidden in the store of record now
    assert [i["id"] for i in await stack.interests(cid)] == [second]
    assert (await stack.calls())["total"] == 1  # c1 was not withdrawn


async def test_a_hide_request_cannot_be_replayed(stack) -> None:
    """A publisher's signed hide leaks (a log, a proxy): within the timestamp window its
    headers were accepted again and again, each time writing "hidden by publisher:ville"
    in the audit trail, and hiding the association's declaration again once it had
    withdrawn and declared anew. Its webhook-id is now remembered like a push's."""
    await stack.push(a_call("c1"))

    async def there() -> bool:
        return (await stack.calls())["total"] == 1

    await eventually(there)
    cid = (await stack.calls())["items"][0]["id"]
    _, token = stack.store.issue_token("Les Jardiniers")
    async with stack.session.post(
            stack.query + f"v1/calls/{cid}/interests",
            headers={"Authorization": f"Bearer {token}"},
            json={"contact": "a@asso.example", "brings": "un terrain"}) as resp:
        assert resp.status == 201, await resp.text()
        interest = (await resp.json())["item"]["id"]
    hide = f"/v1/push/ville/calls/c1/interests/{interest}/hide"
    leaked = stack.signed_target("POST", hide)
    async with stack.session.post(stack.ingest + hide[1:], headers=leaked) as resp:
        assert resp.status == 200, await resp.text()
    async with stack.session.post(stack.ingest + hide[1:], headers=leaked) as resp:
        assert resp.status == 409
        assert (await resp.json())["error"]["code"] == "replayed"


async def test_a_signed_push_body_cannot_be_replayed_as_a_hide(stack) -> None:
    body = json.dumps(a_call("c1")).encode()
    headers = sign(SECRET, "msg_body", int(time.time()), body)
    async with stack.session.post(stack.ingest + "v1/push/ville/calls/c1/interests/x/hide",
                                  data=body, headers=headers) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "body_not_allowed"


class InternalDNS:
    """A resolver answering like a company's internal DNS (no query leaves the machine)."""

    async def resolve(self, host: str, port: int) -> list[str]:
        if host == "db.internal":
            return ["10.0.3.7"]
        raise OSError(f"{host}: Name or service not known")


async def test_alert_errors_name_a_kind_not_what_the_resolver_answered(stack) -> None:
    _, token = stack.store.issue_token("Curieux")
    auth = {"Authorization": f"Bearer {token}"}
    for url in ("http://db.internal/hook", "http://printer.corp/hook"):
        async with stack.session.post(stack.query + "v1/alerts", headers=auth,
                                      json={"url": url, "query": {}}) as resp:
            assert resp.status == 201, await resp.text()
    await stack.push(a_call("probe"))

    async def indexed() -> bool:
        return (await stack.calls())["total"] == 1

    await eventually(indexed)
    sender = AlertSender(stack.store, resolver=InternalDNS())  # private addresses refused
    try:
        assert await sender.run_once() == 0
    finally:
        await sender.close()
    async with stack.session.get(stack.query + "v1/alerts", headers=auth) as resp:
        body = await resp.text()
    errors = {a["url"]: a["last_error"] for a in json.loads(body)["items"]}
    assert errors == {"http://db.internal/hook": "refused_address",
                      "http://printer.corp/hook": "dns"}
    assert "10.0.3.7" not in body and "not known" not in body


async def test_alert_errors_stored_as_text_by_older_versions_are_not_shown(stack) -> None:
    _, token = stack.store.issue_token("Curieux")
    auth = {"Authorization": f"Bearer {token}"}
    async with stack.session.post(stack.query + "v1/alerts", headers=auth, json={
            "url": "https://hook.example/x", "query": {}}) as resp:
        alert_id = (await resp.json())["id"]
    with sqlite3.connect(stack.store.path) as conn:  # a row written before the fix
        conn.execute("UPDATE alerts SET last_error = ? WHERE id = ?",
                     ("FetchRefused('db.internal resolves to 10.0.3.7')", alert_id))
    async with stack.session.get(stack.query + "v1/alerts", headers=auth) as resp:
        assert (await resp.json())["items"][0]["last_error"] == "delivery_failed"


async def test_a_standard_webhooks_library_signs_pushes_and_withdrawals(stack) -> None:
    """The reference Python library of Standard Webhooks (not ours) signs both kinds."""
    from standardwebhooks import Webhook

    hook = Webhook(SECRET)
    now = datetime.now(UTC)
    body = json.dumps(a_call("lib")).encode()
    headers = {"webhook-id": "lib_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": hook.sign("lib_1", now, body.decode()),
               "Content-Type": "application/json"}
    async with stack.session.post(stack.ingest + "v1/push/ville/calls", data=body,
                                  headers=headers) as resp:
        assert resp.status == 202, await resp.text()
    path = "/v1/push/ville/calls/lib"
    headers = {"webhook-id": "lib_2", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": hook.sign("lib_2", now, f"DELETE {path}")}
    async with stack.session.delete(stack.ingest + path[1:], headers=headers) as resp:
        assert resp.status == 202, await resp.text()

    async def withdrawn() -> bool:
        return (await stack.bus.js.stream_info("CALLS")).state.messages == 2

    await eventually(withdrawn)


async def test_the_replay_memory_outlasts_the_timestamp_window(bus) -> None:
    """A webhook-id must be remembered as long as its timestamp is accepted (twice the
    tolerance: a clock ahead, then behind). The bucket kept the TTL of the start that made
    it, so raising MAILLAGE_PUSH_REPLAY_TTL later changed nothing and replays were accepted
    once the id was forgotten; and a TTL below twice the tolerance was taken as is."""
    await bus.js.create_key_value(KeyValueConfig(bucket=REPLAY_BUCKET, ttl=60))
    settings = load(INGEST_SETTINGS, {"MAILLAGE_PUSH_SECRETS": f"ville={SECRET}",
                                      "MAILLAGE_PUSH_REPLAY_TTL": "900"})
    state = push_state(bus, settings)
    await state.open()
    assert (await state.seen.status()).ttl == 900
    short = load(INGEST_SETTINGS, {"MAILLAGE_PUSH_TOLERANCE": "300",
                                   "MAILLAGE_PUSH_REPLAY_TTL": "400"})
    with pytest.raises(ConfigError, match="MAILLAGE_PUSH_REPLAY_TTL"):
        push_state(bus, short)


async def test_a_body_sent_a_byte_at_a_time_is_cut_off_with_a_408(bus: Bus) -> None:
    """The body of a push is read before its signature can be checked: anyone could open
    connections, announce a body and send it a byte now and then, each holding a handler
    and its buffer for as long as it liked (no read deadline). The body must now arrive
    within MAILLAGE_PUSH_READ_TIMEOUT."""
    settings = load(INGEST_SETTINGS, {"MAILLAGE_PUSH_SECRETS": f"ville={SECRET}",
                                      "MAILLAGE_PUSH_READ_TIMEOUT": "1"})
    server = TestServer(create_ingest(bus, settings), host="127.0.0.1")
    await server.start_server()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /v1/push/ville/calls HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        await writer.drain()

        async def drip() -> None:
            with contextlib.suppress(ConnectionError):
                for _ in range(60):
                    await asyncio.sleep(0.5)
                    writer.write(b" ")
                    await writer.drain()

        dripping = asyncio.create_task(drip())
        try:
            head = await asyncio.wait_for(reader.readline(), 20)
        finally:
            dripping.cancel()
            writer.close()
        assert head.startswith(b"HTTP/1.1 408")
    finally:
        await server.close()
