"""The agenda tool a source shows, also when it was added without a format (issue 20)."""

from __future__ import annotations

import pytest

from services.associations.project import Related, searchable
from services.associations.tools import source_format, source_tool


@pytest.mark.parametrize(("url", "fmt", "tool"), [
    # the demo's sources, added without --format: the harvester detects them
    ("http://127.0.0.1:8090/velo-solidaire/agenda.ics", None, "autre-agenda"),
    ("http://127.0.0.1:8090/jardins-blosne/feed.rss", None, "site-agenda"),
    ("http://127.0.0.1:8090/acces-culture/agenda.xml", None, "site-agenda"),
    ("http://127.0.0.1:8090/repair-cafe-villejean/index.html", None, "site-agenda"),
    ("webcal://example.org/cal", None, "autre-agenda"),
    ("https://asso.example/feed/", None, "site-agenda"),
    # a known host or format still names its tool
    ("https://calendar.google.com/calendar/ical/x/public/basic.ics", None, "google-agenda"),
    ("https://asso.example/agenda/?ical=1", None, "wordpress-agenda"),
    ("https://asso.example/events", "openagenda", "openagenda"),
    ("https://asso.example/agenda.ics", "ics", "autre-agenda"),
    # nothing to tell
    ("https://asso.example/api/events", None, None),
    ("http://[::1", None, None),
])
def test_source_tool(url: str, fmt: str | None, tool: str | None) -> None:
    assert source_tool(url, fmt) == tool


def test_the_format_given_wins_over_the_url() -> None:
    assert source_format("https://asso.example/agenda.ics", "html") == "html"
    assert source_format("https://asso.example/agenda.ics") == "ics"


def test_a_source_without_format_counts_as_harvested() -> None:
    source = {"id": "s1", "url": "http://127.0.0.1:8090/choeur/concerts.ics", "format": None,
              "tool": source_tool("http://127.0.0.1:8090/choeur/concerts.ics")}
    doc = searchable({"id": "choeur", "name": "Chœur", "state": "active"}, None,
                     Related(sources=(source,)))
    assert doc is not None
    assert doc["harvested_tools"] == ["autre-agenda"]
    assert "autre-agenda" in doc["tools"]
