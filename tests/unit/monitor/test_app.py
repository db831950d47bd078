import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from services.monitor.alerts import AlertPolicy
from services.monitor.app import Monitor, create_app
from services.monitor.backlog import BusHealth
from services.monitor.tracker import Policy, Tracker
from tests.unit.monitor.helpers import failed, ok, skipped

NOW = datetime.now(UTC) - timedelta(minutes=10)

AUTH = {"Authorization": "Basic " + base64.b64encode(b"operateur:secret").decode()}


def make_monitor() -> tuple[Monitor, list[str]]:
    tracker = Tracker(Policy())
    tracker.record(ok("velo", found=12, at=NOW, skipped=(skipped("no start date", "Atelier"),)))
    tracker.record(ok("chorale", found=3, at=NOW))
    tracker.record(failed("chorale", kind="parse", at=NOW, message="not an iCalendar document"))
    queued: list[str] = []

    async def enqueue(source_id: str) -> bool:
        queued.append(source_id)
        return len(queued) == 1

    return Monitor(tracker, BusHealth(), AlertPolicy(), enqueue), queued


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    monitor, _ = make_monitor()
    async with TestClient(TestServer(create_app(monitor, "operateur", "secret"))) as c:
        yield c


async def test_dashboard_without_credentials_is_401_with_a_challenge(client: TestClient) -> None:
    resp = await client.get("/")
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Basic")


async def test_wrong_password_is_401(client: TestClient) -> None:
    bad = {"Authorization": "Basic " + base64.b64encode(b"operateur:nope").decode()}
    assert (await client.get("/v1/sources", headers=bad)).status == 401


async def test_a_guesser_is_slowed_down_right_or_wrong(client: TestClient) -> None:
    bad = {"Authorization": "Basic " + base64.b64encode(b"operateur:nope").decode()}
    statuses = [(await client.get("/v1/sources", headers=bad)).status for _ in range(10)]
    assert statuses == [401] * 10
    refused = await client.get("/v1/sources", headers=bad)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    body = await refused.json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["details"]["retry_after"] >= 1
    # the right password from the same client now gets the same answer: no oracle
    assert (await client.get("/v1/sources", headers=AUTH)).status == 429


async def test_asking_without_credentials_costs_no_attempt(client: TestClient) -> None:
    for _ in range(20):  # a browser's first request carries none: it must not lock anyone out
        assert (await client.get("/")).status == 401
    assert (await client.get("/", headers=AUTH)).status == 200


async def test_healthz_and_metrics_need_no_credentials(client: TestClient) -> None:
    assert (await client.get("/healthz")).status == 200
    body = await (await client.get("/metrics")).text()
    assert 'maillage_source_state{source_id="chorale",state="failing"} 1.0' in body


async def test_dashboard_lists_sources_worst_first_with_french_reason(client: TestClient) -> None:
    html = await (await client.get("/", headers=AUTH)).text()
    assert html.index("chorale") < html.index("velo")
    assert "en échec" in html
    assert "calendrier lisible" in html


async def test_dashboard_filters_by_state(client: TestClient) -> None:
    html = await (await client.get("/?etat=ok", headers=AUTH)).text()
    table = html[html.index("<table>"):]
    assert "/source/velo" in table and "/source/chorale" not in table


async def test_dashboard_sorts_by_events_descending(client: TestClient) -> None:
    resp = await client.get("/v1/sources", headers=AUTH)
    assert [s["source_id"] for s in (await resp.json())["sources"]] == ["chorale", "velo"]
    html = await (await client.get("/?tri=evenements&ordre=desc", headers=AUTH)).text()
    table = html[html.index("<table>"):]
    assert table.index("/source/velo") < table.index("/source/chorale")


async def test_unknown_sort_is_a_400_in_the_error_shape(client: TestClient) -> None:
    resp = await client.get("/?tri=hasard", headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_parameter"


async def test_source_page_shows_history_and_skipped_items(client: TestClient) -> None:
    html = await (await client.get("/source/velo", headers=AUTH)).text()
    assert "Atelier" in html and "Événement sans date de début." in html
    assert "Moissonner maintenant" in html


async def test_unknown_source_is_404(client: TestClient) -> None:
    assert (await client.get("/source/nope", headers=AUTH)).status == 404


async def test_harvest_button_queues_a_job_and_redirects_with_a_message() -> None:
    monitor, queued = make_monitor()
    async with TestClient(TestServer(create_app(monitor, "operateur", "secret"))) as c:
        resp = await c.post("/source/velo/harvest", headers=AUTH, allow_redirects=False)
        assert resp.status == 303
        assert resp.headers["Location"] == "/source/velo?flash=queued"
        again = await c.post("/v1/sources/velo/harvest", headers=AUTH)
        assert again.status == 409
    assert queued == ["velo", "velo"]


async def test_cross_site_harvest_request_is_refused() -> None:
    monitor, queued = make_monitor()
    async with TestClient(TestServer(create_app(monitor, "operateur", "secret"))) as c:
        headers = {**AUTH, "Origin": "https://evil.example"}
        resp = await c.post("/source/velo/harvest", headers=headers, allow_redirects=False)
        assert resp.status == 403
    assert queued == []


async def test_harvest_request_from_an_opaque_origin_is_refused() -> None:
    """A sandboxed iframe (or a data: page) on any site posts with 'Origin: null'; a browser
    without Sec-Fetch-Site still sends the operator's basic credentials with it."""
    monitor, queued = make_monitor()
    async with TestClient(TestServer(create_app(monitor, "operateur", "secret"))) as c:
        for path in ("/source/velo/harvest", "/v1/sources/velo/harvest"):
            resp = await c.post(path, headers={**AUTH, "Origin": "null"},
                                allow_redirects=False)
            assert resp.status == 403, path
            assert (await resp.json())["error"]["code"] == "forbidden"
        same = {**AUTH, "Origin": f"http://{c.host}:{c.port}"}
        assert (await c.post("/source/velo/harvest", headers=same,
                             allow_redirects=False)).status == 303
    assert queued == ["velo"]


async def test_alerts_feeds_list_the_failing_source(client: TestClient) -> None:
    data = await (await client.get("/v1/alerts", headers=AUTH)).json()
    assert [a["source_id"] for a in data["alerts"]] == ["chorale"]
    rss = await client.get("/alerts.rss", headers=AUTH)
    assert rss.content_type == "application/rss+xml"
    assert "Source en échec : chorale" in await rss.text()
