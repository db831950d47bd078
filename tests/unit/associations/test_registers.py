"""Reading the official registers (our own small fixtures in the official layouts)."""

from pathlib import Path

import pytest

from services.associations.registers import NotARegister, city_rows, decode, rna_rows

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "associations"
COMMUNES = {"35238": "Rennes", "35047": "Bruz", "35024": "Betton"}


def by_rna(rows: list) -> dict:
    """The first row of each RNA number (the file repeats one, as a duplicate)."""
    found: dict = {}
    for row in rows:
        if row.fields:
            found.setdefault(row.fields["rna"], row)
    return found


@pytest.mark.parametrize(("name", "encoding"), [("rna_waldec_utf8.csv", "utf-8"),
                                                ("rna_waldec_latin1.csv", "latin-1")])
def test_both_encodings_of_the_waldec_file_read_the_same(name: str, encoding: str) -> None:
    rows, found = rna_rows((FIXTURES / name).read_bytes(), COMMUNES)
    assert found == encoding
    velo = by_rna(rows)["W353000101"].fields
    assert velo["name"] == "VÉLO CLUB DES ALLIÉS" and velo["acronym"] == "VCA"
    assert velo["purpose"].startswith("promouvoir la pratique du vélo")
    assert velo["address"] == {"street": "6 cours des Alliés",
                               "complement": "Maison des associations", "postcode": "35000",
                               "city": "Rennes", "insee": "35238"}
    assert velo["siret"] == "73282932000074" and velo["siren"] == "732829320"
    assert velo["rna_old"] == "0353012345" and velo["founded"] == "1998-03-14"
    assert velo["rna_themes"] == ["011000", "011095"]
    assert velo["website"] == "https://www.velo-allies.example"
    assert velo["state"] == "active"


def test_scope_positions_and_rejections_each_with_a_reason() -> None:
    rows, _ = rna_rows((FIXTURES / "rna_waldec_utf8.csv").read_bytes(), COMMUNES)
    skipped = {r.line: r.skipped for r in rows if r.skipped}
    rejected = {r.line: r.rejected for r in rows if r.rejected}
    assert skipped == {5: "deleted from the register (position S)",
                       6: "head office outside Rennes Métropole"}
    assert "W35300010" in rejected[7] and "W suivi de 9 chiffres" in rejected[7]
    assert rejected[9] == "W353000108: no name (titre)"
    bruz = by_rna(rows)["W353000103"].fields
    assert bruz["state"] == "dissolved" and bruz["dissolved_on"] == "2021-06-30"
    chorale = by_rna(rows)["W353000107"]
    assert chorale.fields["siret"] == "" and chorale.dropped == ["siret: 73282932000075"]
    assert chorale.fields["acronym"] == "" and chorale.fields["aliases"] == [
        "Chorale ATC des quartiers de Rennes Sud"]  # too long for an acronym
    assert chorale.fields["address"]["street"] == "40 bis rue de Chatillon"


def test_a_file_in_another_layout_is_refused_naming_what_is_missing() -> None:
    with pytest.raises(NotARegister) as exc:
        rna_rows(b"nom;ville\nA;Rennes\n", COMMUNES)
    assert "missing column(s) id, titre, adrs_codeinsee, position" in exc.value.message


def test_decode_prefers_utf8_then_windows_1252() -> None:
    assert decode("é’".encode()) == ("é’", "utf-8")
    assert decode("é’".encode("cp1252")) == ("é’", "latin-1")
    assert decode(b"\xef\xbb\xbfid") == ("id", "utf-8")


@pytest.mark.parametrize("name", ["city_organisations.csv", "city_organisations.json"])
def test_city_layer_as_csv_or_json(name: str) -> None:
    rows, _ = city_rows((FIXTURES / name).read_bytes())
    first = rows[0].fields
    assert first == {"city_id": "ORG-0001", "name": "Vélo Club des Alliés", "acronym": "VCA",
                     "aliases": [], "website": "https://www.velo-allies.example/",
                     "purpose": "Le club cycliste du centre-ville : sorties, ateliers de "
                                "réparation.", "city_category": "5.2.1", "state": "active"}
    assert rows[1].fields["acronym"] == ""


def test_city_layer_states_and_rejections() -> None:
    rows, _ = city_rows((FIXTURES / "city_organisations.csv").read_bytes())
    assert rows[2].fields["state"] == "dissolved"
    assert rows[2].fields["website"] == "" and rows[2].dropped == ["website: pas une adresse"]
    assert rows[3].rejected == "ORG-0004: no name (nom_usage)"
    with pytest.raises(NotARegister):
        city_rows(b'[{"name": "x"}]')
