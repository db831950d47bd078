"""Helpers for the push tests: a signed-request builder and an in-memory bus."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from services.ingest.app import create_app
from services.ingest.settings import SETTINGS
from services.ingest.signatures import sign
from shared.settings import load

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"x" * 32).decode()


def a_call(**changes: Any) -> dict[str, Any]:
    call = {
        "id": "2026-jardins-001",
        "title": "Jardins partagés dans les quartiers",
        "funder": "Ville de Rennes",
        "description": "<p>Soutien aux <b>jardins</b> partagés.</p><script>x()</script>",
        "themes": ["environnement"],
        "audiences": ["associations", "collectifs"],
        "perimeter": {"kind": "quartier", "name": "Maurepas"},
        "amount": {"min": 500, "max": 5000},
        "opens": "2026-01-01T00:00:00+01:00",
        "deadline": "2099-04-15T12:00:00+02:00",
        "application_url": "https://example.org/candidater",
        "attachments": [{"title": "Règlement", "url": "https://example.org/reglement.pdf"}],
        "contact": {"name": "Service vie associative", "email": "va@example.org"},
        "joint_applications": True,
    }
    call.update(changes)
    return call


def signed(body: bytes, secret: str = SECRET, msg_id: str = "msg_1",
           timestamp: int | None = None) -> dict[str, str]:
    headers = sign(secret, msg_id, int(time.time()) if timestamp is None else timestamp, body)
    headers["Content-Type"] = "application/json"
    return headers


def dumps(data: Any) -> bytes:
    return json.dumps(data).encode()


class FakeKV:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    async def get(self, key: str) -> Any:
        if key not in self.data:
            raise KeyNotFoundError
        return type("Entry", (), {"value": self.data[key]})()

    async def create(self, key: str, value: bytes) -> int:
        if key in self.data:
            raise KeyWrongLastSequenceError
        self.data[key] = value
        return len(self.data)


@dataclass
class FakeBus:
    """Publishes into a list, dropping repeated Nats-Msg-Ids like the server does."""

    published: list[tuple[str, bytes]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    replicas: int = 1
    fail: bool = False

    async def publish(self, subject: str, payload: bytes, msg_id: str,
                      headers: dict[str, str] | None = None) -> bool:
        if self.fail:
            raise TimeoutError("no PubAck")
        if msg_id in self.ids:
            return False
        self.ids.add(msg_id)
        self.published.append((subject, payload))
        return True


@dataclass
class Push:
    client: TestClient
    bus: FakeBus

    async def post(self, body: bytes, headers: dict[str, str], publisher: str = "ville"):
        return await self.client.post(f"/v1/push/{publisher}/calls", data=body, headers=headers)


@pytest.fixture
async def push() -> AsyncIterator[Push]:
    settings = load(SETTINGS, {
        "MAILLAGE_PUSH_SECRETS": f"ville={SECRET},ville={OLD_SECRET},metropole={OTHER_SECRET}",
        "MAILLAGE_PUSH_MAX_BYTES": "20000",
        "MAILLAGE_PUSH_RATE": "1",
        "MAILLAGE_PUSH_BURST": "5",
    })
    bus = FakeBus()
    app = create_app(bus, settings)  # type: ignore[arg-type]
    from services.ingest.push import PUSH

    app[PUSH].seen = FakeKV()  # type: ignore[assignment]
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Push(client, bus)
    finally:
        await client.close()
