"""Sanitize event descriptions (untrusted HTML or text) and derive their plain text.

:func:`sanitize` returns safe HTML built from a small allowlist (nh3 / ammonia): paragraphs,
line breaks, emphasis, lists, quotes, headings h3-h6 and links (absolute ``http``,
``https``, ``mailto``, ``tel`` URLs only, with ``rel="noopener noreferrer"``; a link whose
URL is refused keeps only its text). Everything
else is removed: scripts and styles with their content, event handlers,
``javascript:``/``data:``/``vbscript:`` URLs, SVG/MathML, ``base``, ``meta``, forms, frames
and objects; other tags are unwrapped
(their text stays). Input without any markup is treated as plain text: escaped, blank lines
make paragraphs and single newlines make ``<br>``.

``sanitize`` is idempotent: the cleaner is applied until its output stops changing (HTML
parsing can rearrange a document once, e.g. closing a ``<p>`` opened inside another).

:func:`html_to_text` turns sanitized HTML into plain text: block elements end lines,
entities are decoded, runs of spaces collapse, at most one blank line between blocks.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

__all__ = ["html_to_text", "looks_like_html", "plain_text", "sanitize"]

TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "blockquote",
    "h3", "h4", "h5", "h6",
}  # fmt: skip
ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Removed with their content (the other disallowed tags are unwrapped, keeping their text).
DROP_CONTENT = {"script", "style", "svg", "math", "template", "iframe", "object", "noscript",
                "textarea", "select", "title", "head"}  # fmt: skip

_MARKUP = re.compile(r"</?[a-zA-Z!]|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")
# Disallowed blocks that should still end a line become paragraphs or h3 before cleaning.
_AS_P = re.compile(r"<(/?)(?:div|section|article|header|footer|tr|dd|dt|figcaption)\b", re.I)
_AS_H3 = re.compile(r"<(/?)h[12]\b", re.I)
_EMPTY_P = re.compile(r"<p>(?:\s|<br>)*</p>")
# A link whose URL was refused keeps its text only (``<a rel>`` without ``href`` is invalid).
_BARE_LINK = re.compile(r'<a rel="noopener noreferrer">(.*?)</a>', re.S)
_BLANK_LINES = re.compile(r"\n\s*\n+")
_MAX_ROUNDS = 4


def looks_like_html(text: str) -> bool:
    """True when ``text`` contains a tag or a character reference."""
    return _MARKUP.search(text) is not None


_ABSOLUTE = re.compile(r"^(?:https?://|mailto:|tel:)", re.I)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Only absolute links: a relative URL from a remote source would resolve against our site.
    if attribute == "href" and not _ABSOLUTE.match(value.strip()):
        return None
    return value


def _clean(fragment: str) -> str:
    fragment = _AS_H3.sub(r"<\1h3", _AS_P.sub(r"<\1p", fragment))
    cleaned = nh3.clean(
        fragment,
        tags=TAGS,
        clean_content_tags=DROP_CONTENT,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_keep_attribute,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return _EMPTY_P.sub("", _BARE_LINK.sub(r"\1", cleaned)).strip()


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in _BLANK_LINES.split(text.replace("\r\n", "\n"))]
    out = []
    for para in paragraphs:
        if para:
            lines = [html.escape(line.strip(), quote=False) for line in para.split("\n")]
            out.append("<p>" + "<br>".join(line for line in lines if line) + "</p>")
    return "".join(out)


def sanitize(description: str) -> str:
    """Safe HTML for ``description`` (HTML or plain text); ``""`` for blank input."""
    if not description or not description.strip():
        return ""
    current = description if looks_like_html(description) else _text_to_html(description)
    for _ in range(_MAX_ROUNDS):
        cleaned = _clean(current)
        if cleaned == current:
            break
        current = cleaned
    if current and not looks_like_html(current):
        # The cleaner dropped every tag; wrap so that the next pass also sees HTML.
        current = _clean(_text_to_html(html.unescape(current)))
    return current


_BLOCKS = {"p", "br", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
           "div", "tr", "table", "section", "article", "header", "footer", "dd", "dt"}  # fmt: skip
_SPACES = re.compile(r"[ \t\f\v\u00a0\u202f]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_CONTENT:
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_CONTENT:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data.replace("\n", " "))


#: A tag as :func:`sanitize` writes them (nh3's serializer): lower-case name, attributes
#: double-quoted (a quoted value may hold ``>``).
_CLEAN_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:\s+[a-z-]+="[^"]*")*)\s*(/?)>')


def _sanitized_parts(fragment: str) -> list[str] | None:
    """What :class:`_TextExtractor` collects from ``fragment``, read without HTMLParser when
    the fragment is made only of tags as :func:`sanitize` writes them and text without
    ``<`` (no comment, declaration or raw text element); else ``None``."""
    pieces = _CLEAN_TAG.split(fragment)  # text, then 4 groups per tag, then text...
    parts: list[str] = []
    for i in range(0, len(pieces), 5):
        text = pieces[i]
        if "<" in text:
            return None
        if text:
            parts.append(html.unescape(text).replace("\n", " "))
        if i + 1 < len(pieces):
            closing, tag, self_closing = pieces[i + 1], pieces[i + 2], pieces[i + 4]
            if tag in DROP_CONTENT:
                return None
            if tag in _BLOCKS:
                if not closing:
                    parts.append("\n- " if tag == "li" else "\n")
                if closing or self_closing:
                    parts.append("\n")
    return parts


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (one line per block, spaces collapsed)."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return _SPACES.sub(" ", fragment).strip()
    parts = _sanitized_parts(fragment)
    if parts is None:
        parser = _TextExtractor()
        parser.feed(fragment)
        parser.close()
        parts = parser.parts
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def plain_text(text: str) -> str:
    """Whitespace-normalized plain text (no markup interpretation): one line per line."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
