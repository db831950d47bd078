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

What the association's events come by is part of its document too (:class:`Related`, from
the link records and the registry of sources): the organizer names linked to it, its
sources (linked, or added by the association itself) and the tools they and its website
show (:func:`services.associations.tools.detected`). ``tools`` is what it declared and what
Maillage saw, ``declared_tools`` the former, ``harvested_tools`` the tools of its sources,
so that the directory's filters, facets and the inventory of tools (``/outils``) all read
the one projection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.associations import tools
from services.associations.links import SOURCE, effective
from services.associations.model import ASSOCIATION, Association
from shared.model import Location
from shared.records import RECORDS_SUBJECT, Entry
from shared.store.directory_base import DirectoryMessage
from shared.taxonomy import rna_themes

Geocode = Callable[[Location], Location]
#: Subjects of association records (the records consumer's filter).
SUBJECT = f"{RECORDS_SUBJECT}.{ASSOCIATION}"


@dataclass(frozen=True, slots=True)
class Related:
    """What an association's events come by, beyond its own record."""

    organizers: tuple[str, ...] = ()
    #: ``{"id", "url", "format", "tool"}`` of each of its sources, by id
    sources: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


NOTHING = Related()


def related(link_records: Iterable[Mapping[str, Any]],
            sources: Sequence[Any] = ()) -> dict[str, Related]:
    """Per association id: the organizer names linked to it (operators' decisions and links
    made without review, :func:`effective`), and its sources (objects with ``id``, ``url``,
    ``format``, ``owner``: linked to it, or added by it)."""
    names: dict[str, list[str]] = {}
    source_ids: dict[str, set[str]] = {}
    for record in link_records:
        value = str(record.get("value") or "")
        for e in effective(record) if value else ():
            if record.get("kind") == SOURCE:
                source_ids.setdefault(e["association"], set()).add(value)
            else:
                names.setdefault(e["association"], []).append(value)
    by_id = {str(getattr(s, "id", "")): s for s in sources}
    for s in sources:
        owner = getattr(s, "owner", None)
        if owner:
            source_ids.setdefault(str(owner), set()).add(str(s.id))
    out: dict[str, Related] = {}
    for aid in names.keys() | source_ids.keys():
        its = tuple({"id": sid, "url": str(getattr(by_id[sid], "url", "") or ""),
                     "format": getattr(by_id[sid], "format", None),
                     "tool": tools.source_tool(str(getattr(by_id[sid], "url", "") or ""),
                                               getattr(by_id[sid], "format", None))}
                    for sid in sorted(source_ids.get(aid, ())) if sid in by_id)
        out[aid] = Related(tuple(dict.fromkeys(sorted(names.get(aid, ())))), its)
    return out


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


class _Source:  # a source as tools.detected reads it
    __slots__ = ("format", "url")

    def __init__(self, source: Mapping[str, Any]) -> None:
        self.url, self.format = source.get("url") or "", source.get("format")


def searchable(record: dict[str, Any], geocode: Geocode | None,
               around: Related = NOTHING) -> dict[str, Any] | None:
    """The directory document of a record, or ``None`` when it must not be listed."""
    association = Association.from_record(record)
    if not association.listed:
        return None
    codes, origin = themes(association)
    public = association.public()
    seen = tools.detected([_Source(s) for s in around.sources], association.website,
                          association.links)
    used = tools.tools_of(association.tools, seen)
    return {**public, "kind": ASSOCIATION, "themes": codes, "themes_from": origin,
            "organizers": list(dict.fromkeys([*association.organizers, *around.organizers])),
            "sources": [dict(s) for s in around.sources],
            "tools": [t["code"] for t in used],
            "declared_tools": [t["code"] for t in used if t["how"] == tools.DECLARED],
            "harvested_tools": sorted({str(s["tool"]) for s in around.sources if s["tool"]}),
            **place(association, geocode)}


def aid_of(subject: str) -> str:
    return subject.removeprefix(SUBJECT + ".")


def message(entry: Entry, geocode: Geocode | None,
            around: Mapping[str, Related] | None = None, *,
            seq: int | None = None) -> DirectoryMessage:
    """The directory message of one ``RECORDS`` message of an association (``seq``: the
    sequence to store instead of the message's, for a re-projection)."""
    aid = aid_of(entry.subject)
    doc = None if entry.deleted else searchable(
        entry.record, geocode, (around or {}).get(aid, NOTHING))
    return DirectoryMessage(aid, entry.seq if seq is None else seq, doc)
