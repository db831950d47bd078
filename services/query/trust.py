"""Which request headers the query service believes: ``Host`` and ``X-Forwarded-For``.

``Host``
    Links in feeds, calendars and pages are built from ``MAILLAGE_PUBLIC_URL``; without it,
    from the request's ``Host``. Either way a ``Host`` outside ``MAILLAGE_ALLOWED_HOSTS``
    (default: the public URL's host and the loopback names) is refused with a 400
    ``invalid_host`` before any route runs, so a forged ``Host: evil.example`` can neither
    put its name in an answer nor in the answer cache. ``/healthz`` and ``/metrics`` answer
    whatever the ``Host`` (probes and scrapers call a pod by its address); they build no link.
``X-Forwarded-For``
    Read only when the connection comes from a trusted proxy (``MAILLAGE_TRUSTED_PROXIES``,
    CIDRs; or, with ``MAILLAGE_TRUST_FORWARDED``, the immediate peer whatever its address):
    the client is the right-most address of the chain that is not a trusted proxy. A client
    can write anything at the left of the header, never at its right, where each proxy
    appends the address it saw (every line of the header is read: :func:`forwarded_for`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

from services.query.errors import ApiError, Handler

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
MAX_HOST = 300  # a DNS name (253) and a port: longer Host values are refused unread
MAX_ADDRESS = 64  # longest address (IPv6 with port) looked at in X-Forwarded-For
ANY_HOST = "*"
#: paths that answer whatever the Host: probes and scrapers use the pod's address
HOST_FREE_PATHS = frozenset({"/healthz", "/metrics"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=1024)  # a handful of names in practice; a memo saves ~3 us per request
def host_name(host: str) -> str | None:
    """The lower-case name of a ``Host`` value (port and IPv6 brackets removed); ``None``
    when it is not a plain ``name[:port]``."""
    if not host or any(c in host for c in "/?#@\\ ") or not host.isascii():
        return None
    try:
        parts = urlsplit("//" + host)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    name = parts.hostname
    return name.rstrip(".") if name else None


def allowed_hosts(public_url: str, configured: Iterable[str]) -> frozenset[str]:
    """``MAILLAGE_ALLOWED_HOSTS``, or by default the public URL's host and loopback names."""
    names = {n.strip().lower().rstrip(".") for n in configured if n.strip()}
    if names:
        return frozenset(names)
    default = set(LOOPBACK_NAMES)
    if public_url:
        public = urlsplit(public_url).hostname
        if public:
            default.add(public)
    return frozenset(default)


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    if ANY_HOST in allowed:
        return True
    if len(host) > MAX_HOST:
        return False
    name = host_name(host)
    return name is not None and name in allowed


def host_middleware(allowed: frozenset[str]) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in HOST_FREE_PATHS and not host_allowed(request.host, allowed):
            raise ApiError(400, "this service does not answer for that Host header",
                           code="invalid_host",
                           details={"setting": "MAILLAGE_ALLOWED_HOSTS"})
        return await handler(request)

    return middleware


def parse_networks(raw: str) -> tuple[Network, ...]:
    """``MAILLAGE_TRUSTED_PROXIES``: comma-separated addresses or CIDRs."""
    out = []
    for part in raw.split(","):
        part = part.strip()
        if part:
            out.append(ipaddress.ip_network(part, strict=False))
    return tuple(out)


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:  # [v6]:port
        raw = raw[1:raw.index("]")]
    elif raw.count(":") == 1:  # v4:port
        raw = raw.split(":", 1)[0]
    try:
        return ipaddress.ip_address(raw)
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # parsing an address costs ~3 us; clients and proxies come back
def _classify(raw: str, proxies: tuple[Network, ...]) -> tuple[str, bool]:
    """``(address without port, is a trusted proxy)`` of one hop; unreadable: as is, not."""
    addr = _address(raw) if len(raw) <= MAX_ADDRESS else None
    if addr is None:
        return raw, False
    return str(addr), any(addr in net for net in proxies)


def forwarded_for(request: web.BaseRequest) -> str:
    """Every ``X-Forwarded-For`` line of the request, in order, as one chain: a proxy that
    adds a line of its own (HAProxy's ``option forwardfor``) instead of appending to the
    client's puts it after the client's, where the walk from the right finds it."""
    return ", ".join(request.headers.getall(hdrs.X_FORWARDED_FOR, ()))


def client_address(remote: str | None, forwarded_for: str, proxies: tuple[Network, ...],
                   trust_peer: bool = False) -> str:
    """The client's address: ``remote``, unless it is a trusted proxy; then, walking
    ``X-Forwarded-For`` from the right, the first address that is not a trusted proxy
    (without the port some proxies add, so that a client's buckets do not change with it).

    ``trust_peer`` trusts the immediate peer whatever its address (one proxy hop, the old
    ``MAILLAGE_TRUST_FORWARDED``). An unreadable entry ends the walk: it is what the last
    trusted hop received, so it stands for the client.
    """
    current = remote or "unknown"
    if not proxies and not trust_peer:
        return current
    if not (trust_peer or _classify(current, proxies)[1]):
        return current
    for entry in reversed(forwarded_for.split(",")):
        entry = entry.strip()
        if not entry:
            continue
        current, trusted = _classify(entry, proxies)
        if not trusted:
            break
    return current
