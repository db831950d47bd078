"""Declared links in the store of record (:mod:`shared.records`), through :class:`Stores`.

Every change is one write of the link's subject computed from its current state, so the
rules hold under concurrent writes (the write carries the expected last sequence; a writer
that lost the race applies its change again to the new state, or is refused):

* a link is declared once: declaring it while it is proposed or confirmed is a
  :class:`Conflict`, except by the other side of a proposal, which confirms it (two
  associations declaring the same partnership at once end with one confirmed link);
* only the target of a proposal confirms or declines it, and only while it is proposed
  (a confirmation racing a withdrawal: one of them wins, the other gets a conflict);
* either side ends a proposed or confirmed link.

An association's links are two wildcard reads (its id first, or second, in the subject).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.accounts.storage import Stores, WrittenBy
from services.associations.model import Association
from services.associations.project import themes
from services.network.model import (
    CONFIRMED,
    DECLINED,
    DIRECTED,
    ENDED,
    LIVE,
    NETWORK,
    PROPOSED,
    End,
    Link,
    link_ends,
    link_id,
    parse_id,
)
from services.network.validate import Declaration
from shared.errors import InvalidInput
from shared.records import Conflict, NotFound, now_iso, token


def end_from(association: Association, doc: Mapping[str, Any] | None) -> End:
    """What a link keeps of ``association``: its name and public address, and from its
    directory document (``doc``, when the directory has it) its quartier, commune, themes
    and point; without one, its declared quartier and themes (the projection places it)."""
    doc = doc or {}
    lat, lon = doc.get("lat"), doc.get("lon")
    declared, _ = themes(association)
    quartiers = [*association.quartiers, ""]
    return End(association.id, association.name,
               str(doc.get("quartier") or quartiers[0]),
               str(doc.get("commune") or association.address.city or ""),
               tuple(doc.get("themes") or declared),
               float(lat) if lat is not None else None, float(lon) if lon is not None else None,
               association.address.to_record())


class Links:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.records = stores.records

    def subject(self, lid: str) -> str:
        parsed = parse_id(lid)
        if parsed is None:
            raise NotFound(f"no link {lid!r}")
        return self.records.subject(NETWORK, *parsed)

    async def get(self, lid: str) -> Link | None:
        if parse_id(lid) is None:
            return None
        entry = await self.records.get(self.subject(lid))
        return Link.from_record(entry.record) if entry is not None else None

    async def of_association(self, aid: str) -> list[Link]:
        """Every link of ``aid`` (any state), most recently changed first."""
        prefix = self.records.subject(NETWORK)
        first = await self.records.latest(f"{prefix}.{token(aid)}.*.*")
        second = await self.records.latest(f"{prefix}.*.{token(aid)}.*")
        found = {e.subject: e for e in (*first, *second)}
        ordered = sorted(found.values(), key=lambda e: e.seq, reverse=True)
        return [Link.from_record(e.record) for e in ordered]

    async def declare(self, declaration: Declaration, source: End, target: End, *,
                      actor: str) -> Link:
        """``source`` declares the link; see the module's documentation for the rules."""
        kind = declaration.kind
        lid = link_id(source.id, target.id, kind)
        if kind in DIRECTED:
            # one way only: "a member of b" and "b member of a" cannot both hold (a check
            # on the other subject, not one write: two declared at the same instant can
            # both pass, and either side can end one)
            reverse = await self.get(link_id(target.id, source.id, kind))
            if reverse is not None and reverse.state in LIVE:
                raise InvalidInput({"kind": f"{target.name} est déjà déclarée membre de "
                                            f"{source.name} : l’inverse ne peut pas "
                                            "être vrai aussi."})
        a_id, _ = link_ends(source.id, target.id, kind)
        a, b = (source, target) if a_id == source.id else (target, source)
        now = now_iso()

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is not None and current.get("state") in LIVE:
                if current.get("state") == PROPOSED and current.get("target") == source.id:
                    # the other side declared it too: it is agreed
                    return {**current, "a": a.to_record(), "b": b.to_record(),
                            "state": CONFIRMED, "updated": now,
                            "note": current.get("note") or declaration.note,
                            "since": current.get("since") or declaration.since}
                raise Conflict(f"{lid} is {current.get('state')} already")
            return Link(lid, kind, a, b, source.id, target.id, PROPOSED, declaration.note,
                        declaration.since, now, now).to_record()

        entry = await self.records.write(self.records.subject(NETWORK, *lid.split(".")),
                                         change, actor=actor, reason="declared")
        assert entry is not None
        return Link.from_record(entry.record)

    async def _move(self, lid: str, aid: str, *, allowed: tuple[str, ...], to: str,
                    only_target: bool, actor: str, reason: str,
                    ends: Sequence[End] = ()) -> Link:
        now = now_iso()

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            if current is None:
                raise NotFound(f"no link {lid}")
            if only_target and current.get("target") != aid:
                raise PermissionError(f"{aid} is not the target of {lid}")
            if aid not in (current["a"]["id"], current["b"]["id"]):
                raise PermissionError(f"{aid} is not an end of {lid}")
            if current.get("state") not in allowed:
                raise Conflict(f"{lid} is {current.get('state')}")
            new = {**current, "state": to, "updated": now,
                   "closed_by": aid if to in (DECLINED, ENDED) else ""}
            if ends:
                by_id = {e.id: e for e in ends}
                for side in ("a", "b"):
                    fresh = by_id.get(current[side]["id"])
                    if fresh is not None:
                        new[side] = fresh.to_record()
            return new

        entry = await self.records.write(self.subject(lid), change, actor=actor, reason=reason)
        if entry is None:
            raise NotFound(f"no link {lid}")
        return Link.from_record(entry.record)

    async def confirm(self, lid: str, aid: str, *, actor: str,
                      ends: Sequence[End] = ()) -> Link:
        """The target confirms a proposal (``ends``: the directory's newer view of both)."""
        return await self._move(lid, aid, allowed=(PROPOSED,), to=CONFIRMED,
                                only_target=True, actor=actor, reason="confirmed", ends=ends)

    async def decline(self, lid: str, aid: str, *, actor: str) -> Link:
        return await self._move(lid, aid, allowed=(PROPOSED,), to=DECLINED,
                                only_target=True, actor=actor, reason="declined")

    async def end(self, lid: str, aid: str, *, actor: str) -> Link:
        return await self._move(lid, aid, allowed=LIVE, to=ENDED, only_target=False,
                                actor=actor, reason="ended")


async def export_links(stores: Stores, pid: str) -> dict[str, Any]:
    """Export hook: the links the person declared, confirmed, declined or ended (their
    current state). A link belongs to its associations, not to the person: nothing else
    of theirs is kept in it (the record's history names them by their opaque id only)."""
    prefix = f"{stores.records.prefix}.{NETWORK}."
    subjects = {e.subject for e in await WrittenBy(stores.records).entries(pid)
                if e.subject.startswith(prefix) and e.actor == pid}
    out = []
    for subject in sorted(subjects):
        entry = await stores.records.get(subject)
        if entry is not None:
            out.append(entry.record)
    return {"network_links": out}
