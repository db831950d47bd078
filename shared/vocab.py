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
"""

from __future__ import annotations

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


def sort_codes(
    codes: set[str] | frozenset[str], order: MappingProxyType[str, str]
) -> tuple[str, ...]:
    """Known codes of ``codes`` in the vocabulary's display order."""
    return tuple(code for code in order if code in codes)
