"""The searchable form of an association: what the indexer's records consumer writes to the
directory (:mod:`shared.store.directory_base`).

Made from :meth:`Association.public`, so that a private field (contact details not made
public, the person who asked for its creation) never reaches the search stores; only
associations the directory lists (active or dissolved, not a creation waiting for an
operator) are projected. Its ``themes`` are those it declared, else those of its RNA codes
(``themes_from`` says which), so that the register's associations have themes in the
directory's facet too. The head office is placed with the events' geocoder
(:class:`services.indexer.enrich.geocode.Geocoder`, passed in as ``geocode``) into its
commune and, in Rennes, its quartier.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.associations.model import ASSOCIATION, Association
from shared.model import Location
from shared.records import RECORDS_SUBJECT, Entry
from shared.store.directory_base import DirectoryMessage
from shared.taxonomy import rna_themes

Geocode = Callable[[Location], Location]
#: Subjects of association records (the records consumer's filter).
SUBJECT = f"{RECORDS_SUBJECT}.{ASSOCIATION}"


def place(association: Association, geocode: Geocode | None) -> dict[str, Any]:
    """Commune, INSEE code, quartier and point of the head office (empty when unknown)."""
    address = association.address
    if not address:
        return {}
    out: dict[str, Any] = {}
    located = Location(address=address.street or None, postcode=address.postcode or None,
                       city=address.city or None, insee=address.insee or None)
    if geocode is not None:
        located = geocode(located)
        if located.lat is not None and located.lon is not None and (
                located.precision != "commune"):
            out["lat"], out["lon"] = located.lat, located.lon
        out["quartier"] = located.quartier
    out["commune"] = located.commune or address.city or None
    out["insee"] = located.insee or address.insee or None
    return {k: v for k, v in out.items() if v is not None}


def themes(association: Association) -> tuple[list[str], str | None]:
    """The taxonomy themes the directory files it under, and where they come from: the ones
    it declared, else those of its RNA ``objet_social`` codes (:func:`rna_themes`)."""
    if association.themes:
        return list(association.themes), "declared"
    derived = [t for code in association.rna_themes for t in rna_themes(code)]
    return (list(dict.fromkeys(derived)), "rna") if derived else ([], None)


def searchable(record: dict[str, Any], geocode: Geocode | None) -> dict[str, Any] | None:
    """The directory document of a record, or ``None`` when it must not be listed."""
    association = Association.from_record(record)
    if not association.listed:
        return None
    codes, origin = themes(association)
    return {**association.public(), "kind": ASSOCIATION, "themes": codes,
            "themes_from": origin, **place(association, geocode)}


def message(entry: Entry, geocode: Geocode | None) -> DirectoryMessage:
    """The directory message of one ``RECORDS`` message of an association."""
    aid = entry.subject.removeprefix(SUBJECT + ".")
    doc = None if entry.deleted else searchable(entry.record, geocode)
    return DirectoryMessage(aid, entry.seq, doc)
