"""Prometheus metrics: the one list of Maillage's metrics and the helpers each service calls.

Every service exposes ``/metrics`` in the Prometheus text format:

* HTTP services (query, ingest, monitor) call :func:`setup_metrics` in ``create_app``: it adds
  the ``/metrics`` route and a middleware that times each request by route template;
* the harvester and the indexer, which have no HTTP server, call
  :func:`start_metrics_server` with ``MAILLAGE_METRICS_PORT`` (:data:`METRICS_SETTINGS`;
  0 turns it off).

The harvester reports each harvest with :func:`record_harvest` (durations, HTTP status codes,
bytes, events published); the indexer reports batches with :func:`record_batch`, failed batches
with :data:`INDEX_BATCH_FAILURES`, dead letters with :data:`DEAD_LETTERS`, and its consumer's
backlog with :func:`watch_consumer`. Names and labels here are what ``deploy/prometheus``
alert rules use; ``tests/unit/deploy`` checks that every rule names a metric defined here or
by the monitor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from shared.settings import Setting, as_port

if TYPE_CHECKING:
    from shared.bus import Bus
    from shared.model import HarvestStatus

log = logging.getLogger(__name__)

METRICS_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MAILLAGE_METRICS_PORT",
        "0",
        "Port of the /metrics listener of the harvester and indexer (0: off).",
        as_port,
    ),
    Setting("MAILLAGE_METRICS_HOST", "127.0.0.1", "Address the /metrics listener binds to."),
)

# Buckets in seconds: fetches are slow (network), writes and queries fast.
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

# --- harvester -------------------------------------------------------------------------------
HARVEST_SECONDS = Histogram(
    "maillage_harvest_duration_seconds",
    "Duration of one harvest (fetch, parse, publish), by outcome.",
    ["outcome"],
    buckets=FETCH_BUCKETS,
)
HARVESTS = Counter(
    "maillage_harvests_total", "Harvests, by outcome and error kind.", ["outcome", "error_kind"]
)
FETCH_RESPONSES = Counter(
    "maillage_fetch_responses_total",
    "Final HTTP status codes of fetches ('none' when no response was received).",
    ["code"],
)
FETCH_BYTES = Counter("maillage_fetch_bytes_total", "Bytes of fetched bodies.")
EVENTS_PUBLISHED = Counter(
    "maillage_events_published_total", "Event messages published, by kind.", ["kind"]
)
ITEMS_SKIPPED = Counter("maillage_items_skipped_total", "Source items not imported.")

# --- indexer ---------------------------------------------------------------------------------
CONSUMER_PENDING = Gauge(
    "maillage_consumer_pending",
    "Messages not yet delivered to a durable consumer (its lag).",
    ["stream", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "maillage_consumer_ack_pending",
    "Messages delivered to a consumer and not acknowledged yet.",
    ["stream", "consumer"],
)
INDEX_WRITE_SECONDS = Histogram(
    "maillage_index_write_duration_seconds",
    "Duration of one batch write to the search store.",
    buckets=FAST_BUCKETS,
)
INDEX_MESSAGES = Counter(
    "maillage_index_messages_total", "Messages applied to the store, by outcome.", ["outcome"]
)
INDEX_BATCH_FAILURES = Counter(
    "maillage_index_batch_failures_total", "Batches the store refused (retried later)."
)
DEAD_LETTERS = Counter(
    "maillage_dead_letters_total", "Messages sent to the dead-letter stream.", ["stream"]
)

# --- HTTP services ---------------------------------------------------------------------------
HTTP_SECONDS = Histogram(
    "maillage_http_request_duration_seconds",
    "Duration of HTTP requests, by service and route template.",
    ["service", "route", "method"],
    buckets=FAST_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "maillage_http_requests_total",
    "HTTP requests, by service, route template and status.",
    ["service", "route", "method", "status"],
)

METRIC_NAMES: frozenset[str] = frozenset(
    {
        "maillage_harvest_duration_seconds",
        "maillage_harvests_total",
        "maillage_fetch_responses_total",
        "maillage_fetch_bytes_total",
        "maillage_events_published_total",
        "maillage_items_skipped_total",
        "maillage_consumer_pending",
        "maillage_consumer_ack_pending",
        "maillage_index_write_duration_seconds",
        "maillage_index_messages_total",
        "maillage_index_batch_failures_total",
        "maillage_dead_letters_total",
        "maillage_http_request_duration_seconds",
        "maillage_http_requests_total",
    }
)


def record_harvest(status: HarvestStatus) -> None:
    """Count one harvest from its status record (call once per harvest, in the worker)."""
    outcome = "ok" if status.ok else "error"
    if status.ok and status.not_modified:
        outcome = "not_modified"
    HARVEST_SECONDS.labels(outcome).observe(status.duration_ms / 1000)
    HARVESTS.labels(outcome, status.error_kind or "").inc()
    FETCH_RESPONSES.labels(str(status.http_status) if status.http_status else "none").inc()
    FETCH_BYTES.inc(status.body_bytes)
    if status.new or status.changed:
        EVENTS_PUBLISHED.labels("upsert").inc(status.new + status.changed)
    if status.removed:
        EVENTS_PUBLISHED.labels("retract").inc(status.removed)
    if status.skipped:
        ITEMS_SKIPPED.inc(len(status.skipped))


def record_batch(seconds: float, outcomes: Iterable[str]) -> None:
    """Count one batch committed to the store, with each message's outcome."""
    INDEX_WRITE_SECONDS.observe(seconds)
    for outcome in outcomes:
        INDEX_MESSAGES.labels(str(outcome)).inc()


async def update_consumer(bus: Bus, stream: str, durable: str) -> None:
    info = await bus.js.consumer_info(stream, durable)
    CONSUMER_PENDING.labels(stream, durable).set(info.num_pending or 0)
    CONSUMER_ACK_PENDING.labels(stream, durable).set(info.num_ack_pending or 0)


async def watch_consumer(bus: Bus, stream: str, durable: str, every_s: float = 10.0) -> None:
    """Keep the consumer lag gauges current (run as a task next to the consumer)."""
    while True:
        try:
            await update_consumer(bus, stream, durable)
        except Exception as exc:  # the bus may be reconnecting: try again next time
            log.debug("consumer info unavailable", extra={"stream": stream, "error": str(exc)})
        await asyncio.sleep(every_s)


def metrics_response(registry: CollectorRegistry = REGISTRY) -> web.Response:
    body = generate_latest(registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def metrics_handler(request: web.Request) -> web.Response:
    return metrics_response()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route_label(request: web.Request) -> str:
    """The route template (``/v1/events/{id}``), never the raw path: bounded cardinality."""
    route = request.match_info.route
    resource = route.resource if route is not None else None
    if resource is None:
        return "unmatched"
    return resource.canonical


def latency_middleware(service: str) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = _route_label(request)
            HTTP_SECONDS.labels(service, route, request.method).observe(
                time.perf_counter() - started
            )
            HTTP_REQUESTS.labels(service, route, request.method, str(status)).inc()

    return middleware


def setup_metrics(
    app: web.Application, service: str, handler: Handler | None = None
) -> None:
    """Add ``GET /metrics`` and the request-latency middleware to ``app`` (before it starts).

    The middleware goes first, so it also times the error middleware's answers. ``handler``
    replaces the default ``/metrics`` handler (the monitor adds its own gauges).
    """
    app.middlewares.insert(0, latency_middleware(service))
    app.router.add_get("/metrics", handler or metrics_handler)


async def start_metrics_server(host: str, port: int) -> web.AppRunner | None:
    """Serve ``/metrics`` on ``host:port`` for a service without HTTP server; None if port 0."""
    if not port:
        return None
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/healthz", _health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:  # port taken: run on without metrics rather than crash-loop
        log.warning("metrics listener not started", extra={"url": f"http://{host}:{port}",
                                                            "error": str(exc)})
        await runner.cleanup()
        return None
    log.info("metrics listening", extra={"url": f"http://{host}:{port}/metrics"})
    return runner


async def stop_metrics_server(runner: web.AppRunner | None) -> None:
    if runner is not None:
        with contextlib.suppress(Exception):
            await runner.cleanup()


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
