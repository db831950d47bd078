"""Team-up declarations on calls for projects ("we would like to apply jointly"), as records.

``maillage.rec.interest.<call id>.<key>``: one per call and association; ``key`` is the
association's id (declared by a signed-in member), or ``tok-<token id>`` for the deprecated
association bearer tokens (``POST /v1/calls/{id}/interests``). Declaring again updates it;
withdrawing deletes it; the call's publisher may hide it (``hidden``). A call's interests are
its subject's children: one wildcard read, for the call page and ``GET /v1/calls/{id}``.
The interest's ``id`` (what a publisher names to hide one) is ``key``.
"""

from __future__ import annotations

from typing import Any

from shared.records import Records, now_iso

INTEREST = "interest"
MAX_CONTACT = 300
MAX_BRINGS = 2000


def subject(records: Records, call_id: str, key: str) -> str:
    return records.subject(INTEREST, call_id, key)


async def declare(records: Records, call_id: str, key: str, association: str,
                  contact: str, brings: str, *, actor: str,
                  association_id: str = "") -> dict[str, Any]:
    now = now_iso()

    def change(current: dict[str, Any] | None) -> dict[str, Any]:
        base = current or {"id": key, "call": call_id, "created": now, "hidden": False}
        return {**base, "association": association, "association_id": association_id,
                "contact": contact, "brings": brings, "updated": now}

    entry = await records.write(subject(records, call_id, key), change, actor=actor,
                                reason="interest declared")
    assert entry is not None
    return public(entry.record)


async def withdraw(records: Records, call_id: str, key: str, *, actor: str) -> bool:
    return await records.delete(subject(records, call_id, key), actor=actor, reason="withdrawn")


async def hide(records: Records, call_id: str, key: str, *, actor: str) -> bool:
    """The call's publisher hides a declaration (it stays, marked hidden)."""
    found = False

    def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
        nonlocal found
        found = current is not None
        return {**current, "hidden": True} if current is not None else None

    await records.write(subject(records, call_id, key), change, actor=actor, reason="hidden")
    return found


async def of_call(records: Records, call_id: str, include_hidden: bool = False
                  ) -> list[dict[str, Any]]:
    entries = await records.latest(records.subject(INTEREST, call_id) + ".*")
    items = [public(e.record) for e in entries]
    items = [i for i in items if include_hidden or not i["hidden"]]
    return sorted(items, key=lambda i: (i["created"], i["id"]))


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "association": record["association"],
            "association_id": record.get("association_id") or None,
            "contact": record["contact"], "brings": record["brings"],
            "created": record["created"], "updated": record["updated"],
            "hidden": bool(record.get("hidden"))}
