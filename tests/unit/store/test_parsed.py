"""Parsed documents: the memo answers what orjson.loads answers, as copies the caller owns."""

from __future__ import annotations

import orjson

from shared.store.parsed import ParsedDocuments


def body(n: int, title: str = "Atelier") -> bytes:
    return orjson.dumps({"id": f"d{n}", "title": title, "location": {"quartier": "Centre"}})


def test_a_memoized_document_equals_a_fresh_parse_and_is_a_new_copy() -> None:
    docs = ParsedDocuments(4)
    first = docs.load(body(1))
    first["score"] = 2.0  # what a search adds to its page
    first.pop("title")
    again = docs.load(body(1))
    assert again == orjson.loads(body(1))
    assert again is not first
    assert len(docs) == 1


def test_a_new_version_is_a_new_key() -> None:
    docs = ParsedDocuments(4)
    assert docs.load(body(1, "Atelier"))["title"] == "Atelier"
    assert docs.load(body(1, "Atelier vélo"))["title"] == "Atelier vélo"
    assert docs.load(body(1, "Atelier"))["title"] == "Atelier"


def test_the_least_recently_used_documents_leave_first() -> None:
    docs = ParsedDocuments(3)
    for n in (1, 2, 3):
        docs.load(body(n))
    docs.load(body(1))  # used again: 2 is now the oldest
    docs.load(body(4))
    assert len(docs) == 3
    assert set(docs._docs) == {body(1), body(3), body(4)}


def test_size_zero_keeps_nothing() -> None:
    docs = ParsedDocuments(0)
    assert docs.load(body(1)) == orjson.loads(body(1))
    assert len(docs) == 0
