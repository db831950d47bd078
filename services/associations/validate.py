"""Checks of what people send about associations, with French messages (:class:`InvalidInput`),
and the rule that lets a person join at once: an address at the association's own domain."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from services.accounts.validate import email_address
from services.associations.identifiers import rna_number
from shared.clean import http_url
from shared.errors import InvalidInput
from shared.vocab import TOOLS

PHONE = re.compile(r"\+?[0-9 .()-]{6,25}")
#: ``javascript:``, ``mailto:``... : a scheme, not a host followed by a port.
_OTHER_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?![0-9])", re.IGNORECASE)
MAX_NAME = 150
MAX_ACRONYM = 20
MAX_ORGANIZERS = 10

#: Domains shared by many unrelated people: free mail providers and site hosts. An address
#: or a website there says nothing about belonging to an association.
SHARED_DOMAINS = frozenset({
    # mail
    "gmail.com", "googlemail.com", "yahoo.fr", "yahoo.com", "ymail.com", "hotmail.fr",
    "hotmail.com", "live.fr", "live.com", "outlook.fr", "outlook.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr",
    "neuf.fr", "laposte.net", "bbox.fr", "numericable.fr", "club-internet.fr", "gmx.fr",
    "gmx.com", "gmx.net", "proton.me", "protonmail.com", "tutanota.com", "yandex.com",
    "mail.com", "zoho.com", "riseup.net", "posteo.net", "mailo.com", "netcourrier.com",
    # site hosts whose customers' sites are subdomains of one registrable domain
    "wordpress.com", "wixsite.com", "wix.com", "over-blog.com", "over-blog.fr",
    "e-monsite.com", "jimdo.com", "jimdofree.com", "webnode.fr", "blogspot.com",
    "canalblog.com", "sitew.com", "site-solocal.com", "google.com", "facebook.com",
    "helloasso.com", "assoconnect.com", "framasite.org",
})


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:40].strip("-") or "asso"


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


def website_url(raw: str) -> str:
    text = raw.strip()
    if not text:
        return ""
    if "://" not in text and not _OTHER_SCHEME.match(text):
        text = "https://" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:  # e.g. a malformed IPv6 literal
        host = None
    if not host or http_url(text) is None:  # http(s) only, no blank or control inside
        raise InvalidInput({"website": "Indiquez l’adresse du site, par exemple "
                                       "https://www.mon-asso.fr."})
    return text


def association_form(data: Mapping[str, Any], *, demo: bool = False) -> dict[str, Any]:
    """The fields of an association form, checked; every error at once."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {"name": _text(data, "name"), "acronym": _text(data, "acronym")}
    if not out["name"]:
        errors["name"] = "Indiquez le nom de l’association."
    elif len(out["name"]) > MAX_NAME:
        errors["name"] = f"Le nom doit faire au plus {MAX_NAME} caractères."
    if len(out["acronym"]) > MAX_ACRONYM:
        errors["acronym"] = f"Le sigle doit faire au plus {MAX_ACRONYM} caractères."
    for key, check in (("rna", rna_number), ("website", website_url)):
        try:
            out[key] = check(_text(data, key))
        except InvalidInput as exc:
            errors.update(exc.errors)
    contact: dict[str, str] = {}
    if _text(data, "contact_email"):
        try:
            contact["email"] = email_address(data.get("contact_email"), "contact_email",
                                             demo=demo)
        except InvalidInput as exc:
            errors.update(exc.errors)
    phone = _text(data, "contact_phone")
    if phone:
        if PHONE.fullmatch(phone):
            contact["phone"] = phone
        else:
            errors["contact_phone"] = "Le numéro de téléphone n’est pas valide."
    out["contact"] = contact
    out["contact_public"] = data.get("contact_public") in ("oui", "on", True)
    raw_organizers = data.get("organizers")
    lines = raw_organizers.splitlines() if isinstance(raw_organizers, str) else []
    organizers = list(dict.fromkeys(" ".join(line.split()) for line in lines if line.strip()))
    if len(organizers) > MAX_ORGANIZERS or any(len(o) > MAX_NAME for o in organizers):
        errors["organizers"] = (f"Au plus {MAX_ORGANIZERS} noms, d’au plus {MAX_NAME} "
                                "caractères chacun.")
    out["organizers"] = organizers
    raw_tools = data.getall("tools", []) if hasattr(data, "getall") else data.get("tools") or []
    tools = [str(t) for t in ([raw_tools] if isinstance(raw_tools, str) else raw_tools)]
    if any(t not in TOOLS for t in tools):
        errors["tools"] = "Choisissez les outils dans la liste proposée."
    out["tools"] = [t for t in TOOLS if t in tools]  # the vocabulary's order, once each
    if errors:
        raise InvalidInput(errors)
    return out


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()  # the list shipped with the package: no download


def registrable_domain(host: str) -> str | None:
    """The domain one registrant controls (``www.velo.asso.fr`` → ``velo.asso.fr``), or None
    for an address, a bare public suffix or a name without a dot."""
    name = host.strip().rstrip(".").lower()
    if not name or "." not in name:
        return None
    try:
        ipaddress.ip_address(name.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    found: str | None = _psl().privatesuffix(name)
    return found


def joins_at_once(email: str, website: str) -> bool:
    """True when ``email`` is at the registrable domain of ``website``, and that domain is
    not one many unrelated people share (free mail, site hosts)."""
    host = urlsplit(website).hostname if website else None
    site_domain = registrable_domain(host) if host else None
    mail_domain = registrable_domain(email.rpartition("@")[2])
    return (site_domain is not None and site_domain == mail_domain
            and site_domain not in SHARED_DOMAINS)
