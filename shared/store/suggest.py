"""Search-box suggestions, the part both stores share: ranking the tags (keywords, organizers,
places) that match a prefix, then completing with titles."""

from __future__ import annotations

import re
from typing import Any

from shared.text import fold


def folded(text: str) -> str:
    return " ".join(fold(text).split())


def suggest_tags(tags: list[tuple[str, str, str, int]], prefix: str,
                 limit: int) -> list[dict[str, Any]]:
    """Tags whose text starts with ``prefix``, then tags with a word starting with it."""
    want = folded(prefix)
    if len(want) < 2:
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    starts = [t for t in tags if t[2].startswith(want)]
    inside = [t for t in tags if not t[2].startswith(want) and f" {want}" in f" {t[2]}"]
    for kind, text, key, _n in starts + inside:
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append({"text": text, "kind": kind})
    return out


_WORD = re.compile(r"\w+")


def respell(slug: str, texts: list[str]) -> str:
    """A keyword tag (a folded slug: ``atelier-velo``) as the events' ``texts`` write it
    (``atelier vélo``, lower-cased), or the slug when no text has its words in a row."""
    want = [w for w in slug.split("-") if w]
    for text in texts:
        words = list(_WORD.finditer(text))
        folded_words = [fold(m.group()) for m in words]
        for i in range(len(words) - len(want) + 1):
            if folded_words[i:i + len(want)] == want:
                return text[words[i].start():words[i + len(want) - 1].end()].lower()
    return slug


def add_titles(out: list[dict[str, Any]], titles: list[str], limit: int) -> list[dict[str, Any]]:
    """``out`` completed up to ``limit`` with ``titles`` not suggested yet."""
    seen = {folded(o["text"]) for o in out}
    for title in titles:
        key = folded(title)
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append({"text": title, "kind": "title"})
    return out
