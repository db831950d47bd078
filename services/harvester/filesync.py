"""The sources file as an import and export format of the registry.

:func:`import_file` brings a sources file into the registry (:mod:`services.harvester.registry`)
and says what it did: each table is *added* (new id), *updated* (its values differ from the
registry's), *unchanged*, or *rejected* (invalid, its calendar is another source's, or it
belongs to an association); with ``prune``, *removed*. The rules:

* the file's values apply to the sources it names, ``enabled`` included, but only when the
  table changed since that file last brought it: a source an operator disabled with
  ``maillage sources disable`` stays disabled until its table in the file is edited;
* ``prune`` removes the sources that came from this file (same absolute path) and are no
  longer in it, and retracts their events as ``maillage sources remove`` does; sources added
  by the CLI or the web, or brought by another file, are never removed by a file, and a
  table that is in the file but invalid keeps its source;
* a file that cannot be read or is not TOML changes nothing (a broken file never wipes
  good sources);
* a self-service source (one with an ``owner``) is never changed by a file.

:class:`FileSync` keeps the registry in step with ``MAILLAGE_SOURCES`` while the harvesters
run: at start-up and whenever the file's content changes (checked every tick), with ``prune``.
Only one replica does it, the holder of the lease ``sources-file`` in the ``leases`` bucket,
so that two replicas that see different copies of the file do not fight.

:func:`export_toml` writes the registry back as a sources file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path

import tomli_w
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from services.harvester.registry import RegisteredSource, SourceRegistry, retract_published
from services.harvester.sources import Source, read_entries, source_to_raw
from shared.bus import Bus
from shared.errors import ConfigError, MaillageError

log = logging.getLogger(__name__)

LEASES = "leases"
LEASE_TTL_S = 15.0


def absolute(path: Path | str) -> str:
    """The absolute path a file's sources are recorded under (no symlink resolution)."""
    return os.path.abspath(path)


def table_digest(source: Source) -> str:
    raw = source_to_raw(source) | {"enabled": source.enabled}
    return hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated",
                 f"{len(self.unchanged)} unchanged", f"{len(self.rejected)} rejected"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        return ", ".join(parts)


async def import_file(
    registry: SourceRegistry, path: Path | str, *, actor: str, prune: bool = False
) -> ImportReport:
    """Bring the sources file ``path`` into the registry (rules in the module doc)."""
    where = absolute(path)
    entries = await asyncio.to_thread(read_entries, where)  # ConfigError: nothing changes
    report = ImportReport()
    current = {r.id: r for r in await registry.list()}
    for entry in entries:
        label = entry.id or f"sources[{entry.index}]"
        if entry.source is None:
            report.rejected.append((label, entry.error or "invalid"))
            continue
        source, digest = entry.source, table_digest(entry.source)
        record = current.get(source.id)
        try:
            if record is None:
                await registry.add(source, actor=actor, file=where, file_digest=digest)
                report.added.append(source.id)
            elif record.owner is not None:
                report.rejected.append((source.id, f"managed by the association "
                                                   f"{record.owner!r}; a file does not change it"))
            elif record.file == where and record.file_digest == digest:
                report.unchanged.append(source.id)
            else:
                def bring(r: RegisteredSource, s: Source = source,
                          d: str = digest) -> RegisteredSource:
                    return replace(r, source=s, file=where, file_digest=d)

                await registry.update(source.id, bring, actor=actor)
                (report.updated if record.source != source else report.unchanged).append(
                    source.id)
        except MaillageError as exc:
            report.rejected.append((source.id, exc.message))
    if prune:
        named = {e.id for e in entries if e.id}
        for record in current.values():
            if record.file == where and record.id not in named:
                with contextlib.suppress(ConfigError):  # removed meanwhile
                    removed = await registry.remove(record.id, actor=actor)
                    report.removed.append(record.id)
                    # its events leave the search, as with 'maillage sources remove'
                    await retract_published(registry.bus, removed.source)
    return report


def export_toml(records: list[RegisteredSource]) -> str:
    """The registry as a sources file (``maillage sources import`` reads it back)."""
    header = "# Maillage sources, exported from the registry (maillage sources export).\n\n"
    return header + tomli_w.dumps({"sources": [
        source_to_raw(r.source) | {"enabled": r.enabled} for r in records]})


class Lease:
    """A lease in the ``leases`` bucket: one holder at a time, lost ``LEASE_TTL_S`` seconds
    after its holder stops renewing it (a dead replica)."""

    def __init__(self, bus: Bus, name: str, holder: str | None = None,
                 ttl_s: float = LEASE_TTL_S) -> None:
        self.bus, self.name, self.ttl_s = bus, name, ttl_s
        self.holder = holder or f"{socket.gethostname()}-{os.getpid()}"
        self._revision: int | None = None
        self._renewed = 0.0

    async def hold(self) -> bool:
        """True while this process holds the lease (renewing it as needed)."""
        loop = asyncio.get_running_loop()
        if self._revision is not None and loop.time() - self._renewed < self.ttl_s / 3:
            return True
        kv = await self.bus.kv(LEASES, ttl_s=self.ttl_s)
        try:
            if self._revision is not None:
                self._revision = await kv.update(self.name, self.holder.encode(),
                                                 last=self._revision)
            else:
                self._revision = await kv.create(self.name, self.holder.encode())
                log.info("lease taken", extra={"lease": self.name, "holder": self.holder})
        except KeyWrongLastSequenceError:
            self._revision = None
            with contextlib.suppress(KeyNotFoundError):
                entry = await kv.get(self.name)
                if (entry.value or b"").decode() == self.holder:  # ours, after a restart
                    self._revision = await kv.update(self.name, self.holder.encode(),
                                                     last=entry.revision)
        if self._revision is not None:
            self._renewed = loop.time()
        return self._revision is not None


class FileSync:
    """Keep the registry in step with the sources file while running (see the module doc)."""

    def __init__(self, registry: SourceRegistry, path: Path | str, every_s: float = 5.0,
                 lease: Lease | None = None) -> None:
        self.registry = registry
        self.path = Path(absolute(path))
        self.every_s = every_s
        self.lease = lease or Lease(registry.bus, "sources-file")
        self._synced: bytes | None = None  # the content last brought in

    async def check(self) -> ImportReport | None:
        """Import the file if its content changed since the last import; None otherwise."""
        try:
            content = await asyncio.to_thread(self.path.read_bytes)
        except FileNotFoundError:
            return None
        if content == self._synced:
            return None
        try:
            report = await import_file(self.registry, self.path, prune=True,
                                       actor=f"file:{self.path}")
        except ConfigError as exc:
            log.error("sources file not imported, the registry is unchanged: %s", exc.message)
            self._synced = content  # say it once; an edit is tried again
            return None
        first, self._synced = self._synced is None, content
        level = logging.INFO if report.changed or first else logging.DEBUG
        log.log(level, "sources file imported: %s", report.summary(),
                extra={"file": str(self.path)})
        for sid, reason in report.rejected:
            log.warning("source rejected: %s", reason, extra={"source_id": sid})
        return report

    async def run(self) -> None:
        while True:
            try:
                if await self.lease.hold():
                    await self.check()
                else:
                    self._synced = None  # another replica syncs; re-check if we take over
            except Exception:  # keep watching whatever one look met (NATS away, ...)
                log.warning("sources file sync failed", exc_info=True)
            await asyncio.sleep(self.every_s)
