"""Requests aiohttp cannot even parse, sent as raw bytes to the real query service's
listener: each gets a 400 in the one error shape and one INFO line, never a traceback."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from services.query.service import run
from shared.natsserver import free_port
from shared.store.sqlite import SqliteStore
from tests.integration.query.conftest import query_settings

pytestmark = pytest.mark.integration

RAW = [
    (b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", "Invalid char in url path"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "Invalid header token"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "HTTPS"),
]


async def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)  # the connection is closed after it
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


async def test_unparsable_requests_get_the_error_shape_and_one_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    settings = query_settings(MAILLAGE_HTTP_HOST="127.0.0.1", MAILLAGE_HTTP_PORT=str(port),
                              MAILLAGE_NATS_URL=f"nats://127.0.0.1:{free_port()}")
    listening = asyncio.Event()
    server = asyncio.create_task(
        run(settings, listening=listening.set, store=SqliteStore(tmp_path / "i.sqlite")))
    try:
        await asyncio.wait_for(listening.wait(), 30)
        caplog.set_level(logging.INFO)
        for raw, reason in RAW:
            caplog.clear()
            status, headers, body = await exchange(port, raw)
            assert status == 400
            assert headers["content-type"].startswith("application/json")
            error = json.loads(body)["error"]
            assert error["code"] == "bad_request"
            assert error["message"].startswith("malformed request: ")
            assert reason in error["message"]
            server_records = [r for r in caplog.records if r.name.startswith("aiohttp")
                              or r.name == "services.query.errors"]
            assert [r.levelname for r in server_records] == ["INFO"], server_records
            assert not any(r.exc_info for r in caplog.records)
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
