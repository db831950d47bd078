"""The SSRF guard: which URLs the harvester may fetch and which addresses it may connect to.

Sources are configured by people outside the project, so a source URL (or a redirect it
answers with) must never make the harvester talk to the machine it runs on, the local
network or a cloud metadata service. Two checks, both raising
:class:`~shared.errors.FetchRefused`:

* :func:`check_url` before a request: only ``http``/``https`` (``webcal`` is read as
  ``https``), no user-info, a plain host name or a literal address. Numeric hosts are read the
  way browsers and ``inet_aton`` read them (``2130706433``, ``0x7f.1``, ``017700000001`` are
  all 127.0.0.1) and checked like any address.
* :func:`resolve_checked` when connecting: the host is resolved once, *every* answer must be
  allowed, and only those checked addresses are handed to the connection (no DNS rebinding).

``allow_private`` (setting ``MAILLAGE_ALLOW_PRIVATE``, for the demo and tests) admits loopback,
RFC 1918 and unique-local (fc00::/7) addresses; link-local (169.254.169.254), CGNAT,
multicast, reserved and the rest stay refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Protocol

from yarl import URL

from shared.errors import FetchRefused, FetchTransient

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IPv4 ranges that are never fetched (IANA special-purpose registry, plus multicast).
_V4_REFUSED = tuple(
    _V4(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
# IPv6 special ranges inside global unicast 2000::/3 (anything outside 2000::/3 is refused).
_V6_REFUSED = tuple(
    _V6(n)
    for n in (
        "2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20",
    )
)  # fmt: skip
_V6_GLOBAL_UNICAST = _V6("2000::/3")
_V4_MAPPED = _V6("::ffff:0:0/96")
_V4_TRANSLATED = _V6("::ffff:0:0:0/96")
_NAT64_WELL_KNOWN = _V6("64:ff9b::/96")
_NAT64_LOCAL = _V6("64:ff9b:1::/48")
_SIX_TO_FOUR = _V6("2002::/16")
_TEREDO = _V6("2001::/32")

# What allow_private admits: loopback, RFC 1918, unique-local IPv6.
_PRIVATE_OK = (
    _V4("127.0.0.0/8"), _V4("10.0.0.0/8"), _V4("172.16.0.0/12"), _V4("192.168.0.0/16"),
    _V6("::1/128"), _V6("fc00::/7"),
)  # fmt: skip

_HOST_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_.])?$")
_SCHEMES = {"http": "http", "https": "https", "webcal": "https"}


def _in(ip: IPAddress, networks: tuple[_V4 | _V6, ...]) -> bool:
    return any(ip.version == net.version and ip in net for net in networks)


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo), if any."""
    raw = int(ip)
    if ip in _V4_MAPPED or ip in _V4_TRANSLATED or ip in _NAT64_WELL_KNOWN:
        return [ipaddress.IPv4Address(raw & 0xFFFFFFFF)]
    if ip in _SIX_TO_FOUR:
        return [ipaddress.IPv4Address((raw >> 80) & 0xFFFFFFFF)]
    if ip in _TEREDO:
        server = ipaddress.IPv4Address((raw >> 64) & 0xFFFFFFFF)
        client = ipaddress.IPv4Address(~raw & 0xFFFFFFFF)
        return [server, client]
    return None


def _parse_ip(ip: str | IPAddress) -> IPAddress:
    if isinstance(ip, str):
        # getaddrinfo may append a zone to link-local IPv6 ("fe80::1%eth0").
        return ipaddress.ip_address(ip.split("%", 1)[0])
    return ip


def is_global_address(ip: str | IPAddress) -> bool:
    """True when ``ip`` is an ordinary public unicast address, false for everything special.

    IPv4-mapped, NAT64 (64:ff9b::/96), 6to4 and Teredo addresses are judged by the IPv4
    address they carry; the local-use NAT64 prefix 64:ff9b:1::/48 is never global.
    """
    addr = _parse_ip(ip)
    if isinstance(addr, ipaddress.IPv4Address):
        return not _in(addr, _V4_REFUSED) and addr != ipaddress.IPv4Address("255.255.255.255")
    embedded = _embedded_v4(addr)
    if embedded is not None:
        return all(is_global_address(v4) for v4 in embedded)
    if addr in _NAT64_LOCAL or addr not in _V6_GLOBAL_UNICAST:
        return False
    return not _in(addr, _V6_REFUSED)


def is_allowed_address(ip: str | IPAddress, allow_private: bool) -> bool:
    """:func:`is_global_address`, widened to loopback and private ranges when allowed."""
    addr = _parse_ip(ip)
    if is_global_address(addr):
        return True
    if not allow_private:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_v4(addr)
        if embedded is not None and addr in _V4_MAPPED:
            addr = embedded[0]
    return _in(addr, _PRIVATE_OK)


def _parse_number(part: str) -> int | None:
    """One part of a numeric IPv4 host: decimal, octal (leading 0) or hex (0x)."""
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
        if digits == "":
            return 0
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    try:
        return int(digits, base) if digits.isascii() and digits.isalnum() else None
    except ValueError:
        return None


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """Read a host the way browsers (WHATWG URL) and ``inet_aton`` read numeric IPv4 hosts.

    Returns ``None`` for a host name. Raises ``ValueError`` for a host that ends in a number
    but is not a valid address (browsers refuse those too).
    """
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    last = parts[-1]
    if not re.fullmatch(r"[0-9]+|0[xX][0-9a-fA-F]*", last):
        return None
    numbers = [_parse_number(p) if p else None for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise ValueError(f"invalid numeric host {host!r}")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise ValueError(f"invalid numeric host {host!r}")
    number = values[-1]
    for index, value in enumerate(values[:-1]):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


@dataclass(frozen=True, slots=True)
class CheckedURL:
    """A URL that passed :func:`check_url`; ``url`` is what to request."""

    url: URL
    host: str
    port: int
    address: IPAddress | None  # set when the host is a literal address


def _refuse(message: str, kind: str = "refused_url") -> FetchRefused:
    return FetchRefused(message, kind=kind)


def check_url(url: str | URL, allow_private: bool) -> CheckedURL:
    """Check a URL before fetching it; raise :class:`FetchRefused` when it must not be."""
    text = str(url)
    if any(ord(c) < 0x20 or c == "\x7f" for c in text):
        raise _refuse("URL contains control characters")
    raw_authority = re.split(r"[/?#]", text.partition("://")[2], maxsplit=1)[0]
    if any(c in raw_authority for c in " \\\t"):
        raise _refuse("URL host part contains a space or a backslash")
    try:
        parsed = url if isinstance(url, URL) else URL(text)
    except (ValueError, TypeError) as exc:
        raise _refuse(f"URL cannot be parsed: {exc}") from exc
    scheme = _SCHEMES.get(parsed.scheme.lower())
    if scheme is None:
        raise _refuse(f"scheme {parsed.scheme or '(none)'!r} is not fetched", kind="scheme")
    if parsed.raw_user is not None or parsed.raw_password is not None or "@" in raw_authority:
        raise _refuse("URL carries a user name or password")
    host = (parsed.raw_host or "").lower()
    if not host:
        raise _refuse("URL has no host")
    if scheme != parsed.scheme:
        parsed = parsed.with_scheme(scheme)
    try:
        port = parsed.port
    except ValueError as exc:
        raise _refuse("URL has an invalid port") from exc
    if port is None or not 0 < port < 65536:
        raise _refuse("URL has an invalid port")
    address: IPAddress | None
    if ":" in host:  # IPv6 literal (yarl removed the brackets)
        try:
            address = _parse_ip(host.replace("%25", "%"))
        except ValueError as exc:
            raise _refuse(f"invalid IPv6 host {host!r}") from exc
        if "%" in host:
            raise _refuse("IPv6 zone identifiers are not fetched", kind="refused_address")
    else:
        if not _HOST_NAME.match(host) or ".." in host:
            raise _refuse(f"invalid host name {host!r}")
        try:
            address = parse_ipv4_host(host)
        except ValueError as exc:
            raise _refuse(str(exc)) from exc
        if address is not None and host.rstrip(".") != str(address):
            parsed = parsed.with_host(str(address))  # canonical spelling, as browsers do
            host = str(address)
    if address is not None and not is_allowed_address(address, allow_private):
        raise _refuse(f"address {address} is not public", kind="refused_address")
    return CheckedURL(url=parsed, host=host, port=port, address=address)


class Resolver(Protocol):
    """Turns a host name into IP address strings (the SSRF guard checks them afterwards)."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver, through the event loop's ``getaddrinfo``."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(
    resolver: Resolver, host: str, port: int, allow_private: bool
) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses, refusing if ANY answer is not allowed."""
    try:
        literal = parse_ipv4_host(host) if ":" not in host else _parse_ip(host)
    except ValueError as exc:
        raise _refuse(str(exc)) from exc
    if literal is not None:
        answers = [str(literal)]
    else:
        try:
            answers = await resolver.resolve(host, port)
        except OSError as exc:
            raise FetchTransient(f"cannot resolve {host}: {exc}", kind="dns") from exc
    if not answers:
        raise FetchTransient(f"no address found for {host}", kind="dns")
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addr = _parse_ip(answer)
        except ValueError as exc:
            raise _refuse(f"resolver returned a bad address {answer!r}") from exc
        if not is_allowed_address(addr, allow_private):
            raise _refuse(f"{host} resolves to {addr}, which is not public", "refused_address")
        addresses.append(addr)
    return addresses


Origin = tuple[str, str, int]


def origin(url: str | URL) -> Origin | None:
    """(scheme, host, port) of a URL as the fetcher would request it, or ``None`` for a URL
    it would not fetch at all (``file:``, no host...). ``webcal`` reads as ``https``."""
    try:
        checked = check_url(url, allow_private=True)  # only to read the URL the same way
    except FetchRefused:
        return None
    return checked.url.scheme, checked.host, checked.port
