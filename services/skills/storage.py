"""Posts and messages in the store of record (through :class:`Stores`).

Every write names its actor (a person id, or ``demo``): a post's history is its audit trail.
A student has one profile: its subject is ``maillage.rec.skill.<person>.profil``, created
with an expected last sequence of 0, so that a second creation (two tabs, two replicas) is
refused by the server itself. Who may write is checked by the caller (:func:`may_write`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from services.accounts.model import Person
from services.accounts.storage import Stores
from services.associations.model import Association
from services.associations.project import themes as association_themes
from services.associations.storage import Associations
from services.skills.model import (
    ASSOCIATION_TYPES,
    CLOSED,
    MESSAGE,
    OPEN,
    PROFILE_ID,
    SKILL,
    STUDENT,
    Message,
    Post,
)
from shared.records import Conflict, NotFound, now_iso


def new_id(prefix: str = "s") -> str:
    return prefix + secrets.token_hex(5)


def split_key(key: str) -> tuple[str, str] | None:
    """``(owner, id)`` of a public id ``<owner>.<id>``; ``None`` when it is not one."""
    owner, dot, rid = key.partition(".")
    if not dot or not owner or not rid or "." in rid:
        return None
    return owner, rid


class Skills:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.records = stores.records

    def subject(self, owner: str, rid: str) -> str:
        return self.records.subject(SKILL, owner, rid)

    async def get(self, key: str) -> Post | None:
        parts = split_key(key)
        if parts is None:
            return None
        entry = await self.records.get(self.subject(*parts))
        return Post.from_record(entry.record) if entry is not None else None

    async def of_owner(self, owner: str) -> list[Post]:
        """The posts of one association (or a person's profile): a small set, one
        wildcard. Lists for everyone read the board instead."""
        entries = await self.records.latest(self.records.subject(SKILL, owner) + ".*")
        posts = [Post.from_record(e.record) for e in entries]
        return sorted(posts, key=lambda p: p.updated, reverse=True)

    async def profile(self, pid: str) -> Post | None:
        return await self.get(f"{pid}.{PROFILE_ID}")

    async def create(self, kind: str, values: dict[str, Any], *, author: Person,
                     association: Association | None = None,
                     place: dict[str, str] | None = None) -> Post:
        """A new post of ``kind``: an association's (``association`` given; its name and
        themes copied, its head office's quartier and commune from ``place`` when the
        person gave none, else the first quartier it is active in) or the author's own
        profile (:class:`Conflict` when they have
        one)."""
        now = now_iso()
        if kind in ASSOCIATION_TYPES:
            if association is None:
                raise ValueError("an association's post needs its association")
            owner, rid = association.id, new_id()
            owner_name, themes = association.name, association_themes(association)[0]
        else:
            owner, rid, owner_name, themes = author.id, PROFILE_ID, "", []
        located = {k: v for k, v in (place or {}).items() if k in ("quartier", "commune")}
        if association is not None and association.quartiers and not located.get("quartier"):
            located["quartier"] = association.quartiers[0]  # where it says it is active
        values = {**values, **{k: v for k, v in located.items() if not values.get(k)}}
        post = Post.from_record({**values, "owner": owner, "id": rid, "type": kind,
                                 "state": OPEN, "owner_name": owner_name,
                                 "themes": themes, "author": author.id,
                                 "created": now, "updated": now})
        await self.records.create(self.subject(owner, rid), post.to_record(), actor=author.id,
                                  reason="created")
        return post

    async def _update(self, post: Post, change: Callable[[dict[str, Any]], dict[str, Any]],
                      *, actor: str, reason: str) -> Post:
        def apply(record: dict[str, Any]) -> dict[str, Any]:
            new = change(record)
            return {**new, "updated": now_iso()} if new != record else record

        entry = await self.records.update(self.subject(post.owner, post.id), apply,
                                          actor=actor, reason=reason)
        return Post.from_record(entry.record)

    async def edit(self, post: Post, values: dict[str, Any], *, actor: str) -> Post:
        """Change what the person wrote (never its type, owner or author)."""
        return await self._update(post, lambda r: {**r, **values}, actor=actor,
                                  reason="edited")

    async def set_state(self, post: Post, state: str, *, actor: str) -> Post:
        """Open, in progress or closed (a closed post leaves the board)."""
        return await self._update(post, lambda r: {**r, "state": state}, actor=actor,
                                  reason="closed" if state == CLOSED else f"state {state}")

    async def remove(self, post: Post, *, actor: str) -> None:
        if not await self.records.delete(self.subject(post.owner, post.id), actor=actor,
                                         reason="deleted"):
            raise NotFound(f"no post {post.key}")

    # -- messages ---------------------------------------------------------------------------

    async def record_message(self, sender: Person, post: Post, text: str,
                             share_address: bool) -> Message:
        """Keep what was sent (the sender's export shows it; their erasure removes it)."""
        message = Message(sender.id, new_id("m"), post.key, text, share_address, now_iso())
        await self.records.create(self.records.subject(MESSAGE, sender.id, message.id),
                                  message.to_record(), actor=sender.id, reason="sent")
        return message

    async def messages_of(self, pid: str) -> list[Message]:
        entries = await self.records.latest(self.records.subject(MESSAGE, pid) + ".*")
        return [Message.from_record(e.record) for e in entries]

    async def recipients(self, post: Post) -> list[Person]:
        """Who a message about ``post`` is mailed to: its author, else (their account
        erased) the association's admins."""
        people = self.stores.people
        author = await people.get(post.author) if post.author else None
        if author is not None:
            return [author]
        if not post.by_association:
            return []
        found = []
        for member in await Associations(self.stores).members(post.owner):
            if member.admin and (person := await people.get(member.person)) is not None:
                found.append(person)
        return found


async def may_write(stores: Stores, person: Person | None, owner: str, kind: str) -> bool:
    """Whether ``person`` writes the posts of ``owner``: an association's for its active
    members (and operators), a profile for the person themself."""
    if person is None:
        return False
    if kind == STUDENT:
        return owner == person.id
    if person.operator:
        return True
    membership = await Associations(stores).membership(owner, person.id)
    return membership is not None and membership.active


async def erase_skills(stores: Stores, pid: str) -> None:
    """Erasure hook: the person's profile and the messages they sent go, history included.
    An association's posts they wrote stay the association's (their author is then only an
    opaque id, and answers go to its admins)."""
    prefix = stores.records.prefix
    await stores.records.purge(f"{prefix}.{SKILL}.{pid}.>")
    await stores.records.purge(f"{prefix}.{MESSAGE}.{pid}.>")


async def export_skills(stores: Stores, pid: str) -> dict[str, Any]:
    skills = Skills(stores)
    profile = await skills.profile(pid)
    return {"skills_profile": profile.to_record() if profile else None,
            "skills_messages": [m.to_record() for m in await skills.messages_of(pid)]}


__all__ = ["Conflict", "Skills", "erase_skills", "export_skills", "may_write", "split_key"]
