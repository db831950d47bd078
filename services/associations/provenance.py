"""Who wins a field of an association: the provenance rule.

Each field of the record remembers who wrote its current value (``provenance``: ``rna``,
``city``, ``self``, ``operator``). People's edits (the association itself, an operator)
always apply and mark the fields they change. An import (:func:`merge_import`) writes a
field only when nobody wrote it, or an import of the same or a lower rank did: the city's
open data (curated locally, more current) ranks above the national register. So what the
association wrote itself, or an operator corrected, is never overwritten by an import; an
import that no longer gives a value clears only the values it wrote itself.

The result is a pure function of the current record and the import's values, so importing
the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.associations.model import (
    CITY_IMPORT,
    OPERATOR,
    PENDING,
    RNA_IMPORT,
    SELF,
)

#: Rank of each import: a higher one may overwrite a lower one's values, not the reverse.
IMPORT_RANK = {RNA_IMPORT: 1, CITY_IMPORT: 2}
PEOPLE = frozenset({SELF, OPERATOR})
#: Record fields no import writes (people's, or the record's own bookkeeping).
NOT_IMPORTED = frozenset({"id", "provenance", "created", "requested_by", "contact",
                          "contact_public", "organizers", "tools"})


def _empty(value: Any) -> bool:
    return value in (None, "", [], {}, ())


def may_write(owner: str | None, source: str) -> bool:
    """May ``source`` (an import) overwrite a value written by ``owner``?"""
    if owner is None:
        return True
    if owner in PEOPLE or owner not in IMPORT_RANK:
        return False
    return IMPORT_RANK[owner] <= IMPORT_RANK[source]


def merge_import(current: Mapping[str, Any] | None, incoming: Mapping[str, Any],
                 source: str) -> dict[str, Any]:
    """The record after an import of ``incoming`` (the fields ``source`` knows, empty when it
    has no value) into ``current`` (``None``: a new association; then ``incoming`` must hold
    ``id`` and ``name``)."""
    if source not in IMPORT_RANK:
        raise ValueError(f"not an import: {source!r}")
    record = dict(current or {})
    provenance = dict(record.get("provenance") or {})
    for key, value in incoming.items():
        if key in NOT_IMPORTED:
            continue
        if key == "state" and record.get("state") == PENDING:
            continue  # a creation waiting for an operator: the operator decides
        owner = provenance.get(key)
        if _empty(value):
            if owner == source:  # the import no longer says it: clear what it wrote
                record[key] = [] if isinstance(record.get(key), list) else (
                    {} if isinstance(record.get(key), dict) else "")
                del provenance[key]
            continue
        if owner is not None and owner != source and not may_write(owner, source):
            continue
        if record.get(key) == value and owner == source:
            continue
        record[key] = value
        provenance[key] = source
    if current is None:
        record.setdefault("id", incoming.get("id"))
    record["provenance"] = provenance
    return record


def mark_edited(record: Mapping[str, Any], changed: set[str], source: str) -> dict[str, Any]:
    """``record`` with the ``changed`` fields marked as written by ``source`` (a person's
    edit: ``self`` or ``operator``)."""
    if source not in PEOPLE:
        raise ValueError(f"not a person's edit: {source!r}")
    provenance = dict(record.get("provenance") or {})
    for key in changed - NOT_IMPORTED:
        provenance[key] = source
    return {**record, "provenance": provenance}
