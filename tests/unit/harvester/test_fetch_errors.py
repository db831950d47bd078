"""The fetch error table: statuses, exceptions and Retry-After, without any network."""

from __future__ import annotations

from email.utils import formatdate

import aiohttp

from services.harvester.fetch_errors import map_client_error, parse_retry_after, status_error
from shared.errors import FetchFailed, FetchRefused, FetchTransient

NOW = 1_750_000_000.0


def test_retry_after_seconds() -> None:
    assert parse_retry_after("120") == 120.0


def test_retry_after_http_date() -> None:
    assert parse_retry_after(formatdate(NOW + 600, usegmt=True), now=NOW) == 600.0


def test_retry_after_past_date_clamped_to_one_second() -> None:
    assert parse_retry_after(formatdate(NOW - 600, usegmt=True), now=NOW) == 1.0


def test_retry_after_zero_clamped_to_one_second() -> None:
    assert parse_retry_after("0") == 1.0


def test_retry_after_huge_clamped_to_one_day() -> None:
    assert parse_retry_after("99999999") == 86400.0


def test_retry_after_garbage_ignored() -> None:
    assert parse_retry_after("soon, maybe") is None


def test_retry_after_negative_number_ignored() -> None:
    assert parse_retry_after("-5") is None


def test_retry_after_absent() -> None:
    assert parse_retry_after(None) is None


def test_status_404_is_failed() -> None:
    error = status_error(404, {}, "http://assoc.example/a")
    assert (type(error), error.kind) == (FetchFailed, "http_404")


def test_status_429_is_transient_with_retry_after() -> None:
    error = status_error(429, {"Retry-After": "30"}, "http://assoc.example/a")
    assert isinstance(error, FetchTransient)
    assert (error.kind, error.retry_after, error.status) == ("rate_limited", 30.0, 429)


def test_status_502_is_transient_server_error() -> None:
    error = status_error(502, {}, "http://assoc.example/a")
    assert (type(error), error.kind) == (FetchTransient, "server_error")


def test_status_400_is_failed_with_its_number() -> None:
    assert status_error(400, {}, "http://assoc.example/a").kind == "http_400"


def test_status_408_is_transient_timeout() -> None:
    error = status_error(408, {}, "http://assoc.example/a")
    assert (type(error), error.kind) == (FetchTransient, "timeout")


def test_timeout_maps_to_transient_timeout() -> None:
    error = map_client_error(TimeoutError(), "http://assoc.example/a")
    assert (type(error), error.kind) == (FetchTransient, "timeout")


def test_invalid_url_maps_to_refused() -> None:
    error = map_client_error(aiohttp.InvalidURL("x"), "x")
    assert isinstance(error, FetchRefused)


def test_connection_reset_maps_to_transient_connection() -> None:
    error = map_client_error(ConnectionResetError("reset"), "http://assoc.example/a")
    assert (type(error), error.kind) == (FetchTransient, "connection")


def test_message_is_one_line() -> None:
    error = map_client_error(OSError("first line\nsecond line"), "http://assoc.example/a")
    assert "\n" not in error.message and "first line" in error.message
