"""The sources an association manages itself, as records of the store of record.

``maillage.rec.source.<association id>.<source id>``: one per source an association added
through the site, under its association so that its sources are one wildcard. The record's
history is the audit trail of the source (who added, paused, resumed, removed it). The
harvest itself reads the registry of sources (:mod:`services.harvester.registry`), where the
source is written with ``owner`` = the association once it is confirmed (and approved when
``MAILLAGE_SOURCES_APPROVAL`` asks for it).

States: ``pending`` (waiting for an operator), ``active`` (harvested), ``paused`` (kept in
the registry, disabled). A removed or refused source is a deleted record (its history stays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SOURCE = "source"

PENDING = "pending"
ACTIVE = "active"
PAUSED = "paused"
STATE_LABELS = {PENDING: "en attente de validation par un opérateur", ACTIVE: "récoltée",
                PAUSED: "en pause"}

#: The reasons writes give, as the history says them.
REASONS = {"added": "source ajoutée", "requested": "source proposée (validation demandée)",
           "approved": "source validée", "refused": "source refusée",
           "paused": "source mise en pause", "resumed": "source reprise",
           "removed": "source retirée"}


@dataclass(frozen=True, slots=True)
class OwnSource:
    id: str
    association: str
    url: str
    format: str = ""
    state: str = ACTIVE
    added_by: str = ""
    added: str = ""
    found: int = 0  # events the preview found

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "association": self.association, "url": self.url,
                "format": self.format, "state": self.state, "added_by": self.added_by,
                "added": self.added, "found": self.found}

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> OwnSource:
        return cls(id=str(r["id"]), association=str(r["association"]), url=str(r["url"]),
                   format=str(r.get("format") or ""), state=str(r.get("state") or ACTIVE),
                   added_by=str(r.get("added_by") or ""), added=str(r.get("added") or ""),
                   found=int(r.get("found") or 0))
