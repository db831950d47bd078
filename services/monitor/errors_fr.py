"""Harvest error kinds in plain French, for operators.

The kinds are those of :mod:`services.harvester.fetch_errors` (and of the fetcher, the SSRF
guard and the parsers). Each maps to one sentence saying what happened and, where it helps,
what to do. The technical message of the harvester is shown beside it, untranslated.
"""

from __future__ import annotations

import re

KIND_FR: dict[str, str] = {
    # HTTP answers
    "http_401": "Le site demande un identifiant et un mot de passe (HTTP 401)\u00a0: "
    "le calendrier n’est pas public.",
    "http_403": "Le site refuse l’accès au calendrier (HTTP 403).",
    "http_404": "L’adresse du calendrier n’existe plus (HTTP 404)\u00a0: "
    "demandez la nouvelle adresse à l’association.",
    "http_410": "Le calendrier a été supprimé par le site (HTTP 410).",
    "rate_limited": "Le site nous demande de ralentir (HTTP 429)\u00a0: "
    "nouvel essai plus tard.",
    "unavailable": "Le site est temporairement indisponible (HTTP 503).",
    "server_error": "Le site a rencontré une erreur interne (HTTP 5xx).",
    # network
    "timeout": "Le site n’a pas répondu à temps.",
    "dns": "Le nom du site est introuvable (DNS)\u00a0: domaine expiré ou mal saisi\u00a0?",
    "tls": "Le certificat de sécurité (HTTPS) du site est invalide.",
    "connection": "Impossible de se connecter au site.",
    "bad_body": "La réponse du site est arrivée incomplète ou abîmée.",
    "bad_response": "Le site a renvoyé une réponse HTTP mal formée.",
    "bad_redirect": "Le site redirige vers une adresse invalide.",
    "redirect_loop": "Le site redirige en boucle.",
    # refusals by Maillage
    "refused_url": "L’adresse du calendrier est invalide.",
    "refused_address": "L’adresse pointe vers un réseau privé\u00a0: Maillage refuse de la "
    "consulter (protection du serveur).",
    "scheme": "Ce type d’adresse n’est pas accepté (seuls http, https et webcal le sont).",
    "robots": "Le fichier robots.txt du site interdit à Maillage de lire ce calendrier.",
    "too_large": "Le document est trop volumineux\u00a0: Maillage a arrêté la lecture.",
    "not_a_file": "L’adresse désigne un dossier, un tube ou un périphérique, pas un fichier "
    "ordinaire\u00a0: Maillage ne le lit pas.",
    "refused": "Maillage a refusé de consulter cette adresse.",
    # content
    "parse": "Le document reçu n’est pas un calendrier lisible (format non reconnu "
    "ou contenu abîmé).",
    "config": "La configuration de cette source est invalide.",
    "parse_timeout": "Le document demande trop de temps de calcul\u00a0: Maillage a arrêté sa "
    "lecture (répétitions démesurées ou document énorme). Les événements déjà publiés sont "
    "gardés.",
    "too_many_items": "Le document contient plus d’événements que Maillage ne peut en suivre "
    "pour une source\u00a0: rien n’est publié et les événements déjà publiés sont gardés.",
    "harvest_timeout": "La récolte de cette source a pris trop de temps (pages trop lentes "
    "ou trop nombreuses)\u00a0: Maillage l’a arrêtée. Les événements déjà publiés sont gardés.",
    "parse_memory": "Le document demande trop de mémoire\u00a0: Maillage a arrêté sa lecture. "
    "Les événements déjà publiés sont gardés.",
    "parse_reply": "La lecture du document a produit une réponse invalide ou démesurée\u00a0: "
    "Maillage l’a refusée. Les événements déjà publiés sont gardés.",
    "too_many_occurrences": "Le document produit trop de dates d’événements (au-delà de la "
    "limite MAILLAGE_MAX_SOURCE_OCCURRENCES)\u00a0: rien n’est publié et les événements déjà "
    "publiés sont gardés.",
}

GENERIC_FR = "La récolte a échoué pour une raison imprévue."

_HTTP_KIND = re.compile(r"^http_(\d{3})$")


def error_fr(kind: str | None) -> str:
    """The French sentence for an error kind (never empty)."""
    if not kind:
        return GENERIC_FR
    if kind in KIND_FR:
        return KIND_FR[kind]
    match = _HTTP_KIND.match(kind)
    if match:
        code = int(match.group(1))
        if code >= 500:
            return KIND_FR["server_error"]
        return f"Le site a refusé la demande (HTTP {code})."
    return GENERIC_FR


# Skipped-item reasons are English sentences from the parsers; the common ones get a
# French gloss, the rest is shown as is.
_SKIP_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"no usable event in the document", re.I),
     "Aucun événement utilisable dans le document : les événements déjà publiés sont gardés."),
    (re.compile(r"stopped after \d+ pages", re.I),
     "Lecture arrêtée : trop de pages à suivre."),
    (re.compile(r"recurrence refused", re.I),
     "Répétition refusée\u00a0: sa règle produirait des dates par milliers (ou depuis une date "
     "très ancienne)."),
    (re.compile(r"expansion stopped by the time budget|expansion truncated", re.I),
     "Répétition coupée\u00a0: seules les premières dates sont gardées."),
    (re.compile(r"next page not followed", re.I),
     "Page suivante non suivie\u00a0: le lien mène hors du site de la source."),
    (re.compile(r"its (link|page) (leads|redirects) to another site", re.I),
     "Pas de date dans le flux, et sa page est sur un autre site\u00a0: elle n’est pas lue."),
    (re.compile(r"its page was not read", re.I),
     "Pas de date dans le flux\u00a0; sa page n’a pas été lue (trop de pages d’événements "
     "pour une récolte)."),
    (re.compile(r"its page could not be read", re.I),
     "Pas de date dans le flux, et sa page n’a pas pu être lue."),
    (re.compile(r"its page has no event either|its page gives no usable event", re.I),
     "Pas de date dans le flux, ni d’événement (schema.org) sur sa page."),
    (re.compile(r"no (event )?(dt)?(start|date)", re.I), "Événement sans date de début."),
    (re.compile(r"no title|without (a )?title", re.I), "Événement sans titre."),
    (re.compile(r"outside the (harvest )?window|too old|in the past", re.I),
     "Événement hors de la période récoltée."),
    (re.compile(r"cancel", re.I), "Événement annulé."),
    (re.compile(r"duplicate", re.I), "Doublon dans la source."),
)


def skip_reason_fr(reason: str) -> str:
    """A French gloss of a skipped item's reason, or the reason itself."""
    for pattern, text in _SKIP_PATTERNS:
        if pattern.search(reason):
            return text
    return reason
