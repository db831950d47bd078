"""How the theme lexicon reads words: its stems, and the words whose theme depends on context.

:func:`theme_stems` is :func:`shared.text.stems` with three corrections the lexicon needs
(the search store keeps plain :func:`~shared.text.stems`):

* a few accents carry the meaning and are read before folding: ``marché`` (a market) is not
  ``marche`` (a walk, a march), ``retraité`` (a retired person) is not ``retraite`` (which
  may be a spiritual retreat), ``jeûne`` is not ``jeune``;
* programming-language names that are not words (``C++``, ``C#``, ``.NET``) become words;
* ``sans-abri``, ``sans-papiers`` and ``tout-petits`` stay one word (``sans`` and
  ``tout`` are stop words), and so do ``master class`` and ``master-class``;
* words the Snowball stemmer merges with unrelated ones get a stem of their own
  (``manga`` is not ``manger``, ``goûter`` is not ``goût``, ``pétition`` is not ``petits``,
  ``concertation`` is not ``concert``).

:data:`SENSES` lists the words whose theme depends on the rest of the text: ``retraite``
(spiritual retreat, retirement or pension reform), ``marche`` (a walk or a demonstration),
``vélo`` (a sport or a way to get around), ``tournoi`` (of football or of tarot)... Each
maps its candidate themes to cue words; :mod:`services.indexer.enrich.themes` counts such a
word for a theme only when the event has other evidence for that theme or one of its cues,
so alone it assigns nothing. A ``"*"`` entry names the theme it has in a title that gives
no other clue.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from shared.text import STOP_WORDS, fold, stem_word

_SURFACE = re.compile(
    r"(?<![\w+#.])(?:c\+\+|c#|\.net)(?![\w+#])|\bmarchés?\b|\bretraité(?:e|s|es)?\b"
    r"|\bjeûnes?\b|\bsans[- ](?:abris?|papiers)\b|\btout[- ]petits\b|\bmaster[- ]class(?:es)?\b"
)
_WORD = re.compile(r"[a-z0-9]+")  # as shared.text.tokens
_SURFACE_WORDS = {
    "c++": " cplusplus ",
    "c#": " csharp ",
    ".net": " dotnet ",
    "marché": " marchecommerce ",
    "marchés": " marchecommerce ",
    "jeûne": " jeuneabstinence ",
    "jeûnes": " jeuneabstinence ",
}

#: folded word -> the stem the lexicon uses (where Snowball merges unrelated words).
STEM_OVERRIDES = MappingProxyType(
    {
        "manga": "manga",
        "mangas": "manga",
        "gouter": "gouter",
        "gouters": "gouter",
        "donner": "donner",
        "donne": "donner",
        "donnez": "donner",
        "donnons": "donner",
        "velos": "velo",
        "vieillissement": "vieillissement",
        "familiaux": "familiaux",
        "anciens": "ancien",
        "concertation": "concertation",
        "concertations": "concertation",
        "petition": "petition",
        "petitions": "petition",
        "collection": "collection",
        "collections": "collection",
        "isolation": "isolation",
        "participatif": "participatif",
        "participative": "participatif",
        "participatifs": "participatif",
        "participatives": "participatif",
        "developpeur": "developpeur",
        "developpeurs": "developpeur",
        "developpeuse": "developpeur",
        "developpeuses": "developpeur",
        "entrainant": "entrainant",
        "entrainants": "entrainant",
        "ancienne": "ancien",
        "anciennes": "ancien",
        "modelisme": "modelisme",
        "modeliste": "modelisme",
        "modelistes": "modelisme",
        "alternance": "alternance",
        "alternances": "alternance",
        "js": "js",
        "maker": "maker",
        "makers": "maker",
    }
)


def _surface(match: re.Match[str]) -> str:
    word = match.group(0)
    if word.startswith("retrait"):
        return " retraitepersonne "
    if word.startswith(("sans", "tout", "master")):  # "sans", "tout": stop words
        return " " + re.sub(r"[- ]|es$", "", word) + " "
    return _SURFACE_WORDS[word]


_TRIGGERS = ("c+", "c#", ".net", "marché", "retraité", "jeûn", "sans", "tout", "master")


def surface(text: str) -> str:
    """``text`` in lower case with the words whose accent or spelling matters rewritten."""
    text = text.lower()
    if any(t in text for t in _TRIGGERS):
        return _SURFACE.sub(_surface, text)
    return text


#: folded word -> its theme stem, or None for a stop word (one lookup per word read)
_STEMS: dict[str, str | None] = {}
_STEMS_MAX = 200_000


def folded_stems(folded: str) -> list[str]:
    """Theme stems of a text already passed through :func:`surface` and :func:`fold`."""
    out: list[str] = []
    for word in _WORD.findall(folded):
        try:
            stem = _STEMS[word]
        except KeyError:
            if len(_STEMS) >= _STEMS_MAX:
                _STEMS.clear()
            stem = _STEMS[word] = (
                None if word in STOP_WORDS else STEM_OVERRIDES.get(word) or stem_word(word)
            )
        if stem is not None:
            out.append(stem)
    return out


def theme_stems(text: str) -> list[str]:
    """Stems of ``text`` as the theme lexicon reads them (see the module docstring)."""
    return folded_stems(fold(surface(text)))


#: word (variants separated by ``|``) -> {theme: cue words, ``"*"``: theme in a bare title}.
SENSES: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {
        k: MappingProxyType(v)
        for k, v in {
            "retraite|retraites": {
                "spiritualite": "spirituel|spirituelle|prière|prier|abbaye|monastère|carême|"
                "avent|confirmation|fiancés|évangile|sœurs|frères|dieu|silence|jeûne|"
                "religieuse|enseignements|sacrement",
                "seniors": "pension|pensions|carsat|préparer|préparation|active|cumul|âge",
                "citoyennete": "réforme|grève|manifestation|mobilisation|intersyndicale",
            },
            "marche|marches": {
                "citoyennete": "fiertés|blanche|hommage|exilés|sans-papiers|manifestation|"
                "mobilisation|pancartes|banderoles|revendications|cortège|droits|paix|"
                "féministe|féminicides|climat|silencieuse|manifestants",
                "sport": "nordique|afghane|km|kilomètres|bâtons|allure|marcheurs|circuit|"
                "parcours|boucle|randonnée|rando|dénivelé",
            },
            "vélo|vélos": {
                "sport": "km|kilomètres|vtt|route|cyclistes|cyclisme|course|peloton|"
                "dénivelé|sortie|randonnée",
                "environnement": "réparer|réparation|atelier|mobilité|mobilités|"
                "déplacements|cyclable|cyclables|climat|voiture",
            },
            "tournoi|tournois": {
                "sport": "équipes|équipe|matchs|match|poules|terrain|raquette",
                "loisirs": "cartes|donnes|rondes|console|consoles|switch|bracket|figurines|manches",
            },
            "repas": {
                "alimentation": "cuisine|cuisiner|recettes|recette|chef|producteurs|"
                "gastronomique|menu|locaux",
                "loisirs": "convivial|conviviale|festif|ambiance|animé|dansant|soirée",
                "solidarite": "solidaire|précarité|démunis|isolées",
                "*": "loisirs",
            },
            "marché|marchés": {
                "alimentation": "producteurs|légumes|fromages|fromagers|maraîchers|bio|"
                "fermes|ferme|locaux|volaillers|primeurs|paysans",
                "economie": "artisans|créateurs|exposants|commerçants|chalets",
                "*": "alimentation",
            },
            "abbaye|abbayes": {
                "patrimoine": "visite|visites|histoire|architecture|ruines|siècle|cloître|"
                "médiévale|romane|gothique",
                "spiritualite": "prière|retraite|moines|moniales|office|offices|silence|"
                "frères|sœurs|messe",
            },
            "programmation": {
                "numerique": "informatique|ordinateur|langage|python|code|logiciel|scratch|"
                "développeur|développeurs|web|robot|arduino|jeu vidéo",
            },
            "culte|cultes": {
                "spiritualite": "église|temple|paroisse|pasteur|protestant|protestante|"
                "dieu|prière|chrétien|chrétiens|fidèles|religieux",
            },
            "baptême|baptêmes": {
                "spiritualite": "église|paroisse|parents|enfant|sacrement|catéchisme|prêtre",
                "loisirs": "air|plongée|ulm|parapente|vol|saut",
            },
            "confirmation": {
                "spiritualite": "sacrement|évêque|paroisse|retraite|jeunes|catéchisme",
            },
            "confessions": {
                "spiritualite": "église|églises|paroisse|prêtre|pardon|réconciliation",
            },
            "pardon": {
                "spiritualite": "confessions|église|églises|paroisse|prêtre|réconciliation",
                "patrimoine": "bretagne|breton|bretonne|chapelle|procession",
            },
            "vestiaire|vestiaires": {
                "solidarite": "solidaire|dons|vêtements|familles|gratuit|précarité",
            },
            "mémoire": {
                "patrimoine": "histoire|guerre|déportation|résistance|libération|"
                "souvenir|témoignages|archives|devoir",
                "sante": "troubles|exercices|entretenir|alzheimer|seniors|neurologue",
            },
            "code": {
                "numerique": "programmer|programmation|ordinateur|informatique|python|"
                "javascript|scratch|développeur|développeurs|logiciel|coder",
            },
            "anciens": {
                "seniors": "repas|goûter|aînés|âge|ans|club|retraités",
            },
            "mobilité|mobilités": {
                "environnement": "vélo|vélos|cyclable|cyclables|transports|bus|voiture|"
                "covoiturage|piétons|douce",
            },
            "licence|licences|licenciés": {
                "sport": "club|saison|certificat|fédération|équipe",
            },
            "oiseau|oiseaux": {  # "Oiseaux de nuit", the title of an exhibition
                "environnement": "nature|naturaliste|ornithologue|ornithologie|ornithologique|"
                "lpo|observation|observer|jumelles|migrateurs|migration|espèces|nichoirs|"
                "mangeoires|chants|biodiversité|marais|étang|sortie|balade|comptage|"
                "jardins|jardin|haies|faune|sauvages",
            },
            "bloc|blocs": {
                "sport": "escalade|grimpe|grimpeurs|grimpeuses|voies|prises|open|contest|"
                "qualifications|finales|pan|grimper|compétition",
            },
            "masterclass": {
                "culture": "musique|musiciens|instrument|instruments|piano|violon|violoncelle|"
                "trompette|chant|lyrique|conservatoire|soliste|orchestre|danse|théâtre|jazz|"
                "guitare|comédiens|opéra|quatuor",
                "*": "culture",
            },
            "foire|foires": {
                "loisirs": "manèges|forains|foraine|camelots|greniers|attractions|festive|"
                "brocante|braderie",
                "*": "loisirs",
            },
            "js": {
                "numerique": "javascript|typescript|node|react|angular|vue|web|framework|"
                "frameworks|frontend|développeurs|développeuses|talk|talks|meetup|code",
                "*": "numerique",
            },
            "écoute": {
                "sante": "psychologue|souffrance|détresse|santé|psychique|deuil",
                "solidarite": "victimes|isolement|précarité|accueil",
            },
        }.items()
    }
)
