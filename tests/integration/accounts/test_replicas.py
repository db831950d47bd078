"""Two replicas of the site process (``python -m services.query`` on two ports, one
nats-server): a session made on one is valid on the other, concurrent edits of one
association through both lose nothing, and ``maillage accounts grant`` (a real command)
bootstraps the first operator."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from shared.bus import Bus
from shared.natsserver import NatsServer, free_port
from shared.records import Records
from shared.store.sqlite import SqliteStore
from tests.integration.faults.procs import Processes, wait_until

from .conftest import Browser, Site

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

REPO = Path(__file__).resolve().parents[3]


class Replica(Site):
    def __init__(self, url: str, data_dir: Path) -> None:
        self.url, self.data_dir = url, data_dir


async def ready(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as s, s.get(url + "/associations/velo-solidaire") as r:
            return r.status == 200
    except aiohttp.ClientError:
        return False


@pytest.fixture
async def replicas(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[list[Replica]]:
    data = tmp_path / "data"
    data.mkdir()
    store = SqliteStore(data / "index.sqlite")
    await store.close()
    ports = [free_port(), free_port()]
    group = Processes(tmp_path / "logs")
    common = {"MAILLAGE_NATS_URL": nats_server.url, "MAILLAGE_DATA_DIR": str(data),
              "MAILLAGE_SQLITE_PATH": str(data / "index.sqlite"), "MAILLAGE_DEMO": "true",
              "MAILLAGE_RATE_LIMIT": "0", "MAILLAGE_HTTP_HOST": "127.0.0.1",
              "MAILLAGE_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}"}
    try:
        for n, port in enumerate(ports):
            group.start("services.query", {**common, "MAILLAGE_HTTP_PORT": str(port)},
                        f"site-{n}")
        found = [Replica(f"http://127.0.0.1:{p}", data) for p in ports]
        for n, replica in enumerate(found):
            await wait_until(lambda r=replica: ready(r.url), 60, f"replica {n}")
        yield found
    finally:
        group.stop_all()


def grant_operator(nats_url: str, email: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "accounts", "grant", "operator", email],
        cwd=REPO, env={"MAILLAGE_NATS_URL": nats_url, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_session_made_on_one_replica_is_valid_on_the_other(
        replicas: list[Replica], nats_server: NatsServer) -> None:
    a, b = replicas
    on_a = Browser(a.url)
    try:
        await on_a.sign_in(a, "anne@exemple.fr")
        cookies = {c.key: c.value for c in on_a.session.cookie_jar}
        assert "maillage_session" in cookies
        async with aiohttp.ClientSession(cookies=cookies) as on_b, \
                on_b.get(b.url + "/compte", allow_redirects=False) as resp:
            assert resp.status == 200 and "anne@exemple.fr" in await resp.text()
        await on_a.post("/deconnexion", {}, token_from="/compte")  # signed out on a...
        async with aiohttp.ClientSession(cookies=cookies) as on_b, \
                on_b.get(b.url + "/compte", allow_redirects=False) as resp:
            assert resp.status == 303  # ...is signed out on b
    finally:
        await on_a.close()


async def test_concurrent_edits_through_both_replicas_lose_nothing(
        replicas: list[Replica], nats_server: NatsServer, bus: Bus) -> None:
    a, b = replicas
    assert "operator granted to ops@ville.example" in grant_operator(
        nats_server.url, "ops@ville.example")
    browsers = [Browser(a.url), Browser(b.url)]
    try:
        for browser in browsers:  # the same person, one device on each replica
            await browser.sign_in(a, "ops@ville.example")
        path = "/associations/velo-solidaire/modifier"
        base = {"name": "Roazhon Vélo Solidaire", "website": "https://velo-solidaire.test/",
                "organizers": "Roazhon Vélo Solidaire"}
        rounds = 5
        for n in range(rounds):
            forms = []
            for browser in browsers:  # both forms show the same version
                status, html = await browser.get(path)
                version = html.split('name="version" value="')[1].split('"')[0]
                token = html.split('name="csrf" value="')[1].split('"')[0]
                forms.append({**base, "version": version, "csrf": token})
            # each browser sends the whole form as shown, with one field changed
            results = await asyncio.gather(
                browsers[0].post(path, {**forms[0], "acronym": f"RVS{n}"}),
                browsers[1].post(path, {**forms[1], "rna": f"W35000000{n}"}))
            assert [r.status for r in results] == [200, 200]
            base = {**base, "acronym": f"RVS{n}", "rna": f"W35000000{n}"}
        records = Records(bus.js)
        current = await records.get("maillage.rec.association.velo-solidaire")
        assert current is not None
        assert (current.record["acronym"], current.record["rna"]) == (
            f"RVS{rounds - 1}", f"W35000000{rounds - 1}")
        history = await records.history("maillage.rec.association.velo-solidaire")
        assert len([e for e in history if e.op == "update"]) == 2 * rounds
    finally:
        for browser in browsers:
            await browser.close()
