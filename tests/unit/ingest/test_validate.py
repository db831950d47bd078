"""Validation of pushed calls: precise field paths and reasons."""

from __future__ import annotations

import pytest

from services.ingest.validate import ValidationFailed, parse_calls
from shared.calls import call_id
from tests.unit.ingest.conftest import a_call


def errors(data) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as err:
        parse_calls(data, "ville")
    return {e["path"]: e["reason"] for e in err.value.errors}


def test_valid_call_gets_a_stable_id_from_publisher_and_id() -> None:
    [call] = parse_calls(a_call(), "ville")
    assert call.id == call_id("ville", "2026-jardins-001")
    assert call.perimeter == "quartier" and call.quartier == "Maurepas"
    assert call.joint_welcome is True


def test_missing_required_fields_are_each_reported() -> None:
    found = errors({"description": "x"})
    assert set(found) >= {"id", "title", "funder", "deadline"}


def test_deadline_without_offset_is_refused() -> None:
    assert "UTC offset" in errors(a_call(deadline="2026-04-15T12:00:00"))["deadline"]


def test_opens_after_deadline_is_refused() -> None:
    found = errors(a_call(opens="2099-05-01T00:00:00+02:00"))
    assert found["opens"] == "must be before the deadline"


def test_unknown_theme_is_reported_with_its_index() -> None:
    assert "themes[1]" in errors(a_call(themes=["culture", "astrologie"]))


def test_batch_errors_carry_the_item_path() -> None:
    found = errors({"calls": [a_call(), a_call(id="b", attachments=[{"url": "ftp://x"}])]})
    assert "calls[1].attachments[0].url" in found


def test_quartier_perimeter_needs_a_name() -> None:
    assert "perimeter.name" in errors(a_call(perimeter={"kind": "quartier"}))


def test_unknown_field_is_reported() -> None:
    assert errors(a_call(budjet=3))["budjet"] == "unknown field"


def test_duplicate_ids_in_a_batch_are_refused() -> None:
    assert "[1].id" in errors([a_call(), a_call()])


def test_amount_min_above_max_is_refused() -> None:
    assert "amount.min" in errors(a_call(amount={"min": 10, "max": 5}))


def test_bad_email_and_rate_are_refused() -> None:
    found = errors(a_call(contact={"email": "nope"}, amount={"rate": 150}))
    assert {"contact.email", "amount.rate"} <= set(found)


def test_plain_perimeter_code_is_accepted() -> None:
    [call] = parse_calls(a_call(perimeter="rennes-metropole"), "ville")
    assert (call.perimeter, call.quartier) == ("rennes-metropole", None)


def test_empty_batch_is_refused() -> None:
    assert errors({"calls": []}) == {"calls": "must not be empty"}
