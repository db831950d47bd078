"""The name of a subscribed calendar says what it holds."""

from __future__ import annotations

from datetime import date

from multidict import MultiDict

from services.query.exports.naming import period_label, selection_name

TODAY = date(2026, 12, 2)  # a Wednesday
DEFAULT = "Maillage – agenda des associations rennaises"


def name(**params: str | list[str]) -> str:
    pairs = [(k, v) for k, vs in params.items() for v in ([vs] if isinstance(vs, str) else vs)]
    return selection_name(MultiDict(pairs), TODAY, DEFAULT)


def test_no_filter_keeps_the_configured_name() -> None:
    assert name() == DEFAULT


def test_theme_and_weekend() -> None:
    assert name(theme="sport", **{"from": "2026-12-05", "to": "2026-12-06"}) == (
        "Agenda Maillage — Sport et plein air, week-end du samedi 5 décembre")


def test_words_places_free_and_days() -> None:
    assert name(q="fest-noz", quartier=["Centre", "Le Blosne"], free="true",
                **{"from": "2026-12-02", "to": "2026-12-02"}) == (
        "Agenda Maillage — «\u202ffest-noz\u202f», Centre, Le Blosne, gratuit, aujourd’hui")


def test_comma_separated_values_and_accessibility_labels() -> None:
    assert name(theme="culture,sport", accessibility="lsf") == (
        "Agenda Maillage — Culture et arts, Sport et plein air, "
        "Langue des signes française (LSF)")


def test_periods() -> None:
    assert period_label(date(2026, 12, 3), date(2026, 12, 3), TODAY) == "demain"
    assert period_label(date(2026, 12, 8), date(2026, 12, 8), TODAY) == "le mardi 8 décembre"
    assert period_label(date(2026, 12, 1), None, TODAY) == "à partir du mardi 1er décembre"
    assert period_label(None, date(2027, 1, 4), TODAY) == "jusqu’au lundi 4 janvier 2027"
    assert period_label(date(2026, 12, 2), date(2026, 12, 31), TODAY) == (
        "du mercredi 2 décembre au jeudi 31 décembre")


def test_rolling_periods_are_named_as_such() -> None:
    assert name(theme="sport", period="weekend") == (
        "Agenda Maillage — Sport et plein air, ce week-end")
    assert name(period="30d") == "Agenda Maillage — Dans les 30 jours"
