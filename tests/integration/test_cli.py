"""``maillage parse``: JSON lines for good input, one clear line and a non-zero exit for bad."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
        [sys.executable, "-m", "shared.cli", *args], capture_output=True, text=True, timeout=60
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
