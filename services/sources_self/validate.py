"""Checks of the address an association gives for its calendar, with French messages.

Only public web addresses (``http``, ``https``, ``webcal``): never a file, never a private
network (the SSRF guard refuses those again when fetching). The tools whose pages are known
are recognised, so that the preview reads them with the right format and the page can point
to the guide of a tool that cannot be harvested (Facebook)."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from services.harvester.safety import check_url
from services.harvester.sources import normalize_url
from shared.errors import FetchRefused, InvalidInput

MAX_URL = 2000
#: Hosts whose pages Maillage cannot read: the message says what to do instead.
NOT_HARVESTABLE = ("facebook.com", "fb.com", "fb.me", "instagram.com", "helloasso.com")


def _host_is(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def source_address(raw: object, *, allow_private: bool = False) -> str:
    """The calendar's address, checked (``webcal://`` kept: the fetcher reads it as https)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidInput({"url": "Indiquez l’adresse du calendrier ou du flux."})
    if len(text) > MAX_URL:
        raise InvalidInput({"url": f"L’adresse doit faire au plus {MAX_URL} caractères."})
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https", "webcal") or not parts.hostname:
        raise InvalidInput({"url": "Indiquez une adresse web qui commence par https://, "
                                   "http:// ou webcal://."})
    host = parts.hostname.lower()
    if _host_is(host, NOT_HARVESTABLE):
        raise InvalidInput({"url": "Maillage ne peut pas lire les pages de ce site (elles ne "
                                   "sont pas publiques sans compte). Voyez le guide «\u00a0"
                                   "Facebook\u00a0» pour publier votre agenda autrement."})
    try:
        check_url(text, allow_private)
    except FetchRefused as exc:
        if exc.kind != "refused_address":
            raise InvalidInput({"url": "Cette adresse web n’est pas valide."}) from None
        raise InvalidInput({"url": "Cette adresse n’est pas publique (réseau privé ou adresse "
                                   "réservée)\u00a0: Maillage ne la consulte pas."}) from None
    return text


def guess_format(url: str) -> str | None:
    """The format of the known tools' addresses (else detected from the document)."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path.lower()
    if _host_is(host, ("openagenda.com",)):
        return "openagenda"
    if path.endswith(".ics") or parts.scheme.lower() == "webcal" or "/ical" in path:
        return "ics"
    return None


def source_id(association: str, url: str) -> str:
    """A stable id of the association's source: its id and a digest of the address."""
    digest = hashlib.sha256(normalize_url(url).encode()).hexdigest()[:8]
    return f"{association[:50]}-{digest}"
