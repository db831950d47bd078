"""What a bus says about its connection while the server is away: not a line per attempt."""

from __future__ import annotations

import logging

import pytest

from shared.bus import ConnectionLog


async def test_one_line_per_period_then_one_on_reconnection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    said = ConnectionLog(every_s=30, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="shared.bus")
    await said.disconnected()
    for _ in range(120):  # a minute of attempts every half second
        await said.error(ConnectionRefusedError(111, "Connect call failed"))
        now[0] += 0.5
    await said.reconnected()
    await said.disconnected()  # a later outage is reported again
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "nats: disconnected; reconnecting"
    assert lines[1].startswith("nats: [Errno 111] Connect call failed")
    assert lines[2].endswith("Connect call failed (59 more like it in 30 s)")
    assert lines[3] == "nats: reconnected after 60.0 s"
    assert lines[4] == "nats: disconnected; reconnecting"
    assert len(lines) == 5  # instead of 122


async def test_closing_is_not_an_outage(caplog: pytest.LogCaptureFixture) -> None:
    said = ConnectionLog()
    said.closing = True
    await said.disconnected()
    assert caplog.records == []


async def test_a_nats_error_is_not_prefixed_twice(caplog: pytest.LogCaptureFixture) -> None:
    from nats.errors import UnexpectedEOF

    caplog.set_level(logging.WARNING, logger="shared.bus")
    await ConnectionLog().error(UnexpectedEOF())
    assert [r.getMessage() for r in caplog.records] == ["nats: unexpected EOF"]
