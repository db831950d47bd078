"""``maillage run --demo`` end to end: the demo events are searchable, an event added to a
demo source appears after the next harvest, a newcomer signs in from the demo outbox and joins
a demo association, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest

from shared.natsserver import free_port
from tests.integration.faults.procs import wait_until_sync

pytestmark = pytest.mark.integration

DEMO_OCCURRENCES = 10 + 2 + 3 + 3 + 3 + 2  # the weekly workshop counts 10
DEMO_CALLS = 4 + 2  # pushed by the City, harvested from Rennes Métropole's feed


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:  # loopback only
        return json.load(resp)


def processes_using(data_dir: Path) -> list[int]:
    """Pids whose command line or environment mentions ``data_dir``."""
    found = []
    marker = str(data_dir).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline, environ = (proc / "cmdline").read_bytes(), (proc / "environ").read_bytes()
            if marker in cmdline or marker in environ:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


NEW_EVENT = """BEGIN:VEVENT\r
UID:ajout-test@velo-solidaire.demo\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Paris:{day}T180000\r
SUMMARY:Assemblée générale extraordinaire\r
LOCATION:Maison des Associations, 6 cours des Alliés, 35000 Rennes\r
END:VEVENT\r
END:VCALENDAR\r
"""


def csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def signed_in(base: str, address: str) -> Callable[..., str]:
    """Sign ``address`` in from the demo outbox; returns ``page(path, form=None)``, which
    GETs (or POSTs ``form``) with that person's cookies and returns the page."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def page(path: str, form: dict[str, str] | None = None) -> str:
        body = urlencode(form).encode() if form is not None else None
        with opener.open(base + path, data=body, timeout=30) as resp:  # loopback only
            return resp.read().decode()

    wait_until_sync(lambda: page("/associations/velo-solidaire"), 60,
                    "the site to reach the store of record", every=0.3)
    page("/connexion", {"email": address, "csrf": csrf(page("/connexion"))})
    links: list[str] = []

    def mailed() -> bool:
        outbox = page("/demo/courrier")
        links.extend(re.findall(r'href="(http[^"]+/connexion/lien\?jeton=[^"]+)"', outbox))
        return bool(links) and address in outbox

    wait_until_sync(mailed, 30, "the sign-in mail in the demo outbox", every=0.2)
    link_page = page(links[0].removeprefix(base))
    token = re.search(r'name="jeton" value="([^"]+)"', link_page)
    assert token
    account = page("/connexion/lien", {"jeton": token.group(1), "csrf": csrf(link_page)})
    assert "Mon compte" in account and address in account
    return page


def newcomer_signs_in_and_joins(base: str, data: Path) -> str:
    """Sign in from the demo outbox and join Roazhon Vélo Solidaire (an address at its
    domain): the page shown after joining."""
    page = signed_in(base, "vous@velo-solidaire.test")
    return page("/associations/rejoindre",
                {"association": "velo-solidaire", "csrf": csrf(page("/compte"))})


def run_env(data: Path, port: int) -> dict[str, str]:
    """The environment of a ``maillage run --demo`` on free ports, harvesting every 2 s."""
    return {
        **os.environ,
        "MAILLAGE_DATA_DIR": str(data),
        "MAILLAGE_HTTP_PORT": str(port),
        "MAILLAGE_INGEST_PORT": str(free_port()),
        "MAILLAGE_MONITOR_PORT": str(free_port()),
        "MAILLAGE_NATS_PORT": str(free_port()),
        "MAILLAGE_DEMO_PORT": str(free_port()),
        "MAILLAGE_DEMO_INTERVAL": "2",
        "MAILLAGE_SCHEDULER_TICK": "0.5",
    }


def test_make_run_serves_the_demo_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "var"
    port = free_port()
    env = run_env(data, port)
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_sync(
            lambda: get_json(f"{base}/v1/events?limit=100")["total"] >= DEMO_OCCURRENCES - 2,
            60, "the demo events", every=0.3)
        titles = {i["title"] for i in get_json(f"{base}/v1/events?limit=100")["items"]}
        assert "Atelier d'autoréparation vélo" in titles
        assert "Repair Café : on répare ensemble" in titles
        html = urllib.request.urlopen(base + "/", timeout=5).read().decode()
        # the page's French typography: a typographic apostrophe
        assert 'lang="fr"' in html and "Atelier d’autoréparation vélo" in html
        # maillage run names its public URL: feed links never follow the request's Host
        feed = urllib.request.Request(base + "/v1/events.rss",
                                      headers={"Host": f"localhost:{port}"})
        assert f"<link>{base}/evenement/" in urllib.request.urlopen(feed, timeout=5).read().decode()
        # The City's calls, pushed through the signed ingest endpoint, and a funder's feed.
        wait_until_sync(lambda: get_json(f"{base}/v1/calls?limit=50")["total"] == DEMO_CALLS,
                        60, "the demo calls for projects", every=0.3)
        funders = {c["funder"] for c in get_json(f"{base}/v1/calls?limit=50")["items"]}
        assert funders == {"Ville de Rennes", "Rennes Métropole"}

        ics = data / "demo" / "site" / "velo-solidaire" / "agenda.ics"
        day = time.strftime("%Y%m%d", time.localtime(time.time() + 5 * 86400))
        body = ics.read_bytes()
        assert body.endswith(b"END:VCALENDAR\r\n")
        ics.write_bytes(body.replace(b"END:VCALENDAR\r\n", NEW_EVENT.format(day=day).encode()))
        wait_until_sync(lambda: get_json(f"{base}/v1/events?q=assembl%C3%A9e")["total"] == 1,
                        60, "the added event", every=0.3)
        joined = newcomer_signs_in_and_joins(base, data)
        assert "Vous êtes membre de l’association" in joined, joined[-2000:]
    finally:
        stop_cleanly(proc, data)


def stop_cleanly(proc: subprocess.Popen[bytes], data: Path) -> None:
    """Ctrl-C of a ``maillage run``: exit 0, and no process of its data directory left."""
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert proc.returncode == 0, out.decode(errors="replace")[-3000:]
    wait_until_sync(lambda: not processes_using(data), 10, "every child process to exit",
                    every=0.3)
