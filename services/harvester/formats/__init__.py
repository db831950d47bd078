"""Source formats: one module per format, and :func:`parse_document` to detect and dispatch.

Each format module exposes ``parse(body: bytes, ctx: ParseContext) -> ParseResult``; the JSON
formats also expose ``matches(doc) -> bool`` taking the decoded JSON, used by detection.
Modules are imported lazily, and a module that is missing (not written yet) makes only its
format unavailable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from shared.errors import ParseError

from .base import ParseContext, ParseResult
from .detect import detect

#: Format name -> module path. The order of the JSON formats is the order of detection.
FORMATS: dict[str, str] = {
    "ics": "services.harvester.formats.ics",
    "rss": "services.harvester.formats.rss",
    "html": "services.harvester.formats.html",
    "activitypub": "services.harvester.formats.activitypub",
    "openagenda": "services.harvester.formats.openagenda",
    "opendatasoft": "services.harvester.formats.opendatasoft",
    "wordpress": "services.harvester.formats.wordpress",
}
JSON_FORMATS = ("activitypub", "openagenda", "opendatasoft", "wordpress")

_MISSING: dict[str, str] = {}


def load_format(name: str) -> ModuleType | None:
    """The module of a format, or ``None`` when it is not available (not installed yet)."""
    path = FORMATS.get(name)
    if path is None:
        return None
    try:
        return importlib.import_module(path)
    except ImportError as exc:
        # Only a missing module means "not available"; an ImportError raised inside an
        # existing module is a bug that must surface.
        if exc.name is not None and path.startswith(exc.name):
            _MISSING[name] = str(exc)
            return None
        raise


def available_formats() -> list[str]:
    """Names of the formats whose module can be imported."""
    return [name for name in FORMATS if load_format(name) is not None]


def _json_matchers() -> dict[str, Callable[[Any], bool]]:
    matchers: dict[str, Callable[[Any], bool]] = {}
    for name in JSON_FORMATS:
        module = load_format(name)
        matches = getattr(module, "matches", None) if module is not None else None
        if callable(matches):
            matchers[name] = matches
    return matchers


def parse_document(
    body: bytes,
    ctx: ParseContext,
    fmt: str | None = None,
    content_type: str | None = None,
) -> ParseResult:
    """Parse a fetched document, detecting its format when ``fmt`` is ``None``.

    Raises :class:`ParseError` (one line) for an unknown format, an unavailable format module,
    or a document that cannot be used at all (empty body, HTML page without events, ...).
    """
    if fmt is None:
        fmt = detect(body, content_type, _json_matchers()).format
    elif fmt not in FORMATS:
        raise ParseError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    elif not body.strip():
        raise ParseError("empty document")
    module = load_format(fmt)
    if module is None:
        raise ParseError(f"format {fmt!r} is not available in this build")
    result: ParseResult = module.parse(body, ctx)
    return result


__all__ = [
    "FORMATS",
    "JSON_FORMATS",
    "ParseContext",
    "ParseResult",
    "available_formats",
    "load_format",
    "parse_document",
]
