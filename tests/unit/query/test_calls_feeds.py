"""The calls' feeds speak French as the pages do: no-break spaces, days and hours in words."""

from __future__ import annotations

import feedparser
from icalendar import Calendar

from services.query.calls_feeds import calls_ics, calls_rss

DOC = {
    "id": "rennes-jardins",
    "title": "Jardins partagés",
    "funder": "Ville de Rennes",
    "amount": {"min": 1000, "max": 15000, "rate": 80},
    "perimeter": "ville",
    "deadline": "2027-04-15T10:00:00+00:00",  # noon in Rennes (summer time)
    "first_seen": "2027-03-01T09:00:00+00:00",
    "themes": ["environnement"],
}


def test_rss_says_the_deadline_in_rennes_time_in_words() -> None:
    body = calls_rss([DOC], "https://agenda.example", "https://agenda.example/v1/calls.rss", "x")
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    text = parsed.entries[0].description
    assert "Date limite\u00a0: jeudi 15 avril 2027 à 12\u00a0h" in text
    assert "Montant\u00a0: 1\u202f000\u00a0€ – 15\u202f000\u00a0€" in text
    assert "Taux\u00a0: 80\u00a0%" in text
    assert "Financeur\u00a0: Ville de Rennes" in text
    assert " :" not in text and " %" not in text


def test_ics_labels_have_no_break_spaces() -> None:
    cal = Calendar.from_ical(calls_ics([DOC], "https://agenda.example", "Appels"))
    (event,) = cal.walk("VEVENT")
    assert str(event["summary"]) == "Date limite\u00a0: Jardins partagés"
    assert "Candidater\u00a0: https://agenda.example/appels/rennes-jardins" in str(
        event["description"])
