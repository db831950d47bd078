"""An in-memory bitmap index of the canonical documents: counts and facets of any filtered set.

Counting a large filtered set and its facets in SQL reads every document of the set (a common
word, all upcoming events: tens of thousands of rows, then hundreds of milliseconds to seconds
for the facets). Search engines answer these with posting lists and bitmaps instead; this module
keeps the same structures over the SQLite store, in the reading process, with roaring bitmaps
(``pyroaring``):

* every document gets a dense *slot* (insertion order; never reused);
* one bitmap of slots per filter value: each ``doc_tags`` pair (theme, keyword, quartier,
  place, ...; read packed from ``docs_words``), each status and ``is_free`` value, each
  indexed word (the same folded French stems FTS5 indexes; title words apart too, for
  suggestions; and per word the documents holding it at least n times, for BM25), the
  documents that start on a day and those that end on a day;
* a filtered set is the intersection of those bitmaps (a union for several accepted values or a
  prefix), its size is ``len()``, and each facet count is one ``intersection_cardinality``.

The index follows the writer (another process) through the ``changes`` log of
:mod:`shared.store.sqlite_sets`: removed documents leave :attr:`BitmapIndex.alive` (their slots
stay, stale, in other bitmaps; every set is intersected with ``alive``), added ones are read and
given new slots. It is rebuilt from the tables when the log does not reach back far enough or
when stale slots outnumber live ones; a reader given a ``connect`` function (the query
service) does that in a thread and keeps answering from the index it has, a few seconds
behind, until the new one replaces it at the start of a later :meth:`BitmapIndex.sync`.
Text matching equals FTS5's on the same rows: the columns
hold space-separated ``[a-z0-9]+`` stems (:func:`shared.store.sqlite_docs.index_text`), which
the ``unicode61`` tokenizer splits exactly like :meth:`str.split`. Geographic filters ask the
R*Tree (few rows) and are turned into bitmaps. The tests compare every count with SQL.
"""

from __future__ import annotations

import functools
import heapq
import logging
import math
import sqlite3
import threading
import time
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyroaring import BitMap

from shared.memory import release_memory
from shared.store.base import SearchQuery
from shared.store.geo_grid import GeoGrid, disc_box
from shared.store.sqlite_docs import unpack_tags
from shared.store.sqlite_query import FACETS, KM_PER_DEG, shape_facets
from shared.store.tag_rows import TagRows

log = logging.getLogger(__name__)

DAY = 86400
CHUNK = 500
#: Beyond this many logged changes, rebuilding is cheaper than following the log.
MAX_DELTA = 20_000
#: Stale slots tolerated beyond the number of live ones before a rebuild.
STALE_SLACK = 10_000
#: Documents added since the build (out of date order) tolerated beyond a quarter of the live
#: ones before a rebuild.
TAIL_SLACK = 2_000
#: Sets up to this size are counted document by document (numpy over each document's tags);
#: larger ones value by value (bitmap intersections).
BY_DOCUMENT = 20_000
#: A set lacking at most this many live documents is counted by its complement (at 100k
#: documents: 0.9 ms for 4,700 missing, where intersections took 0.5-2.2 ms depending on how
#: soon they could stop; 2.4 ms for 16,000 missing).
BY_COMPLEMENT = 6_000
#: Days whose counts of the documents ending from then on are kept (see facet_rows).
DAY_COUNTS = 2
#: Sets whose facet counts are kept, and the most documents entering or leaving one that
#: are counted to update them rather than counting the set again.
SET_COUNTS = 32
DELTA_DOCUMENTS = 2_000
#: Slots given after which the facet values are sorted by size again (see ``_by_size``).
REORDER_SLOTS = 2000
#: Bits of a count and of a value's rank in the integer sort key of facet values (the facet
#: index takes the 10 bits left).
COUNT_BITS = 32
RANK_BITS = 21
#: Slots followed after the geographic grids were made that are tested one by one before
#: the grid of followed slots is made again (see ``_grids``; testing 1,000 costs 0.03 ms).
GRID_SLACK = 1_000
#: Sets larger than this are first cut to discs of these radii (km) for distance order.
NEAR_SCAN = 20_000
NEAR_RADII_KM = (0.5, 2.0, 8.0)
#: Cached prefix expansions and geographic sets.
CACHE_SIZE = 256
#: Several values of these filters must all be present; of the others, any one.
ALL_REQUIRED = {"accessibility"}
TAG_FILTERS = (("themes", "themes"), ("keywords", "keywords"), ("accessibility", "accessibility"),
               ("audiences", "audience"), ("sources", "sources"), ("quartiers", "quartier"),
               ("communes", "commune"), ("organizers", "organizer"))
#: ``doc_tags`` facet -> how many values a search returns (the top ones by count).
TOPS = {tag: top for tag, top in FACETS.values()}


def _merge(bitmaps: dict[Any, BitMap], additions: dict[Any, list[int]]) -> list[Any]:
    """Add each list of slots to the bitmap of its key (created if new); the new keys."""
    created = []
    for key, slots in additions.items():
        known = bitmaps.get(key)
        if known is None:
            bitmaps[key] = BitMap(slots)
            created.append(key)
        else:
            known.update(slots)
    return created


def _bitmap(slots: Any) -> BitMap:
    """A bitmap of a numpy array of uint32 slots."""
    values = array("I")
    values.frombytes(slots.tobytes())
    return BitMap(values)


def _inside(lat: Any, lon: Any, bbox: tuple[float, float, float, float] | None,
            near: tuple[float, float] | None, radius_km: float | None) -> Any:
    """Which of the coordinates lie in the box and the disc, with the float operations of
    the SQL of :mod:`shared.store.sqlite_query` (NaN: not located, never inside)."""
    inside = ~np.isnan(lat)
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        inside &= (lat >= min_lat) & (lat <= max_lat) & (lon >= min_lon) & (lon <= max_lon)
    if near is not None and radius_km is not None:
        inside &= _distance2(lat, lon, near) <= radius_km**2
    return inside


def _distance2(lat: Any, lon: Any, near: tuple[float, float]) -> Any:
    """Squared distances in km² from ``near``: the expression of the SQL, operation by
    operation, so that the values (and the order they give) are the same."""
    lat0, lon0 = near
    kx = KM_PER_DEG * math.cos(math.radians(lat0))
    dy = (lat - lat0) * KM_PER_DEG
    dx = (lon - lon0) * kx
    return dy * dy + dx * dx


@dataclass(frozen=True, slots=True)
class PhraseStats:
    rows: int
    words: int
    hits: list[int]
    prefix: tuple[str, list[str]]


class BitmapIndex:
    def __init__(self, connect: Callable[[], sqlite3.Connection] | None = None) -> None:
        self.gen = -1
        self.written = False  # set by the store after writing through its own connection
        self._seen: tuple[int, int] | None = None
        self.lock = threading.Lock()
        self.builds = 0  # full builds so far (for tests and logs)
        #: Opens a connection for a rebuild in a thread; None: rebuilds block the caller.
        self.connect = connect
        self._rebuilding = False
        self._fresh: BitmapIndex | None = None  # a rebuilt index, adopted by the next sync
        self._clear()

    def _clear(self) -> None:
        self.next_slot = 0
        self.slot_of: dict[int, int] = {}  # docs.rowid -> slot
        self.rowid_of = array("q")  # by slot: ascending below ``built`` (a build reads in
        self.built = 0  #              rowid order); later slots are listed in ``tail``
        self.tail: list[int] = []  # rowids of documents added since the build, sorted
        self.start_of = array("q")  # by slot
        self.end_of = array("q")
        self.lat_of = array("d")  # NaN: not located
        self.lon_of = array("d")
        self.size_of = array("i")  # words in the document (for BM25)
        self.words_total = 0  # of live documents
        self.alive = BitMap()
        self.status: dict[str, BitMap] = {}
        self.free: dict[int, BitMap] = {}
        self.located = BitMap()
        self._geo_grids: list[GeoGrid] | None = None  # see _grids
        self.tags: dict[str, dict[str, BitMap]] = {}  # facet -> value -> slots
        # the same pairs by document, for counting small sets: the tag ids of each slot
        # (tag ``i`` is tag_keys[i])
        self.tag_keys: list[tuple[str, str]] = []
        self.tag_facet = array("i")  # by tag id: index of its facet in facet_names
        self.facet_names: list[str] = []
        self.tag_id: dict[tuple[str, str], int] = {}
        self.tag_rows = TagRows()
        self.alive_counts = np.zeros(0, dtype=np.int64)  # by tag id: live documents with it
        self._day_counts: dict[int, Any] = {}  # day -> the same, of those ending from then
        # a search's set (its key) -> (its slots, per tag the documents of it carrying it)
        self._set_counts: OrderedDict[Any, tuple[BitMap, Any]] = OrderedDict()
        self.terms: dict[str, BitMap] = {}
        self.title_terms: dict[str, BitMap] = {}  # the words of titles only (suggestions)
        # (word, n) -> documents holding the word at least n times (n >= 2), for BM25
        self.frequent: dict[tuple[str, int], BitMap] = {}
        self.sorted_terms: list[str] = []
        self.start_day: dict[int, BitMap] = {}
        self.end_day: dict[int, BitMap] = {}
        self._cache: OrderedDict[Any, BitMap] = OrderedDict()
        # (next_slot, number of tags) when ordered, facet -> (value, bitmap, its size then)
        self._ordered: tuple[int, int, dict[str, list[tuple[str, BitMap, int]]]] | None = None
        self._facet_tags: tuple[int, Any, Any] | None = None  # see _tag_order
        self._upcoming: tuple[Any, BitMap] | None = None  # see _live_in_period

    # -- following the store ---------------------------------------------------------------

    def sync(self, conn: sqlite3.Connection) -> int:
        """Bring the index to the store's current generation (one read snapshot); returns it.

        ``PRAGMA data_version`` (no table read) tells whether another connection committed
        since the last call on ``conn``; writes through this process's own connections set
        :attr:`written` (they do not change their own connection's ``data_version``)."""
        with self.lock:
            if self._fresh is not None:
                self._adopt(self._fresh)
            elif self._rebuilding:  # answer from the index as it is until the new one is built
                return self.gen
            seen = (id(conn), conn.execute("PRAGMA data_version").fetchone()[0])
            if self.gen >= 0 and seen == self._seen and not self.written:
                return self.gen
            self.written = False
            self._seen = seen
            conn.execute("BEGIN")
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                gen, log_from = int(meta["generation"]), int(meta["log_from"])
                if gen != self.gen:
                    stale = self.next_slot - len(self.alive)
                    first_new = self.next_slot
                    words = None
                    if (self.gen >= log_from and stale <= len(self.alive) + STALE_SLACK
                            and len(self.tail) <= TAIL_SLACK + len(self.alive) // 4):
                        words = self._follow(conn, gen)
                    if words is None and self.gen >= 0 and self.connect is not None:
                        self._rebuild_in_thread(self.connect)
                        return self.gen
                    if words is None:
                        self._build(conn)
                        self._cache.clear()
                    else:
                        self._extend_cache(first_new, words)
                    self.gen = gen
            finally:
                conn.execute("COMMIT")
            return self.gen

    def _rebuild_in_thread(self, connect: Callable[[], sqlite3.Connection]) -> None:
        """Build a new index from the tables in a thread, on its own connection."""
        self._rebuilding = True
        started = time.monotonic()

        def build() -> None:
            fresh: BitmapIndex | None = BitmapIndex()
            try:
                conn = connect()
                try:
                    fresh.sync(conn)  # type: ignore[union-attr]
                finally:
                    conn.close()
            except Exception:  # the next sync tries again
                log.exception("search index rebuild failed")
                fresh = None
            with self.lock:
                self._fresh, self._rebuilding = fresh, False
            if fresh is not None:
                log.info("search index rebuilt in the background",
                         extra={"documents": len(fresh.alive),
                                "seconds": round(time.monotonic() - started, 2)})

        threading.Thread(target=build, name="search-index-rebuild", daemon=True).start()

    def _adopt(self, fresh: BitmapIndex) -> None:
        """Take over the structures of ``fresh`` (under :attr:`lock`); the next steps of the
        sync follow the writes made since its build."""
        keep = {"lock", "connect", "builds", "_rebuilding", "_fresh", "written"}
        for name, value in vars(fresh).items():
            if name not in keep:
                setattr(self, name, value)
        self._fresh = None
        self._seen = None
        self.builds += 1

    def clear_caches(self) -> None:
        """Drop what searches cached (sets, kept facet counts), not the index (benchmarks:
        the first search of its kind)."""
        with self.lock:
            self._cache.clear()
            self._set_counts.clear()
            self._upcoming = None

    def forget_connection(self) -> None:
        """The connection of the last :meth:`sync` is closed: the next one must read the
        generation (a new connection may get the same ``id`` and ``data_version``)."""
        with self.lock:
            self._seen = None

    def _follow(self, conn: sqlite3.Connection, gen: int) -> set[str] | None:
        """Apply the change log up to ``gen``: the words of the documents added, or None
        when the log is too long to follow (then the index is rebuilt)."""
        log = conn.execute(
            "SELECT doc_rowid, added FROM changes WHERE gen > ? AND gen <= ?"
            " ORDER BY gen, rowid LIMIT ?", (self.gen, gen, MAX_DELTA + 1)).fetchall()
        if len(log) > MAX_DELTA:
            return None
        last: dict[int, int] = {}
        for rowid, added in log:
            last[rowid] = added
        removed = []
        for rowid in last:  # removed, or replaced by a new version under the same rowid
            slot = self.slot_of.pop(rowid, None)
            if slot is not None and slot in self.alive:
                self.alive.discard(slot)
                self.words_total -= self.size_of[slot]
                removed.append(slot)
        self._count_alive(removed, -1)
        added = [rowid for rowid, was_added in last.items() if was_added]
        words: set[str] = set()
        for i in range(0, len(added), CHUNK):
            chunk = added[i:i + CHUNK]
            marks = ",".join("?" * len(chunk))
            bodies = conn.execute(
                "SELECT b.doc_rowid, b.tags, b.title, b.words, b.place, b.labels FROM docs d"
                f" JOIN docs_words b ON b.rowid = d.body_id WHERE d.rowid IN ({marks})",
                chunk).fetchall()
            words |= self._load(
                conn.execute("SELECT rowid, start_ts, end_ts, status, is_free, lat, lon"
                             f" FROM docs WHERE rowid IN ({marks})", chunk),
                unpack_tags(bodies), ((r, *text) for r, _tags, *text in bodies))
        return words

    def _build(self, conn: sqlite3.Connection) -> None:
        self._clear()
        self.builds += 1
        try:
            self._read_all(conn)
        finally:
            release_memory()

    def _read_all(self, conn: sqlite3.Connection) -> None:
        self._load(
            conn.execute("SELECT rowid, start_ts, end_ts, status, is_free, lat, lon"
                         " FROM docs ORDER BY rowid"),
            # in rowid order, as slots are given (docs_words is in insertion order): each
            # value's list of slots is then sorted, which the bitmaps are made fastest from
            unpack_tags(conn.execute("SELECT d.rowid, w.tags FROM docs d JOIN docs_words w"
                                     " ON w.rowid = d.body_id ORDER BY d.rowid")),
            conn.execute("SELECT d.rowid, w.title, w.words, w.place, w.labels FROM docs d"
                         " JOIN docs_words w ON w.rowid = d.body_id ORDER BY d.rowid"),
            followed=False)
        self.built = self.next_slot
        self._grids()  # made before the query service forks its workers: they share it

    def _load(self, docs: Iterable[tuple[Any, ...]], tags: Iterable[tuple[str, str, int]],
              texts: Iterable[tuple[Any, ...]], followed: bool = True) -> set[str]:
        """Give slots to documents and add them to every bitmap (lists first, one bitmap
        update per value: a full build adds millions of slots); returns their words.
        ``followed`` documents come after the build, out of date order: they are listed in
        :attr:`tail`."""
        pending: defaultdict[Any, list[int]] = defaultdict(list)
        first_slot = self.next_slot
        by_slot: defaultdict[int, list[int]] = defaultdict(list)
        slot_of = self.slot_of
        nan = float("nan")
        for rowid, start, end, status, is_free, lat, lon in docs:
            slot = self.next_slot
            self.next_slot += 1
            slot_of[rowid] = slot
            self.rowid_of.append(rowid)
            if followed:
                i = bisect_left(self.tail, rowid)
                if i == len(self.tail) or self.tail[i] != rowid:
                    self.tail.insert(i, rowid)
            self.start_of.append(start)
            self.end_of.append(end)
            located = lat is not None and lon is not None
            self.lat_of.append(lat if located else nan)
            self.lon_of.append(lon if located else nan)
            self.size_of.append(0)
            pending["status", status].append(slot)
            pending["start", start // DAY].append(slot)
            pending["end", end // DAY].append(slot)
            if is_free is not None:
                pending["free", is_free].append(slot)
            if located:
                pending["located", None].append(slot)
            pending["alive", None].append(slot)
        tag_id = self.tag_id
        for facet, value, rowid in tags:
            tagged = slot_of.get(rowid)
            if tagged is None:
                continue
            key = (facet, value)
            pending[key].append(tagged)
            tag = tag_id.get(key)
            if tag is None:
                tag = tag_id[key] = len(self.tag_keys)
                self.tag_keys.append(key)
                if facet not in self.facet_names:
                    self.facet_names.append(facet)
                self.tag_facet.append(self.facet_names.index(facet))
            by_slot[tagged].append(tag)
        self.tag_rows.extend([by_slot.get(slot, ())
                              for slot in range(first_slot, self.next_slot)])
        self._count_alive(range(first_slot, self.next_slot), 1)
        words: defaultdict[str, list[int]] = defaultdict(list)
        levels: defaultdict[tuple[str, int], list[int]] = defaultdict(list)
        title_words: defaultdict[str, list[int]] = defaultdict(list)
        for rowid, *columns in texts:
            found = slot_of.get(rowid)
            if found is None:
                continue
            slot = found
            for word in set((columns[0] or "").split()):
                title_words[word].append(slot)
            all_words = " ".join(c for c in columns if c).split()
            self.size_of[slot] = len(all_words)
            self.words_total += len(all_words)
            unique = set(all_words)
            for word in unique:
                words[word].append(slot)
            if len(unique) < len(all_words):  # some words repeat: their frequency levels
                for word, count in Counter(all_words).items():
                    for level in range(2, count + 1):
                        levels[word, level].append(slot)
        for (kind, value), slots in pending.items():
            if kind == "alive":
                self.alive.update(slots)
            elif kind == "located":
                self.located.update(slots)
            else:
                group: dict[Any, BitMap] = (
                    self.status if kind == "status" else self.free if kind == "free"
                    else self.start_day if kind == "start" else self.end_day if kind == "end"
                    else self.tags.setdefault(kind, {}))
                _merge(group, {value: slots})
        new_words = _merge(self.terms, words)
        _merge(self.title_terms, title_words)
        _merge(self.frequent, levels)
        if len(new_words) > 100:
            self.sorted_terms = sorted(self.terms)
        else:
            for word in new_words:
                insort(self.sorted_terms, word)
        return set(words)

    # -- reading ---------------------------------------------------------------------------

    def _extend_cache(self, first: int, added_words: set[str]) -> None:
        """Add the slots given since ``first`` (documents added or replaced by the writes
        just followed) to the cached sets they belong to, instead of dropping the sets:
        recomputing a prefix, a period or a disc is most of a search's time after a write.
        Removed documents may stay in a cached set: every search intersects with
        :attr:`alive`."""
        if first >= self.next_slot or not self._cache:
            return
        new = BitMap(range(first, self.next_slot))
        words = sorted(added_words)
        cancelled = self.status.get("cancelled") or BitMap()
        for key, found in self._cache.items():
            if key[0] == "ends after":
                found |= BitMap(s for s in new if self.end_of[s] // DAY > key[1])
            elif key[0] == "starts before":
                found |= BitMap(s for s in new if self.start_of[s] // DAY < key[1])
            elif key[0] == "not cancelled":
                found |= new - cancelled
            elif key[0] == "prefix":
                i = bisect_left(words, key[1])
                while i < len(words) and words[i].startswith(key[1]):
                    found |= self.terms[words[i]] & new
                    i += 1
            elif key[0] == "geo":
                _, bbox, near, radius_km = key
                found |= self._geo(bbox, near, radius_km, first)

    def _cached(self, key: Any, compute: Callable[[], BitMap]) -> BitMap:
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = compute()
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def select(self, query: SearchQuery, to_index_text: Callable[[str], str]) -> BitMap:
        """The slots of the documents ``query`` filters (its page and sort aside)."""
        with self.lock:
            parts: list[BitMap] = [self._live_in_period(query)]
            for attr, facet in TAG_FILTERS:
                values = getattr(query, attr)
                if not values:
                    continue
                by_value = self.tags.get(facet, {})
                if facet in ALL_REQUIRED:
                    parts += [by_value.get(v) or BitMap() for v in values]
                else:
                    parts.append(self._union(by_value.get(v) for v in values))
            if query.free is not None:
                parts.append(self.free.get(int(query.free)) or BitMap())
            if query.q:
                words = to_index_text(query.q).split()
                parts += [self.terms.get(w) or BitMap() for w in words[:-1]]
                if words:
                    parts.append(self._cached(("prefix", words[-1]),
                                              lambda: self._prefix(words[-1])))
            if query.bbox is not None or query.near is not None:
                if query.bbox is None and query.radius_km is None:
                    parts.append(self.located)
                else:
                    key = ("geo", query.bbox, query.near, query.radius_km)
                    parts.append(self._cached(key, lambda: self._geo(
                        query.bbox, query.near, query.radius_km)))
            parts.sort(key=len)
            return BitMap.intersection(*parts) if len(parts) > 1 else BitMap(parts[0])

    def _live_in_period(self, query: SearchQuery) -> BitMap:
        """The live documents of the query's period and statuses (cancelled ones left out
        unless asked for). Kept for the last period asked: the default one starts now, and
        every search of the same second (most of them, under load) shares it; any write
        followed changes :attr:`gen`, and so the key."""
        start = int(query.start.timestamp()) if query.start is not None else None
        end = int(query.end.timestamp()) if query.end is not None else None
        key = (self.gen, start, end, query.statuses, query.include_cancelled)
        if self._upcoming is not None and self._upcoming[0] == key:
            return self._upcoming[1]
        parts: list[BitMap] = [self.alive]
        if start is not None or end is not None:
            parts.append(self._dates(start, end))
        if query.statuses:
            parts.append(self._union(self.status.get(s) for s in query.statuses))
        if not query.include_cancelled and "cancelled" not in query.statuses:
            parts.append(self._cached(("not cancelled",), lambda: self.alive - (
                self.status.get("cancelled") or BitMap())))
        parts.sort(key=len)
        found = BitMap.intersection(*parts) if len(parts) > 1 else BitMap(parts[0])
        self._upcoming = (key, found)
        return found

    @staticmethod
    def _union(bitmaps: Iterable[BitMap | None]) -> BitMap:
        found = [b for b in bitmaps if b is not None]
        return BitMap.union(*found) if found else BitMap()

    def _prefix(self, prefix: str) -> BitMap:
        """Documents with a word starting with ``prefix`` (FTS5's ``"prefix"*``)."""
        return self._union(self.terms[w] for w in self._expansions(prefix))

    def _expansions(self, prefix: str) -> list[str]:
        """The indexed words starting with ``prefix``."""
        terms = self.sorted_terms
        i = bisect_left(terms, prefix)
        found = []
        while i < len(terms) and terms[i].startswith(prefix):
            found.append(terms[i])
            i += 1
        return found

    @staticmethod
    def _where(slots: BitMap | None, values: array[int], bound: int, at_least: bool) -> BitMap:
        """The slots of ``slots`` whose value is ``>= bound`` (``at_least``) or ``< bound``."""
        if not slots:
            return BitMap()
        found = np.frombuffer(slots.to_array(), dtype=np.uint32)
        of = np.frombuffer(values, dtype=np.int64)[found]
        return _bitmap(found[of >= bound] if at_least else found[of < bound])

    def _ends_from(self, day: int) -> BitMap:
        """Documents (live or not) ending on ``day`` or later, cached: the next day's set
        plus this day's when it is cached (a search's period and its facets ask for both),
        else every slot but those ending earlier, or the union of the later days, whichever
        has fewer days."""
        def compute() -> BitMap:
            later = self._cache.get(("ends after", day))
            if later is not None:
                return later | (self.end_day.get(day) or BitMap())
            before = [b for d, b in self.end_day.items() if d < day]
            if len(before) * 2 < len(self.end_day):
                return BitMap(range(self.next_slot)) - self._union(before)
            return self._union([b for d, b in self.end_day.items() if d >= day])

        return self._cached(("ends after", day - 1), compute)

    def _dates(self, start: int | None, end: int | None) -> BitMap:
        """Documents not ended at ``start`` (``end_ts >= start``) and starting before
        ``end``: whole days by cached unions of day bitmaps (a search's default start is
        now, a new second each time, but the same day), the boundary day document by
        document."""
        parts = []
        if start is not None:
            day = start // DAY
            later = self._ends_from(day + 1)
            parts.append(later | self._where(self.end_day.get(day), self.end_of, start, True))
        if end is not None:
            day = end // DAY
            earlier = self._cached(("starts before", day), lambda: self._union(
                [b for d, b in self.start_day.items() if d < day]))
            parts.append(earlier | self._where(self.start_day.get(day), self.start_of, end, False))
        return BitMap.intersection(*parts) if len(parts) > 1 else parts[0]

    def _geo(self, bbox: tuple[float, float, float, float] | None,
             near: tuple[float, float] | None, radius_km: float | None,
             first: int = 0) -> BitMap:
        """The located documents (of the slots from ``first`` on) in the box or the disc: the
        same float operations as the SQL of :mod:`shared.store.sqlite_query`, on the
        candidates of the grid (and the slots given since it was made), or on every slot."""
        lat = np.frombuffer(self.lat_of, dtype=np.float64)
        lon = np.frombuffer(self.lon_of, dtype=np.float64)
        found = self._geo_candidates(bbox, near, radius_km) if first == 0 else None
        if found is None:
            found = np.arange(first, self.next_slot, dtype=np.uint32)
        found = found[_inside(lat[found], lon[found], bbox, near, radius_km)]
        found.sort()
        return _bitmap(found)

    def _geo_candidates(self, bbox: tuple[float, float, float, float] | None,
                        near: tuple[float, float] | None,
                        radius_km: float | None) -> Any | None:
        """Slots that may lie in the box and the disc (the grids' candidates and the slots
        followed after them), or None when the grids do not narrow the search."""
        box = (-math.inf, math.inf, -math.inf, math.inf)
        if bbox is not None:
            box = (bbox[1], bbox[3], bbox[0], bbox[2])
        if near is not None and radius_km is not None:
            disc = disc_box(near, radius_km, KM_PER_DEG)
            box = (max(box[0], disc[0]), min(box[1], disc[1]),
                   max(box[2], disc[2]), min(box[3], disc[3]))
        if not math.isfinite(box[0] + box[1]):
            return None
        grids = self._grids()
        parts = [grid.candidates(*box) for grid in grids]
        if any(part is None for part in parts):
            return None
        return np.concatenate([*parts, np.arange(grids[-1].end, self.next_slot,
                                                 dtype=np.uint32)])

    def _grids(self) -> list[GeoGrid]:
        """Grids of the documents by place: one of the slots of the last build (made with
        it, before the query service forks), one of the slots followed since. The second is
        made again once more than :data:`GRID_SLACK` slots, and half as many as it holds,
        came after it (until then they are tested one by one): making it costs in
        proportion to its size, so the cost per followed slot stays bounded, and the
        whole index is rebuilt long before it grows large."""
        lat = np.frombuffer(self.lat_of, dtype=np.float64)
        lon = np.frombuffer(self.lon_of, dtype=np.float64)
        if self._geo_grids is None:
            self._geo_grids = [GeoGrid(lat, lon)]
        grids = self._geo_grids
        followed = grids[-1].end - grids[0].end
        if self.next_slot - grids[-1].end > max(GRID_SLACK, followed // 2):
            grids = self._geo_grids = [grids[0], GeoGrid(lat, lon, grids[0].end)]
        return grids

    def by_distance(self, selected: BitMap, near: tuple[float, float],
                    after: tuple[float, int] | None, n: int) -> list[tuple[float, int]]:
        """``(squared distance in km², rowid)`` of the first ``n`` documents of ``selected``
        (located ones) by distance from ``near`` then rowid, after the cursor ``after``: the
        order of the SQL. A large set is first cut to growing discs: when a disc holds ``n``
        documents after the cursor, those are the nearest ones."""
        with self.lock:
            if len(selected) > NEAR_SCAN:
                for radius in NEAR_RADII_KM:
                    disc = self._cached(("geo", None, near, radius),
                                        functools.partial(self._geo, None, near, radius))
                    found = self._nearest(selected & disc, near, after, n)
                    if len(found) >= n:
                        return found
            return self._nearest(selected, near, after, n)

    def _nearest(self, selected: BitMap, near: tuple[float, float],
                 after: tuple[float, int] | None, n: int) -> list[tuple[float, int]]:
        slots = np.frombuffer(selected.to_array(), dtype=np.uint32)
        distance = _distance2(np.frombuffer(self.lat_of, dtype=np.float64)[slots],
                              np.frombuffer(self.lon_of, dtype=np.float64)[slots], near)
        rowids = np.frombuffer(self.rowid_of, dtype=np.int64)[slots]
        if after is not None:
            later = (distance > after[0]) | ((distance == after[0]) & (rowids > after[1]))
            distance, rowids = distance[later], rowids[later]
        if len(distance) > n:  # the n smallest, and every tie of the last one
            kept = distance <= np.partition(distance, n - 1)[n - 1]
            distance, rowids = distance[kept], rowids[kept]
        order = np.lexsort((rowids, distance))[:n]
        return list(zip(distance[order].tolist(), rowids[order].tolist(), strict=True))

    def by_date(self, selected: BitMap, after: int | None, n: int) -> list[int]:
        """The rowids of the first ``n`` documents of ``selected`` in date (rowid) order,
        after rowid ``after`` (a cursor)."""
        return self.first_by_date(selected, after, n)[1]

    def first_by_date(self, selected: BitMap, after: int | None,
                      n: int) -> tuple[list[int], list[int]]:
        """``(slots, rowids)`` of the first ``n`` documents of ``selected`` in date (rowid)
        order, after rowid ``after`` (a cursor)."""
        with self.lock:
            rowid_of, built = self.rowid_of, self.built
            first = 0 if after is None else bisect_right(rowid_of, after, 0, built)
            slots: list[int] = []
            for slot in selected.iter_equal_or_larger(first):
                if slot >= built or len(slots) >= n:
                    break
                slots.append(slot)
            rowids = [rowid_of[slot] for slot in slots]
            if built == self.next_slot:
                return slots, rowids
            # documents followed since the build: out of date order, but few; the selected
            # ones in numpy (walking the sorted tail until n of them turn up took 3 ms for
            # a small set and 6,000 followed documents)
            tail = np.frombuffer((selected & BitMap(range(built, self.next_slot))).to_array(),
                                 dtype=np.uint32)
            tail_rowids = np.frombuffer(rowid_of, dtype=np.int64)[tail]
            if after is not None:
                later = tail_rowids > after
                tail, tail_rowids = tail[later], tail_rowids[later]
            if len(tail_rowids) > n:
                soonest = np.argpartition(tail_rowids, n - 1)[:n]
                tail, tail_rowids = tail[soonest], tail_rowids[soonest]
            order = np.argsort(tail_rowids)
            merged = list(heapq.merge(
                zip(rowids, slots, strict=True),
                zip(tail_rowids[order].tolist(), tail[order].tolist(), strict=True)))[:n]
            return [slot for _, slot in merged], [rowid for rowid, _ in merged]

    def in_titles(self, words: list[str]) -> BitMap:
        """Documents whose title holds every word of ``words``, the last one as a prefix."""
        with self.lock:
            if not words:
                return BitMap()
            parts = [self.title_terms.get(w) or BitMap() for w in words[:-1]]
            found = [self.title_terms.get(w) for w in self._expansions(words[-1])]
            parts.append(self._union(found))
            return BitMap.intersection(*parts) if len(parts) > 1 else parts[0]

    def between(self, lo: int, hi: int) -> BitMap:
        """Live documents whose rowid is in ``[lo, hi]`` (a period of start times)."""
        with self.lock:
            first = bisect_left(self.rowid_of, lo, 0, self.built)
            last = bisect_right(self.rowid_of, hi, 0, self.built)
            found = BitMap(range(first, last))
            i = bisect_left(self.tail, lo)
            while i < len(self.tail) and self.tail[i] <= hi:
                slot = self.slot_of.get(self.tail[i])
                if slot is not None:
                    found.add(slot)
                i += 1
            return found & self.alive

    def related(self, doc: dict[str, Any], near: BitMap, exclude: Iterable[int],
                limit: int) -> list[int]:
        """Rowids of the documents of ``near`` (minus rowids ``exclude``) sharing a theme
        (2 points each) or a keyword (1 point) with ``doc``: best first, then closest in
        time to it, then by rowid."""
        with self.lock:
            candidates = near - BitMap(self.slot_of[r] for r in exclude if r in self.slot_of)
            points: Counter[int] = Counter()
            for facet, weight in (("themes", 2), ("keywords", 1)):
                by_value = self.tags.get(facet, {})
                for value in {str(v) for v in doc.get(facet) or ()}:
                    bitmap = by_value.get(value)
                    if bitmap is not None:
                        for slot in candidates & bitmap:
                            points[slot] += weight
            start = int(doc["start_ts"])
            best = heapq.nsmallest(limit, points.items(), key=lambda item: (
                -item[1], abs(self.start_of[item[0]] - start), self.rowid_of[item[0]]))
            return [self.rowid_of[slot] for slot, _ in best]

    def frequencies(self, slots: list[int], phrases: list[list[str]]) -> list[Any]:
        """For each phrase (words, any of which counts), how many times each of ``slots``
        holds it: one numpy array per phrase, in the order of ``slots``."""
        with self.lock:
            window = BitMap(slots)
            ordered = np.asarray(slots, dtype=np.int64)
            order = np.argsort(ordered, kind="stable")
            by_slot = ordered[order]
            out = []
            for words in phrases:
                # every level of every word (the slots holding it at least 1, 2... times):
                # one slot per occurrence counted, gathered before one count
                hits = array("I")
                for word in words:
                    bitmap = self.terms.get(word)
                    level = 1
                    while bitmap is not None:
                        hits += (window & bitmap).to_array()
                        level += 1
                        bitmap = self.frequent.get((word, level))
                found = np.zeros(len(slots), dtype=np.int64)
                if hits:
                    positions = np.searchsorted(by_slot, np.frombuffer(hits, dtype=np.uint32))
                    found[order] = np.bincount(positions, minlength=len(slots))
                out.append(found)
            return out

    def phrase_stats(self, words: list[str]) -> PhraseStats:
        """What BM25 needs of a query's phrases (the last word a prefix): how many live
        documents hold each, the live documents and their words, the prefix's expansions."""
        with self.lock:
            hits = [self.alive.intersection_cardinality(self.terms.get(w) or BitMap())
                    for w in words[:-1]]
            prefix = words[-1]
            hits.append(self.alive.intersection_cardinality(
                self._cached(("prefix", prefix), lambda: self._prefix(prefix))))
            return PhraseStats(len(self.alive), self.words_total, hits,
                               (prefix, self._expansions(prefix)))

    def facet_rows(self, selected: BitMap, tops: dict[str, int] | None = None,
                   start: int | None = None, key: Any = None) -> list[tuple[str, str, int]]:
        """``(facet, value, count)`` of the top values of every facet over ``selected``.

        Values are visited by decreasing size of their bitmap (an upper bound of their count);
        once a facet holds its top number of values and the next bitmap is smaller than the
        least of them, no further value can enter (ties included). A small set is counted
        document by document instead, and only its top values are returned (ties broken by
        value, as :func:`~shared.store.sqlite_query.shape_facets` does); so is a set holding
        most live documents, as the live documents' counts (kept up to date) minus those of
        the few others, or most of those not ended before the day of ``start`` (the search's
        start: upcoming events), with the counts of those kept in the same way.

        Counts of every value (all but the first way) are kept under ``key`` (the search's
        set, whatever the writes): the next time, after writes, only the documents that
        entered or left the set are counted."""
        with self.lock:
            counts = self._full_counts(selected, start, key)
            if counts is not None:
                return self._top_rows(counts, tops or TOPS)
            return self._rows_by_value(selected, tops or TOPS)

    def facets(self, selected: BitMap, start: int | None = None,
               key: Any = None) -> dict[str, list[dict[str, Any]]]:
        """The facets of a search over ``selected`` (:meth:`facet_rows` of every facet),
        shaped as :func:`~shared.store.sqlite_query.shape_facets` shapes them."""
        with self.lock:
            counts = self._full_counts(selected, start, key)
            if counts is None:
                return shape_facets(self._rows_by_value(selected, TOPS))
            keys = self.tag_keys
            found = {facet: [{"value": keys[i][1], "count": n}
                             for i, n in zip(ids, numbers, strict=True)]
                     for facet, ids, numbers in self._tops(counts, TOPS)}
            return {name: found.get(tag, []) for name, (tag, _top) in FACETS.items()}

    def _rows_by_value(self, selected: BitMap,
                       tops: dict[str, int]) -> list[tuple[str, str, int]]:
        ordered_at, ordered = self._by_size()
        # a value's bitmap has gained at most this many slots since it was ordered
        growth = self.next_slot - ordered_at
        rows = []
        for facet, top in tops.items():
            least: list[int] = []  # the top counts so far (a min-heap)
            for value, bitmap, size in ordered.get(facet, ()):
                if len(least) >= top and size + growth < least[0]:
                    break
                n = selected.intersection_cardinality(bitmap)
                if n:
                    rows.append((facet, value, n))
                    if len(least) < top:
                        heapq.heappush(least, n)
                    elif n > least[0]:
                        heapq.heapreplace(least, n)
        return rows

    def _full_counts(self, selected: BitMap, start: int | None, key: Any) -> Any:
        """Per tag, the documents of ``selected`` carrying it, when that is cheap (else None):
        from the counts kept under ``key`` and the few documents that entered or left the
        set since; document by document for a small set; by complement for a large one."""
        kept = self._set_counts.get(key) if key is not None else None
        if kept is not None:
            before, counts = kept
            left, entered = before - selected, selected - before
            if len(left) + len(entered) <= DELTA_DOCUMENTS:
                counts = self._added(counts.copy(), self._tag_counts(left.to_array()), -1)
                counts = self._added(counts, self._tag_counts(entered.to_array()), 1)
                return self._keep_counts(key, selected, counts)
        counts = None
        if len(selected) <= BY_DOCUMENT:
            counts = self._tag_counts(selected.to_array())
        elif start is not None:  # most of the live documents not ended before its day?
            day = start // DAY
            ending = self._ends_from(day)
            rest = (self.alive & ending) - selected
            if (len(rest) <= BY_COMPLEMENT
                    and len(rest) + len(selected) == self.alive.intersection_cardinality(
                        ending)):  # selected is within them
                counts = self._ending_from_counts(day, ending) - self._tag_counts(
                    rest.to_array())
        elif len(self.alive) - len(selected) <= BY_COMPLEMENT:  # most live documents
            rest = self.alive - selected
            if len(rest) + len(selected) == len(self.alive):  # selected is within alive
                counts = self._sized(self.alive_counts) - self._tag_counts(rest.to_array())
        if counts is None or key is None:
            return counts
        return self._keep_counts(key, selected, counts)

    def _keep_counts(self, key: Any, selected: BitMap, counts: Any) -> Any:
        self._set_counts[key] = (selected, counts)
        self._set_counts.move_to_end(key)
        while len(self._set_counts) > SET_COUNTS:
            self._set_counts.popitem(last=False)
        return self._sized(counts)

    def _sized(self, counts: Any) -> Any:
        """``counts`` (per tag id) over every tag id: tags seen since it was computed, none of
        whose documents it counted, count 0."""
        n = len(self.tag_keys)
        return counts[:n] if len(counts) >= n else self._added(
            np.zeros(n, dtype=np.int64), counts, 1)

    def _tag_counts(self, slots: Any) -> Any:
        """How many of the documents ``slots`` (an array of uint32, in increasing order)
        carry each tag: an array indexed by tag id."""
        return self.tag_rows.counts(slots, len(self.tag_keys))

    def _count_alive(self, slots: Any, sign: int) -> None:
        """Add (``sign`` 1) or remove (-1) the tags of the documents ``slots`` in
        :attr:`alive_counts` and in the counts kept by day (:meth:`_ending_from_counts`)."""
        if not len(slots):
            return
        slots = sorted(slots)  # as counting wants them
        self.alive_counts = self._added(self.alive_counts, self._tag_counts(array("I", slots)),
                                        sign)
        for day, counts in self._day_counts.items():
            ending = array("I", (s for s in slots if self.end_of[s] // DAY >= day))
            if ending:
                self._day_counts[day] = self._added(counts, self._tag_counts(ending), sign)

    @staticmethod
    def _added(counts: Any, more: Any, sign: int) -> Any:
        if len(counts) < len(more):
            grown = np.zeros(len(more), dtype=np.int64)
            grown[:len(counts)] = counts
            counts = grown
        counts[:len(more)] += sign * more
        return counts

    def _ending_from_counts(self, day: int, ending: BitMap) -> Any:
        """Per tag, the live documents ending on ``day`` or later (``ending``, with dead
        slots): computed once (the live counts minus the others'), then kept up to date as
        documents are added and removed. A few days are kept (a search's start is today)."""
        counts = self._day_counts.get(day)
        if counts is None:
            while len(self._day_counts) >= DAY_COUNTS:
                del self._day_counts[min(self._day_counts)]
            others = self.alive - ending
            counts = self._day_counts[day] = self._added(
                self.alive_counts[:len(self.tag_keys)].copy(),
                self._tag_counts(others.to_array()), -1)
        return self._sized(counts)

    def _top_rows(self, counts: Any, tops: dict[str, int]) -> list[tuple[str, str, int]]:
        """``(facet, value, count)`` of the top values of each facet in ``tops`` (ties by
        value, the order of :func:`~shared.store.sqlite_query.shape_facets`)."""
        keys = self.tag_keys
        return [(facet, keys[i][1], n) for facet, ids, found in self._tops(counts, tops)
                for i, n in zip(ids, found, strict=True)]

    def _tops(self, counts: Any, tops: dict[str, int]) -> list[tuple[str, list[int], list[int]]]:
        """``(facet, tag ids, counts)`` of the top values of each facet in ``tops``, by
        decreasing count then value: one sort of every counted tag (by facet, count, value)."""
        facet_of, ranks = self._tag_order()
        present = np.flatnonzero(counts[:len(facet_of)])
        found = counts[present]
        if len(ranks) < 1 << RANK_BITS and (not len(found) or found.max() < 1 << COUNT_BITS):
            # one integer key (facet, then count descending, then value): a plain sort of
            # integers is a fifth of np.lexsort's time
            keys = ((facet_of[present].astype(np.int64) << (COUNT_BITS + RANK_BITS))
                    | ((((1 << COUNT_BITS) - 1) - found) << RANK_BITS) | ranks[present])
            order = present[np.argsort(keys)]
        else:
            order = present[np.lexsort((ranks[present], -found, facet_of[present]))]
        bounds = np.searchsorted(facet_of[order], np.arange(len(self.facet_names) + 1))
        out = []
        for facet, top in tops.items():
            if facet not in self.facet_names:
                continue
            index = self.facet_names.index(facet)
            lo = int(bounds[index])
            chosen = order[lo:min(lo + top, int(bounds[index + 1]))]
            out.append((facet, chosen.tolist(), counts[chosen].tolist()))
        return out

    def _tag_order(self) -> tuple[Any, Any]:
        """By tag id: the index of its facet in :attr:`facet_names`, and the rank of its value
        among all values (sorted); rebuilt when tags were added."""
        if self._facet_tags is None or self._facet_tags[0] != len(self.tag_keys):
            values = [value for _facet, value in self.tag_keys]
            ranks = np.empty(len(values), dtype=np.int64)
            ranks[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
            self._facet_tags = (len(self.tag_keys),
                                np.frombuffer(self.tag_facet, dtype=np.int32).copy(), ranks)
        return self._facet_tags[1], self._facet_tags[2]

    def _by_size(self) -> tuple[int, dict[str, list[tuple[str, BitMap, int]]]]:
        """The values of each facet by decreasing size of their bitmap, and the slot count
        when they were ordered. Tag bitmaps only gain slots, so a size then plus the slots
        given since bounds a size now: the order is kept across writes (sorting every value
        again after each write was a millisecond) until :data:`REORDER_SLOTS` were given or
        a new value appeared."""
        if (self._ordered is None or self._ordered[1] != len(self.tag_keys)
                or self.next_slot - self._ordered[0] > REORDER_SLOTS):
            self._ordered = (self.next_slot, len(self.tag_keys), {
                facet: sorted(((value, bitmap, len(bitmap)) for value, bitmap in values.items()),
                              key=lambda item: -item[2])
                for facet, values in self.tags.items()})
        return self._ordered[0], self._ordered[2]

    def words(self) -> int:
        return len(self.terms)

