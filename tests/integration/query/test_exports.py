"""Exports of a search over real HTTP: ICS (read back by icalendar and by Mozilla's ical.js,
an independent parser run with node), RSS 2.0, JSON-LD and CSV.

ical.js is installed with npm from tests/integration/query/node/package.json into a cache
directory outside the repository, once; without node or npm the ical.js test is skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import icalendar
import pytest

from services.query.web.fr import typo

pytestmark = pytest.mark.integration

NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def ical_js() -> Path:
    """A directory where ``node read_ics.mjs`` can import ical.js."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to read the ICS export with ical.js")
    manifest = (NODE_DIR / "package.json").read_bytes()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    target = cache / "maillage-tests" / ("ical-js-" + hashlib.sha256(manifest).hexdigest()[:12])
    if not (target / "node_modules" / "ical.js").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(NODE_DIR / "package.json", target / "package.json")
        try:
            subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=target,
                           check=True, capture_output=True, timeout=180)
        except (subprocess.SubprocessError, OSError) as exc:
            pytest.skip(f"npm could not install ical.js ({exc}); is the npm registry reachable?")
    shutil.copy(NODE_DIR / "read_ics.mjs", target / "read_ics.mjs")
    return target


def read_with_ical_js(directory: Path, body: bytes) -> dict[str, Any]:
    done = subprocess.run(["node", "read_ics.mjs"], cwd=directory, input=body,
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


async def fetch(client: Any, path: str, **params: Any) -> tuple[bytes, Any]:
    resp = await client.get(path, params=params)
    assert resp.status == 200, await resp.text()
    return await resp.read(), resp


async def test_ics_is_read_by_ical_js(client, ical_js) -> None:
    body, resp = await fetch(client, "/v1/events.ics")
    assert resp.content_type == "text/calendar"
    calendar = read_with_ical_js(ical_js, body)
    assert calendar["calname"] == "Maillage – agenda des associations rennaises"
    assert calendar["version"] == "2.0" and calendar["timezones"] == ["Europe/Paris"]
    events = {e["summary"]: e for e in calendar["events"]}
    concert = events["Concert de la chorale du Thabor"]
    assert concert["startTzid"] == "Europe/Paris" and not concert["isDate"]
    assert concert["location"] == "Les Champs Libres, 10 cours des Alliés, 35000 Rennes"
    assert concert["uid"].startswith("oc_") and concert["uid"].endswith("@maillage")
    assert concert["dtstamp"].startswith("2026-01-15T09:30:00")
    assert concert["url"].startswith("https://maillage.example/evenement/oc_")


async def test_ics_times_agree_between_the_two_parsers(client, ical_js) -> None:
    body, _ = await fetch(client, "/v1/events.ics")
    ours = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    for event in read_with_ical_js(ical_js, body)["events"]:
        start = ours[event["uid"]].decoded("DTSTART")
        if not event["isDate"]:
            assert datetime.fromisoformat(event["start"]) == start.astimezone(UTC)


async def test_ics_escaping_survives_ical_js(client, ical_js) -> None:
    body, _ = await fetch(client, "/v1/events.ics", keyword="repas")
    (event,) = read_with_ical_js(ical_js, body)["events"]
    # the texts as the pages show them (fr.typo: no-break spaces inside « » and before :)
    assert event["summary"] == typo(
        "Repas solidaire; soupe, pain & fromage — « entrée » à prix libre")
    assert event["description"].startswith(typo(
        "Ligne 1, avec virgule; point-virgule \\ barre oblique\nLigne 2 : une très longue"))


async def test_ics_all_day_event_is_a_date_for_ical_js(client, ical_js) -> None:
    body, _ = await fetch(client, "/v1/events.ics", commune="Cesson-Sévigné")
    (event,) = read_with_ical_js(ical_js, body)["events"]
    assert event["isDate"]


async def test_ics_lists_cancelled_occurrences_as_cancelled(client, ical_js) -> None:
    body, _ = await fetch(client, "/v1/events.ics")
    events = {e["summary"]: e for e in read_with_ical_js(ical_js, body)["events"]}
    assert events["Conférence sur le climat"]["status"] == "CANCELLED"
    assert events["Concert de la chorale du Thabor"]["status"] == "CONFIRMED"


async def test_ics_hides_cancelled_when_asked(client) -> None:
    body, _ = await fetch(client, "/v1/events.ics", include_cancelled="false")
    assert b"STATUS:CANCELLED" not in body


async def test_ics_of_the_same_search_is_byte_identical(client) -> None:
    first, _ = await fetch(client, "/v1/events.ics", theme="culture")
    second, _ = await fetch(client, "/v1/events.ics", theme="culture")
    assert first == second


async def test_export_reads_every_page_up_to_limit(make_client) -> None:
    client = await make_client(MAILLAGE_EXPORT_MAX="5")
    body, _ = await fetch(client, "/v1/events.ics")
    assert body.count(b"BEGIN:VEVENT") == 5
    body, _ = await fetch(client, "/v1/events.ics", limit="2")
    assert body.count(b"BEGIN:VEVENT") == 2


async def test_export_limit_above_the_cap_is_a_400(make_client) -> None:
    client = await make_client(MAILLAGE_EXPORT_MAX="5")
    resp = await client.get("/v1/events.csv", params={"limit": "6"})
    assert resp.status == 400
    assert (await resp.json())["error"]["details"]["parameter"] == "limit"


async def test_export_rejects_bad_parameters_like_the_api(client) -> None:
    resp = await client.get("/v1/events.rss", params={"theme": "nope"})
    assert resp.status == 400


async def test_rss_feed(client) -> None:
    body, resp = await fetch(client, "/v1/events.rss", q="vélo")
    assert resp.content_type == "application/rss+xml"
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.version == "rss20"
    assert len(feed.entries) == 3
    assert all(e.title.startswith("Atelier de réparation vélo – ") for e in feed.entries)
    assert len({e.id for e in feed.entries}) == 3


async def test_jsonld_export(client) -> None:
    body, resp = await fetch(client, "/v1/events.jsonld", theme="sport")
    assert resp.content_type == "application/ld+json"
    data = json.loads(body)
    (element,) = data["itemListElement"]
    assert element["item"]["name"] == "Tournoi de basket des jeunes"
    assert element["item"]["isAccessibleForFree"] is False


async def test_csv_export(client) -> None:
    body, resp = await fetch(client, "/v1/events.csv", free="true")
    assert resp.content_type == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="maillage.csv"'
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert len(rows) == 5
    assert {r["quartier"] for r in rows} == {"Centre", "Sud-Gare"}


async def test_feeds_people_read_have_french_typography_data_exports_keep_the_text(
        client) -> None:
    """ICS and RSS use the pages' typography (fr.typo); JSON-LD and CSV keep the source's."""
    nbsp = "\u00a0"
    typeset = f"«{nbsp}entrée{nbsp}» à prix libre"
    ics, _ = await fetch(client, "/v1/events.ics", keyword="repas")
    calendar = icalendar.Calendar.from_ical(ics)
    summaries = [str(e.get("SUMMARY")) for e in calendar.walk("VEVENT")]
    assert summaries and all(typeset in s for s in summaries)
    descriptions = [str(e.get("DESCRIPTION")) for e in calendar.walk("VEVENT")]
    assert all(f"Organisé par{nbsp}:" in d for d in descriptions)
    rss, _ = await fetch(client, "/v1/events.rss", keyword="repas")
    assert typeset in rss.decode()
    jsonld, _ = await fetch(client, "/v1/events.jsonld", keyword="repas")
    assert "« entrée » à prix libre" in jsonld.decode()
