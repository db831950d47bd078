"""schemathesis against ``/openapi.json``: the query service runs as its own process on a
loopback port over real SQLite files seeded with the test events, a few calls for projects and
associations (so that /v1/calls*, /v1/associations* and /v1/search answer items), with a
real nats-server as its store of record (so that the reads of one post, venue, application or
association, and the writes, answer for real rather than their 503); every
operation of the
spec gets generated requests (valid and invalid); no answer may be a 5xx, and every answer
must match the spec (status, content type, headers, body schema), invalid input must be
rejected with a 4xx.

Bounded: 20 examples per operation, no deadline (a real server answers).
``positive_data_acceptance`` is off: some rules span several parameters ('to' after
'from', 'radius_km' needs 'near', sort=relevance needs 'q'), which OpenAPI cannot express,
so a request valid for the schema may rightly get a 400.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from services.associations.project import searchable
from services.query.openapi import spec
from shared.calls import CallMessage
from shared.natsserver import NatsServer, free_port
from shared.process import stop_process
from shared.store.calls_sqlite import CallStore
from shared.store.directory_base import DirectoryMessage
from shared.store.directory_sqlite import SqliteDirectory
from shared.store.sqlite import SqliteStore

from .conftest import seed, seed_associations, seed_calls

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
schema = schemathesis.openapi.from_dict(spec())


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The service's URL, and an association's token for its authenticated writes."""
    directory = tmp_path_factory.mktemp("query-service")
    path = directory / "index.sqlite"
    token = ""

    async def prepare() -> None:
        nonlocal token
        store = SqliteStore(path)
        await seed(store)
        await store.close()
        calls = CallStore(directory / "calls.sqlite")
        await calls.apply([CallMessage.upsert(call, 1) for call in seed_calls(3)])
        _, token = calls.issue_token("Association numéro 00")
        await calls.close()
        associations = SqliteDirectory(directory / "directory.sqlite")
        await associations.apply([DirectoryMessage(r["id"], i + 1, searchable(r, None))
                                  for i, r in enumerate(seed_associations(5))])
        await associations.close()

    asyncio.run(prepare())
    nats = NatsServer(directory / "nats", free_port()).start()  # the store of record
    port = free_port()
    env = {**os.environ, "MAILLAGE_SQLITE_PATH": str(path), "MAILLAGE_DATA_DIR": str(directory),
           "MAILLAGE_HTTP_HOST": "127.0.0.1", "MAILLAGE_HTTP_PORT": str(port),
           "MAILLAGE_RATE_LIMIT": "0", "LOG_LEVEL": "WARNING",
           "MAILLAGE_NATS_URL": nats.url}
    log = (directory / "server.log").open("wb")  # a file: a full pipe would block the server
    process = subprocess.Popen([sys.executable, "-m", "services.query"], cwd=REPO, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # ready once the store of record answers too (404, not 503)
                if requests.get(url + "/v1/venues/none", timeout=1).status_code == 404:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("query service did not start: "
                                   + (directory / "server.log").read_text(errors="replace"))
            time.sleep(0.1)
        yield url, token
    finally:
        stop_process(process, 10)
        log.close()
        nats.stop()


@pytest.fixture(scope="module")
def server_url(service: tuple[str, str]) -> str:
    return service[0]


def test_served_spec_is_the_tested_spec(server_url: str) -> None:
    assert requests.get(server_url + "/openapi.json", timeout=5).json() == spec()


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi(case: schemathesis.Case,
                                     service: tuple[str, str]) -> None:
    server_url, token = service
    excluded = [positive_data_acceptance]
    # the writes (alerts, interests) with a valid token, so that their answers past the 401
    # are checked too; schemathesis's ignored_auth check still calls them without it
    headers = {"Authorization": f"Bearer {token}"} if case.operation.definition.raw.get(
        "security") else None
    case.call_and_validate(base_url=server_url, headers=headers, excluded_checks=excluded,
                           timeout=30)
