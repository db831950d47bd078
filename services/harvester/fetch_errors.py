"""The one table that turns fetch failures into Maillage errors.

HTTP statuses and aiohttp/OS exceptions map to :class:`FetchTransient` (try again later),
:class:`FetchFailed` (the server said no, with its status) or :class:`FetchRefused` (we will
not fetch it). Each error gets a short ``kind`` the monitor translates; messages are one
English line naming the URL.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

import aiohttp

from shared.errors import FetchFailed, FetchRefused, FetchTransient, MaillageError

RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 86400.0

# status -> (error class, kind); statuses not listed fall back by class (4xx, 5xx, other).
STATUS_TABLE: dict[int, tuple[type[MaillageError], str]] = {
    401: (FetchFailed, "http_401"),
    403: (FetchFailed, "http_403"),
    404: (FetchFailed, "http_404"),
    410: (FetchFailed, "http_410"),
    408: (FetchTransient, "timeout"),
    429: (FetchTransient, "rate_limited"),
    503: (FetchTransient, "unavailable"),
}

# exception class -> (error class, kind); the first matching row wins, so order matters.
EXCEPTION_TABLE: tuple[tuple[type[BaseException], type[MaillageError], str], ...] = (
    (aiohttp.InvalidURL, FetchRefused, "refused_url"),
    (TimeoutError, FetchTransient, "timeout"),  # includes aiohttp.ServerTimeoutError
    (aiohttp.ClientConnectorDNSError, FetchTransient, "dns"),
    (aiohttp.ClientSSLError, FetchTransient, "tls"),
    (aiohttp.ClientPayloadError, FetchTransient, "bad_body"),
    (aiohttp.ClientResponseError, FetchTransient, "bad_response"),
    (aiohttp.ClientError, FetchTransient, "connection"),
    (OSError, FetchTransient, "connection"),
    (ValueError, FetchTransient, "bad_response"),  # e.g. an unreadable header value
)


def refuse(message: str, kind: str) -> FetchRefused:
    return FetchRefused(message, kind=kind)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), clamped.

    Returns ``None`` when absent or unreadable; otherwise a value in [1 s, 24 h].
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    seconds: float
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" or a missing zone: HTTP dates are GMT
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)


def status_error(status: int, headers: Mapping[str, str], url: str) -> MaillageError:
    """The error for a final response that is neither 2xx, 304 nor a redirect."""
    retry_after = parse_retry_after(headers.get("Retry-After"))
    cls: type[MaillageError]
    if status in STATUS_TABLE:
        cls, kind = STATUS_TABLE[status]
    elif status >= 500:
        cls, kind = FetchTransient, "server_error"
    else:
        cls, kind = FetchFailed, f"http_{status}"
    message = f"HTTP {status} from {url}"
    if cls is FetchTransient:
        return FetchTransient(message, kind=kind, status=status, retry_after=retry_after)
    return FetchFailed(message, kind=kind, status=status)


def map_client_error(exc: BaseException, url: str) -> MaillageError:
    """Translate an aiohttp/OS/timeout exception raised while fetching ``url``."""
    cls, kind = next(
        ((c, k) for t, c, k in EXCEPTION_TABLE if isinstance(exc, t)),
        (FetchTransient, "connection"),
    )
    detail = _one_line(exc.message if isinstance(exc, aiohttp.ClientResponseError) else str(exc))
    detail = detail or type(exc).__name__
    if kind == "timeout":
        detail = "no complete answer in time"
    message = f"{_KIND_TEXT.get(kind, 'fetch failed')} for {url}: {detail}"
    return cls(message, kind=kind)


def _one_line(text: object, limit: int = 160) -> str:
    """The first non-empty line of ``text``, shortened: messages are one line."""
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


_KIND_TEXT = {
    "refused_url": "invalid URL",
    "timeout": "timed out",
    "dns": "name resolution failed",
    "tls": "TLS error",
    "bad_body": "response body broken",
    "bad_response": "malformed HTTP response",
    "connection": "connection failed",
}
