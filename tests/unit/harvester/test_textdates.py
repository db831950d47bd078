"""French dates in prose."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from services.harvester.formats.textdates import find_dates, first_date

PARIS = ZoneInfo("Europe/Paris")
REF = datetime(2026, 1, 10, 12, tzinfo=PARIS)


def first(text: str):
    found = first_date(text, PARIS, REF)
    assert found is not None, text
    return found


def test_textdates_weekday_day_month_year_and_time():
    found = first("samedi 12 décembre 2026 à 14h30")
    assert found.start == datetime(2026, 12, 12, 14, 30, tzinfo=PARIS)
    assert not found.all_day and found.end is None


def test_textdates_numeric_date_is_all_day_with_exclusive_end():
    found = first("Concert le 12/12/2026")
    assert found.all_day
    assert found.start == datetime(2026, 12, 12, tzinfo=PARIS)
    assert found.end == datetime(2026, 12, 13, tzinfo=PARIS)


def test_textdates_time_range_gives_an_end():
    found = first("le 3 mars de 10h à 12h")
    assert found.start == datetime(2026, 3, 3, 10, tzinfo=PARIS)
    assert found.end == datetime(2026, 3, 3, 12, tzinfo=PARIS)


def test_textdates_day_range_in_one_month():
    found = first("Festival du 3 au 5 mars 2026")
    assert found.all_day
    assert (found.start.day, found.end.day) == (3, 6)


def test_textdates_day_range_across_months():
    found = first("du 28 février au 2 mars")
    assert found.start == datetime(2026, 2, 28, tzinfo=PARIS)
    assert found.end == datetime(2026, 3, 3, tzinfo=PARIS)


def test_textdates_premier_and_colon_times():
    found = first("Rendez-vous le 1er avril, 18:30 - 20:00")
    assert found.start == datetime(2026, 4, 1, 18, 30, tzinfo=PARIS)
    assert found.end == datetime(2026, 4, 1, 20, tzinfo=PARIS)


def test_textdates_abbreviated_month_with_dot():
    assert first("Le 15 janv. à 9h").start == datetime(2026, 1, 15, 9, tzinfo=PARIS)


def test_textdates_missing_year_shortly_past_keeps_the_reference_year():
    assert first("le 5 décembre").start.year == 2025


def test_textdates_missing_year_long_past_rolls_to_next_year():
    ref = datetime(2026, 6, 10, tzinfo=PARIS)
    found = first_date("le 5 février", PARIS, ref)
    assert found is not None and found.start.year == 2027


def test_textdates_evening_end_after_midnight_is_next_day():
    found = first("le 14 mars de 22h à 2h")
    assert found.end == datetime(2026, 3, 15, 2, tzinfo=PARIS)


def test_textdates_html_is_stripped_and_entities_decoded():
    found = first("<p>Le&nbsp;<b>14 mars</b> &agrave; 20h</p>")
    assert found.start == datetime(2026, 3, 14, 20, tzinfo=PARIS)


def test_textdates_impossible_date_is_ignored():
    assert find_dates("le 31 février 2026 et le 30/02/2026", PARIS, REF) == []


def test_textdates_text_without_date_gives_nothing():
    assert find_dates("12 rue de Brest, 35000 Rennes", PARIS, REF) == []


def test_textdates_several_dates_in_order_of_appearance():
    found = find_dates("le 3 mars puis le 10/03/2026", PARIS, REF)
    assert [d.start.day for d in found] == [3, 10]
