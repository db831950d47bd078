"""Import rows of an official register (:mod:`services.associations.registers`) into the
store of record, in bulk.

1. Read the current state of every association once (a last-per-subject read of
   ``maillage.rec.association.*``) and index it by RNA number and city id.
2. For each row, the new record is :func:`~services.associations.provenance.merge_import`
   of the current one (or of nothing): equal to it, the row is *unchanged* and nothing is
   written — so a second import of the same file writes nothing at all.
3. New associations get a stable id (a slug of their name) and claim their RNA number or
   city id (KV ``claims``, as the forms do): a number claimed meanwhile by an association
   this import did not see is merged into that one instead. A row of either register seen
   for the first time whose name (accents, case and punctuation aside) is that of exactly
   one association without that register's identifier is that association: the national
   register's « VÉLO CLUB DES ALLIÉS » is the city's « Vélo Club des Alliés », and an
   association created on Maillage without its RNA number gets it from the register (what
   it wrote itself is kept, see :mod:`~services.associations.provenance`). When the name is
   that of several such associations, the row is rejected for an operator to look at
   rather than added as one more association of that name.
4. The writes go to ``RECORDS`` with many in flight (:meth:`Records.write_many`), each with
   the sequence it was computed from; one that another writer changed in between is done
   again through :meth:`Records.write` (read, merge, write), so no one's edit is lost.

Every write names its actor (``cli`` by default) and the import as its reason: the record's
history says which import changed what.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.accounts.storage import Stores
from services.associations.model import ASSOCIATION, CITY_IMPORT, RNA_IMPORT, Association
from services.associations.provenance import merge_import
from services.associations.registers import ImportRow
from services.associations.storage import RESERVED_IDS
from services.associations.validate import slug
from shared.records import Entry, diff, now_iso, token

REASONS = {RNA_IMPORT: "RNA import", CITY_IMPORT: "city open data import"}
#: Rows planned and written at a time (the progress bar moves by this much).
CHUNK = 2000
#: Claims taken at once.
CLAIM_WINDOW = 128


@dataclass(slots=True)
class Summary:
    source: str
    encoding: str = ""
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    dropped: list[tuple[int, str]] = field(default_factory=list)

    def report(self, shown: int = 20) -> str:
        """The summary for the operator (English, like every CLI output)."""
        lines = [f"{self.rows} row(s) read ({self.encoding}): {self.added} added, "
                 f"{self.updated} updated, {self.unchanged} unchanged, "
                 f"{len(self.rejected)} rejected"]
        lines += [f"  skipped: {n} {reason}" for reason, n in sorted(self.skipped.items())]
        for line, reason in self.rejected[:shown]:
            lines.append(f"  rejected line {line}: {reason}")
        if len(self.rejected) > shown:
            lines.append(f"  ... and {len(self.rejected) - shown} more rejected")
        if self.dropped:
            lines.append(f"  {len(self.dropped)} invalid value(s) left out, e.g. "
                         + "; ".join(f"line {n}: {text}" for n, text in self.dropped[:5]))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "encoding": self.encoding, "rows": self.rows,
                "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [{"line": n, "reason": r} for n, r in self.rejected],
                "skipped": dict(self.skipped),
                "dropped": [{"line": n, "value": v} for n, v in self.dropped]}


@dataclass(slots=True)
class _Write:
    row: ImportRow
    aid: str
    entry: Entry
    expected: int
    claim: tuple[str, str] | None = None  # taken for a new association


def folded(name: str) -> str:
    """A name as compared across registers: no accents, case or punctuation."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_name.lower()).split())


class Importer:
    def __init__(self, stores: Stores, source: str, *, actor: str = "cli",
                 window: int = 256) -> None:
        if source not in REASONS:
            raise ValueError(f"unknown import source {source!r}")
        self.records = stores.records
        self.claims = stores.claims
        self.source = source
        self.actor = actor
        self.window = window
        self.current: dict[str, Entry] = {}  # id -> last entry (deleted ones too)
        self.by_key: dict[tuple[str, str], str] = {}
        #: claim kind ("rna", "city") -> folded name -> ids without that identifier
        self.by_name: dict[str, dict[str, list[str]]] = {"rna": {}, "city": {}}

    def subject(self, aid: str) -> str:
        return self.records.subject(ASSOCIATION, aid)

    async def load(self) -> None:
        prefix = self.records.subject(ASSOCIATION) + "."
        for entry in await self.records.latest(prefix + "*", deleted=True, changes=False):
            aid = entry.subject.removeprefix(prefix)
            self.current[aid] = entry
            if entry.deleted:
                continue
            for kind, key in (("rna", "rna"), ("city", "city_id")):
                if entry.record.get(key):
                    self.by_key[(kind, str(entry.record[key]))] = aid
                else:
                    self.by_name[kind].setdefault(folded(str(entry.record.get("name", ""))),
                                                  []).append(aid)

    async def run(self, rows: Sequence[ImportRow], summary: Summary,
                  advance: Callable[[int], None] = lambda n: None) -> Summary:
        await self.load()
        seen: dict[tuple[str, str], int] = {}
        good: list[ImportRow] = []
        for row in rows:
            summary.rows += 1
            summary.dropped += [(row.line, d) for d in row.dropped]
            if row.skipped:
                summary.skipped[row.skipped] += 1
            elif row.rejected:
                summary.rejected.append((row.line, row.rejected))
            elif row.key in seen:
                summary.rejected.append((row.line, f"{row.key[1]} appears again (first on "
                                                   f"line {seen[row.key]}): left out"))
            else:
                seen[row.key] = row.line
                good.append(row)
                continue
            advance(1)
        for start in range(0, len(good), CHUNK):
            chunk = good[start:start + CHUNK]
            await self._chunk(chunk, summary)
            advance(len(chunk))
        return summary

    # -- one chunk --------------------------------------------------------------------------

    async def _chunk(self, rows: list[ImportRow], summary: Summary) -> None:
        writes: list[_Write] = []
        for row in rows:
            namesakes = self._namesakes(row)
            if len(namesakes) > 1:
                summary.rejected.append((row.line, (
                    f"{row.key[1]}: {len(namesakes)} associations are named "
                    f"{row.fields.get('name')!r} ({', '.join(sorted(namesakes))}): left for an "
                    "operator to say which one it is, rather than adding one more")))
                continue
            planned = self._plan(row)
            if planned is None:
                summary.unchanged += 1
            else:
                writes.append(planned)
        writes = await self._claim([w for w in writes if w.claim], summary) + [
            w for w in writes if not w.claim]
        results = await self.records.write_many([(w.entry, w.expected) for w in writes],
                                                window=self.window)
        for write, seq in zip(writes, results, strict=True):
            if seq is None:  # written by someone else since it was read: merge into that
                seq = await self._again(write, summary)
                if seq is None:
                    continue
            self._count(write, summary)
            self.current[write.aid] = Entry(write.entry.subject, seq, write.entry.op,
                                            write.entry.record)

    def _namesakes(self, row: ImportRow) -> list[str]:
        """The associations without the row's identifier that bear its name (none when
        the identifier is already known)."""
        if row.key in self.by_key:
            return []
        return self.by_name[row.key[0]].get(folded(str(row.fields.get("name", ""))), [])

    def _plan(self, row: ImportRow) -> _Write | None:
        aid = self.by_key.get(row.key)
        claim = None
        if aid is None and len(same := self._namesakes(row)) == 1:
            aid, claim = same[0], row.key
            del self.by_name[row.key[0]][folded(str(row.fields.get("name", "")))]
            self.by_key[row.key] = aid
        if aid is not None:
            entry = self.current[aid]
            new = merge_import(entry.record, row.fields, self.source)
            if new == entry.record:
                return None
            return _Write(row, aid, self._entry(aid, "update", entry.record, new), entry.seq,
                          claim=claim)
        aid = self._new_id(row)
        record = merge_import(None, {**row.fields, "id": aid}, self.source)
        record = {**Association.from_record({**record, "created": now_iso()}).to_record(),
                  "provenance": record["provenance"]}
        self.current[aid] = Entry(self.subject(aid), 0, "create", record)  # id now taken
        self.by_key[row.key] = aid
        return _Write(row, aid, self._entry(aid, "create", None, record), 0, claim=row.key)

    def _entry(self, aid: str, op: str, before: dict[str, Any] | None,
               after: dict[str, Any]) -> Entry:
        return Entry(self.subject(aid), 0, op, after, diff(before, after), self.actor,
                     now_iso(), REASONS[self.source])

    def _new_id(self, row: ImportRow) -> str:
        base = slug(str(row.fields["name"]))
        if base in RESERVED_IDS:
            base += "-asso"
        for n in range(1, 10):
            candidate = base if n == 1 else f"{base}-{n}"
            if candidate not in self.current:
                return candidate
        candidate = f"{base[:30]}-{token(row.key[1]).lower()}"
        while candidate in self.current:
            candidate += "-x"
        return candidate

    async def _claim(self, writes: list[_Write], summary: Summary) -> list[_Write]:
        """Take the claim of each new association; one claimed meanwhile by an association
        this import did not see becomes an update of that one."""
        gate = asyncio.Semaphore(CLAIM_WINDOW)

        async def take(write: _Write) -> bool:
            assert write.claim is not None
            async with gate:
                return await self.claims.take(*write.claim, write.aid)

        taken = await asyncio.gather(*(take(w) for w in writes))
        kept = []
        for write, ok in zip(writes, taken, strict=True):
            if ok:
                kept.append(write)
                continue
            if write.entry.op == "create":
                del self.current[write.aid]
            owner = await self.claims.owner(*write.row.key)
            seq = await self._merge_into(owner, write.row, summary) if owner else None
            if seq is None and owner:
                summary.rejected.append((write.row.line, f"{write.row.key[1]} is claimed by "
                                                         f"{owner}, which cannot be read"))
        return kept

    async def _merge_into(self, aid: str, row: ImportRow, summary: Summary) -> int | None:
        before: dict[str, Any] = {}

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            before.clear()
            before.update(current or {})
            return merge_import(current, row.fields, self.source) if current else None

        entry = await self.records.write(self.subject(aid), change, actor=self.actor,
                                         reason=REASONS[self.source])
        if entry is None:
            return None
        if entry.record == before:
            summary.unchanged += 1
        else:
            summary.updated += 1
        self.by_key[row.key] = aid
        return entry.seq

    async def _again(self, write: _Write, summary: Summary) -> int | None:
        """The write was refused (someone wrote the record since it was read)."""
        if write.entry.op == "create":  # the id was taken meanwhile: give the claim back
            if write.claim is not None:
                await self.claims.release(*write.claim, write.aid)
            summary.rejected.append((write.row.line, f"id {write.aid} was taken meanwhile; "
                                                     "import again to add it"))
            return None
        await self._merge_into(write.aid, write.row, summary)
        return None  # counted by _merge_into

    def _count(self, write: _Write, summary: Summary) -> None:
        if write.entry.op == "create":
            summary.added += 1
        else:
            summary.updated += 1
