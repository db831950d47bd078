"""shared.metrics: the /metrics route, the latency middleware and the harvest counters."""

from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from shared.metrics import record_batch, record_harvest, setup_metrics
from shared.model import HarvestStatus


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_latency_is_labelled_by_route_template_not_raw_path() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"id": request.match_info["id"]})

    app = web.Application()
    app.router.add_get("/v1/events/{id}", handler)
    setup_metrics(app, "test-route")
    labels = {"service": "test-route", "route": "/v1/events/{id}", "method": "GET"}
    before = sample("maillage_http_request_duration_seconds_count", labels)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/v1/events/ev_1")).status == 200
        assert (await client.get("/v1/events/ev_2")).status == 200
        text = await (await client.get("/metrics")).text()
    assert sample("maillage_http_request_duration_seconds_count", labels) == before + 2
    assert "maillage_http_requests_total" in text


async def test_not_found_is_counted_as_unmatched_with_its_status() -> None:
    app = web.Application()
    setup_metrics(app, "test-404")
    labels = {"service": "test-404", "route": "unmatched", "method": "GET", "status": "404"}
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/nowhere")).status == 404
    assert sample("maillage_http_requests_total", labels) == 1


def test_harvest_status_feeds_codes_bytes_and_published_events() -> None:
    codes = {"code": "200"}
    before = (sample("maillage_fetch_responses_total", codes),
              sample("maillage_fetch_bytes_total", {}),
              sample("maillage_events_published_total", {"kind": "upsert"}))
    record_harvest(HarvestStatus(
        source_id="velo", url="u", started=datetime.now(UTC), duration_ms=250, ok=True,
        http_status=200, body_bytes=1000, found=5, new=3, changed=1, removed=0))
    after = (sample("maillage_fetch_responses_total", codes),
             sample("maillage_fetch_bytes_total", {}),
             sample("maillage_events_published_total", {"kind": "upsert"}))
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1000, 4]


def test_failed_harvest_without_response_counts_code_none_and_its_kind() -> None:
    labels = {"outcome": "error", "error_kind": "dns"}
    before = sample("maillage_harvests_total", labels)
    record_harvest(HarvestStatus(source_id="x", url="u", started=datetime.now(UTC),
                                 duration_ms=5, ok=False, error_kind="dns"))
    assert sample("maillage_harvests_total", labels) == before + 1


def test_batch_outcomes_are_counted() -> None:
    before = sample("maillage_index_messages_total", {"outcome": "stale"})
    record_batch(0.01, ["applied", "stale", "stale"])
    assert sample("maillage_index_messages_total", {"outcome": "stale"}) == before + 2


async def test_metrics_listener_on_a_taken_port_is_skipped_not_fatal() -> None:
    from shared.metrics import start_metrics_server, stop_metrics_server
    from shared.natsserver import free_port

    port = free_port()
    first = await start_metrics_server("127.0.0.1", port)
    try:
        assert first is not None
        assert await start_metrics_server("127.0.0.1", port) is None
    finally:
        await stop_metrics_server(first)


async def test_metrics_listener_is_off_on_port_zero() -> None:
    from shared.metrics import start_metrics_server

    assert await start_metrics_server("127.0.0.1", 0) is None
