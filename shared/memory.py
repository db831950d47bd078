"""Keeping a long-running process's memory close to what it uses (glibc's allocator).

Searches allocate and free large temporary arrays (numpy, lists of rows). glibc serves a
block of 128 KB or more with its own ``mmap`` and unmaps it when freed, but after the first
such free it raises that threshold to the block's size (up to 32 MB), so later blocks come
from the heap, where a few long-lived objects allocated in between keep the freed pages from
going back to the system. :func:`fix_mmap_threshold` stops that adaptation; measured on the
query service (2,000 distinct searches with facets), the peak of a worker grows by 25 MB less.
:func:`release_memory` returns the free pages that remain (after an index build, and now and
then between searches).

The threshold is kept at 1 MB, not glibc's initial 128 KB: every block mapped on its own is
page faults when first written, and on this machine faults cost more than the work on the
block (counting facets was 3-4 times slower in fresh 300 KB-1 MB arrays than in reused
ones). With 1 MB, ``bench.store`` was faster in 32 of its 40 cells (after a write, 1.5-2.1
ms instead of 2.3-3.2 for the cheap queries) and the query service's memory, highest over
a ``bench.query_http`` run, stayed at 208 MB (PSS, master and two workers; 204-206 MB with
128 KB).
"""

from __future__ import annotations

import ctypes
import gc
import logging
from pathlib import Path

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt() parameter, from <malloc.h>
#: Blocks of this size or more get their own mapping, returned to the system when freed.
MMAP_THRESHOLD = 1024 * 1024


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, macOS): nothing to tune
        return None


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Keep glibc's mmap threshold at ``threshold`` bytes; whether it was set."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, threshold))


def process_memory_kb(pid: int) -> dict[str, int]:
    """The memory of process ``pid`` in kB, from ``/proc/<pid>/smaps_rollup`` (Linux): Rss,
    Pss, Private_Clean, Private_Dirty, Shared_Clean... Raises OSError when it is gone."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {key: int(value.split()[0]) for key, value in (line.split(":") for line in lines)}


def release_memory() -> None:
    """Give the heap's free pages back to the system (``malloc_trim``)."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def freeze_heap() -> None:
    """Collect the garbage, then move every object alive (an index just built) out of the
    collector's generations: a full collection no longer walks them. At 100k documents it
    took 17-25 ms, paid by whichever search triggered it (a p99 of 34 ms in the benchmark);
    in a forked worker it would also write to every shared page holding one of them. Objects
    frozen stay freed by reference counting when dropped (the index has no cycles)."""
    gc.collect()
    gc.freeze()
