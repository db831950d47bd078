import pytest

from services.associations.model import Association
from services.associations.provenance import mark_edited, may_write, merge_import


def rna_row(**over: object) -> dict[str, object]:
    return {"id": "velo-club", "name": "Vélo Club", "rna": "W353012345",
            "purpose": "Promouvoir le vélo", "website": "", "state": "active", **over}


def test_a_new_association_from_an_import_marks_each_given_field() -> None:
    record = merge_import(None, rna_row(), "rna")
    assert record["name"] == "Vélo Club"
    assert record["id"] == "velo-club"
    assert record["provenance"] == {"name": "rna", "rna": "rna", "purpose": "rna",
                                    "state": "rna"}
    assert "website" not in record["provenance"]  # empty: nothing said


def test_importing_the_same_values_twice_changes_nothing() -> None:
    first = merge_import(None, rna_row(), "rna")
    assert merge_import(first, rna_row(), "rna") == first


def test_what_the_association_wrote_is_never_overwritten_by_an_import() -> None:
    first = merge_import(None, rna_row(), "rna")
    edited = mark_edited({**first, "purpose": "Le vélo pour tous"}, {"purpose"}, "self")
    again = merge_import(edited, rna_row(purpose="Objet du registre changé"), "rna")
    assert again["purpose"] == "Le vélo pour tous"
    assert again["provenance"]["purpose"] == "self"
    city = merge_import(again, {"purpose": "Description de la ville"}, "city")
    assert city["purpose"] == "Le vélo pour tous"


def test_an_operator_correction_survives_imports_too() -> None:
    first = merge_import(None, rna_row(), "rna")
    fixed = mark_edited({**first, "name": "Vélo Club de Rennes"}, {"name"}, "operator")
    assert merge_import(fixed, rna_row(), "rna")["name"] == "Vélo Club de Rennes"


def test_the_city_layer_ranks_above_the_register_not_below() -> None:
    first = merge_import(None, rna_row(), "rna")
    city = merge_import(first, {"website": "https://velo.example", "purpose": "Vélo en ville"},
                        "city")
    assert city["purpose"] == "Vélo en ville" and city["provenance"]["purpose"] == "city"
    back = merge_import(city, rna_row(), "rna")  # the register again: the city's value stays
    assert back["purpose"] == "Vélo en ville"
    assert back == merge_import(back, rna_row(), "rna")


def test_a_value_the_import_no_longer_gives_is_cleared_only_if_it_wrote_it() -> None:
    first = merge_import(None, rna_row(website="https://velo.example"), "rna")
    cleared = merge_import(first, rna_row(website=""), "rna")
    assert cleared["website"] == "" and "website" not in cleared["provenance"]
    mine = mark_edited({**first, "acronym": "VC"}, {"acronym"}, "self")
    assert merge_import(mine, rna_row(acronym=""), "rna")["acronym"] == "VC"


def test_a_pending_creation_keeps_its_state_for_the_operator() -> None:
    pending = {**rna_row(), "state": "pending", "provenance": {}}
    assert merge_import(pending, rna_row(state="dissolved"), "rna")["state"] == "pending"


def test_people_fields_are_not_imported() -> None:
    record = merge_import(None, {**rna_row(), "contact": {"email": "x@y.fr"}}, "rna")
    assert "contact" not in record


def test_ranks() -> None:
    assert may_write(None, "rna") and may_write("rna", "city") and may_write("city", "city")
    assert not may_write("city", "rna") and not may_write("self", "city")
    with pytest.raises(ValueError):
        merge_import(None, rna_row(), "self")


def test_the_record_round_trips_with_every_field() -> None:
    record = merge_import(None, {**rna_row(), "aliases": ["VCR"], "rna_themes": ["011000"],
                                 "address": {"street": "6 cours des Alliés",
                                             "postcode": "35000", "city": "Rennes",
                                             "insee": "35238"},
                                 "links": {"mastodon": "https://m.example/@velo"}}, "rna")
    association = Association.from_record(record)
    assert association.address.city == "Rennes"
    assert association.address.label() == "6 cours des Alliés, 35000 Rennes"
    assert Association.from_record(association.to_record()) == association


def test_public_form_hides_contact_unless_opted_in() -> None:
    base = Association("a", "A", contact={"email": "a@a.fr", "phone": "0299"})
    assert "contact" not in base.public() and "requested_by" not in base.public()
    shown = Association("a", "A", contact={"email": "a@a.fr"}, contact_public=True)
    assert shown.public()["contact"] == {"email": "a@a.fr"}
