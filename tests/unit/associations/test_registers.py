"""Reading the official registers (our own small fixtures in the official layouts)."""

import json
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
    assert "W35300010" in rejected[7] and "not W followed by 9 digits" in rejected[7]
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
    assert rows[2].fields["website"] == "" and rows[2].dropped == [
        "website: 'pas une adresse' is not an http(s) address"]
    assert rows[3].rejected == "ORG-0004: no name (nom_usage)"
    with pytest.raises(NotARegister):
        city_rows(b'[{"name": "x"}]')


# -- defects found by the audit of issue 20: each file is built here, in the official layout

HEADER = (FIXTURES / "rna_waldec_utf8.csv").read_text(encoding="utf-8").split("\n", 1)[0]
COLUMNS = HEADER.split(";")


def waldec_line(rna: str, name: str, **values: str) -> str:
    """One line of the waldec layout (39 columns), head office in Rennes."""
    row = dict.fromkeys(COLUMNS, "")
    row.update({"id": rna, "titre": name, "adrs_codeinsee": "35238", "position": "A",
                **values})
    return ";".join(row[c] for c in COLUMNS)


def waldec(*lines: str) -> str:
    return "\n".join((HEADER, *lines)) + "\n"


def test_a_line_with_too_many_or_too_few_fields_is_rejected_not_called_outside() -> None:
    shifted = waldec_line("W353000201", "Club A", objet="sport; et loisirs")  # unquoted ;
    text = waldec(shifted, "W353000202;;;;353P;2001-05-12",
                  waldec_line("W353000203", "Club C"))
    rows, _ = rna_rows(text.encode(), COMMUNES)
    assert [(r.line, r.rejected, r.skipped) for r in rows[:2]] == [
        (2, "40 fields, 39 expected (an unquoted separator, or a cut line?)", ""),
        (3, "6 fields, 39 expected (an unquoted separator, or a cut line?)", "")]
    assert rows[2].line == 4 and rows[2].fields["name"] == "Club C"


def test_a_quoted_field_over_two_lines_keeps_the_numbers_of_the_lines_after() -> None:
    text = waldec(waldec_line("W353000201", "Club A", objet='"sport\net loisirs"'),
                  waldec_line("W353000202", "Club B", objet="x;y"))
    rows, _ = rna_rows(text.encode(), COMMUNES)
    assert rows[0].fields["purpose"] == "sport et loisirs"
    assert rows[1].line == 4 and rows[1].rejected.startswith("40 fields")


def test_one_stray_latin1_byte_does_not_garble_the_utf8_lines() -> None:
    good = waldec(waldec_line("W353000201", "ÉCOLE DE MUSIQUE DE BRÉQUIGNY"),
                  waldec_line("W353000202", "CAFÉ DES ÂGES"),
                  waldec_line("W353000203", "Œuvre du Thabor")).encode()
    stray = good.replace("CAFÉ".encode(), "CAFÉ".encode("cp1252"))
    rows, encoding = rna_rows(stray, COMMUNES)
    assert [r.fields["name"] for r in rows] == [
        "ÉCOLE DE MUSIQUE DE BRÉQUIGNY", "CAFÉ DES ÂGES", "Œuvre du Thabor"]
    assert encoding == "utf-8, line(s) 3 read as latin-1"
    latin1 = good.decode().encode("cp1252")  # a whole Latin-1 file is still one
    assert rna_rows(latin1, COMMUNES)[1] == "latin-1"


def test_an_oversized_field_rejects_its_line_only() -> None:
    text = waldec(waldec_line("W353000201", "Club A"),
                  waldec_line("W353000202", "Club B", objet="x" * 200_000),
                  waldec_line("W353000203", "Club C"))
    rows, _ = rna_rows(text.encode(), COMMUNES)
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[1].rejected == "a field of 200000 characters (at most 10000)"
    assert rows[2].fields["name"] == "Club C"


def test_imported_text_is_cleaned_and_capped_like_the_form() -> None:
    text = waldec(
        waldec_line("W353000201", "N" * 5000),
        waldec_line("W353000202", "Club\x00 \u202eBidi\u200b", objet="mot " * 600,
                    date_creat="2020-13-45", siteweb="javascript:alert(1)"),
        waldec_line("W353000203", "Club C", siteweb="www.club-c.example:8080/x",
                    date_creat="2999-01-01"))
    rows, _ = rna_rows(text.encode(), COMMUNES)
    assert rows[0].rejected == "W353000201: a name of 5000 characters (at most 150)"
    club = rows[1]
    assert club.fields["name"] == "Club Bidi"
    assert len(club.fields["purpose"]) <= 2000 and club.fields["purpose"].endswith("mot …")
    assert club.fields["founded"] == "" and club.fields["website"] == ""
    assert club.dropped == ["purpose: cut from 2399 to 2000 characters",
                            "website: 'javascript:alert(1)' is not an http(s) address",
                            "founded: 2020-13-45 is not a possible date"]
    assert rows[2].fields["website"] == "https://www.club-c.example:8080/x"
    assert rows[2].dropped == ["founded: 2999-01-01 is not a possible date"]


def test_a_file_saved_with_tabs_reads_the_same() -> None:
    text = waldec(waldec_line("W353000201", "Club A", objet="sport, loisirs"))
    rows, _ = rna_rows(text.replace(";", "\t").encode(), COMMUNES)
    assert rows[0].fields["name"] == "Club A" and rows[0].fields["purpose"] == "sport, loisirs"


def test_the_city_layer_is_capped_and_cleaned_the_same() -> None:
    rows, _ = city_rows(json.dumps([
        {"id_org": "ORG-1", "nom_usage": "N" * 151},
        {"id_org": "ORG-2", "nom_usage": "Club\u202e B\x00", "description": "mot " * 600,
         "web": "javascript:alert(1)"}]).encode())
    assert rows[0].rejected == "ORG-1: a name of 151 characters (at most 150)"
    assert rows[1].fields["name"] == "Club B" and len(rows[1].fields["purpose"]) <= 2000
    assert rows[1].fields["website"] == "" and len(rows[1].dropped) == 2


def test_the_reasons_are_in_english_like_the_rest_of_the_cli() -> None:
    rows, _ = rna_rows(waldec(waldec_line("W35300010", "Club")).encode(), COMMUNES)
    assert rows[0].rejected == "RNA number 'W35300010': not W followed by 9 digits"


@pytest.mark.parametrize(("data", "says"), [
    (b"PK\x03\x04\x14\x00\x00\x00", "this looks like a ZIP archive: extract the "
                                    "rna_waldec_*_dpt_35.csv file"),
    (HEADER.encode("utf-16"), "this file is in UTF-16: save it as UTF-8"),
    (HEADER.encode("utf-16-le"), "this file is in UTF-16: save it as UTF-8")])
def test_a_zip_or_utf16_file_is_refused_saying_what_to_do(data: bytes, says: str) -> None:
    with pytest.raises(NotARegister) as exc:
        rna_rows(data, COMMUNES)
    assert exc.value.message.startswith(says)
    assert "\\x" not in exc.value.message
