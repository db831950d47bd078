"""Reading streams and preparing consumers for the fault tests."""

from __future__ import annotations

import contextlib

from nats.js.api import AckPolicy, ConsumerConfig

from services.harvester.scheduler import JOBS_DURABLE
from shared.bus import JOBS_SUBJECT, Bus


async def stored_messages(url: str, stream: str) -> list[tuple[str, bytes]]:
    """(Nats-Msg-Id, data) of every message of ``stream``, read by sequence."""
    bus = await Bus.connect(url, name="test-reader")
    try:
        state = (await bus.js.stream_info(stream)).state
        out = []
        for seq in range(state.first_seq, state.last_seq + 1):
            with contextlib.suppress(Exception):
                msg = await bus.js.get_msg(stream, seq)
                out.append(((msg.headers or {}).get("Nats-Msg-Id", ""), msg.data or b""))
        return out
    finally:
        await bus.close()


async def create_jobs_consumer(bus: Bus, ack_wait_s: float) -> None:
    """The harvesters' shared consumer with a short ack wait (bound as is by every replica)."""
    await bus.js.add_consumer("JOBS", ConsumerConfig(
        durable_name=JOBS_DURABLE, ack_policy=AckPolicy.EXPLICIT, ack_wait=ack_wait_s,
        max_ack_pending=1024, filter_subject=f"{JOBS_SUBJECT}.>"))
