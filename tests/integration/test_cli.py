"""``maillage parse``: JSON lines for good input, one clear line and a non-zero exit for bad."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.natsserver import NatsServer, free_port

pytestmark = pytest.mark.integration

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//t//FR\r
BEGIN:VEVENT\r
UID:cli-1\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Paris:20261205T200000\r
SUMMARY:Bal folk\r
END:VEVENT\r
END:VCALENDAR\r
"""


def maillage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_parse_prints_one_json_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "a.ics"
    path.write_text(ICS)
    result = maillage("parse", str(path), "--now", "2026-11-01T00:00:00+01:00")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    event = json.loads(line)
    assert event["title"] == "Bal folk"
    assert event["occurrences"][0]["start"] == "2026-12-05T20:00:00+01:00"


@pytest.mark.parametrize(("content", "name"), [
    (b"", "empty.ics"),
    (b"\x00\x01\x02 not a calendar", "garbage.bin"),
    (b"<html><body>Document moved</body></html>", "moved.rss"),
    (b'{"hello": "world"}', "unknown.json"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no-event.ics"),
])
def test_unusable_file_gives_one_line_and_nonzero_exit(
    tmp_path: Path, content: bytes, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = maillage("parse", str(path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith("maillage parse:")


def test_missing_file_is_reported_without_traceback(tmp_path: Path) -> None:
    result = maillage("parse", str(tmp_path / "absent.ics"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "absent.ics" in result.stderr


def test_url_to_a_refused_address_is_reported(tmp_path: Path) -> None:
    result = maillage("parse", "http://169.254.169.254/latest/meta-data")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "MAILLAGE_ALLOW_PRIVATE" not in result.stderr  # no hint to lift the guard there


def test_a_feed_on_this_machine_is_refused_with_the_way_to_read_it() -> None:
    """A newcomer parses a feed of the demo server: the SSRF guard refuses loopback, and the
    one line says how a local feed is read (nothing is fetched)."""
    env = {k: v for k, v in os.environ.items() if k != "MAILLAGE_ALLOW_PRIVATE"}
    result = subprocess.run([sys.executable, "-m", "services.cli", "parse",
                             f"http://127.0.0.1:{free_port()}/velo/agenda.ics"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "is not public; MAILLAGE_ALLOW_PRIVATE=true reads a feed served on this machine" \
        in result.stderr


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``maillage parse FILE | head -1``: the reader goes away after one line."""
    head, _, rest = ICS.partition("BEGIN:VEVENT")
    event, _, tail = rest.partition("END:VEVENT\r\n")
    events = "".join(  # far more JSON than a pipe holds (64 KiB)
        "BEGIN:VEVENT" + event.replace("UID:cli-1", f"UID:cli-{i}") + "END:VEVENT\r\n"
        for i in range(2000))
    path = tmp_path / "many.ics"
    path.write_text(head + events + tail)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "parse", str(path), "--now",
         "2026-11-01T00:00:00+01:00"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["title"] == "Bal folk"
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_ctrl_c_ends_quietly(tmp_path: Path) -> None:
    """Ctrl-C while a command waits on the network: no traceback, exit 130."""
    import os
    import signal
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()  # accepts the connection, never answers
    port = server.getsockname()[1]
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "parse", f"http://127.0.0.1:{port}/a.ics"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "MAILLAGE_ALLOW_PRIVATE": "true"},
        )
        server.settimeout(30)
        conn, _ = server.accept()  # the command is now waiting for an answer
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        conn.close()
    finally:
        server.close()
    assert proc.returncode == 130
    assert "Traceback" not in stderr.decode(), stderr.decode()


def test_operator_commands_find_the_running_stack_or_say_none_runs(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    """No MAILLAGE_NATS_URL: the commands read the URL ``maillage run`` wrote under the data
    directory; with none written and nothing listening, one line says so."""
    env = {k: v for k, v in os.environ.items() if k != "MAILLAGE_NATS_URL"}
    env["MAILLAGE_DATA_DIR"] = str(tmp_path)
    (tmp_path / "nats.url").write_text(nats_server.url + "\n")
    found = subprocess.run([sys.executable, "-m", "services.cli", "sources", "list"],
                           capture_output=True, text=True, timeout=60, env=env)
    assert found.returncode == 0, found.stderr
    assert found.stdout.startswith("ID ") and "(none)" in found.stdout
    (tmp_path / "nats.url").write_text(f"nats://127.0.0.1:{free_port()}\n")
    none = subprocess.run([sys.executable, "-m", "services.cli", "sources", "list"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert none.returncode != 0 and none.stdout == ""
    assert none.stderr.count("\n") == 1 and "Traceback" not in none.stderr
    assert "no running stack at" in none.stderr and "make run" in none.stderr


def test_parse_of_a_hostile_calendar_ends_within_seconds_with_a_reason(tmp_path: Path) -> None:
    """The same bounded path as the harvester: a parser process stopped at the timeout."""
    import time

    from tests.unit.harvester import hostile_ics

    path = tmp_path / "never.ics"
    path.write_bytes(hostile_ics.never_ending())
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "parse", str(path), "--now",
         "2026-03-01T00:00:00+00:00"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "MAILLAGE_PARSE_TIMEOUT": "3"},
    )
    assert time.monotonic() - started < 30  # 3 s of parse, plus starting Python twice
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "maillage parse: the document took more than 3 s to parse")


def test_parse_of_a_document_with_too_many_occurrences_says_so(tmp_path: Path) -> None:
    from tests.unit.harvester import hostile_ics

    path = tmp_path / "series.ics"
    path.write_bytes(hostile_ics.daily_series(600))
    result = subprocess.run(  # a small cap: the count, not the clock, must stop it
        [sys.executable, "-m", "services.cli", "parse", str(path), "--now",
         "2026-03-01T00:00:00+00:00"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "MAILLAGE_MAX_SOURCE_OCCURRENCES": "2000"},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "maillage parse: more than 2,000 occurrences in the document "
        "(MAILLAGE_MAX_SOURCE_OCCURRENCES)")


def test_token_commands_use_the_running_stacks_calls_store(tmp_path: Path) -> None:
    """'maillage token' in a second terminal writes where the running stack reads: its
    calls store as 'maillage run' recorded it, not ./var/calls.sqlite (a token issued there
    would be refused by the stack)."""
    from services.cli.opstools import write_stack_files

    data, store = tmp_path / "var", tmp_path / "state" / "calls.sqlite"
    data.mkdir()
    store.parent.mkdir()
    write_stack_files(data, "nats://127.0.0.1:4222",  # no connection: the store is a file
                      {"MAILLAGE_DATA_DIR": str(data), "MAILLAGE_CALLS_SQLITE_PATH": str(store)})
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAILLAGE_NATS_URL", "MAILLAGE_CALLS_SQLITE_PATH")}
    env["MAILLAGE_DATA_DIR"] = str(data)

    def token(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "services.cli", "token", *args],
                              capture_output=True, text=True, timeout=60, env=env)

    issued = token("issue", "Vélo Rennes")
    assert issued.returncode == 0, issued.stderr
    listed = token("list")
    assert "\tVélo Rennes\t" in listed.stdout and "active" in listed.stdout
    assert store.exists() and not (data / "calls.sqlite").exists()
    token_id = listed.stdout.split("\t")[0]
    assert token("revoke", token_id).returncode == 0
    assert "revoked" in token("list").stdout
