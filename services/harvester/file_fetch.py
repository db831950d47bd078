"""Reading ``file://`` URLs (demo and tests only; the fetcher allows it when configured).

Off by default (``MAILLAGE_ALLOW_FILES``), never for a link found in a document, and bounded
like a network fetch: only a regular file is read (a FIFO, a device such as ``/dev/zero``, a
socket or a directory is refused without blocking: the file is opened non-blocking and judged
by ``fstat`` of what was opened, not by the path), at most ``max_bytes``, within a deadline.
"""

from __future__ import annotations

import mimetypes
import os
import stat
import time
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from shared.errors import FetchFailed, FetchRefused, FetchTransient

CHUNK = 64 * 1024
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class FileBody:
    body: bytes
    not_modified: bool
    last_modified: str
    content_type: str | None


def file_path(url: str) -> Path:
    """The local path a ``file://`` URL names (only this host's files)."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"file URL on another host: {url}", kind="scheme")
    return Path(url2pathname(parts.path))


def read_file_url(
    url: str, max_bytes: int, last_modified: str | None, timeout_s: float = 30.0
) -> FileBody:
    """Read a local file named by a ``file://`` URL (blocking: call it in a thread).

    ``last_modified`` is the value an earlier read returned (the file's mtime as an HTTP
    date); when it still matches, the body is not read and ``not_modified`` is set.
    """
    path = file_path(url)
    deadline = time.monotonic() + timeout_s
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError as exc:
        raise FetchFailed(f"file not found: {path}", kind="http_404", status=404) from exc
    except OSError as exc:  # permission, a loop of links, a name too long...
        raise FetchFailed(f"file cannot be read: {path}", kind="http_403", status=403) from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise FetchRefused(
            f"{path} is not a regular file (directory, pipe, device or socket)",
            kind="not_a_file",
        )
    with os.fdopen(fd, "rb", buffering=0) as handle:
        stamp = formatdate(info.st_mtime, usegmt=True)
        ctype = mimetypes.guess_type(path.name)[0]
        if last_modified is not None and last_modified == stamp:
            return FileBody(b"", True, stamp, ctype)
        if info.st_size > max_bytes:
            raise FetchRefused(f"file {path} exceeds {max_bytes} bytes", kind="too_large")
        chunks: list[bytes] = []
        total = 0
        while chunk := handle.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:  # a file that grows, or a size stat does not know (/proc)
                raise FetchRefused(f"file {path} exceeds {max_bytes} bytes", kind="too_large")
            if time.monotonic() > deadline:
                raise FetchTransient(f"reading {path} took too long", kind="timeout")
            chunks.append(chunk)
    return FileBody(b"".join(chunks), False, stamp, ctype)
