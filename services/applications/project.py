"""The searchable form of a joint application: what the indexer's board consumer writes to
the board (:mod:`shared.store.board_base`), kind ``application``.

Made from :meth:`Application.public` (never who opened it). Facets: ``call`` (the call's
id, ``autre`` for a call Maillage does not know), ``theme``, ``quartier``, ``state`` and
``seeking`` (``yes`` while it looks for partners, else ``no``); ``starts``/``ends`` are its
opening and the call's deadline, so that "closing this month" is a period query. An
abandoned or deleted application leaves the board.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.applications.model import ABANDONED, APPLICATION, Application
from shared.model import Location
from shared.records import RECORDS_SUBJECT, Entry
from shared.store.board_base import BoardMessage

Geocode = Callable[[Location], Location]
SUBJECT = f"{RECORDS_SUBJECT}.{APPLICATION}"
#: The ``call`` facet of an application for a call Maillage does not know.
OTHER_CALL = "autre"


def searchable(record: dict[str, Any]) -> dict[str, Any] | None:
    application = Application.from_record(record)
    if application.state == ABANDONED:
        return None
    public = application.public()
    words = [application.summary, application.wanted, " ".join(application.skills),
             application.lead_name, *(p["name"] for p in application.partners),
             application.funder, application.call_title]
    return {**public, "text": "\n".join(w for w in words if w),
            "facets": {"call": [application.call or OTHER_CALL],
                       "theme": list(application.themes),
                       "quartier": list(application.quartiers),
                       "state": [application.state],
                       "seeking": ["yes" if application.seeking else "no"]},
            "starts": application.opens or application.created,
            "ends": application.deadline, "owner": application.lead}


def project(entry: Entry, geocode: Geocode | None = None) -> BoardMessage:
    """The board message of one ``RECORDS`` message of an application."""
    rid = entry.subject.removeprefix(SUBJECT + ".")
    doc = None if entry.deleted else searchable(entry.record)
    return BoardMessage(APPLICATION, rid, entry.seq, doc)


PROJECTIONS: dict[str, Callable[[Entry, Geocode | None], BoardMessage]] = {
    APPLICATION: project,
}
