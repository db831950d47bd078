"""The "done when" of issue 19 on ``maillage run --demo``, every part its own process (the
site, harvester, indexer, NATS, the demo's association websites): a newcomer signs in from
the demo outbox, joins Roazhon Vélo Solidaire, adds the association's second calendar (served
by the demo, harvested by no one yet), sees the preview, confirms, and finds its events in
the agenda; a form without a valid CSRF token is refused."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest

from shared.natsserver import free_port
from tests.integration.faults.procs import wait_until_sync
from tests.integration.test_run import csrf, get_json, run_env, signed_in, stop_cleanly

pytestmark = pytest.mark.integration


def test_a_newcomer_adds_the_association_calendar_and_finds_it_in_the_agenda(
        tmp_path: Path) -> None:
    data = tmp_path / "var"
    port = free_port()
    env = run_env(data, port)
    calendar = f"http://127.0.0.1:{env['MAILLAGE_DEMO_PORT']}/velo-solidaire/velo-ecole.ics"
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        page = signed_in(base, "lou@velo-solidaire.test")
        joined = page("/associations/rejoindre",
                      {"association": "velo-solidaire", "csrf": csrf(page("/compte"))})
        assert "Vous êtes membre de l’association" in joined
        assert get_json(f"{base}/v1/events?q=%C3%A9cole")["total"] == 0  # not harvested yet
        sources = page("/associations/velo-solidaire/sources")
        preview = page("/associations/velo-solidaire/sources/apercu",
                       {"url": calendar, "csrf": csrf(sources)})
        assert "2 événements trouvés, dont 2 à venir" in preview, preview[-3000:]
        assert "Vélo-école pour adultes" in preview
        # the member's own session, but no token from the form: refused, nothing registered
        # (else the confirmation below would find the calendar taken)
        with pytest.raises(urllib.error.HTTPError) as refused:
            page("/associations/velo-solidaire/sources", {"url": calendar})
        assert refused.value.code == 403
        done = page("/associations/velo-solidaire/sources", {"url": calendar,
                                                             "csrf": csrf(preview)})
        assert "La source est enregistrée" in done
        wait_until_sync(lambda: get_json(f"{base}/v1/events?q=%C3%A9cole")["total"] >= 2, 60,
                        "the new calendar's events in the agenda", every=0.5)
        titles = {i["title"] for i in get_json(f"{base}/v1/events?q=%C3%A9cole")["items"]}
        assert titles == {"Vélo-école pour adultes", "Vélo-école des enfants"}
    finally:
        stop_cleanly(proc, data)
