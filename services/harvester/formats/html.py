"""HTML pages: schema.org Events from JSON-LD, microdata and h-event microformats.

JSON-LD is read from every ``<script type="application/ld+json">`` block (``@graph``,
arrays, nested nodes, ``{"@id"}`` references), repairing what publishers commonly break: JS
comments, trailing commas, raw control characters, HTML-escaped quotes, several values in
one block. Only real script elements are read, so JSON-LD quoted inside another script (a
Next.js payload) is not counted twice. The same event found by two syntaxes is kept once.
A page without any Event raises :class:`ParseError`.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from typing import Any

from bs4 import BeautifulSoup

from shared.errors import ParseError
from shared.model import Skipped

from .assemble import emit
from .base import ParseContext, ParseResult
from .detect import decode_text
from .html_extract import h_events, microdata_items
from .schemaorg import convert, is_event, type_names

FORMAT = "html"
MAX_NODES = 100_000
_WRAPPERS = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def relax_json(raw: str) -> str:
    """Drop ``//`` and ``/* */`` comments and trailing commas outside strings (one pass)."""
    out: list[str] = []
    i, n, in_str = 0, len(raw), False
    while i < n:
        ch = raw[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(raw[i + 1])
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            out.append(ch)
        elif raw.startswith("//", i):
            nl = raw.find("\n", i)
            i = n if nl < 0 else nl
            continue
        elif raw.startswith("/*", i):
            close = raw.find("*/", i + 2)
            i = n if close < 0 else close + 2
            continue
        elif ch in "}]":
            j = len(out) - 1
            while j >= 0 and out[j].isspace():
                j -= 1
            if j >= 0 and out[j] == ",":
                del out[j]
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def load_jsonld(raw: str) -> list[Any]:
    """Every JSON value of one JSON-LD block, repaired leniently; ``ValueError`` if none."""
    raw = _WRAPPERS.sub("", raw.strip())
    attempts = [raw, relax_json(raw)]
    if "&quot;" in raw:
        attempts.append(relax_json(htmllib.unescape(raw)))
    error: ValueError | None = None
    decoder = json.JSONDecoder(strict=False)
    for candidate in attempts:
        values: list[Any] = []
        pos, text = 0, candidate.strip()
        try:
            while pos < len(text):
                value, pos = decoder.raw_decode(text, pos)
                values.append(value)
                while pos < len(text) and (text[pos].isspace() or text[pos] in ",;"):
                    pos += 1
            return values
        except ValueError as exc:
            error = error or exc
            if values:
                return values
    raise error or ValueError("empty JSON-LD block")


def _walk(
    values: list[Any], index: dict[str, Any], events: list[dict[str, Any]], kinds: set[str]
) -> None:
    """Collect Event nodes (anywhere, @graph included) and index nodes that have an @id."""
    stack: list[Any] = list(reversed(values))
    seen = 0
    while stack and seen < MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("@id"), str) and len(node) > 1:
            index.setdefault(node["@id"], node)
        kinds.update(type_names(node))
        if is_event(node):
            events.append(node)
        stack.extend(reversed([v for v in node.values() if isinstance(v, dict | list)]))


def parse(body: bytes, ctx: ParseContext) -> ParseResult:
    soup = BeautifulSoup(decode_text(body), "html.parser")
    base = ctx.url
    if (tag := soup.find("base", href=True)) is not None:
        href = tag.get("href")
        base = href if isinstance(href, str) and href.startswith("http") else base
    result = ParseResult(format=FORMAT)
    index: dict[str, Any] = {}
    nodes: list[dict[str, Any]] = []
    kinds: set[str] = set()
    bad_blocks = 0
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        try:
            values = load_jsonld(script.string or script.get_text())
        except ValueError as exc:
            bad_blocks += 1
            result.skipped.append(Skipped(f"unreadable JSON-LD block: {exc}"))
            continue
        _walk(values, index, nodes, kinds)
    _walk(microdata_items(soup, base), index, nodes, kinds)
    nodes.extend(h_events(soup, base))
    if not nodes:
        found = "found: " + ", ".join(sorted(kinds)[:5]) if kinds else "no structured data"
        broken = f"; {bad_blocks} JSON-LD block(s) unreadable" if bad_blocks else ""
        raise ParseError(f"no schema.org Event or h-event in the HTML page ({found}{broken})")
    page_url = ctx.url if len(nodes) == 1 else None
    seen: set[tuple[str, str]] = set()
    for node in nodes:
        fields = convert(node, ctx if base == ctx.url else _rebased(ctx, base), index, page_url)
        occs = [o for o in fields["occurrences"] if o is not None]
        key = ((fields["title"] or "").casefold(), occs[0].start.isoformat() if occs else "")
        if fields["title"] and occs and key in seen:
            continue  # the same event given twice (JSON-LD and microdata, or a copy)
        seen.add(key)
        emit(result, ctx, **fields)
    return result


def _rebased(ctx: ParseContext, base: str | None) -> ParseContext:
    from dataclasses import replace

    return replace(ctx, url=base)
