"""``maillage run`` heals itself when its nats-server dies: ``kill -9`` of the embedded server,
then the supervisor reaps it and starts it again on its JetStream store, every service
reconnects, a change to a source is harvested and searchable, operator commands work, the log
is not flooded, and Ctrl-C stops everything without a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from shared.natsserver import free_port
from tests.integration.faults.procs import wait_until_sync
from tests.integration.test_run import NEW_EVENT, get_json, processes_using, run_env

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def nats_server_pid(data_dir: Path) -> int | None:
    """The pid of the running nats-server whose store is under ``data_dir``."""
    marker = str(data_dir / "nats").encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().split(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if b"nats-server" in cmdline and marker in cmdline and state != "Z":
            return int(proc.name)
    return None


def is_zombie(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().split(") ", 1)[1][0] == "Z"
    except OSError:
        return False


def test_kill_9_of_the_nats_server_is_healed(tmp_path: Path) -> None:
    data = tmp_path / "var"
    port = free_port()
    env = run_env(data, port)
    log_path = tmp_path / "run.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "run", "--demo"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_sync(lambda: get_json(f"{base}/v1/events?limit=5")["total"] >= 10,
                        90, "the demo events", every=0.3)
        first = nats_server_pid(data)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_until_sync(lambda: (nats_server_pid(data) or first) != first, 30,
                        "a new nats-server", every=0.2)
        assert not is_zombie(first), "the killed nats-server was not reaped"
        wait_until_sync(lambda: time.monotonic() - killed_at > 20, 25, "20 s of life after it")

        ics = data / "demo" / "site" / "velo-solidaire" / "agenda.ics"
        day = time.strftime("%Y%m%d", time.localtime(time.time() + 5 * 86400))
        body = ics.read_bytes()
        ics.write_bytes(body.replace(b"END:VCALENDAR\r\n", NEW_EVENT.format(day=day).encode()))
        wait_until_sync(lambda: get_json(f"{base}/v1/events?q=assembl%C3%A9e")["total"] == 1,
                        90, "the added event, searchable", every=0.5)
        listed = subprocess.run(
            [sys.executable, "-m", "services.cli", "sources", "list"], capture_output=True,
            env={k: v for k, v in env.items() if k != "MAILLAGE_NATS_URL"}, timeout=60)
        assert listed.returncode == 0, listed.stderr.decode()
        assert b"velo-solidaire" in listed.stdout
        html = urllib.request.urlopen(base + "/", timeout=5).read().decode()
        assert 'lang="fr"' in html
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    out = log_path.read_text(errors="replace")
    assert proc.returncode == 0, out[-3000:]
    assert "nats-server exited" in out
    assert "Traceback" not in out, out[-3000:]
    refused = out.count("Connect call failed")
    assert refused <= 3 * 6, f"{refused} 'Connect call failed' lines: not rate-limited"
    wait_until_sync(lambda: not processes_using(data), 10, "every child process to exit",
                    every=0.3)
