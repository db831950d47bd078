"""The registry of sources: the one record of which calendars Maillage harvests.

Every source is a key of the JetStream key-value bucket ``sources`` (key = the source id,
value = JSON): every field of a ``[[sources]]`` table of the sources file (see
:mod:`services.harvester.sources`; ``enabled`` included), and

``owner``
    the association that manages the source itself (self-service, through the web), or null
    for the sources operators manage;
``added_by``, ``added_at``, ``updated_by``, ``updated_at``
    who changed the record last and when (an actor is a short text: ``cli:alice``,
    ``file:/etc/maillage/sources.toml``, ``web:asso-velo``);
``file``, ``file_digest``
    the sources file the record was last imported from and the digest of its table there (see
    :mod:`services.harvester.filesync`); null for sources added by the CLI or the web.

Every harvester replica reads the registry at each scheduling tick (one request when nothing
changed, see :class:`SourceCatalog`), so a source added, changed, disabled or removed is
picked up by every replica within one tick, without restart. The bucket keeps the last 16
revisions of each source (``nats kv history sources <id>``).

The API (:class:`SourceRegistry`) is what the CLI uses and what a web feature calls::

    registry = SourceRegistry(bus)
    await registry.add(parse_source(table, "form"), actor="web:asso-velo", owner="asso-velo")
    await registry.set_enabled("asso-velo-agenda", False, actor="cli:alice")
    async for change in registry.watch(): ...

Writes are safe under concurrent writers: :meth:`SourceRegistry.update` writes with the
revision it read (``Nats-Expected-Last-Subject-Sequence``) and re-reads and re-applies its
change when another writer came first. Two sources may not share a calendar: the normalized
URL (:func:`~services.harvester.sources.normalize_url`) is claimed atomically in the bucket
``source_urls`` before a source is written. Validation is :func:`parse_source`'s, always.
Errors are :class:`~shared.errors.ConfigError` with ``kind`` ``not_found`` or ``conflict``
(a web handler maps them to 404 and 409).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from services.harvester.sources import Source, normalize_url, parse_source, source_to_raw
from shared.bus import EVENTS_SUBJECT, Bus, subject_token
from shared.errors import ConfigError, TransientError

log = logging.getLogger(__name__)

BUCKET = "sources"
URL_BUCKET = "source_urls"
HISTORY = 16
#: Attempts of a write that loses the race to another writer before giving up.
ATTEMPTS = 10
#: Longest wait for the next record while listing.
LIST_TIMEOUT_S = 10.0

_META = ("owner", "added_by", "added_at", "updated_by", "updated_at", "file", "file_digest")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class RegisteredSource:
    """A source as the registry holds it; ``revision`` is the KV revision it was read at."""

    source: Source
    owner: str | None = None
    added_by: str = ""
    added_at: str = ""
    updated_by: str = ""
    updated_at: str = ""
    file: str | None = None
    file_digest: str | None = None
    revision: int = 0

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def enabled(self) -> bool:
        return self.source.enabled

    def to_dict(self) -> dict[str, Any]:
        raw = source_to_raw(self.source)
        raw["enabled"] = self.source.enabled
        return {**raw, **{key: getattr(self, key) for key in _META}}

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes, revision: int = 0) -> RegisteredSource:
        data: dict[str, Any] = json.loads(raw)
        meta = {key: data.pop(key, None) for key in _META}
        return cls(
            source=parse_source(data, f"registry ({data.get('id')!r})"),
            owner=meta["owner"],
            added_by=meta["added_by"] or "",
            added_at=meta["added_at"] or "",
            updated_by=meta["updated_by"] or "",
            updated_at=meta["updated_at"] or "",
            file=meta["file"],
            file_digest=meta["file_digest"],
            revision=revision,
        )


@dataclass(frozen=True, slots=True)
class SourceChange:
    """One change seen by :meth:`SourceRegistry.watch`: ``record`` is None once removed."""

    id: str
    record: RegisteredSource | None
    revision: int


def url_key(url: str) -> str:
    return hashlib.sha256(normalize_url(url).encode()).hexdigest()[:40]


def not_found(source_id: str) -> ConfigError:
    return ConfigError(f"unknown source {source_id!r} (maillage sources list)", kind="not_found")


Change = Mapping[str, Any] | Callable[[RegisteredSource], RegisteredSource]


class SourceRegistry:
    """The sources of record, in the ``sources`` bucket (see the module documentation)."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._kv: KeyValue | None = None
        self._urls: KeyValue | None = None

    async def kv(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self.bus.kv(BUCKET, history=HISTORY)
        return self._kv

    async def urls(self) -> KeyValue:
        if self._urls is None:
            self._urls = await self.bus.kv(URL_BUCKET)
        return self._urls

    # -- reading ----------------------------------------------------------------------------

    async def list(self) -> list[RegisteredSource]:
        """Every source, sorted by id.

        Read up to the bucket's last write as it stood when called (not until the watcher's
        "no more pending" marker, which nats-py can place before entries still on their way:
        a list could then miss sources)."""
        kv = await self.kv()
        last = await self.revision()
        if last == 0:
            return []
        watcher = await kv.watchall()
        found: dict[str, RegisteredSource] = {}
        try:
            while True:
                try:
                    entry = await watcher.updates(timeout=LIST_TIMEOUT_S)  # type: ignore[no-untyped-call]
                except TimeoutError as exc:  # nats' TimeoutError subclasses it
                    raise TransientError("the registry of sources cannot be read now") from exc
                if entry is None:
                    continue
                if entry.operation in ("DEL", "PURGE"):
                    found.pop(entry.key, None)
                else:
                    record = self._decode(entry.key, entry.value, entry.revision)
                    if record is not None:
                        found[record.id] = record
                if entry.revision >= last:
                    break
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]
        return [found[k] for k in sorted(found)]

    async def get(self, source_id: str) -> RegisteredSource | None:
        kv = await self.kv()
        try:
            entry = await kv.get(source_id)
        except KeyNotFoundError:
            return None
        return self._decode(source_id, entry.value, entry.revision or 0)

    async def revision(self) -> int:
        """A number that changes whenever any source changes (the bucket's last sequence)."""
        kv = await self.kv()
        status = await kv.status()
        return int(status.stream_info.state.last_seq or 0)

    async def watch(self, *, initial: bool = True) -> AsyncIterator[SourceChange]:
        """Every change as it happens (first the current sources when ``initial``); stops
        when the caller stops iterating."""
        kv = await self.kv()
        watcher = await kv.watchall()
        ready = False
        try:
            async for entry in watcher:
                if entry is None:
                    ready = True
                    continue
                if not ready and not initial:
                    continue
                deleted = entry.operation in ("DEL", "PURGE")
                record = None if deleted else self._decode(entry.key, entry.value,
                                                           entry.revision)
                yield SourceChange(entry.key, record, entry.revision)
        finally:
            await watcher.stop()  # type: ignore[no-untyped-call]

    @staticmethod
    def _decode(key: str, value: bytes | None, revision: int) -> RegisteredSource | None:
        if not value:
            return None
        try:
            return RegisteredSource.from_json(value, revision)
        except (ValueError, TypeError, ConfigError) as exc:  # never let one record stop all
            log.warning("unreadable source record", extra={"source_id": key, "error": str(exc)})
            return None

    # -- writing ----------------------------------------------------------------------------

    async def add(
        self,
        source: Source,
        *,
        actor: str,
        owner: str | None = None,
        file: str | None = None,
        file_digest: str | None = None,
    ) -> RegisteredSource:
        """Register a new source; refuses an id or a calendar (normalized URL) already there."""
        source = parse_source(source_to_raw(source) | {"enabled": source.enabled}, "new source")
        now = _now()
        record = RegisteredSource(source, owner, actor, now, actor, now, file, file_digest)
        await self._claim(source.url, source.id)
        kv = await self.kv()
        try:
            revision = await kv.create(source.id, record.to_json())
        except KeyWrongLastSequenceError as exc:
            await self._release(source.url, source.id, only_if_unused=True)
            raise ConfigError(f"source {source.id!r} already exists", kind="conflict") from exc
        except Exception:
            await self._release(source.url, source.id)
            raise
        log.info("source added", extra={"source_id": source.id, "actor": actor})
        return replace(record, revision=revision)

    async def update(self, source_id: str, change: Change, *, actor: str) -> RegisteredSource:
        """Change a source: ``change`` is a mapping of fields of its table (validated as in
        the sources file) or a function of the current record. Safe under concurrent writers:
        the change is re-applied to the latest record until it lands."""
        kv = await self.kv()
        for _ in range(ATTEMPTS):
            current = await self.get(source_id)
            if current is None:
                raise not_found(source_id)
            changed = self._apply(current, change)
            if changed == current:
                return current
            changed = replace(changed, updated_by=actor, updated_at=_now())
            moved = normalize_url(changed.source.url) != normalize_url(current.source.url)
            if moved:
                await self._claim(changed.source.url, source_id)
            try:
                revision = await kv.update(source_id, changed.to_json(), last=current.revision)
            except KeyWrongLastSequenceError:
                if moved:
                    await self._release(changed.source.url, source_id, only_if_unused=True)
                continue  # another writer came first: re-read and re-apply
            if moved:
                await self._release(current.source.url, source_id)
            log.info("source updated", extra={"source_id": source_id, "actor": actor})
            return replace(changed, revision=revision)
        raise TransientError(f"source {source_id!r} changes too often; try again")

    @staticmethod
    def _apply(current: RegisteredSource, change: Change) -> RegisteredSource:
        if callable(change):
            changed = change(current)
            if changed.id != current.id:
                raise ConfigError("cannot change the id of a source")
            raw = source_to_raw(changed.source) | {"enabled": changed.enabled}
            return replace(changed, source=parse_source(raw, f"source {current.id!r}"))
        unknown = set(change) - set(Source.__dataclass_fields__)
        if unknown or "id" in change and change["id"] != current.id:
            raise ConfigError(f"cannot change {', '.join(sorted(unknown or {'id'}))} of a source")
        raw = source_to_raw(current.source) | {"enabled": current.enabled} | dict(change)
        raw = {k: v for k, v in raw.items() if v is not None}
        return replace(current, source=parse_source(raw, f"source {current.id!r}"))

    async def set_enabled(self, source_id: str, enabled: bool, *, actor: str) -> RegisteredSource:
        return await self.update(source_id, {"enabled": enabled}, actor=actor)

    async def remove(self, source_id: str, *, actor: str) -> RegisteredSource:
        """Remove a source from the registry; returns what it was."""
        kv = await self.kv()
        for _ in range(ATTEMPTS):
            current = await self.get(source_id)
            if current is None:
                raise not_found(source_id)
            try:
                await kv.delete(source_id, last=current.revision)
            except KeyWrongLastSequenceError:
                continue
            await self._release(current.source.url, source_id)
            log.info("source removed", extra={"source_id": source_id, "actor": actor})
            return current
        raise TransientError(f"source {source_id!r} changes too often; try again")

    # -- one calendar, one source -----------------------------------------------------------

    async def _claim(self, url: str, source_id: str) -> None:
        """Take the calendar ``url`` for ``source_id``, or raise a conflict naming its owner.
        A claim left by a source that no longer holds that URL (a crash between two writes)
        is taken over."""
        urls, key = await self.urls(), url_key(url)
        for _ in range(ATTEMPTS):
            try:
                await urls.create(key, source_id.encode())
                return
            except KeyWrongLastSequenceError:
                pass
            try:
                entry = await urls.get(key)
            except KeyNotFoundError:
                continue
            holder = (entry.value or b"").decode()
            if holder == source_id:
                return
            other = await self.get(holder)
            if other is not None and normalize_url(other.source.url) == normalize_url(url):
                raise ConfigError(
                    f"this calendar is already the source {holder!r} ({other.source.url})",
                    kind="conflict")
            try:
                await urls.update(key, source_id.encode(), last=entry.revision)
                return
            except KeyWrongLastSequenceError:
                continue
        raise TransientError("the calendar's URL is being claimed by another writer; try again")

    async def _release(self, url: str, source_id: str, only_if_unused: bool = False) -> None:
        urls, key = await self.urls(), url_key(url)
        try:
            entry = await urls.get(key)
        except KeyNotFoundError:
            return
        if (entry.value or b"").decode() != source_id:
            return
        if only_if_unused:
            current = await self.get(source_id)
            if current is not None and url_key(current.source.url) == key:
                return
        try:
            await urls.delete(key, last=entry.revision)
        except KeyWrongLastSequenceError:
            pass


class SourceCatalog:
    """A harvester replica's view of the registry, re-read whenever it changed.

    :meth:`refresh` costs one request when nothing changed (the bucket's last sequence), so
    the scheduler calls it every tick: every replica sees a change within one tick.
    """

    def __init__(self, registry: SourceRegistry) -> None:
        self.registry = registry
        self.sources: dict[str, RegisteredSource] = {}
        self._seen = -1

    async def refresh(self) -> bool:
        """Re-read the registry if it changed since the last call; True when it did."""
        revision = await self.registry.revision()
        if revision == self._seen:
            return False
        records = await self.registry.list()
        previous = set(self.sources)
        self.sources = {r.id: r for r in records}
        if self._seen >= 0 and previous != set(self.sources):
            log.info("sources changed", extra={
                "added": sorted(set(self.sources) - previous),
                "removed": sorted(previous - set(self.sources))})
        self._seen = revision
        return True


async def retract_published(bus: Bus, source: Source) -> int:
    """Retract every event (or call) ``source`` published, and forget its harvest state, so
    that a removed source leaves the search; returns how many were retracted."""
    from services.harvester.state import StateStore
    from services.harvester.worker import retraction
    from shared.calls import calls_subject
    from shared.model import now_version

    states = StateStore(await bus.kv("harvest_state"))
    state = await states.get(source.id)
    version = now_version()
    subject = (calls_subject(source.id) if source.kind == "calls"
               else f"{EVENTS_SUBJECT}.{subject_token(source.id)}")
    for item_id in sorted(state.published):
        msg = retraction(source, item_id, version)
        await bus.publish(subject, msg.to_json(), msg_id=msg.msg_id)
    await states.forget(source.id)
    return len(state.published)
