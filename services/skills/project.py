"""The searchable form of a post: what the indexer's board consumer writes to the board
(:mod:`shared.store.board_base`, kind ``skill``).

Made from :meth:`Post.public`, so that its author never reaches the board. A closed or
deleted post leaves the board (``doc`` ``None``). Facets: ``type``, ``skill``, ``quartier``,
``commune``, ``theme``, ``mode``, ``state``, ``project_kind``; the period is the post's
``starts``/``ends`` dates as whole days in Paris time. The place is the quartier and
commune kept on the post (the association's head office's, or what the person gave):
nothing to geocode.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from services.associations.project import Geocode
from services.skills.model import MODES, PROJECT_KINDS, SKILL, SKILLS, Post
from shared.records import Entry
from shared.store.board_base import BoardMessage

PARIS = ZoneInfo("Europe/Paris")
KIND = "skill"


def _instant(day: str, end: bool) -> str | None:
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return None
    moment = time(23, 59, 59) if end else time(0, 0)
    return datetime.combine(parsed, moment, PARIS).isoformat()


def rid_of(entry: Entry) -> str:
    """The post's public id (``<owner>.<id>``) from its subject."""
    owner, rid = entry.subject.split(".")[-2:]
    return f"{owner}.{rid}"


def searchable(post: Post) -> dict[str, Any] | None:
    if not post.open:
        return None
    public = post.public()
    words = [post.description, post.studies, post.effort, post.owner_name,
             *(SKILLS.get(s, s) for s in post.skills), *post.keywords,
             *(PROJECT_KINDS.get(k, k) for k in post.project_kinds),
             *(MODES.get(m, m) for m in post.modes)]
    facets = {"type": [post.type], "skill": list(post.skills), "theme": list(post.themes),
              "mode": list(post.modes), "state": [post.state],
              "project_kind": list(post.project_kinds),
              "quartier": [post.quartier] if post.quartier else [],
              "commune": [post.commune] if post.commune else []}
    for key in ("starts", "ends", "owner"):  # the board's own meaning, set below
        public.pop(key, None)
    doc: dict[str, Any] = {**public, "title": post.title,
                           "text": " ".join(w for w in words if w),
                           "facets": {k: v for k, v in facets.items() if v},
                           "updated": post.updated or post.created}
    starts = _instant(post.starts, False) if post.starts else None
    ends = _instant(post.ends, True) if post.ends else None
    if starts or ends:
        doc["starts"] = starts or ends
        if ends:
            doc["ends"] = ends
    if post.by_association:
        doc["owner"] = post.owner
    return doc


def message(entry: Entry, geocode: Geocode | None = None) -> BoardMessage:
    """The board message of one ``RECORDS`` message of a post."""
    doc = None if entry.deleted else searchable(Post.from_record(entry.record))
    return BoardMessage(KIND, rid_of(entry), entry.seq, doc)


PROJECTIONS: dict[str, Callable[[Entry, Geocode | None], BoardMessage]] = {SKILL: message}
