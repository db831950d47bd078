"""The board consumer's decoding: a record becomes its kind's board message, and whatever
cannot be projected is poison (dead-lettered by the projector, the next record goes on)."""

from typing import Any

import pytest

from services.indexer.board_consumer import decode
from shared.errors import InvalidMessage
from shared.records import Entry
from shared.store.board_base import BoardMessage


def offer(entry: Entry, geocode: Any) -> BoardMessage:
    record = entry.record
    return BoardMessage(record.get("as", "skill"), "o1", entry.seq,
                        None if entry.deleted else {"id": "o1", **record.get("doc", {})})


BY_KIND = {"offer": offer}
SUBJECT = "maillage.rec.offer.o1"


def raw(op: str = "create", **record: Any) -> bytes:
    return Entry(SUBJECT, 0, op, record).to_json()


def test_a_record_becomes_its_kinds_message() -> None:
    msg = decode(SUBJECT, 42, raw(doc={"title": "Aide"}), None, BY_KIND)
    assert msg == BoardMessage("skill", "o1", 42, {"id": "o1", "title": "Aide"})
    assert decode(SUBJECT, 43, raw("delete"), None, BY_KIND).doc is None


@pytest.mark.parametrize("subject, data, reason", [
    ("maillage.rec.other.x", raw(doc={"title": "Aide"}), "no board projection"),
    (SUBJECT, b"\xff not json", "undecodable"),
    (SUBJECT, raw(doc={"text": "no title"}), "needs a title"),
    (SUBJECT, raw(doc={"title": "Aide", "starts": "demain"}), "starts"),
    (SUBJECT, raw(doc={"title": "Aide", "starts": "2026-12-01T10:00:00"}), "offset"),
    (SUBJECT, raw(doc={"title": "Aide", "lat": 48.1}), "lat and lon"),
    (SUBJECT, raw(doc={"title": "Aide", "facets": {"skill": "a"}}), "facets"),
    (SUBJECT, raw(doc={"title": "Aide"}, **{"as": "poster"}), "unknown board kind"),
])
def test_what_cannot_be_projected_is_poison(subject: str, data: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        decode(subject, 7, data, None, BY_KIND)
