"""Controlled vocabularies of the event model, with French labels for display.

Accessibility (``Event.accessibility``)
    The five OpenAgenda families (``hi`` hearing, ``vi`` visual, ``pi`` psychic, ``mi`` motor,
    ``ii`` intellectual; OpenAgenda developer docs, ``accessibility`` object) plus finer codes
    for the devices and services listed in the reference file ``accessibility_vocabulary.csv``
    (scheme ``dispositif``). A finer code always comes with its family (``lsf`` implies ``hi``)
    except the two family-less services ``tarif_accompagnateur`` and
    ``referent_accessibilite``. Codes are sorted in the order of :data:`ACCESSIBILITY`.

Audience (``Event.audience``)
    Who an event is meant for, as stated by the source or found in its text. Sorted in the
    order of :data:`AUDIENCES`.

Tools (an association's ``tools``, the inventory page ``/outils``)
    The software and services associations use, in five families (:data:`TOOL_FAMILIES`):
    ``agenda`` (where their events are published), ``communication`` (reaching the public and
    members), ``gestion`` (accounts, members' files, documents), ``adhesions`` (membership
    and payments) and ``collaboration`` (working together). Each tool (:data:`TOOLS`) has a
    French label, its family and, for an agenda, the source format Maillage harvests it with
    (``harvest``: empty when Maillage cannot read it). An association declares the tools it
    uses; Maillage adds the ones it sees in its sources' addresses and formats and in its
    links (:mod:`services.associations.tools`). ``autre-*`` codes stand for "another tool of
    this family".
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

#: code -> French label, in display order (families first).
ACCESSIBILITY = MappingProxyType(
    {
        "hi": "Handicap auditif",
        "vi": "Handicap visuel",
        "pi": "Handicap psychique",
        "mi": "Handicap moteur",
        "ii": "Handicap intellectuel",
        "lsf": "Langue des signes française (LSF)",
        "surtitrage": "Surtitrage adapté",
        "sous_titrage": "Sous-titrage pour sourds et malentendants",
        "boucle_magnetique": "Boucle magnétique",
        "amplification": "Casque d’amplification sonore",
        "audiodescription": "Audiodescription",
        "souffleur_images": "Souffleur d’Images",
        "visite_tactile": "Visite tactile",
        "braille_gros_caracteres": "Documents en braille ou en gros caractères",
        "falc": "Facile à lire et à comprendre (FALC)",
        "places_fauteuil": "Places pour fauteuil roulant, accès PMR",
        "tarif_accompagnateur": "Tarif accompagnateur",
        "referent_accessibilite": "Personne référente accessibilité sur place",
    }
)

#: The five OpenAgenda families.
ACCESSIBILITY_FAMILIES = ("hi", "vi", "pi", "mi", "ii")

#: finer code -> its family (absent: no family).
ACCESSIBILITY_FAMILY = MappingProxyType(
    {
        "lsf": "hi",
        "surtitrage": "hi",
        "sous_titrage": "hi",
        "boucle_magnetique": "hi",
        "amplification": "hi",
        "audiodescription": "vi",
        "souffleur_images": "vi",
        "visite_tactile": "vi",
        "braille_gros_caracteres": "vi",
        "falc": "ii",
        "places_fauteuil": "mi",
    }
)

#: code -> French label, in display order.
AUDIENCES = MappingProxyType(
    {
        "enfants": "Enfants",
        "jeunes": "Jeunes, ados",
        "etudiants": "Étudiants",
        "familles": "Familles",
        "adultes": "Adultes",
        "seniors": "Seniors",
        "tout-public": "Tout public",
    }
)


#: family code -> French label, in display order.
TOOL_FAMILIES = MappingProxyType(
    {
        "agenda": "Agenda",
        "communication": "Communication",
        "gestion": "Gestion",
        "adhesions": "Adhésions et paiements",
        "collaboration": "Travail collaboratif",
    }
)


@dataclass(frozen=True, slots=True)
class Tool:
    code: str
    label: str
    family: str
    harvest: str = ""  # the source format Maillage reads it with; "" when it cannot


def _tools(*rows: tuple[str, str, str, str]) -> MappingProxyType[str, Tool]:
    return MappingProxyType({code: Tool(code, label, family, harvest)
                             for code, label, family, harvest in rows})


#: code -> tool, in display order (by family).
TOOLS = _tools(
    ("google-agenda", "Google Agenda", "agenda", "ics"),
    ("nextcloud-agenda", "Nextcloud Agenda", "agenda", "ics"),
    ("framagenda", "Framagenda", "agenda", "ics"),
    ("outlook", "Outlook, Microsoft 365", "agenda", "ics"),
    ("icloud", "Calendrier iCloud", "agenda", "ics"),
    ("zoho-calendar", "Zoho Calendar", "agenda", "ics"),
    ("openagenda", "OpenAgenda", "agenda", "openagenda"),
    ("mobilizon", "Mobilizon", "agenda", "activitypub"),
    ("gancio", "Gancio", "agenda", "activitypub"),
    ("wordpress-agenda", "WordPress (The Events Calendar)", "agenda", "wordpress"),
    ("site-agenda", "Agenda sur son site (page ou flux RSS)", "agenda", "rss"),
    ("autre-agenda", "Autre agenda", "agenda", ""),
    ("site-web", "Site web", "communication", ""),
    ("lettre-information", "Lettre d’information (Brevo, Mailchimp…)", "communication", ""),
    ("liste-diffusion", "Liste de diffusion (Sympa, Framaliste…)", "communication", ""),
    ("facebook", "Facebook", "communication", ""),
    ("instagram", "Instagram", "communication", ""),
    ("mastodon", "Mastodon", "communication", ""),
    ("peertube", "PeerTube", "communication", ""),
    ("whatsapp", "WhatsApp", "communication", ""),
    ("signal", "Signal", "communication", ""),
    ("autre-communication", "Autre outil de communication", "communication", ""),
    ("paheko", "Paheko (ex-Garradin)", "gestion", ""),
    ("assoconnect", "AssoConnect", "gestion", ""),
    ("dolibarr", "Dolibarr", "gestion", ""),
    ("tableur", "Tableur (Excel, LibreOffice, Google Sheets)", "gestion", ""),
    ("autre-gestion", "Autre outil de gestion", "gestion", ""),
    ("helloasso", "HelloAsso", "adhesions", ""),
    ("billetweb", "Billetweb", "adhesions", ""),
    ("weezevent", "Weezevent", "adhesions", ""),
    ("autre-adhesions", "Autre outil d’adhésion ou de paiement", "adhesions", ""),
    ("nextcloud", "Nextcloud", "collaboration", ""),
    ("google-drive", "Google Drive, Docs", "collaboration", ""),
    ("framasoft", "Outils Framasoft (Framapad, Framadate…)", "collaboration", ""),
    ("slack", "Slack", "collaboration", ""),
    ("discord", "Discord", "collaboration", ""),
    ("loomio", "Loomio", "collaboration", ""),
    ("autre-collaboration", "Autre outil collaboratif", "collaboration", ""),
)


def sort_codes(
    codes: set[str] | frozenset[str], order: MappingProxyType[str, str]
) -> tuple[str, ...]:
    """Known codes of ``codes`` in the vocabulary's display order."""
    return tuple(code for code in order if code in codes)
