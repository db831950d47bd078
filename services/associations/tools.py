"""The tools an association uses: what it declares, and what Maillage sees.

The vocabulary is :data:`shared.vocab.TOOLS`. :func:`detected` reads, from the association's
sources (their URL and format) and its website and links, the tools they show: a calendar
served by ``calendar.google.com`` is Google Agenda, ``/remote.php/dav/`` a Nextcloud
calendar, an OpenAgenda, Mobilizon or WordPress source is that tool, a ``links`` entry for
Mastodon is Mastodon, a HelloAsso link is HelloAsso... :func:`tools_of` joins both, each
with where it comes from (``declared``, ``detected``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from shared.vocab import TOOLS

DECLARED = "declared"
DETECTED = "detected"

#: (host suffix or path part, tool) for calendar URLs.
_CALENDAR_HOSTS = (
    ("calendar.google.com", "google-agenda"), ("framagenda.org", "framagenda"),
    ("outlook.office365.com", "outlook"), ("outlook.live.com", "outlook"),
    ("outlook.office.com", "outlook"), ("icloud.com", "icloud"), ("zoho.com", "zoho-calendar"),
    ("zoho.eu", "zoho-calendar"), ("openagenda.com", "openagenda"),
)
_NEXTCLOUD_PATH = re.compile(r"/remote\.php/dav/|/apps/calendar/")
#: Source formats that name their tool.
_FORMATS = {"openagenda": "openagenda", "wordpress": "wordpress-agenda",
            "activitypub": "mobilizon"}
#: ``links`` keys (the association record's networks) that are tools.
_LINK_KEYS = {"mastodon": "mastodon", "peertube": "peertube", "facebook": "facebook",
              "instagram": "instagram", "helloasso": "helloasso", "mobilizon": "mobilizon"}
#: Host suffixes of links and websites that are tools.
_LINK_HOSTS = (("helloasso.com", "helloasso"), ("facebook.com", "facebook"),
               ("instagram.com", "instagram"), ("billetweb.fr", "billetweb"),
               ("weezevent.com", "weezevent"), ("assoconnect.com", "assoconnect"),
               ("openagenda.com", "openagenda"), ("loomio.com", "loomio"),
               ("loomio.org", "loomio"))


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def _on(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


#: URL shapes of the formats the harvester detects by itself (a source added without
#: ``--format``, as most are): a calendar file or webcal, a feed, a web page.
_SHAPES = (
    (re.compile(r"^webcal://|\.ics$|/ical/|[?&](ical|ics)(=|&|$)|/calendar\.ics", re.I), "ics"),
    (re.compile(r"\.(rss|xml|atom)$|/(feed|rss|atom)/?$|[?&]feed=", re.I), "rss"),
    (re.compile(r"\.(html?|php)$|/$", re.I), "html"),
)


def source_format(url: str, fmt: str | None = None) -> str | None:
    """The format of a source: the one it was added with, else the one its URL shows."""
    if fmt:
        return fmt
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    shape = parts.path + ("?" + parts.query if parts.query else "")
    for pattern, name in _SHAPES:
        if pattern.search(url.strip() if name == "ics" else shape):
            return name
    return None


def source_tool(url: str, fmt: str | None = None) -> str | None:
    """The agenda tool a source's URL or format shows, if any: a known host, a known path, a
    format naming its tool, else, for a calendar file of an unknown host, ``autre-agenda``, and
    for a feed or a web page, ``site-agenda`` (the format detected from the URL when the
    source was added without one)."""
    host = _host(url)
    fmt = source_format(url, fmt)
    for suffix, tool in _CALENDAR_HOSTS:
        if _on(host, suffix):
            return tool
    if _NEXTCLOUD_PATH.search(url):
        return "nextcloud-agenda"
    if fmt in _FORMATS:
        if fmt == "activitypub" and "gancio" in url:
            return "gancio"
        return _FORMATS[fmt]
    if "mobilizon" in host:
        return "mobilizon"
    if "/wp-json/tribe/" in url or "ical=1" in url:
        return "wordpress-agenda"
    if fmt in ("rss", "html"):
        return "site-agenda"
    if fmt == "ics":
        return "autre-agenda"
    return None


def detected(sources: Iterable[Any] = (), website: str = "",
             links: Mapping[str, str] | None = None) -> list[str]:
    """The tools the sources (objects with ``url`` and ``format``), the website and the
    links of an association show, in the vocabulary's order."""
    found: set[str] = set()
    for source in sources:
        tool = source_tool(str(getattr(source, "url", "") or ""),
                           getattr(source, "format", None))
        if tool:
            found.add(tool)
    for key, url in (links or {}).items():
        if key in _LINK_KEYS:
            found.add(_LINK_KEYS[key])
        host = _host(str(url))
        found |= {tool for suffix, tool in _LINK_HOSTS if _on(host, suffix)}
    if website:
        found.add("site-web")
        host = _host(website)
        found |= {tool for suffix, tool in _LINK_HOSTS if _on(host, suffix)}
    return [code for code in TOOLS if code in found]


def tools_of(declared: Iterable[str], seen: Iterable[str]) -> list[dict[str, Any]]:
    """``[{code, label, family, harvest, how}]``: what the association declared (known codes
    only) and what Maillage saw, declared first when both; in the vocabulary's order."""
    mine, shown = set(declared), set(seen)
    return [{"code": t.code, "label": t.label, "family": t.family, "harvest": t.harvest,
             "how": DECLARED if t.code in mine else DETECTED}
            for t in TOOLS.values() if t.code in mine or t.code in shown]
