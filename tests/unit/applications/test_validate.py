"""The checks of an application's form, with their French messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from multidict import MultiDict

from services.applications.validate import application_form, deadline_of, message_form
from shared.errors import InvalidInput

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def form(**values: str | list[str]) -> MultiDict[str]:
    out: MultiDict[str] = MultiDict()
    for key, value in values.items():
        for v in value if isinstance(value, list) else [value]:
            out.add(key, v)
    return out


def test_a_complete_form_for_a_known_call() -> None:
    values = application_form(form(
        title="  Vélo-école  ", summary="Ligne 1\r\n\r\n\r\n\r\nLigne 2\x07",
        themes=["sport"], quartiers=["Le Blosne", "Le Blosne"],
        skills="animation, médiation,", budget_min="1 000", budget_max="5000 €"),
        known_call=True, now=NOW)
    assert values["title"] == "Vélo-école"
    assert values["summary"] == "Ligne 1\n\nLigne 2"
    assert values["quartiers"] == ["Le Blosne"]
    assert values["skills"] == ["animation", "médiation"]
    assert (values["budget_min"], values["budget_max"]) == (1000, 5000)
    assert "funder" not in values


def test_every_error_at_once_in_french() -> None:
    with pytest.raises(InvalidInput) as caught:
        application_form(form(themes=["nope"], quartiers=["Atlantis"], budget_min="12",
                              budget_max="3", link="javascript:alert(1)",
                              deadline="2020-01-01"), known_call=False, now=NOW)
    errors = caught.value.errors
    assert set(errors) == {"title", "summary", "themes", "quartiers", "budget_max", "funder",
                           "deadline", "link"}
    assert errors["deadline"].startswith("Indiquez la date limite")


def test_a_deadline_day_ends_at_midnight_in_rennes() -> None:
    assert deadline_of("2027-01-15", NOW) == "2027-01-15T23:59:00+01:00"


def test_a_past_deadline_is_refused() -> None:
    with pytest.raises(ValueError):
        deadline_of("2026-12-01", NOW)


def test_a_join_request_needs_a_short_message() -> None:
    with pytest.raises(InvalidInput):
        message_form({"message": "   "})
    with pytest.raises(InvalidInput):
        message_form({"message": "x" * 1001})
    assert message_form({"message": " Nous avons une salle. "}) == "Nous avons une salle."
