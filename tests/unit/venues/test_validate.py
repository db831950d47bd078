"""What people send about venues, slots and bookings: French messages next to the fields,
prices in cents, a weekly series expanded across the change of time."""

from __future__ import annotations

from datetime import date

import pytest
from multidict import MultiDict

from services.venues.model import euros
from services.venues.validate import booking_form, price_cents, slot_form, venue_form
from shared.errors import InvalidInput

TODAY = date(2027, 3, 1)


@pytest.mark.parametrize(("raw", "cents"), [("12,50", 1250), ("12.5", 1250), ("12 €", 1200),
                                            ("0", 0), ("gratuit", 0), ("1 200", 120000)])
def test_prices_read_as_cents(raw: str, cents: int) -> None:
    assert price_cents(raw) == cents


@pytest.mark.parametrize("raw", ["-3", "12,505", "douze", "1e3", ""])
def test_prices_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        price_cents(raw)


def test_euros_are_written_the_french_way() -> None:
    assert euros(1250) == "12,50\u00a0€" and euros(120000) == "1\u202f200\u00a0€"
    assert euros(0) == "gratuit"


def test_a_venue_form_keeps_the_vocabularies_order_and_its_rates() -> None:
    form = MultiDict([("name", " Salle  des  fêtes "), ("street", "2 rue X"),
                      ("postcode", "35000"), ("capacity", "120"), ("equipment", "wifi"),
                      ("equipment", "cuisine"), ("accessibility", "mi"),
                      ("rate-0-unit", "soiree"), ("rate-0-audience", "associations"),
                      ("rate-0-price", "15"), ("rate-1-unit", "heure"),
                      ("rate-1-audience", "particuliers"), ("rate-1-price", "")])
    values = venue_form(form)
    assert values["name"] == "Salle des fêtes" and values["city"] == "Rennes"
    assert values["equipment"] == ["cuisine", "wifi"] and values["capacity"] == 120
    assert values["rates"] == [{"unit": "soiree", "audience": "associations", "cents": 1500}]


def test_a_venue_form_reports_every_error_in_french() -> None:
    form = MultiDict([("name", ""), ("street", ""), ("postcode", "3500"), ("capacity", "-2"),
                      ("equipment", "jacuzzi"), ("rate-0-unit", "siecle"),
                      ("rate-0-audience", "associations"), ("rate-0-price", "10"),
                      ("rate-1-unit", "heure"), ("rate-1-audience", "associations"),
                      ("rate-1-price", "dix")])
    with pytest.raises(InvalidInput) as caught:
        venue_form(form)
    assert set(caught.value.errors) == {"name", "street", "postcode", "capacity", "equipment",
                                        "rate-0-unit", "rate-1-price"}
    assert caught.value.errors["name"] == "Indiquez le nom de la salle."


def test_a_weekly_series_follows_the_local_time_across_the_change_of_time() -> None:
    slots = slot_form({"date": "2027-03-23", "start": "18h00", "end": "22:00",
                       "until": "2027-04-06"}, today=TODAY)
    assert slots == [("2027-03-23T18:00:00+01:00", "2027-03-23T22:00:00+01:00"),
                     ("2027-03-30T18:00:00+02:00", "2027-03-30T22:00:00+02:00"),
                     ("2027-04-06T18:00:00+02:00", "2027-04-06T22:00:00+02:00")]


def test_a_slot_may_end_at_midnight_but_not_before_it_starts() -> None:
    assert slot_form({"date": "2027-03-05", "start": "20:00", "end": "24:00"},
                     today=TODAY) == [("2027-03-05T20:00:00+01:00", "2027-03-06T00:00:00+01:00")]
    with pytest.raises(InvalidInput) as caught:
        slot_form({"date": "2027-02-01", "start": "20:00", "end": "19:00",
                   "until": "2026-01-01"}, today=TODAY)
    assert set(caught.value.errors) == {"date", "end", "until"}


def test_a_series_is_capped() -> None:
    with pytest.raises(InvalidInput) as caught:
        slot_form({"date": "2027-03-02", "start": "09:00", "end": "10:00",
                   "until": "2028-03-01"}, today=TODAY)
    assert "until" in caught.value.errors


def test_a_booking_request_needs_a_purpose_a_number_and_an_association() -> None:
    with pytest.raises(InvalidInput) as caught:
        booking_form({"purpose": " ", "people": "beaucoup"})
    assert set(caught.value.errors) == {"purpose", "people", "association"}
    assert booking_form({"purpose": "AG", "people": "25", "association": "a"}) == {
        "purpose": "AG", "people": 25, "association": "a"}


@pytest.mark.parametrize(("start", "end"), [("02:30", "03:00"), ("02:00", "03:00"),
                                            ("01:00", "02:30")])
def test_a_slot_in_the_hour_skipped_in_march_is_refused(start: str, end: str) -> None:
    # On 2027-03-28 Europe/Paris goes from 02:00 to 03:00: 02:30 never happens. Stored as
    # 02:30+01:00 it ended (03:00+02:00) before it began, or lasted nothing.
    with pytest.raises(InvalidInput) as caught:
        slot_form({"date": "2027-03-28", "start": start, "end": end}, today=TODAY)
    assert "heure d’été" in " ".join(caught.value.errors.values())


def test_a_weekly_series_meeting_the_skipped_hour_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        slot_form({"date": "2027-03-21", "start": "02:15", "end": "04:00",
                   "until": "2027-04-04"}, today=TODAY)
    assert "28 mars 2027" in caught.value.errors["start"]


@pytest.mark.parametrize("raw", ["²", "1²", "٣٠", "0"])
def test_a_number_in_other_digits_is_refused_in_french(raw: str) -> None:
    # str.isdigit() accepts "²", which int() then refused: a 500 instead of a message.
    with pytest.raises(InvalidInput) as caught:
        venue_form({"name": "Salle", "street": "2 rue X", "capacity": raw})
    assert set(caught.value.errors) == {"capacity"}


@pytest.mark.parametrize("raw", ["²", "٣"])
def test_an_api_limit_in_other_digits_is_a_parameter_error(raw: str) -> None:
    from services.venues.list_pages import API_NAMES, read_filters

    with pytest.raises(ValueError) as caught:  # a 400, not a 500 from int()
        read_filters(MultiDict(limit=raw), API_NAMES)
    assert caught.value.args[0] == "limit"


def test_control_characters_are_dropped_from_every_text() -> None:
    # kept, a BEL or ESC made the page invalid HTML and the calendar's lines invalid
    out = venue_form({"name": "Salle\x07 du\x1b[31m Parc", "street": "2 rue\x00 X",
                      "city": "Ren\x0bnes", "description": "Une\x08 salle\nclaire",
                      "conditions": "Propre\x1f."})
    assert (out["name"], out["street"], out["city"]) == ("Salle du[31m Parc", "2 rue X",
                                                         "Rennes")
    assert (out["description"], out["conditions"]) == ("Une salle\nclaire", "Propre.")
    assert booking_form({"purpose": "AG\x07", "people": "3", "association": "a\x00"}) == {
        "purpose": "AG", "people": 3, "association": "a"}
