"""What may be stored and shown: http(s) links only, text without what XML 1.0 forbids.

Both rules are applied where events and calls are created (:mod:`shared.model`,
:mod:`shared.calls`), so whatever a source or a publisher sent, a stored document holds no
``javascript:`` link and no character that would make an RSS feed invalid XML; the writers
of feeds apply :func:`xml_text` again, for documents stored before the rule.

:func:`http_url`
    The URL when it is an absolute ``http``/``https`` URL with a host (scheme compared
    without regard to case; surrounding blanks removed), else ``None``. ``javascript:``,
    ``data:``, ``vbscript:``, ``file:``, relative or protocol-relative links, and URLs with
    control characters or inner blanks are dropped.
:func:`xml_text`
    The text without the characters XML 1.0 forbids (C0 controls other than tab, line feed
    and carriage return; lone surrogates; U+FFFE and U+FFFF).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["clean_fields", "http_url", "xml_text"]

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (the same object when it has none)."""
    if value.isprintable() or not _XML_FORBIDDEN.search(value):
        return value
    return _XML_FORBIDDEN.sub("", value)


def http_url(value: object) -> str | None:
    """``value`` as an absolute http(s) URL with a host, or ``None``."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or _URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url


def clean_fields(obj: object, *, texts: Iterable[str] = (), lists: Iterable[str] = (),
                 urls: Iterable[str] = ()) -> None:
    """Apply both rules to the named fields of a frozen dataclass, in place (for its
    ``__post_init__``): :func:`xml_text` to ``texts`` and to the items of the tuples
    ``lists``, :func:`http_url` to ``urls`` (``None`` when not an http(s) URL). A field
    left unchanged is not rewritten."""
    for name in texts:
        value = getattr(obj, name)
        if isinstance(value, str) and (cleaned := xml_text(value)) is not value:
            object.__setattr__(obj, name, cleaned)
    for name in lists:
        values = getattr(obj, name)
        if any(isinstance(v, str) and xml_text(v) is not v for v in values):
            object.__setattr__(obj, name, tuple(
                xml_text(v) if isinstance(v, str) else v for v in values))
    for name in urls:
        value = getattr(obj, name)
        if value is not None and (url := http_url(value)) != value:
            object.__setattr__(obj, name, url)
