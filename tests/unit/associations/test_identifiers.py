import pytest

from services.associations.identifiers import (
    luhn_ok,
    or_empty,
    rna_number,
    rna_old_number,
    siren_number,
    siret_number,
)
from shared.errors import InvalidInput


def test_rna_number_is_w_and_nine_digits_spaces_and_case_ignored() -> None:
    assert rna_number(" w353 012 345 ") == "W353012345"
    assert rna_number("") == ""
    with pytest.raises(InvalidInput) as exc:
        rna_number("W35301234")
    assert "W suivi de 9 chiffres" in exc.value.errors["rna"]


def test_older_prefecture_numbering_is_accepted_in_its_own_field() -> None:
    assert rna_old_number("0353012345") == "0353012345"
    assert rna_old_number("353s0012345") == "353S0012345"
    with pytest.raises(InvalidInput):
        rna_old_number("W353012345")  # an RNA number is not the older numbering


def test_luhn_on_the_official_examples() -> None:
    assert luhn_ok("732829320")  # INSEE's own example SIREN
    assert luhn_ok("73282932000074")
    assert not luhn_ok("732829321")


def test_siren_checksum_and_length() -> None:
    assert siren_number("732 829 320") == "732829320"
    with pytest.raises(InvalidInput) as exc:
        siren_number("732829321")
    assert "clé de contrôle" in exc.value.errors["siren"]
    with pytest.raises(InvalidInput):
        siren_number("73282932")


def test_siret_checksum_and_its_siren_part() -> None:
    assert siret_number("732 829 320 00074") == "73282932000074"
    with pytest.raises(InvalidInput):
        siret_number("73282932000075")
    with pytest.raises(InvalidInput):
        siret_number("7328293200007")


def test_la_poste_establishments_follow_their_own_rule() -> None:
    # digits adding up to a multiple of 5 under SIREN 356000000, not Luhn
    assert not luhn_ok("35600000049837")
    assert siret_number("35600000049837") == "35600000049837"
    with pytest.raises(InvalidInput):
        siret_number("35600000049838")


def test_or_empty_keeps_the_message_for_an_import_summary() -> None:
    assert or_empty(siren_number, "732829320") == ("732829320", None)
    value, error = or_empty(siren_number, "123")
    assert value == "" and error and "SIREN" in error
