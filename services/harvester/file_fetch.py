"""Reading ``file://`` URLs (demo and tests only; the fetcher allows it when configured)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from shared.errors import FetchFailed, FetchRefused


@dataclass(frozen=True, slots=True)
class FileBody:
    body: bytes
    not_modified: bool
    last_modified: str
    content_type: str | None


def read_file_url(url: str, max_bytes: int, last_modified: str | None) -> FileBody:
    """Read a local file named by a ``file://`` URL (blocking: call it in a thread).

    ``last_modified`` is the value an earlier read returned (the file's mtime as an HTTP
    date); when it still matches, the body is not read and ``not_modified`` is set.
    """
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"file URL on another host: {url}", kind="scheme")
    path = Path(url2pathname(parts.path))
    try:
        stat = path.stat()
        stamp = formatdate(stat.st_mtime, usegmt=True)
        ctype = mimetypes.guess_type(path.name)[0]
        if last_modified is not None and last_modified == stamp:
            return FileBody(b"", True, stamp, ctype)
        if stat.st_size > max_bytes:
            raise FetchRefused(f"file {path} exceeds {max_bytes} bytes", kind="too_large")
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise FetchFailed(f"file not found: {path}", kind="http_404", status=404) from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise FetchFailed(f"file cannot be read: {path}", kind="http_403", status=403) from exc
    if len(body) > max_bytes:
        raise FetchRefused(f"file {path} exceeds {max_bytes} bytes", kind="too_large")
    return FileBody(body, False, stamp, ctype)
