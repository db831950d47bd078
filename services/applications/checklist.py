"""The shared checklist of an application: the pieces to gather, who does each, done or
not; read and written by the members of its lead and of its accepted partners only.

One record per application, ``maillage.rec.application_checklist.<id>``: each change (add,
tick, untick, remove an item) is a change function that :meth:`Records.write` applies again
on a wrong last sequence, so two partners ticking two items at once both keep theirs.
"""

from __future__ import annotations

import secrets
from typing import Any

from shared.clean import xml_text
from shared.errors import InvalidInput
from shared.records import Records

CHECKLIST = "application_checklist"
MAX_ITEMS = 50
MAX_TEXT = 200
ACTIONS = ("add", "done", "undone", "remove")


def subject(records: Records, app_id: str) -> str:
    return records.subject(CHECKLIST, app_id)


async def items(records: Records, app_id: str) -> list[dict[str, Any]]:
    entry = await records.get(subject(records, app_id))
    return list(entry.record.get("items") or []) if entry is not None else []


async def change(records: Records, app_id: str, action: str, *, actor: str, item: str = "",
                 text: str = "", who: str = "") -> list[dict[str, Any]]:
    """Add an item (``text``, done by the association ``who``), tick, untick or remove the
    item ``item``. An item someone else removed meanwhile is left as it is."""
    if action not in ACTIONS:
        raise InvalidInput({"action": "Action inconnue."})
    text = " ".join(xml_text(text).split())  # no control character: it is shown in a page
    if action == "add" and not (0 < len(text) <= MAX_TEXT):
        raise InvalidInput({"piece": f"Décrivez la pièce en au plus {MAX_TEXT} caractères."})
    new_id = secrets.token_hex(4)

    def apply(current: dict[str, Any] | None) -> dict[str, Any]:
        listed = list((current or {}).get("items") or [])
        if action == "add":
            if len(listed) >= MAX_ITEMS:
                raise InvalidInput({"piece": f"Au plus {MAX_ITEMS} pièces."})
            listed.append({"id": new_id, "text": text, "who": who, "done": False})
        elif action == "remove":
            listed = [i for i in listed if i["id"] != item]
        else:
            listed = [{**i, "done": action == "done"} if i["id"] == item else i
                      for i in listed]
        return {"application": app_id, "items": listed}

    entry = await records.write(subject(records, app_id), apply, actor=actor,
                                reason=f"checklist {action}")
    return list(entry.record.get("items") or []) if entry is not None else []
